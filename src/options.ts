/**
 * Options shared by every waiting method, and their validation.
 *
 * @module
 */

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
