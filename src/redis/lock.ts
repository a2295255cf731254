/**
 * `RedisLock`: a mutual-exclusion lock in Redis, shared by every process that opens the same name
 * in the same namespace. The server side is the hold set of `_lua.ts` with capacity 1.
 *
 * @module
 */
import { type Core, notHeld } from "./_core.ts";
import type { AcquireOptions, HoldSet } from "./_holdset.ts";
import { type Held, HOLDING, Holds, notOwner, RESUME, SUSPEND, suspendHeld } from "./_holds.ts";
import type { RedisHold } from "./hold.ts";

/** Options of `ctx.Lock(name, options)` and `ctx.RLock(name, options)`. */
export interface LockOptions {
  /**
   * The lease of every hold, in ms: a holder that stops renewing (dead, paused, cut off) loses
   * the lock this long after its last renewal. The watchdog renews every third of it.
   * @default {the context's `lease` (30,000)}
   */
  lease?: number;
}

/**
 * A distributed mutual-exclusion lock: at most one holder at a time among every context (every
 * process, on every machine) that opens the lock of this name in this namespace.
 *
 * - The interface of the local `Lock`, asynchronous: `acquire({ timeout, signal })`,
 *   `tryAcquire()`, `release()`, `locked()`, each a Promise; no `acquireSync` (a network lock
 *   cannot block a thread). A function written against `LockLike` takes either kind.
 * - **Fair**: waiters are served in FIFO order, by direct hand-off (a releasing holder gives the
 *   lock to the head waiter; a newcomer's `tryAcquire()` does not overtake the queue).
 * - **Leases**: every hold has a lease (`lease` ms, default 30 s) renewed by a watchdog while the
 *   context lives. A holder that dies frees the lock when its lease ends; one that loses its lease
 *   learns it through `hold.signal`, and its `release()` throws `LeaseLostError`.
 * - **Fencing**: every acquisition returns `hold.token`, a `bigint` larger than every earlier
 *   acquisition's; fenced writes (`RedisValue.set(x, { fence })`, `checkFence`) refuse a
 *   stale holder's write.
 * - Owned by the object that took it: `release()` gives back this object's oldest hold, and
 *   throws `RuntimeError` if it has none (unlike the local `Lock`, another process cannot release
 *   it: it does not know the hold).
 * - Waiting costs no polling: a waiter sleeps in `BLPOP` on its own token list until the hand-off,
 *   or until the holder's lease ends.
 *
 * @example Two contexts (two processes, in real life) share one lock
 * ```ts
 * import { connect } from "@interlock/interlock/redis";
 * import { startRedisServer } from "@interlock/interlock/redis/testing";
 * import assert from "node:assert/strict";
 *
 * await using server = await startRedisServer();
 * await using a = await connect(server.url);
 * await using b = await connect(server.url);
 * const hold = await a.Lock("accounts").acquire();
 * assert.equal(await b.Lock("accounts").tryAcquire(), false);
 * const waiting = b.Lock("accounts").acquire({ timeout: 5_000 });
 * await hold.release(); // handed to the waiter
 * const next = await waiting;
 * assert.ok(next.token > hold.token); // fencing tokens grow
 * await next.release();
 * ```
 */
export class RedisLock {
  // The skeleton shared with RedisSemaphore is Holds (_holds.ts); what stands here again is one-line
  // delegation, each with its own docs: a private base class would be an internal type in the docs.
  /** The lock's name in its namespace. */
  readonly name: string;
  readonly #holds: Holds;

  /**
   * Not available: a Redis primitive cannot block a thread while it waits on the network. Use
   * `await acquire()` (on a worker thread too).
   */
  declare readonly acquireSync?: never;

  /** @ignore Use `ctx.Lock(name, options)`. */
  constructor(core: Core, name: string, set: HoldSet) {
    this.name = name;
    this.#holds = new Holds(core, set);
  }

  /**
   * Waits for the lock, then holds it.
   *
   * @param options `timeout` (ms) and/or `signal`; `replicas` to wait for replication (`WAIT`).
   * @returns The hold: its fencing `token`, its lost-lease `signal`; dispose it to release.
   * @throws {DOMException} named `TimeoutError` when `timeout` passes first (nothing held).
   * @throws {RedisConnectionError} if Redis cannot be reached or the connection breaks.
   *
   * @example
   * ```ts ignore
   * import { connect } from "@interlock/interlock/redis";
   * import { startRedisServer } from "@interlock/interlock/redis/testing";
   * import assert from "node:assert/strict";
   *
   * await using server = await startRedisServer();
   * await using ctx = await connect(server.url);
   * const lock = ctx.Lock("a");
   * await using _ = await lock.acquire();
   * await assert.rejects(lock.acquire({ timeout: 20 }), { name: "TimeoutError" });
   * ```
   */
  acquire(options?: AcquireOptions): Promise<RedisHold> {
    return this.#holds.acquire(options);
  }

  /**
   * Takes the lock if it is free and nobody queues for it, without waiting.
   *
   * @returns `true` if this object now holds it (release with {@linkcode RedisLock.release}).
   *
   * @example
   * ```ts ignore
   * import { connect } from "@interlock/interlock/redis";
   * import { startRedisServer } from "@interlock/interlock/redis/testing";
   * import assert from "node:assert/strict";
   *
   * await using server = await startRedisServer();
   * await using ctx = await connect(server.url);
   * const lock = ctx.Lock("a");
   * assert.equal(await lock.tryAcquire(), true);
   * assert.equal(await lock.tryAcquire(), false);
   * await lock.release();
   * ```
   */
  tryAcquire(): Promise<boolean> {
    return this.#holds.tryAcquire();
  }

  /**
   * Releases this object's oldest hold, handing the lock to the first waiter.
   *
   * @throws {RuntimeError} if this object holds the lock not (nothing changes).
   * @throws {LeaseLostError} if the hold's lease had ended (the hold is forgotten).
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
   * const lock = ctx.Lock("a");
   * await lock.acquire();
   * await lock.release();
   * await assert.rejects(lock.release(), RuntimeError);
   * ```
   */
  async release(): Promise<void> {
    const held = this.#holds.list[0];
    if (held === undefined) throw notHeld(this.#holds.set.config.what);
    await this.#holds.release(held);
  }

  /**
   * Whether anybody holds the lock (a snapshot; an expired lease counts as free).
   *
   * @example
   * ```ts ignore
   * import { connect } from "@interlock/interlock/redis";
   * import { startRedisServer } from "@interlock/interlock/redis/testing";
   * import assert from "node:assert/strict";
   *
   * await using server = await startRedisServer();
   * await using ctx = await connect(server.url);
   * assert.equal(await ctx.Lock("a").locked(), false);
   * ```
   */
  async locked(): Promise<boolean> {
    return (await this.#holds.set.info()).holders > 0;
  }

  /** @ignore Whether this object holds the lock with a live lease. */
  [HOLDING](): boolean {
    return this.#holds.list.some((held) => !held.lease.lost);
  }

  /** @ignore `RedisCondition.wait()`: releases this object's hold, keeping its record. */
  async [SUSPEND](what: string): Promise<Held> {
    const held = this.#holds.list[0];
    if (held === undefined) throw notOwner(what);
    await suspendHeld(held);
    return held;
  }

  /** @ignore `RedisCondition.wait()`: takes the lock again for the suspended `held`. */
  async [RESUME](held: Held): Promise<void> {
    held.lease = (await this.#holds.set.take(held.holder, 1, undefined)).lease;
  }
}
