/**
 * `RedisRLock`: a reentrant lock in Redis. The owner is this context in its agent (the main
 * thread or one worker): its holder id in Redis is `<context id>@<agent id>`. The server side is
 * the hold set of `_lua.ts` with capacity 1, reentrant.
 *
 * @module
 */
import { agentId } from "../_agent.ts";
import { RuntimeError } from "../errors.ts";
import type { Core } from "./_core.ts";
import type { Acquired, AcquireOptions, HoldSet } from "./_holdset.ts";
import { RedisHold } from "./hold.ts";
import { Held, notOwner, RESUME, SUSPEND, suspendHeld } from "./_holds.ts";

/** This object's hold: levels taken here, holds counted in Redis. */
class Owned extends Held {
  /** Acquisitions not yet released (the recursion count). */
  levels = 1;
  /** Holds counted for this object in Redis (1, more if concurrent acquires raced). */
  counted = 1;
}

/**
 * A distributed reentrant lock: the context that holds it may acquire it again, and must release
 * it as many times.
 *
 * - Owner = this context in its agent, as the local `RLock`'s owner is the agent: async
 *   functions of one context share the hold (exclude them from each other with a `RedisLock`).
 *   Another context's `release()` throws `RuntimeError`.
 * - Nested acquisitions are counted locally (no round trip) and share the outer acquisition's
 *   lease and fencing token; the last `release()` gives the lock back in Redis.
 * - Fair (FIFO hand-off), leased, fenced, without polling: as {@linkcode RedisLock}.
 * - `owned()` and `recursionCount()` answer from this object's record (no round trip), and a lost
 *   lease counts as not owned.
 *
 * @example
 * ```ts
 * import { connect } from "@interlock/interlock/redis";
 * import { startRedisServer } from "@interlock/interlock/redis/testing";
 * import assert from "node:assert/strict";
 *
 * await using server = await startRedisServer();
 * await using ctx = await connect(server.url);
 * const rlock = ctx.RLock("ledger");
 * {
 *   await using outer = await rlock.acquire();
 *   await using inner = await rlock.acquire(); // no deadlock
 *   assert.equal(inner.token, outer.token);
 *   assert.equal(rlock.recursionCount(), 2);
 * }
 * assert.equal(rlock.owned(), false);
 * assert.equal(await rlock.locked(), false);
 * ```
 */
export class RedisRLock {
  /** The lock's name in its namespace. */
  readonly name: string;
  readonly #core: Core;
  readonly #set: HoldSet;
  readonly #owner: string;
  #held: Owned | undefined;

  /**
   * Not available: a Redis primitive cannot block a thread while it waits on the network. Use
   * `await acquire()` (on a worker thread too).
   */
  declare readonly acquireSync?: never;

  /** @ignore Use `ctx.RLock(name, options)`. */
  constructor(core: Core, name: string, set: HoldSet) {
    this.#core = core;
    this.name = name;
    this.#set = set;
    this.#owner = `${core.id}@${agentId() >>> 0}`;
  }

  /**
   * Waits for the lock (at once if this context holds it), then holds one more level of it.
   *
   * @param options `timeout` (ms) and/or `signal`; `replicas` to wait for replication (`WAIT`).
   * @returns A hold that releases one level; its `token` is the outer acquisition's.
   * @throws {DOMException} named `TimeoutError` when `timeout` passes first.
   *
   * @example
   * ```ts ignore
   * import { connect } from "@interlock/interlock/redis";
   * import { startRedisServer } from "@interlock/interlock/redis/testing";
   * import assert from "node:assert/strict";
   *
   * await using server = await startRedisServer();
   * await using a = await connect(server.url);
   * await using b = await connect(server.url);
   * await using _ = await a.RLock("r").acquire();
   * await assert.rejects(b.RLock("r").acquire({ timeout: 20 }), { name: "TimeoutError" });
   * ```
   */
  async acquire(options?: AcquireOptions): Promise<RedisHold> {
    const mine = this.#live();
    if (mine !== undefined) {
      this.#core.checkOpen(`acquire ${this.#set.config.what}`);
      mine.levels++;
      return this.#guard(mine);
    }
    const acquired = await this.#set.take(this.#owner, 1, options);
    const raced = this.#live();
    if (raced !== undefined) {
      // Another acquire of this object won meanwhile: Redis counted both, one lease suffices.
      acquired.lease.end();
      raced.counted++;
      raced.levels++;
      return this.#guard(raced);
    }
    return this.#guard(this.#own(acquired));
  }

