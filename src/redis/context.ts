/**
 * `RedisContext`: one connection to Redis (a server or a cluster; see `connect.ts`), one key
 * namespace, and the factories of the primitives.
 *
 * @module
 */
import { checkLease, checkOptions, type Core, named, type Tracked } from "./_core.ts";
import { type Engine, isCluster } from "./_engine.ts";
import { HoldSet } from "./_holdset.ts";
import { checkParties, RedisBarrier, type RedisBarrierOptions } from "./barrier.ts";
import { type ConditionOptions, RedisCondition } from "./condition.ts";
import { RedisConnectionError } from "./errors.ts";
import { RedisEvent } from "./event.ts";
import { type LockOptions, RedisLock } from "./lock.ts";
import { RedisRLock } from "./rlock.ts";
import { checkValue, RedisBoundedSemaphore, RedisSemaphore } from "./semaphore.ts";
import { RedisValue } from "./value.ts";
import { RedisQueue, type RedisQueueOptions } from "./queue.ts";
import { RedisJoinableQueue } from "./joinable_queue.ts";
import { RedisPool } from "./pool.ts";
import type { AnyModule } from "../pool/types.ts";

let contexts = 0;

/** How long `close()` waits for its holds' releases (then their leases end by themselves). */
const CLOSE_RELEASE_MS = 2_000;

/**
 * A connection to Redis with a key namespace: the factory of distributed primitives with the
 * interfaces of Interlock's local ones (asynchronous; no `*Sync` forms).
 *
 * - Primitives are named: every context (in any process, on any machine) that opens `Lock("a")`
 *   in the same namespace gets the same lock. Names are 1-200 printable characters without
 *   braces or whitespace (`RangeError` otherwise); kinds do not collide (`Lock("a")` and
 *   `Semaphore("a")` are different).
 * - Creating a primitive object touches no key; the first call does.
 * - `close()` (or `await using`) releases the context's holds, stops their watchdogs, and
 *   closes its connections (not a client given to `fromClient`). Calls after it throw
 *   {@linkcode RedisConnectionError}.
 *
 * @example
 * ```ts
 * import { connect } from "@interlock/interlock/redis";
 * import { startRedisServer } from "@interlock/interlock/redis/testing";
 * import assert from "node:assert/strict";
 *
 * await using server = await startRedisServer();
 * const ctx = await connect(server.url);
 * await ctx.Lock("a").acquire();
 * await ctx.close(); // releases the lock
 * await using other = await connect(server.url);
 * assert.equal(await other.Lock("a").locked(), false);
 * ```
 */
export class RedisContext implements AsyncDisposable {
  /** The key namespace. */
  readonly namespace: string;
  /** The default lease of holds, in ms. */
  readonly lease: number;
  readonly #core: Core;
  readonly #engine: Engine;
  readonly #owned: boolean;
  readonly #tracked = new Set<Tracked>();
  #closed = false;

