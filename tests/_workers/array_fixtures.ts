/**
 * Worker-side bodies for the SharedArray tests.
 *
 * @module
 */
import type { SharedArray, Value } from "../../mod.ts";

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

/** `n` locked increments of element `i`, through the typed view under the lock. */
export function bumpUnderLock(a: SharedArray<"i">, i: number, n: number): number {
  for (let k = 0; k < n; k++) {
    using _ = a.getLock().acquireSync();
    a.view[i]! += 1;
  }
  return n;
}
