/**
 * Every error class Interlock throws. Bad arguments get the platform's `TypeError` / `RangeError`;
 * timeouts are `DOMException`s named `TimeoutError`; aborts reject with the signal's `reason`.
 * The classes below are for conditions callers catch by class, never by message text.
 *
 * @module
 */

/**
 * A primitive was used in a way its current state forbids, as Python's `RuntimeError`: releasing a
 * lock that is not held, releasing an `RLock` the caller does not own, waiting on or notifying a
 * `Condition` without holding its lock, releasing a `BoundedSemaphore` above its initial value.
 *
 * @example
 * ```ts
 * import { Lock, RuntimeError } from "@interlock/interlock";
 * import assert from "node:assert/strict";
 *
 * assert.throws(() => new Lock().release(), RuntimeError);
 * ```
 */
export class RuntimeError extends Error {
  /** Creates the error; `options.cause` is kept. */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "RuntimeError";
  }
}

/**
 * A `Barrier` was broken (aborted, reset while parties waited, or a waiter timed out) while a party
 * waited on it or tried to.
 *
 * @example
 * ```ts
 * import { BrokenBarrierError } from "@interlock/interlock";
 * import assert from "node:assert/strict";
 *
 * const error = new BrokenBarrierError();
 * assert.ok(error instanceof Error);
 * assert.equal(error.name, "BrokenBarrierError");
 * ```
 */
export class BrokenBarrierError extends Error {
  /** Creates the error; `options.cause` is kept. */
  constructor(message = "Barrier is broken", options?: ErrorOptions) {
    super(message, options);
    this.name = "BrokenBarrierError";
  }
}
