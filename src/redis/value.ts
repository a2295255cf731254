/**
 * `RedisValue`: a number or a bigint in Redis with atomic updates and fenced writes. Server side:
 * `VALUE_GET` / `VALUE_SET` in `_lua.ts` (a hash: type, val, ver, fence).
 *
 * @module
 */
import { waitFailure, type WaitOptions } from "../options.ts";
import { type Core, deadline } from "./_core.ts";
import {
  drive,
  type Protocol,
  readValue,
  updateValue,
  type ValueSpec,
  writeValue,
} from "./_protocol.ts";

/** Options of a write: the fencing token that makes it conditional. */
export interface WriteOptions {
  /**
   * A fencing token (`hold.token`): the write is refused with `StaleTokenError` if the value
   * accepted a larger token before; else the token becomes the highest accepted. Fence one value
   * with the tokens of one lock.
   * @default {undefined (an unconditional write)}
   */
  fence?: bigint;
}

/** Options of a read: the fencing token that makes it a fenced read. */
export interface ReadOptions {
  /**
   * A fencing token (`hold.token`): the read is refused with `StaleTokenError` if the value
   * accepted a larger token before; else the token becomes the highest accepted, so a holder
   * that reads, then writes, both fenced, cannot overwrite a newer holder's write even if its
   * lease ended in between (a fence on the write alone does not see that a newer holder has
   * read: both would write).
   * @default {undefined (a plain read)}
   */
  fence?: bigint;
}

/** Options of `update()`: a fence, and a bound on the retries' time. */
export interface UpdateOptions extends WriteOptions, WaitOptions {}

/**
 * A distributed number (`number`, a float64) or `bigint` (any size), readable and writable by
 * every context that opens it.
 *
 * - `get()` / `set(x)` are single atomic operations; a value never written reads as its
 *   `initial`.
 * - `update(fn)` is an atomic read-modify-write: `fn` runs in this process on the current value,
 *   and the result is written only if nobody wrote in between (a version check in one Lua
 *   script), else `fn` runs again on the newer value. So `fn` must be pure and quick.
 * - Fenced writes (`{ fence: hold.token }`) are refused with `StaleTokenError` when the value has
 *   accepted a newer token: a holder whose lease ended while it was paused cannot overwrite the
 *   new holder's write. For a read-modify-write under a lock, fence the read too
 *   (`get({ fence })`, or `update(fn, { fence })`): a fenced read raises the highest token, so an
 *   old holder that read before the new holder did cannot write after it (with a fence on the
 *   write alone, both writes pass if the old one lands first: a lost update; the explorer finds
 *   it, `tests/redis/explore_test.ts`).
 * - The type is fixed by `initial` (a `bigint` makes a bigint value) and stored in Redis: opening
 *   it with the other type throws `TypeError` on first use.
 *
 * @example
 * ```ts
 * import { connect } from "@interlock/interlock/redis";
 * import { startRedisServer } from "@interlock/interlock/redis/testing";
 * import assert from "node:assert/strict";
 *
 * await using server = await startRedisServer();
 * await using ctx = await connect(server.url);
 * const balance = ctx.Value("balance", 100);
 * assert.equal(await balance.update((b) => b - 1), 99);
 * const big = ctx.Value("big", 2n ** 64n);
 * await big.update((x) => x + 1n);
 * assert.equal(await big.get(), 2n ** 64n + 1n);
 * ```
 */
export class RedisValue<T extends number | bigint = number> {
  /** The value's name in its namespace. */
  readonly name: string;
  /** What a never-written value reads as. */
  readonly initial: T;
  readonly #core: Core;
  readonly #spec: ValueSpec<T>;

