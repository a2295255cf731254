/**
 * Worker-side bodies for the Lock tests.
 *
 * @module
 */
import type { Lock } from "../../mod.ts";
import { contend, contendSync, guarded } from "../_contention.ts";

/**
 * Non-atomic increments of `counter[0]` under `lock` (blocking form), started together with the
 * probe's other parties and repeated until the probe saw enough contention; returns how many.
 */
export function incrementSync(lock: Lock, counter: Int32Array, probe: Int32Array): number {
  return contendSync(probe, () => lock.locked(), () => {
    using _ = lock.acquireSync({ timeout: 5_000 });
    guarded(probe, () => counter[0] = counter[0]! + 1);
  });
}

/** Same as {@linkcode incrementSync} with the Promise form. */
export function incrementAsync(
  lock: Lock,
  counter: Int32Array,
  probe: Int32Array,
): Promise<number> {
  return contend(probe, () => lock.locked(), async () => {
    using _ = await lock.acquire({ timeout: 5_000 });
    guarded(probe, () => counter[0] = counter[0]! + 1);
  });
}

/** Tries to acquire with a timeout; reports what happened. */
export function acquireWithTimeout(lock: Lock, timeout: number): string {
  try {
    lock.acquireSync({ timeout });
    lock.release();
    return "acquired";
  } catch (e) {
    return (e as Error).name;
  }
}
