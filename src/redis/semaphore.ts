/**
 * `RedisSemaphore` and `RedisBoundedSemaphore`: counting semaphores in Redis whose permits are
 * leased holds. The server side is the hold set of `_lua.ts` with a stored capacity.
 *
 * @module
 */
import { RuntimeError } from "../errors.ts";
import { type Core, notHeld } from "./_core.ts";
import type { AcquireOptions, HoldSet } from "./_holdset.ts";
import { Holds } from "./_holds.ts";
import type { RedisHold } from "./hold.ts";

/** Validates a semaphore's initial value. */
export function checkValue(what: string, value: unknown): number {
  if (typeof value !== "number") {
    throw new TypeError(
      `Cannot create ${what}: 'value' must be a number, received ${typeof value}`,
    );
  }
  if (!Number.isInteger(value) || value < 0 || value > 2 ** 31 - 1) {
    throw new RangeError(
      `Cannot create ${what}: 'value' must be a non-negative integer, received ${value}`,
    );
  }
  return value;
}

function checkCount(what: string, n: unknown): number {
  if (typeof n !== "number" || !Number.isInteger(n) || n < 1) {
    throw new RangeError(`Cannot ${what}: 'n' must be a positive integer, received ${String(n)}`);
  }
  return n;
}

/**
 * A distributed counting semaphore: at most `value` permits held at once among every context
 * that opens it.
 *
 * - Permits are holds: each has a lease renewed by a watchdog and a fencing token; a holder that
 *   dies gives its permit back when its lease ends.
 * - The initial `value` is stored in Redis by the first user; opening it with another value
 *   throws `RangeError` at first use.
 * - `release(n)` gives back this object's oldest `n` permits; beyond those, it adds permits for
 *   good (Python's `Semaphore` allows `release()` without `acquire()`), which
 *   {@linkcode RedisBoundedSemaphore} refuses.
 * - Fair (FIFO hand-off), without polling, asynchronous only (no `acquireSync`).
 *
 * @example At most two holders
 * ```ts
 * import { connect } from "@interlock/interlock/redis";
 * import { startRedisServer } from "@interlock/interlock/redis/testing";
 * import assert from "node:assert/strict";
 *
 * await using server = await startRedisServer();
 * await using ctx = await connect(server.url);
 * const slots = ctx.Semaphore("slots", 2);
 * assert.ok(await slots.tryAcquire() && await slots.tryAcquire());
 * assert.equal(await slots.tryAcquire(), false);
 * assert.equal(await slots.value(), 0);
 * await slots.release(2);
 * assert.equal(await slots.value(), 2);
 * ```
 */
export class RedisSemaphore {
  // The skeleton shared with RedisLock is Holds (_holds.ts); what stands here again is one-line
  // delegation, each with its own docs: a private base class would be an internal type in the docs.
  /** The semaphore's name in its namespace. */
  readonly name: string;
  readonly #holds: Holds;

  /**
   * Not available: a Redis primitive cannot block a thread while it waits on the network. Use
   * `await acquire()` (on a worker thread too).
   */
  declare readonly acquireSync?: never;

  /** @ignore Use `ctx.Semaphore(name, value, options)`. */
  constructor(core: Core, name: string, set: HoldSet) {
    this.name = name;
    this.#holds = new Holds(core, set);
  }

  /**
   * Waits for a permit, then holds it.
   *
   * @param options `timeout` (ms) and/or `signal`; `replicas` to wait for replication (`WAIT`).
   * @returns The permit's hold (dispose it to give the permit back).
   * @throws {DOMException} named `TimeoutError` when `timeout` passes first.
   * @throws {RangeError} if Redis holds this semaphore with another initial value.
   *
   * @example
   * ```ts ignore
   * import { connect } from "@interlock/interlock/redis";
   * import { startRedisServer } from "@interlock/interlock/redis/testing";
   * import assert from "node:assert/strict";
   *
   * await using server = await startRedisServer();
   * await using ctx = await connect(server.url);
   * const sem = ctx.Semaphore("s", 1);
   * await using _ = await sem.acquire();
   * await assert.rejects(sem.acquire({ timeout: 20 }), { name: "TimeoutError" });
   * ```
   */
  acquire(options?: AcquireOptions): Promise<RedisHold> {
    return this.#holds.acquire(options);
  }