  /** @ignore Use `ctx.Value(name, initial)`. */
  constructor(core: Core, name: string, base: string, initial: T) {
    this.#core = core;
    this.name = name;
    this.initial = initial;
    this.#spec = {
      key: base + "v",
      kind: typeof initial === "bigint" ? "bigint" : "number",
      initial,
    };
  }

  #run<R>(what: string, protocol: Protocol<R>): Promise<R> {
    this.#core.checkOpen(what);
    return drive(this.#core.engine, what, protocol);
  }

  #checkFence(what: string, fence: unknown): bigint | undefined {
    if (fence !== undefined && typeof fence !== "bigint") {
      throw new TypeError(`Cannot ${what}: 'fence' must be a bigint, received ${typeof fence}`);
    }
    return fence;
  }

  #check(what: string, x: unknown): void {
    const kind: string = typeof x;
    if (kind !== this.#spec.kind) {
      throw new TypeError(
        `Cannot ${what}: the value must be a ${this.#spec.kind}, received ${typeof x}`,
      );
    }
  }

  /**
   * Reads the value; with `{ fence }`, a fenced read (see {@linkcode ReadOptions}).
   *
   * @param options `fence`: a fencing token; the read then raises the highest accepted token.
   * @throws {StaleTokenError} if `fence` is older than a token already accepted.
   *
   * @example A read-modify-write under a lock: read and write fenced
   * ```ts ignore
   * import { connect, StaleTokenError } from "@interlock/interlock/redis";
   * import { startRedisServer } from "@interlock/interlock/redis/testing";
   * import assert from "node:assert/strict";
   *
   * await using server = await startRedisServer();
   * await using ctx = await connect(server.url);
   * const v = ctx.Value("v", 7);
   * assert.equal(await v.get(), 7); // never written: the initial value
   * assert.equal(await v.get({ fence: 5n }), 7); // token 5 is now the highest accepted
   * await assert.rejects(v.set(8, { fence: 4n }), StaleTokenError); // an older holder
   * await v.set(8, { fence: 5n });
   * assert.equal(await v.get(), 8);
   * ```
   */
  async get(options?: ReadOptions): Promise<T> {
    const what = `read value '${this.name}'`;
    const fence = this.#checkFence(what, options?.fence);
    return (await this.#run(what, readValue(this.#spec, what, fence))).value;
  }

  /**
   * Writes `x`, unconditionally or fenced.
   *
   * @param x The new value (of this value's type).
   * @param options `fence`: a fencing token that makes the write conditional.
   * @throws {StaleTokenError} if `fence` is older than a token already accepted (nothing written).
   * @throws {TypeError} if `x` or `fence` has the wrong type (nothing written).
   *
   * @example
   * ```ts ignore
   * import { connect, StaleTokenError } from "@interlock/interlock/redis";
   * import { startRedisServer } from "@interlock/interlock/redis/testing";
   * import assert from "node:assert/strict";
   *
   * await using server = await startRedisServer();
   * await using ctx = await connect(server.url);
   * const v = ctx.Value("v", 0);
   * await v.set(2, { fence: 2n });
   * await assert.rejects(v.set(1, { fence: 1n }), StaleTokenError);
   * assert.equal(await v.get(), 2);
   * ```
   */
  async set(x: T, options?: WriteOptions): Promise<void> {
    const what = `write value '${this.name}'`;
    this.#check(what, x);
    const fence = this.#checkFence(what, options?.fence);
    await this.#run(what, writeValue(this.#spec, what, x, fence, ""));
  }

  /**
   * Atomically replaces the value with `fn(value)` and returns the new value: `fn` runs again on
   * a newer value whenever another write came in between (optimistic concurrency).
   *
   * @param fn A pure function of the current value.
   * @param options `fence` (a fenced update), `timeout` / `signal` bound the retries.
   * @returns The value written.
   * @throws {StaleTokenError} if `fence` is older than a token already accepted.
   * @throws {DOMException} named `TimeoutError` if `timeout` passes before a retry succeeds.
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
   * await Promise.all([
   *   ...Array.from({ length: 10 }, () => a.Value("n", 0).update((n) => n + 1)),
   *   ...Array.from({ length: 10 }, () => b.Value("n", 0).update((n) => n + 1)),
   * ]);
   * assert.equal(await a.Value("n", 0).get(), 20); // no update lost
   * ```
   */
  async update(fn: (value: T) => T, options?: UpdateOptions): Promise<T> {
    const what = `update value '${this.name}'`;
    if (typeof fn !== "function") {
      throw new TypeError(`Cannot ${what}: 'fn' must be a function, received ${typeof fn}`);
    }
    const end = deadline(this.#core, what, options);
    const fence = this.#checkFence(what, options?.fence);
    const stop = () =>
      options?.signal?.aborted || performance.now() >= end ? waitFailure(what, options) : undefined;
    return await this.#run(what, updateValue(this.#spec, what, fn, fence, stop));
  }
}
