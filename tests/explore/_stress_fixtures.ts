/**
 * Worker-side bodies of the real-worker bank stress (the seed's program on real threads).
 *
 * @module
 */
import type { Lock, Value } from "../../mod.ts";

/** `n` transactions of `delta` on `balance`, each under `lock` (blocking form), as the seed. */
export function transact(balance: Value<"i">, lock: Lock, delta: number, n: number): number {
  for (let k = 0; k < n; k++) {
    using _ = lock.acquireSync();
    balance.value = balance.value + delta;
  }
  return n;
}
