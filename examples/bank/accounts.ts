/**
 * The seed article's bank account, as a task module: the functions that `Process` runs in workers.
 * `balance.value = balance.value - 1` is a read followed by a write: two workers interleaving them
 * lose updates unless a `Lock` makes each read-modify-write one step.
 *
 * @module
 */
import type { Barrier, Lock, Value } from "@interlock/interlock";

/** A shared balance of C `int`s, as `multiprocessing.Value('i', 100)`. */
export type Balance = Value<"i">;

/** Withdraws 1, `n` times, with no lock (the seed's race). `start` lines the workers up. */
export function withdraw(balance: Balance, n: number, start?: Barrier): void {
  start?.waitSync();
  for (let k = 0; k < n; k++) balance.value = balance.value - 1;
}

/** Deposits 1, `n` times, with no lock (the seed's race). */
export function deposit(balance: Balance, n: number, start?: Barrier): void {
  start?.waitSync();
  for (let k = 0; k < n; k++) balance.value = balance.value + 1;
}

/** Withdraws 1, `n` times, each under `lock` (the seed's fix). */
export function withdrawLocked(balance: Balance, lock: Lock, n: number, start?: Barrier): void {
  start?.waitSync();
  for (let k = 0; k < n; k++) {
    using _ = lock.acquireSync();
    balance.value = balance.value - 1;
  }
}

/** Deposits 1, `n` times, each under `lock` (the seed's fix). */
export function depositLocked(balance: Balance, lock: Lock, n: number, start?: Barrier): void {
  start?.waitSync();
  for (let k = 0; k < n; k++) {
    using _ = lock.acquireSync();
    balance.value = balance.value + 1;
  }
}
