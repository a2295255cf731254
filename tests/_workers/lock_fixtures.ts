/**
 * Worker-side bodies for the Lock tests.
 *
 * @module
 */
import type { Lock } from "../../mod.ts";

/** `n` non-atomic increments of `counter[0]` under `lock`, blocking form. */
export function incrementSync(lock: Lock, counter: Int32Array, n: number): number {
  for (let k = 0; k < n; k++) {
    using _ = lock.acquireSync();
    counter[0] = counter[0]! + 1;
  }
  return n;
}

/** `n` non-atomic increments of `counter[0]` under `lock`, Promise form. */
export async function incrementAsync(lock: Lock, counter: Int32Array, n: number): Promise<number> {
  for (let k = 0; k < n; k++) {
    using _ = await lock.acquire();
    counter[0] = counter[0]! + 1;
  }
  return n;
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
