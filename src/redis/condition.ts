/**
 * `RedisCondition`: a condition variable in Redis, bound to a `RedisLock` or `RedisRLock`. Server
 * side: `COND_*` in `_lua.ts` (a FIFO of waiters, each woken by a token).
 *
 * @module
 */
import { waitFailure, type WaitOptions } from "../options.ts";
import { checkNotifyCount } from "../sync/condition.ts";
import { type Core, deadline } from "./_core.ts";
import { connectionError } from "./_engine.ts";
import { COND_NOTIFY, WAITER_CANCEL, WAITER_WAIT } from "./_lua.ts";
import { waitOn } from "./_wait.ts";
import type { RedisHold } from "./hold.ts";
import type { AcquireOptions } from "./_holdset.ts";
import { HOLDING, notOwner, RESUME, SUSPEND } from "./_holds.ts";
import type { RedisLock } from "./lock.ts";
import { RedisRLock } from "./rlock.ts";

/** Options of `ctx.Condition(name, options)`. */
export interface ConditionOptions {
  /**
   * The lock the condition releases while waiting: a `RedisLock` or `RedisRLock` of the same
   * context.
   * @default {ctx.RLock(name)}
   */
  lock?: RedisLock | RedisRLock;
}

function isTimeout(error: unknown): boolean {
  return error instanceof DOMException && error.name === "TimeoutError";
}

/**
 * A distributed condition variable: contexts holding its lock wait until another context, holding
 * the lock too, notifies them.
 *
 * - `wait()` registers the caller as a waiter *before* releasing the lock, and `notify` needs the
 *   lock, so no notification between the two is lost. It releases the lock completely (every
 *   level of an `RLock`), sleeps (`BLPOP`, no polling), and takes the lock again, also on a
 *   timeout or abort, before returning or throwing. The lock's new acquisition has a new fencing
 *   token (`hold.token` shows it).
 * - `notify(n)` wakes the `n` longest-waiting waiters (FIFO); a waiter that times out after being
 *   notified counts as notified (no notification is swallowed).
 * - `waitFor(predicate)` re-checks a (possibly async) predicate under the lock after each wake-up.
 * - Using it without holding its lock throws `RuntimeError`, as the local `Condition`.
 *
 * @example
 * ```ts
 * import { connect } from "@interlock/interlock/redis";
 * import { startRedisServer } from "@interlock/interlock/redis/testing";
 * import assert from "node:assert/strict";
 *
 * await using server = await startRedisServer();
 * await using a = await connect(server.url);
 * await using b = await connect(server.url);
 * const jobs = a.Value("jobs", 0);
 * const consumer = (async () => {
 *   const cond = a.Condition("jobs");
 *   await using _ = await cond.acquire();
 *   return await cond.waitFor(async () => (await jobs.get()) > 0, { timeout: 5_000 });
 * })();
 * const producer = b.Condition("jobs");
 * {
 *   await using _ = await producer.acquire();
 *   await b.Value("jobs", 0).set(1);
 *   await producer.notify();
 * }
 * assert.equal(await consumer, true);
 * ```
 */
export class RedisCondition {
  /** The condition's name in its namespace. */
  readonly name: string;
  /** The lock it releases while waiting. */
  readonly lock: RedisLock | RedisRLock;
  readonly #core: Core;
  readonly #key: string;
  readonly #base: string;

  /**
   * Not available: a Redis primitive cannot block a thread while it waits on the network. Use
   * `await acquire()` (on a worker thread too).
   */
  declare readonly acquireSync?: never;

  /**
   * Not available: a Redis primitive cannot block a thread while it waits on the network. Use
   * `await wait()` (on a worker thread too).
   */
  declare readonly waitSync?: never;

  /**
   * Not available: a Redis primitive cannot block a thread while it waits on the network. Use
   * `await waitFor()` (on a worker thread too).
   */
  declare readonly waitForSync?: never;

