/**
 * `RedisEvent`: a flag in Redis that contexts wait for, as Python's `threading.Event`. Server
 * side: `EVENT_*` in `_lua.ts` (the flag `b..v`, waiters woken by a token each).
 *
 * @module
 */
import { waitFailure, type WaitOptions } from "../options.ts";
import { type Core, deadline } from "./_core.ts";
import { connectionError } from "./_engine.ts";
import { EVENT_CLEAR, EVENT_IS_SET, EVENT_SET, WAITER_CANCEL, WAITER_WAIT } from "./_lua.ts";
import { waitOn } from "./_wait.ts";

/**
 * A distributed event: `set()` wakes every context waiting in `wait()`, and later waits return at
 * once until `clear()`.
 *
 * - `wait()` returns when the flag is set, even if it is cleared again before the waiter runs;
 *   waiters sleep in `BLPOP` (no polling) and `set()` pushes each a wake-up.
 * - A timeout throws a `DOMException` named `TimeoutError`; an abort rejects with
 *   `signal.reason`. No `waitSync` (a network wait cannot block a thread).
 * - A waiter whose process died stays registered for at most one lease of its context.
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
 * const ready = b.Event("ready");
 * const waiting = ready.wait({ timeout: 5_000 });
 * await a.Event("ready").set();
 * await waiting;
 * assert.equal(await ready.isSet(), true);
 * ```
 */
export class RedisEvent {
  /** The event's name in its namespace. */
  readonly name: string;
  readonly #core: Core;
  readonly #key: string;
  readonly #base: string;

  /**
   * Not available: a Redis primitive cannot block a thread while it waits on the network. Use
   * `await wait()` (on a worker thread too).
   */
  declare readonly waitSync?: never;

  /** @ignore Use `ctx.Event(name)`. */
  constructor(core: Core, name: string, base: string) {
    this.#core = core;
    this.name = name;
    this.#base = base;
    this.#key = base + "v";
  }

  /** Runs `script` on the flag's key, or with `queue` on the waiter queue's (same slot). */
  #run(script: typeof EVENT_SET, args: string[] = [], queue = false): Promise<unknown> {
    const key = queue ? this.#base + "q" : this.#key;
    return this.#core.engine.script(script, [key], args).catch((e) => {
      throw connectionError(`use event '${this.name}'`, e);
    });
  }

  /**
   * Sets the flag and wakes every waiter.
   *
   * @example
   * ```ts ignore
   * import { connect } from "@interlock/interlock/redis";
   * import { startRedisServer } from "@interlock/interlock/redis/testing";
   * import assert from "node:assert/strict";
   *
   * await using server = await startRedisServer();
   * await using ctx = await connect(server.url);
   * const event = ctx.Event("e");
   * await event.set();
   * await event.wait({ timeout: 0 }); // returns at once
   * assert.ok(await event.isSet());
   * ```
   */
  async set(): Promise<void> {
    this.#core.checkOpen(`set event '${this.name}'`);
    await this.#run(EVENT_SET);
  }

  /**
   * Clears the flag: later waits sleep until the next `set()`.
   *
   * @example
   * ```ts ignore
   * import { connect } from "@interlock/interlock/redis";
   * import { startRedisServer } from "@interlock/interlock/redis/testing";
   * import assert from "node:assert/strict";
   *
   * await using server = await startRedisServer();
   * await using ctx = await connect(server.url);
   * const event = ctx.Event("e");
   * await event.set();
   * await event.clear();
   * await assert.rejects(event.wait({ timeout: 10 }), { name: "TimeoutError" });
   * ```
   */
  async clear(): Promise<void> {
    this.#core.checkOpen(`clear event '${this.name}'`);
    await this.#run(EVENT_CLEAR);
  }

  /**
   * Whether the flag is set (a snapshot).
   *
   * @example
   * ```ts ignore
   * import { connect } from "@interlock/interlock/redis";
   * import { startRedisServer } from "@interlock/interlock/redis/testing";
   * import assert from "node:assert/strict";
   *
   * await using server = await startRedisServer();
   * await using ctx = await connect(server.url);
   * assert.equal(await ctx.Event("e").isSet(), false);
   * ```
   */
  async isSet(): Promise<boolean> {
    return await this.#run(EVENT_IS_SET) === 1;
  }

  /**
   * Waits until the flag is set (returns at once if it is).
   *
   * @param options `timeout` (ms) and/or `signal`.
   * @throws {DOMException} named `TimeoutError` when `timeout` passes first.
   * @throws {RedisConnectionError} if the connection breaks while waiting.
   *
   * @example
   * ```ts ignore
   * import { connect } from "@interlock/interlock/redis";
   * import { startRedisServer } from "@interlock/interlock/redis/testing";
   * import assert from "node:assert/strict";
   *
   * await using server = await startRedisServer();
   * await using ctx = await connect(server.url);
   * await assert.rejects(ctx.Event("e").wait({ signal: AbortSignal.timeout(10) }));
   * ```
   */
  async wait(options?: WaitOptions): Promise<void> {
    const what = `wait on event '${this.name}'`;
    const end = deadline(this.#core, what, options);
    const waiter = this.#core.nextId();
    const reg = String(this.#core.lease);
    const woken = await waitOn(
      this.#core.engine,
      {
        what,
        tokenKey: `${this.#base}w:${waiter}`,
        poll: async (mode) =>
          await this.#run(WAITER_WAIT, [waiter, reg, mode, "1"], true) === 1
            ? { done: true, value: "1" }
            : { done: false, hint: -1 },
        cancel: async () => await this.#run(WAITER_CANCEL, [waiter], true) === 1 ? "1" : undefined,
        renewEvery: this.#core.lease / 3,
      },
      end,
      options?.signal,
    );
    if (woken === undefined) throw waitFailure(what, options);
  }
}
