/**
 * Worker-side bodies of the real-worker bank stress (the seed's program on real threads).
 *
 * @module
 */
import type { Lock, Value } from "../../mod.ts";
import { contendSync, guarded } from "../_contention.ts";

/**
 * Transactions of `delta` on `balance`, each under `lock` (blocking form), as the seed; started
 * together with the probe's other parties and repeated until it saw enough contention. Returns how
 * many transactions it made.
 */
export function transact(
  balance: Value<"i">,
  lock: Lock,
  delta: number,
  probe: Int32Array,
): number {
  return contendSync(probe, () => lock.locked(), () => {
    using _ = lock.acquireSync({ timeout: 5_000 });
    guarded(probe, () => balance.value = balance.value + delta);
  });
}
