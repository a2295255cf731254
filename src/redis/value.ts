/**
 * `RedisValue`: a number or a bigint in Redis with atomic updates and fenced writes. Server side:
 * `VALUE_GET` / `VALUE_SET` in `_lua.ts` (a hash: type, val, ver, fence).
 *
 * @module
 */
import { waitFailure, type WaitOptions } from "../options.ts";
import { type Core, deadline } from "./_core.ts";
import { connectionError, scriptCondition } from "./_engine.ts";
import { VALUE_GET, VALUE_SET } from "./_lua.ts";
import { StaleTokenError } from "./errors.ts";

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

/** Options of `update()`: a fence, and a bound on the retries' time. */
export interface UpdateOptions extends WriteOptions, WaitOptions {}

type Kind = "number" | "bigint";

function encode(x: number | bigint): string {
  return typeof x === "bigint" ? x.toString() : Object.is(x, -0) ? "-0" : String(x);
}

function decode<T extends number | bigint>(kind: Kind, text: string): T {
  return (kind === "bigint" ? BigInt(text) : Number(text)) as T;
}

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
 *   new holder's write.
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
  readonly #key: string;
  readonly #kind: Kind;

  /** @internal Use `ctx.Value(name, initial)`. */
  constructor(core: Core, name: string, base: string, initial: T) {
    this.#core = core;
    this.name = name;
    this.initial = initial;
    this.#key = base + "v";
    this.#kind = typeof initial === "bigint" ? "bigint" : "number";
  }

  #error(what: string, error: unknown): unknown {
    const condition = scriptCondition(error);
    if (condition?.code === "TYPE") {
      return new TypeError(
        `Cannot ${what}: Redis holds a ${condition.detail} value, this object holds ${this.#kind}s`,
      );
    }
    return connectionError(what, error);
  }

  async #read(what: string): Promise<{ value: T; version: string }> {
    this.#core.checkOpen(what);
    const [kind, text, version] = await this.#core.engine.script(VALUE_GET, [this.#key], [])
      .catch((e) => {
        throw this.#error(what, e);
      }) as [string | null, string | null, string | null];
    if (kind !== null && kind !== this.#kind) {
      throw new TypeError(
        `Cannot ${what}: Redis holds a ${kind} value, this object holds ${this.#kind}s`,
      );
    }
    return {
      value: text === null ? this.initial : decode<T>(this.#kind, text),
      version: version ?? "0",
    };
  }

  /** Writes `x` if the version is `version` ('' = any); false if it moved on. */
  async #write(what: string, x: T, fence: bigint | undefined, version: string): Promise<boolean> {
    this.#check(what, x);
    if (fence !== undefined && typeof fence !== "bigint") {
      throw new TypeError(`Cannot ${what}: 'fence' must be a bigint, received ${typeof fence}`);
    }
    this.#core.checkOpen(what);
    const f = fence === undefined ? "" : fence.toString();
    try {
      const [ok] = await this.#core.engine.script(VALUE_SET, [this.#key], [
        this.#kind,
        encode(x),
        f,
        version,
      ]) as [number];
      return ok === 1;
    } catch (error) {
      const condition = scriptCondition(error);
      if (condition?.code === "STALE") {
        const highest = BigInt(condition.detail);
        throw new StaleTokenError(
          `Cannot ${what}: fencing token ${f} is older than token ${highest}, already accepted`,
          { token: fence!, highest },
        );
      }
      throw this.#error(what, error);
    }
  }

  #check(what: string, x: unknown): void {
    const kind: string = typeof x;
    if (kind !== this.#kind) {
      throw new TypeError(
        `Cannot ${what}: the value must be a ${this.#kind}, received ${typeof x}`,
      );
    }
  }

  /**
   * Reads the value.
   *
   * @example
   * ```ts
   * import { connect } from "@interlock/interlock/redis";
   * import { startRedisServer } from "@interlock/interlock/redis/testing";
   * import assert from "node:assert/strict";
   *
   * await using server = await startRedisServer();
   * await using ctx = await connect(server.url);
   * assert.equal(await ctx.Value("v", 7).get(), 7); // never written: the initial value
   * ```
   */
  async get(): Promise<T> {
    return (await this.#read(`read value '${this.name}'`)).value;
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
   * ```ts
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
    await this.#write(`write value '${this.name}'`, x, options?.fence, "");
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
   * ```ts
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
    for (;;) {
      const { value, version } = await this.#read(what);
      const next = fn(value);
      if (await this.#write(what, next, options?.fence, version)) return next;
      if (options?.signal?.aborted || performance.now() >= end) throw waitFailure(what, options);
    }
  }
}
