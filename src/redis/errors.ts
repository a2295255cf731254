/**
 * The error classes of the Redis tier (`@interlock/interlock/redis`). Everything else it throws is
 * shared with the local primitives: `TypeError` / `RangeError` for bad arguments, a `DOMException`
 * named `TimeoutError` for timeouts, `signal.reason` for aborts, and `RuntimeError` /
 * `BrokenBarrierError` from `src/errors.ts`. Each class is written out with its own constructor
 * and `name`, as in `src/errors.ts`: a shared base class would be one more public type in every
 * class's docs, for four lines saved per class.
 *
 * @module
 */

/**
 * A hold (of a lock, an `RLock` or a semaphore permit) whose lease ended before it was renewed or
 * released: the holder was paused, partitioned or too slow, and another holder may have taken it
 * since.
 *
 * - The hold's `signal` aborts with it as its `reason` as soon as the holder learns of the loss
 *   (its watchdog's renewal is refused, or the lease's end passes locally without a renewal).
 * - `release()` of a lost hold throws it (nothing changes in Redis: the hold is already gone).
 * - `token`: the fencing token of the lost hold.
 *
 * @example
 * ```ts
 * import { LeaseLostError } from "@interlock/interlock/redis";
 * import assert from "node:assert/strict";
 *
 * const error = new LeaseLostError("Lease of lock 'accounts' ended", { token: 7n });
 * assert.equal(error.name, "LeaseLostError");
 * assert.equal(error.token, 7n);
 * ```
 */
export class LeaseLostError extends Error {
  /** The fencing token of the hold that was lost, or `-1n` if unknown. */
  readonly token: bigint;

  /** Creates the error (with its default message when `message` is omitted); `options.cause` is kept. */
  constructor(
    message?: string,
    options?: ErrorOptions & { token?: bigint },
  ) {
    super(message ?? "The lease of the hold ended before it was renewed", options);
    this.name = "LeaseLostError";
    this.token = options?.token ?? -1n;
  }
}

/**
 * A fenced write was refused because its fencing token is older than one the store already
 * accepted: the writer's hold was lost and somebody else has held the lock since (Kleppmann's
 * stale-holder write).
 *
 * - `token`: the token the refused write carried; `highest`: the highest token accepted so far.
 * - Nothing was written.
 *
 * @example
 * ```ts
 * import { checkFence, StaleTokenError } from "@interlock/interlock/redis";
 * import assert from "node:assert/strict";
 *
 * assert.throws(() => checkFence(3n, 5n), StaleTokenError);
 * const error = new StaleTokenError("Stale", { token: 3n, highest: 5n });
 * assert.equal(error.highest, 5n);
 * ```
 */
export class StaleTokenError extends Error {
  /** The token of the refused write. */
  readonly token: bigint;
  /** The highest token the store had accepted. */
  readonly highest: bigint;

  /** Creates the error (with its default message when `message` is omitted); `options.cause` is kept. */
  constructor(
    message?: string,
    options?: ErrorOptions & { token?: bigint; highest?: bigint },
  ) {
    super(message ?? "The write's fencing token is older than one already accepted", options);
    this.name = "StaleTokenError";
    this.token = options?.token ?? -1n;
    this.highest = options?.highest ?? -1n;
  }
}

/**
 * The Redis server could not be reached, refused the credentials, or the connection broke while a
 * call was in flight (a wait included: a waiter never hangs on a dead connection).
 *
 * - `cause` holds node-redis's or the socket's error (`ECONNREFUSED`, `WRONGPASS`, a TLS error...).
 * - Messages never contain the password of the URL.
 *
 * @example
 * ```ts
 * import { connect, RedisConnectionError } from "@interlock/interlock/redis";
 * import assert from "node:assert/strict";
 *
 * // Port 1 on loopback: nothing listens there.
 * await assert.rejects(connect("redis://127.0.0.1:1", { connectTimeout: 500 }), RedisConnectionError);
 * ```
 */
export class RedisConnectionError extends Error {
  /** Creates the error (with its default message when `message` is omitted); `options.cause` is kept. */
  constructor(message?: string, options?: ErrorOptions) {
    super(message ?? "The connection to Redis failed", options);
    this.name = "RedisConnectionError";
  }
}

/**
 * A payload read back from Redis (a queue item, a pool task or result) that Interlock cannot
 * decode: corrupt, truncated, or written by another program. Such bytes are never run: the item
 * goes to the queue's dead-letter stream, the task's caller gets this error, and the consumer
 * carries on with the next one.
 *
 * - `id`: the stream entry the payload came from (its id in the dead-letter stream's `id` field).
 * - `cause`: the decoder's error, if it threw.
 *
 * @example
 * ```ts
 * import { CorruptPayloadError } from "@interlock/interlock/redis";
 * import assert from "node:assert/strict";
 *
 * const error = new CorruptPayloadError("Cannot read item 1-0 of queue 'jobs'", { id: "1-0" });
 * assert.equal(error.name, "CorruptPayloadError");
 * assert.equal(error.id, "1-0");
 * ```
 */
export class CorruptPayloadError extends Error {
  /** The stream entry id of the payload, or `""` if unknown. */
  readonly id: string;

  /** Creates the error (with its default message when `message` is omitted); `options.cause` is kept. */
  constructor(
    message?: string,
    options?: ErrorOptions & { id?: string },
  ) {
    super(message ?? "A payload read from Redis is corrupt", options);
    this.name = "CorruptPayloadError";
    this.id = options?.id ?? "";
  }
}
