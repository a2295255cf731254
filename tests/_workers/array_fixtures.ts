/**
 * Worker-side bodies for the SharedArray tests.
 *
 * @module
 */
import type { SharedArray, Value } from "../../mod.ts";
import { contendSync, guarded } from "../_contention.ts";

/** The seed's `modify_shared_resources`: increments the counter and doubles every element. */
export function modifySharedResources(counter: Value<"i">, numbers: SharedArray<"d">): number[] {
  {
    using _ = counter.getLock().acquireSync();
    counter.value += 1;
  }
  using _ = numbers.getLock().acquireSync();
  for (let i = 0; i < numbers.length; i++) numbers.set(i, numbers.get(i) * 2);
  return numbers.toArray();
}

/**
 * Locked increments of element `i` through the typed view, started together with the probe's other
 * parties and repeated until it saw enough contention; returns how many.
 */
export function bumpUnderLock(a: SharedArray<"i">, i: number, probe: Int32Array): number {
  const lock = a.getLock();
  return contendSync(probe, () => lock.locked(), () => {
    using _ = lock.acquireSync({ timeout: 5_000 });
    guarded(probe, () => a.view[i]! += 1);
  });
}