  /** @ignore Use {@linkcode connect} or {@linkcode fromClient}. */
  constructor(engine: Engine, options: { namespace: string; lease: number }, owned: boolean) {
    this.#engine = engine;
    this.#owned = owned;
    this.namespace = options.namespace;
    this.lease = options.lease;
    const id = crypto.getRandomValues(new Uint32Array(2)).reduce(
      (s, n) => s + n.toString(36),
      (++contexts).toString(36) + "-",
    );
    let n = 0;
    this.#core = {
      engine,
      namespace: this.namespace,
      id,
      lease: this.lease,
      nextId: () => `${id}.${(++n).toString(36)}`,
      track: (hold) => void this.#tracked.add(hold),
      untrack: (hold) => void this.#tracked.delete(hold),
      closedNow: () => this.#closed,
      checkOpen: (what) => {
        if (this.#closed) {
          throw new RedisConnectionError(`Cannot ${what}: the Redis context is closed`);
        }
      },
    };
  }

  /** Whether the context is closed. */
  get closed(): boolean {
    return this.#closed;
  }

  /** Whether the context runs over a Redis Cluster. */
  get cluster(): boolean {
    return isCluster(this.#engine.client);
  }

  /** @ignore The context's services, for primitives built on it (the phase-2 Queue, Pool). */
  get core(): Core {
    return this.#core;
  }

  #holdSet(kind: string, name: string, options: LockOptions | undefined, capacity: number) {
    const what = `create ${kind === "sem" ? "semaphore" : kind}`;
    const opts = checkOptions(what, options);
    const lease = checkLease(what, opts.lease, this.lease);
    const { base } = named(this.#core, kind, name);
    const label = `${kind === "sem" ? "semaphore" : kind} '${name}'`;
    return new HoldSet(this.#core, {
      what: label,
      base,
      capacity,
      stored: kind === "sem",
      reentrant: kind === "rlock",
      lease,
    });
  }

  /**
   * The distributed lock `name` (see {@linkcode RedisLock}).
   *
   * @param name The lock's name in the namespace.
   * @param options `lease` (ms) of its holds.
   * @throws {RangeError} if `name` has braces, whitespace or control characters, or is too long.
   *
   * @example
   * ```ts ignore
   * import { connect } from "@interlock/interlock/redis";
   * import { startRedisServer } from "@interlock/interlock/redis/testing";
   * import assert from "node:assert/strict";
   *
   * await using server = await startRedisServer();
   * await using ctx = await connect(server.url);
   * assert.throws(() => ctx.Lock("a}b"), RangeError); // would leave its hash slot
   * await using _ = await ctx.Lock("accounts", { lease: 10_000 }).acquire();
   * ```
   */
  Lock(name: string, options?: LockOptions): RedisLock {
    return new RedisLock(this.#core, name, this.#holdSet("lock", name, options, 1));
  }

  /**
   * The distributed reentrant lock `name`, owned by this context (see {@linkcode RedisRLock}).
   *
   * @param name The lock's name in the namespace.
   * @param options `lease` (ms) of its holds.
   *
   * @example
   * ```ts ignore
   * import { connect } from "@interlock/interlock/redis";
   * import { startRedisServer } from "@interlock/interlock/redis/testing";
   * import assert from "node:assert/strict";
   *
   * await using server = await startRedisServer();
   * await using ctx = await connect(server.url);
   * assert.equal(ctx.RLock("ledger").owned(), false);
   * ```
   */
  RLock(name: string, options?: LockOptions): RedisRLock {
    return new RedisRLock(this.#core, name, this.#holdSet("rlock", name, options, 1));
  }

  /**
   * The distributed semaphore `name` with initial `value` (see {@linkcode RedisSemaphore}).
   *
   * @param name The semaphore's name in the namespace.
   * @param value The initial number of permits (default `1`; stored by the first user).
   * @param options `lease` (ms) of its holds.
   * @throws {RangeError} if `value` is not a non-negative integer.
   *
   * @example
   * ```ts ignore
   * import { connect } from "@interlock/interlock/redis";
   * import { startRedisServer } from "@interlock/interlock/redis/testing";
   * import assert from "node:assert/strict";
   *
   * await using server = await startRedisServer();
   * await using ctx = await connect(server.url);
   * assert.equal(await ctx.Semaphore("slots", 3).value(), 3);
   * assert.throws(() => ctx.Semaphore("slots", -1), RangeError);
   * ```
   */
  Semaphore(name: string, value?: number, options?: LockOptions): RedisSemaphore {
    if (value === undefined) value = 1;
    const set = this.#holdSet("sem", name, options, checkValue("semaphore", value));
    return new RedisSemaphore(this.#core, name, set);
  }

  /**
   * The distributed bounded semaphore `name` (see {@linkcode RedisBoundedSemaphore}).
   *
   * @param name The semaphore's name in the namespace.
   * @param value The initial (and maximum) number of permits (default `1`).
   * @param options `lease` (ms) of its holds.
   *
   * @example
   * ```ts ignore
   * import { connect } from "@interlock/interlock/redis";
   * import { startRedisServer } from "@interlock/interlock/redis/testing";
   * import assert from "node:assert/strict";
   *
   * await using server = await startRedisServer();
   * await using ctx = await connect(server.url);
   * assert.equal(await ctx.BoundedSemaphore("slots", 2).value(), 2);
   * ```
   */
  BoundedSemaphore(name: string, value?: number, options?: LockOptions): RedisBoundedSemaphore {
    if (value === undefined) value = 1;
    const set = this.#holdSet("sem", name, options, checkValue("semaphore", value));
    return new RedisBoundedSemaphore(this.#core, name, set);
  }

  /**
   * The distributed event `name` (see {@linkcode RedisEvent}).
   *
   * @param name The event's name in the namespace.
   *
   * @example
   * ```ts ignore
   * import { connect } from "@interlock/interlock/redis";
   * import { startRedisServer } from "@interlock/interlock/redis/testing";
   * import assert from "node:assert/strict";
   *
   * await using server = await startRedisServer();
   * await using ctx = await connect(server.url);
   * assert.equal(await ctx.Event("ready").isSet(), false);
   * ```
   */
  Event(name: string): RedisEvent {
    const { base } = named(this.#core, "event", name);
    return new RedisEvent(this.#core, name, base);
  }

  /**
   * The distributed condition `name`, bound to `options.lock` or to `RLock(name)` (see
   * {@linkcode RedisCondition}).
   *
   * @param name The condition's name in the namespace.
   * @param options `lock`: a `RedisLock` or `RedisRLock` of this context.
   * @throws {TypeError} if `lock` is not a Redis lock of this context.
   *
   * @example
   * ```ts ignore
   * import { connect } from "@interlock/interlock/redis";
   * import { startRedisServer } from "@interlock/interlock/redis/testing";
   * import assert from "node:assert/strict";
   *
   * await using server = await startRedisServer();
   * await using ctx = await connect(server.url);
   * const cond = ctx.Condition("jobs", { lock: ctx.Lock("jobs") });
   * assert.equal(cond.lock.name, "jobs");
   * ```
   */
  Condition(name: string, options?: ConditionOptions): RedisCondition {
    const { base } = named(this.#core, "cond", name);
    const opts = checkOptions("create condition", options);
    const lock = opts.lock ?? this.RLock(name);
    if (!(lock instanceof RedisLock || lock instanceof RedisRLock)) {
      throw new TypeError("Cannot create condition: 'lock' must be a RedisLock or RedisRLock");
    }
    return new RedisCondition(this.#core, name, base, lock);
  }

  /**
   * The distributed barrier `name` for `parties` contexts (see {@linkcode RedisBarrier}).
   *
   * @param name The barrier's name in the namespace.
   * @param parties How many parties each generation waits for (stored by the first user).
   * @param options `action`, run by the last arriving party before the others are released.
   * @throws {RangeError} if `parties` is not a positive integer.
   *
   * @example
   * ```ts ignore
   * import { connect } from "@interlock/interlock/redis";
   * import { startRedisServer } from "@interlock/interlock/redis/testing";
   * import assert from "node:assert/strict";
   *
   * await using server = await startRedisServer();
   * await using ctx = await connect(server.url);
   * let ran = 0;
   * assert.equal(await ctx.Barrier("solo", 1, { action: () => void ran++ }).wait(), 0);
   * assert.equal(ran, 1);
   * ```
   */
  Barrier(name: string, parties: number, options?: RedisBarrierOptions): RedisBarrier {
    const { base } = named(this.#core, "barrier", name);
    const n = checkParties(parties);
    const opts = checkOptions("create barrier", options);
    if (opts.action !== undefined && typeof opts.action !== "function") {
      throw new TypeError(
        `Cannot create barrier: 'action' must be a function, received ${typeof opts.action}`,
      );
    }
    return new RedisBarrier(this.#core, name, base, n, opts.action);
  }

  /**
   * The distributed value `name`: a number, or a bigint if `initial` is one (see
   * {@linkcode RedisValue}).
   *
   * @param name The value's name in the namespace.
   * @param initial What the value reads as before its first write; its type is the value's.
   * @throws {TypeError} if `initial` is neither a number nor a bigint.
   *
   * @example
   * ```ts ignore
   * import { connect } from "@interlock/interlock/redis";
   * import { startRedisServer } from "@interlock/interlock/redis/testing";
   * import assert from "node:assert/strict";
   *
   * await using server = await startRedisServer();
   * await using ctx = await connect(server.url);
   * assert.equal(await ctx.Value("hits", 0n).get(), 0n);
   * ```
   */
  Value<T extends number | bigint>(
    name: string,
    initial: T,
  ): RedisValue<T extends bigint ? bigint : number> {
    const { base } = named(this.#core, "value", name);
    if (typeof initial !== "number" && typeof initial !== "bigint") {
      throw new TypeError(
        `Cannot create value: 'initial' must be a number or a bigint, received ${typeof initial}`,
      );
    }
    return new RedisValue(
      this.#core,
      name,
      base,
      initial as unknown as T extends bigint ? bigint : number,
    );
  }

  /**
   * The distributed work queue `name` (see {@linkcode RedisQueue}): at-least-once delivery,
   * acknowledged by `taskDone()`.
   *
   * @param name The queue's name in the namespace.
   * @param maxsize The most unacknowledged items (0: unbounded); stored by the first user, and an
   *   object that names another one throws `RangeError` on first use.
   * @param options `visibility` (ms), `maxDeliveries`, `deadLetters`.
   * @throws {RangeError} if `name` is not a valid name or an option is out of range.
   *
   * @example
   * ```ts ignore
   * import { connect } from "@interlock/interlock/redis";
   * import { startRedisServer } from "@interlock/interlock/redis/testing";
   * import assert from "node:assert/strict";
   *
   * await using server = await startRedisServer();
   * await using ctx = await connect(server.url);
   * const jobs = ctx.Queue<string>("jobs", 100, { visibility: 10_000 });
   * await jobs.put("resize a.png");
   * assert.equal(await jobs.get(), "resize a.png");
   * await jobs.taskDone();
   * assert.equal(await jobs.maxsize(), 100);
   * ```
   */
  Queue<T = unknown>(name: string, maxsize?: number, options?: RedisQueueOptions): RedisQueue<T> {
    const { base } = named(this.#core, "queue", name);
    return new RedisQueue<T>(this.#core, name, base, maxsize, options);
  }

  /**
   * The distributed joinable queue `name` (see {@linkcode RedisJoinableQueue}): the same queue as
   * `Queue(name)`, with `join()`.
   *
   * @param name The queue's name in the namespace.
   * @param maxsize The most unacknowledged items (0: unbounded).
   * @param options `visibility` (ms), `maxDeliveries`, `deadLetters`.
   *
   * @example
   * ```ts ignore
   * await ctx.JoinableQueue("chores").join({ timeout: 60_000 });
   * ```
   */
  JoinableQueue<T = unknown>(
    name: string,
    maxsize?: number,
    options?: RedisQueueOptions,
  ): RedisJoinableQueue<T> {
    const { base } = named(this.#core, "queue", name);
    return new RedisJoinableQueue<T>(this.#core, name, base, maxsize, options);
  }

  /**
   * The distributed pool `name`, as its callers see it (see {@linkcode RedisPool}): tasks sent to
   * it run in whichever processes `serve(ctx, name, { module })`.
   *
   * @typeParam M The task module's type (`typeof import("./tasks.ts")`).
   * @param name The pool's name in the namespace.
   * @throws {RangeError} if `name` is not a valid name.
   *
   * @example
   * ```ts ignore
   * const pool = ctx.Pool<typeof import("./tasks.ts")>("images");
   * const thumbnail = await pool.apply("resize", ["a.png", 64]);
   * ```
   */
  Pool<M extends object = AnyModule>(name: string): RedisPool<M> {
    const { base } = named(this.#core, "pool", name);
    return new RedisPool<M>(this.#core, name, base);
  }

  /**
   * Releases the context's holds (best effort, so others need not wait for their leases), stops
   * their watchdogs, and closes the connections it opened. Idempotent.
   *
   * @example
   * ```ts ignore
   * import { connect, RedisConnectionError } from "@interlock/interlock/redis";
   * import { startRedisServer } from "@interlock/interlock/redis/testing";
   * import assert from "node:assert/strict";
   *
   * await using server = await startRedisServer();
   * const ctx = await connect(server.url);
   * await ctx.close();
   * assert.ok(ctx.closed);
   * await assert.rejects(ctx.Lock("a").acquire(), RedisConnectionError);
   * ```
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const holds = [...this.#tracked];
    this.#tracked.clear();
    for (const hold of holds) hold.stop();
    // Best effort, bounded: a client given to fromClient may queue commands while offline.
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([
      Promise.all(holds.map((hold) => hold.releaseQuietly())),
      new Promise((resolve) => timer = setTimeout(resolve, CLOSE_RELEASE_MS)),
    ]);
    clearTimeout(timer);
    this.#engine.shutdown();
    if (this.#owned) {
      await this.#engine.client.close().catch(() => this.#engine.client.destroy());
    }
  }

  /** Same as {@linkcode RedisContext.close}. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}