  /**
   * Takes a permit if one is free and nobody queues, without waiting.
   *
   * @returns `true` if this object now holds one more permit.
   *
   * @example
   * ```ts ignore
   * import { connect } from "@interlock/interlock/redis";
   * import { startRedisServer } from "@interlock/interlock/redis/testing";
   * import assert from "node:assert/strict";
   *
   * await using server = await startRedisServer();
   * await using ctx = await connect(server.url);
   * assert.equal(await ctx.Semaphore("none", 0).tryAcquire(), false);
   * ```
   */
  tryAcquire(): Promise<boolean> {
    return this.#holds.tryAcquire();
  }

  /**
   * Gives back this object's `n` oldest permits (waking waiters); beyond those, adds permits.
   *
   * @param n How many permits (default `1`).
   * @throws {RangeError} if `n` is not a positive integer.
   * @throws {LeaseLostError} if a permit's lease had ended (the others are still released).
   *
   * @example
   * ```ts ignore
   * import { connect } from "@interlock/interlock/redis";
   * import { startRedisServer } from "@interlock/interlock/redis/testing";
   * import assert from "node:assert/strict";
   *
   * await using server = await startRedisServer();
   * await using ctx = await connect(server.url);
   * const sem = ctx.Semaphore("grow", 0);
   * await sem.release(); // no permit held here: one more permit for good
   * assert.equal(await sem.value(), 1);
   * ```
   */
  async release(n?: number): Promise<void> {
    if (n === undefined) n = 1;
    checkCount(`release ${this.#holds.set.config.what}`, n);
    this.#checkRelease(n);
    const mine = this.#holds.list.slice(0, n);
    let lost: unknown;
    for (const held of mine) await this.#holds.release(held).catch((e: unknown) => lost ??= e);
    if (n > mine.length) await this.#holds.set.addPermits(n - mine.length);
    if (lost !== undefined) throw lost;
  }

  /**
   * The permits free now: the value minus the live holds (a snapshot).
   *
   * @example
   * ```ts ignore
   * import { connect } from "@interlock/interlock/redis";
   * import { startRedisServer } from "@interlock/interlock/redis/testing";
   * import assert from "node:assert/strict";
   *
   * await using server = await startRedisServer();
   * await using ctx = await connect(server.url);
   * assert.equal(await ctx.Semaphore("three", 3).value(), 3);
   * ```
   */
  async value(): Promise<number> {
    const { holders, capacity } = await this.#holds.set.info();
    return Math.max(0, capacity - holders);
  }

  /** @ignore Checks a release of `n` before anything changes. */
  #checkRelease(n: number): void {
    const held = this.#holds.list.length;
    if (this instanceof RedisBoundedSemaphore && n > held) {
      const what = this.#holds.set.config.what;
      throw held === 0
        ? notHeld(what)
        : new RuntimeError(`Cannot release ${what} ${n} times: this object holds ${held} permits`);
    }
  }
}

/**
 * A {@linkcode RedisSemaphore} that refuses to grow: `release()` beyond the permits this object
 * holds throws `RuntimeError` (nothing is released), as Python's `BoundedSemaphore`.
 *
 * @example
 * ```ts
 * import { connect } from "@interlock/interlock/redis";
 * import { RuntimeError } from "@interlock/interlock";
 * import { startRedisServer } from "@interlock/interlock/redis/testing";
 * import assert from "node:assert/strict";
 *
 * await using server = await startRedisServer();
 * await using ctx = await connect(server.url);
 * const sem = ctx.BoundedSemaphore("b", 1);
 * await assert.rejects(sem.release(), RuntimeError);
 * await sem.acquire();
 * await sem.release();
 * ```
 */
export class RedisBoundedSemaphore extends RedisSemaphore {}