  /** @ignore Use `ctx.Condition(name, options)`. */
  constructor(core: Core, name: string, base: string, lock: RedisLock | RedisRLock) {
    this.#core = core;
    this.name = name;
    this.lock = lock;
    this.#base = base;
    this.#key = base + "q";
  }

  #run(script: typeof WAITER_WAIT, args: string[]): Promise<unknown> {
    return this.#core.engine.script(script, [this.#key], args).catch((e) => {
      throw connectionError(`use condition '${this.name}'`, e);
    });
  }

  #checkOwner(what: string): void {
    const lock = this.lock;
    const holds = lock instanceof RedisRLock ? lock.owned() : lock[HOLDING]();
    if (!holds) throw notOwner(what);
  }

  /**
   * Acquires the condition's lock (see `RedisLock.acquire`).
   *
   * @example
   * ```ts ignore
   * import { connect } from "@interlock/interlock/redis";
   * import { startRedisServer } from "@interlock/interlock/redis/testing";
   * import assert from "node:assert/strict";
   *
   * await using server = await startRedisServer();
   * await using ctx = await connect(server.url);
   * const cond = ctx.Condition("c");
   * await using _ = await cond.acquire();
   * assert.ok(await cond.lock.locked());
   * ```
   */
  acquire(options?: AcquireOptions): Promise<RedisHold> {
    return this.lock.acquire(options);
  }

  /**
   * Releases the condition's lock (see `RedisLock.release`).
   *
   * @example
   * ```ts ignore
   * import { connect } from "@interlock/interlock/redis";
   * import { startRedisServer } from "@interlock/interlock/redis/testing";
   * import assert from "node:assert/strict";
   *
   * await using server = await startRedisServer();
   * await using ctx = await connect(server.url);
   * const cond = ctx.Condition("c");
   * await cond.acquire();
   * await cond.release();
   * assert.equal(await cond.lock.locked(), false);
   * ```
   */
  release(): Promise<void> {
    return this.lock.release();
  }

  /**
   * Releases the lock, waits until notified, and takes the lock again.
   *
   * @param options `timeout` (ms) and/or `signal`.
   * @throws {RuntimeError} if this context does not hold the lock.
   * @throws {DOMException} named `TimeoutError` when `timeout` passes first (the lock is held
   *   again; an abort likewise, with `signal.reason`).
   *
   * @example
   * ```ts ignore
   * import { connect } from "@interlock/interlock/redis";
   * import { startRedisServer } from "@interlock/interlock/redis/testing";
   * import assert from "node:assert/strict";
   *
   * await using server = await startRedisServer();
   * await using ctx = await connect(server.url);
   * const cond = ctx.Condition("c");
   * await using _ = await cond.acquire();
   * await assert.rejects(cond.wait({ timeout: 20 }), { name: "TimeoutError" });
   * assert.ok(await cond.lock.locked()); // held again
   * ```
   */
  async wait(options?: WaitOptions): Promise<void> {
    const what = `wait on condition '${this.name}'`;
    const end = deadline(this.#core, what, options);
    this.#checkOwner(what);
    const waiter = this.#core.nextId();
    const reg = String(this.#core.lease);
    await this.#run(WAITER_WAIT, [waiter, reg, "wait", "0"]);
    let held;
    try {
      held = await this.lock[SUSPEND](what);
    } catch (error) {
      await this.#run(WAITER_CANCEL, [waiter]).catch(() => {});
      throw error;
    }
    let woken: string | undefined;
    let failure: unknown;
    try {
      woken = await waitOn(
        this.#core.engine,
        {
          what,
          tokenKey: `${this.#base}w:${waiter}`,
          poll: async (mode) =>
            mode === "wait" || await this.#run(WAITER_WAIT, [waiter, reg, mode, "0"]) !== 1
              ? { done: false, hint: -1 }
              : { done: true, value: "1" },
          cancel: async () => await this.#run(WAITER_CANCEL, [waiter]) === 1 ? "1" : undefined,
          renewEvery: this.#core.lease / 3,
        },
        end,
        options?.signal,
      );
    } catch (error) {
      failure = error;
    }
    // Python's rule: the lock is held again whatever happened to the wait.
    // deno-lint-ignore no-explicit-any
    await (this.lock[RESUME] as (h: any) => Promise<void>)(held);
    if (failure !== undefined) throw failure;
    if (woken === undefined) throw waitFailure(what, options);
  }

  /**
   * Waits until `predicate()` (sync or async) returns a truthy value, checked under the lock
   * before the first wait and after each wake-up; returns that value. On a timeout, returns the
   * predicate's last value instead of throwing (as Python's `wait_for`).
   *
   * @param predicate Read the shared state; called with the lock held.
   * @param options `timeout` (ms, for the whole call) and/or `signal`.
   * @throws {RuntimeError} if this context does not hold the lock.
   *
   * @example
   * ```ts ignore
   * import { connect } from "@interlock/interlock/redis";
   * import { startRedisServer } from "@interlock/interlock/redis/testing";
   * import assert from "node:assert/strict";
   *
   * await using server = await startRedisServer();
   * await using ctx = await connect(server.url);
   * const cond = ctx.Condition("c");
   * await using _ = await cond.acquire();
   * assert.equal(await cond.waitFor(() => 0, { timeout: 20 }), 0); // timed out: last value
   * ```
   */
  async waitFor<T>(predicate: () => T | Promise<T>, options?: WaitOptions): Promise<T> {
    const what = `wait on condition '${this.name}'`;
    if (typeof predicate !== "function") {
      throw new TypeError(
        `Cannot ${what}: 'predicate' must be a function, received ${typeof predicate}`,
      );
    }
    const end = deadline(this.#core, what, options);
    for (;;) {
      const result = await predicate();
      if (result) return result;
      const timeout = Math.max(0, end - performance.now());
      try {
        await this.wait(
          options?.signal === undefined ? { timeout } : { timeout, signal: options.signal },
        );
      } catch (error) {
        if (isTimeout(error)) return await predicate();
        throw error;
      }
    }
  }

  /**
   * Wakes the `n` longest-waiting waiters (fewer if fewer wait).
   *
   * @param n How many to wake (default `1`).
   * @throws {RuntimeError} if this context does not hold the lock.
   * @throws {RangeError} if `n` is not a non-negative integer.
   *
   * @example
   * ```ts ignore
   * import { connect } from "@interlock/interlock/redis";
   * import { RuntimeError } from "@interlock/interlock";
   * import { startRedisServer } from "@interlock/interlock/redis/testing";
   * import assert from "node:assert/strict";
   *
   * await using server = await startRedisServer();
   * await using ctx = await connect(server.url);
   * const cond = ctx.Condition("c");
   * await assert.rejects(cond.notify(), RuntimeError); // the lock is not held
   * ```
   */
  async notify(n?: number): Promise<void> {
    if (n === undefined) n = 1;
    checkNotifyCount(n);
    this.#checkOwner(`notify condition '${this.name}'`);
    await this.#run(COND_NOTIFY, [String(n)]);
  }

  /**
   * Wakes every waiter.
   *
   * @throws {RuntimeError} if this context does not hold the lock.
   *
   * @example
   * ```ts ignore
   * import { connect } from "@interlock/interlock/redis";
   * import { startRedisServer } from "@interlock/interlock/redis/testing";
   *
   * await using server = await startRedisServer();
   * await using ctx = await connect(server.url);
   * const cond = ctx.Condition("c");
   * await using _ = await cond.acquire();
   * await cond.notifyAll();
   * ```
   */
  async notifyAll(): Promise<void> {
    this.#checkOwner(`notify condition '${this.name}'`);
    await this.#run(COND_NOTIFY, ["-1"]);
  }
}
