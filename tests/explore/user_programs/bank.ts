/**
 * A user's bank: tellers move money between two shared accounts. `transfer` reads and writes each
 * balance without a lock, so two tellers can lose an update; `transferLocked` holds a `Lock` (the
 * promise form, as on the main thread) around the whole transfer. Expected: the explorer finds the
 * lost update of `transfer` and proves `transferLocked`.
 *
 * @module
 */
import type { Lock, Value } from "../../../mod.ts";

/** Moves `amount` from `from` to `to`, unprotected. */
export function transfer(from: Value<"i">, to: Value<"i">, amount: number): void {
  from.value = from.value - amount;
  to.value = to.value + amount;
}

/** Moves `amount` from `from` to `to` under `lock`. */
export async function transferLocked(
  from: Value<"i">,
  to: Value<"i">,
  lock: Lock,
  amount: number,
): Promise<void> {
  using _ = await lock.acquire();
  from.value -= amount;
  to.value += amount;
}
