/**
 * Options shared by every waiting method, and their validation.
 *
 * @module
 */
import type { OwnerDiedError } from "./errors.ts";

/** Options of the blocking `*Sync` waits (a blocked thread cannot observe an `AbortSignal`). */
export interface SyncWaitOptions {
  /**
   * Milliseconds to wait at most; `0` means "do not wait". On expiry the method throws a
   * `DOMException` named `TimeoutError` and leaves the primitive as if it had never waited.
   * @default {Infinity}
   */
  timeout?: number;
}

/** Options of the Promise-returning waits. */
export interface WaitOptions extends SyncWaitOptions {
  /**
   * Aborting it rejects the pending wait with `signal.reason` and leaves the primitive as if the
   * caller had never waited (no permit taken, no wake-up swallowed).
   * @default {undefined}
   */
  signal?: AbortSignal;
}

/**
 * Options of the blocking acquires of `Lock`, `RLock` and `Semaphore` (`acquireSync`).
 *
 * @example Take over a lock whose holder died
 * ```ts
 * import { Lock } from "@interlock/interlock";
 * import assert from "node:assert/strict";
 *
 * const lock = new Lock();
 * using _ = lock.acquireSync({ timeout: 1000, onOwnerDied: () => {} });
 * assert.ok(lock.locked());
 * ```
 */
export interface AcquireSyncOptions extends SyncWaitOptions {
  /**
   * What to do when the previous holder died holding the lock (its data may be inconsistent):
   * called with an {@linkcode OwnerDiedError} while the caller holds the lock. Returning marks the
   * data consistent again, and the acquire succeeds; throwing gives the lock back, still
   * abandoned, and the acquire rethrows. Without it, such an acquire throws `OwnerDiedError` and
   * takes nothing.
   * @default {undefined}
   */
  onOwnerDied?: (error: OwnerDiedError) => void;
}

/** Options of the Promise-returning acquires of `Lock`, `RLock` and `Semaphore` (`acquire`). */
export interface AcquireOptions extends WaitOptions {
  /**
   * As {@linkcode AcquireSyncOptions.onOwnerDied}; it may also return a Promise, which the acquire
   * awaits (holding the lock) before it succeeds.
   * @default {undefined}
   */
  onOwnerDied?: (error: OwnerDiedError) => void | Promise<void>;
}

/**
 * The `onOwnerDied` of acquire `options` (already checked to be an object, or undefined);
 * throws `TypeError` if it is not a function.
 */
export function ownerDiedHandler<H>(
  what: string,
  options: { readonly onOwnerDied?: H } | undefined,
): H | undefined {
  const handler = options?.onOwnerDied;
  if (handler !== undefined && typeof handler !== "function") {
    throw new TypeError(
      `Cannot ${what}: 'onOwnerDied' must be a function, received ${typeof handler}`,
    );
  }
  return handler;
}

/**
 * Validates `options` of a wait and returns its absolute deadline (`performance.now()` ms, or
 * `Infinity`). Throws `TypeError` / `RangeError` for bad input, and `signal.reason` if already aborted.
 */
export function deadlineOf(what: string, options: WaitOptions | undefined): number {
  if (options === undefined) return Infinity;
  if (typeof options !== "object" || options === null) {
    throw new TypeError(`Cannot ${what}: options must be an object, received ${typeof options}`);
  }
  const { timeout, signal } = options;
  if (signal !== undefined) {
    if (!(signal instanceof AbortSignal)) {
      throw new TypeError(`Cannot ${what}: 'signal' must be an AbortSignal`);
    }
    signal.throwIfAborted();
  }
  if (timeout === undefined || timeout === Infinity) return Infinity;
  if (typeof timeout !== "number") {
    throw new TypeError(`Cannot ${what}: 'timeout' must be a number, received ${typeof timeout}`);
  }
  if (!(timeout >= 0)) {
    throw new RangeError(
      `Cannot ${what}: 'timeout' must be a non-negative number of milliseconds, received ${timeout}`,
    );
  }
  return performance.now() + timeout;
}

/**
 * The error a failed (timed-out or aborted) wait throws: `signal.reason` if the signal aborted,
 * else a `DOMException` named `TimeoutError`.
 */
export function waitFailure(what: string, options: WaitOptions | undefined): unknown {
  if (options?.signal?.aborted) return options.signal.reason;
  return new DOMException(
    `Timed out after ${options?.timeout} ms waiting to ${what}`,
    "TimeoutError",
  );
}
