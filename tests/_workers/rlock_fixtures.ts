/**
 * Worker-side bodies for the RLock tests.
 *
 * @module
 */
import type { RLock } from "../../mod.ts";
import { contend, contendSync, guarded } from "../_contention.ts";

/**
 * Non-atomic increments of `counter[0]`, each under a doubly (reentrantly) acquired `rlock`,
 * started together with the probe's other parties and repeated until the probe saw enough
 * contention; returns how many.
 */
export function incrementNestedSync(rlock: RLock, counter: Int32Array, probe: Int32Array): number {
  return contendSync(probe, () => rlock.locked(), () => {
    using _outer = rlock.acquireSync({ timeout: 5_000 });
    using _inner = rlock.acquireSync({ timeout: 5_000 });
    guarded(probe, () => counter[0] = counter[0]! + 1);
  });
}

/** Same as {@linkcode incrementNestedSync} with the Promise form. */
export function incrementNestedAsync(
  rlock: RLock,
  counter: Int32Array,
  probe: Int32Array,
): Promise<number> {
  return contend(probe, () => rlock.locked(), async () => {
    using _outer = await rlock.acquire({ timeout: 5_000 });
    using _inner = await rlock.acquire({ timeout: 5_000 });
    guarded(probe, () => counter[0] = counter[0]! + 1);
  });
}

/** What a non-owner sees of an RLock that another agent holds. */
export function probeForeign(rlock: RLock): Record<string, unknown> {
  const out: Record<string, unknown> = {
    locked: rlock.locked(),
    owned: rlock.owned(),
    recursionCount: rlock.recursionCount(),
    tryAcquire: rlock.tryAcquire(),
  };
  try {
    rlock.release();
    out.release = "released";
  } catch (e) {
    out.release = `${(e as Error).name}: ${(e as Error).message}`;
  }
  try {
    rlock.acquireSync({ timeout: 10 });
    out.acquireSync = "acquired";
  } catch (e) {
    out.acquireSync = (e as Error).name;
  }
  return out;
}

/** Acquires `depth` times, then releases level by level, recording `locked()` after each release. */
export function nestAndUnwind(rlock: RLock, depth: number): boolean[] {
  for (let k = 0; k < depth; k++) rlock.acquireSync({ timeout: 5000 });
  const seen: boolean[] = [];
  for (let k = 0; k < depth; k++) {
    rlock.release();
    seen.push(rlock.locked());
  }
  return seen;
}
