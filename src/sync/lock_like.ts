/**
 * `LockLike`: what a function needs of a lock to work with Interlock's local `Lock`, `RLock` and
 * `Semaphore` and with the Redis ones (`@interlock/interlock/redis`) alike.
 *
 * @module
 */
import type { WaitOptions } from "../options.ts";

/**
 * The shape shared by every Interlock lock, local or distributed: write a function against it and
 * pass either kind. Call every method with `await` (a local lock answers synchronously, a Redis
 * lock with a Promise; `await` takes both), and hold with `await using`, which disposes a local
 * guard (`Disposable`) and a Redis hold (`AsyncDisposable`) alike.
 *
 * - The local classes are not structurally interchangeable with the Redis ones (they have
 *   `acquireSync` and shared-memory fields; the Redis ones have none), hence this interface.
 *
 * @example
 * ```ts
 * import { Lock, type LockLike, RLock, Semaphore } from "@interlock/interlock";
 * import assert from "node:assert/strict";
 *
 * async function withdraw(lock: LockLike, account: { balance: number }, amount: number) {
 *   await using _ = await lock.acquire({ timeout: 1_000 });
 *   if (account.balance < amount) throw new RangeError("Insufficient funds");
 *   account.balance -= amount;
 * }
 * const account = { balance: 10 };
 * for (const lock of [new Lock(), new RLock(), new Semaphore(1)]) await withdraw(lock, account, 1);
 * assert.equal(account.balance, 7);
 * ```
 */
export interface LockLike {
  /** Waits for the lock; the result releases it when disposed. */
  acquire(options?: WaitOptions): Promise<Disposable | AsyncDisposable>;
  /** Takes the lock if free; `true` if taken. */
  tryAcquire(): boolean | Promise<boolean>;
  /** Releases the lock. */
  release(): void | Promise<void>;
  /** Whether the lock is held (semaphores: not part of their interface). */
  locked?(): boolean | Promise<boolean>;
}