  /**
   * Takes the lock if this context holds it or nobody does (and nobody queues), without waiting.
   *
   * @returns `true` if this object now holds one more level.
   *
   * @example
   * ```ts ignore
   * import { connect } from "@interlock/interlock/redis";
   * import { startRedisServer } from "@interlock/interlock/redis/testing";
   * import assert from "node:assert/strict";
   *
   * await using server = await startRedisServer();
   * await using ctx = await connect(server.url);
   * const rlock = ctx.RLock("r");
   * assert.ok(await rlock.tryAcquire() && await rlock.tryAcquire());
   * await rlock.release();
   * await rlock.release();
   * ```
   */
  async tryAcquire(): Promise<boolean> {
    const mine = this.#live();
    if (mine !== undefined) {
      mine.levels++;
      return true;
    }
    const acquired = await this.#set.tryTake(this.#owner);
    if (acquired === undefined) return false;
    this.#own(acquired);
    return true;
  }

  /**
   * Releases one level; the last one gives the lock back in Redis (to the first waiter).
   *
   * @throws {RuntimeError} if this context does not own the lock.
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
   * await assert.rejects(ctx.RLock("r").release(), RuntimeError);
   * ```
   */
  release(): Promise<void> {
    const held = this.#held;
    if (held === undefined) {
      return Promise.reject(
        new RuntimeError(`Cannot release ${this.#set.config.what}: this context does not own it`),
      );
    }
    return this.#releaseLevel(held);
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
   * assert.equal(await ctx.RLock("r").locked(), false);
   * ```
   */
  async locked(): Promise<boolean> {
    return (await this.#set.info()).holders > 0;
  }

  /**
   * Whether this object holds the lock and its lease is not lost.
   *
   * @example
   * ```ts ignore
   * import { connect } from "@interlock/interlock/redis";
   * import { startRedisServer } from "@interlock/interlock/redis/testing";
   * import assert from "node:assert/strict";
   *
   * await using server = await startRedisServer();
   * await using ctx = await connect(server.url);
   * const rlock = ctx.RLock("r");
   * await using _ = await rlock.acquire();
   * assert.equal(rlock.owned(), true);
   * ```
   */
  owned(): boolean {
    return this.#live() !== undefined;
  }

  /**
   * How many times this object holds the lock (0 if not, or if its lease is lost).
   *
   * @example
   * ```ts ignore
   * import { connect } from "@interlock/interlock/redis";
   * import { startRedisServer } from "@interlock/interlock/redis/testing";
   * import assert from "node:assert/strict";
   *
   * await using server = await startRedisServer();
   * await using ctx = await connect(server.url);
   * assert.equal(ctx.RLock("r").recursionCount(), 0);
   * ```
   */
  recursionCount(): number {
    return this.#live()?.levels ?? 0;
  }

  /** @ignore `RedisCondition.wait()`: releases every level in Redis, keeping the record. */
  async [SUSPEND](what: string): Promise<Owned> {
    const held = this.#live();
    if (held === undefined) throw notOwner(what);
    await suspendHeld(held);
    return held;
  }

  /** @ignore `RedisCondition.wait()`: takes the lock again, with the levels it had. */
  async [RESUME](held: Owned): Promise<void> {
    held.lease = (await this.#set.take(this.#owner, 1, undefined)).lease;
    held.counted = 1;
  }

  /** Records a first acquisition in Redis as this object's hold. */
  #own(acquired: Acquired): Owned {
    const held: Owned = new Owned(
      this.#owner,
      acquired.lease,
      () => this.#set.release(this.#owner, held.counted),
    );
    this.#held = held;
    this.#core.track(held);
    return held;
  }

  #live(): Owned | undefined {
    const held = this.#held;
    return held !== undefined && !held.done && !held.lease.lost ? held : undefined;
  }

  #guard(held: Owned): RedisHold {
    return new RedisHold(held, () => this.#releaseLevel(held));
  }

  async #releaseLevel(held: Owned): Promise<void> {
    if (held.lease.lost) {
      this.#forget(held);
      throw held.lease.lostError();
    }
    if (held.done) return;
    if (--held.levels > 0) return;
    this.#forget(held);
    held.lease.end();
    if (await held.give() < 0) {
      held.lease.lose("its lease had ended in Redis when it was released");
      throw held.lease.lostError();
    }
  }

  #forget(held: Owned): void {
    held.done = true;
    this.#core.untrack(held);
    if (this.#held === held) this.#held = undefined;
  }
}
