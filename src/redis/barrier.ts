/**
 * `RedisBarrier`: a barrier in Redis for a fixed number of parties, as Python's
 * `threading.Barrier`. Server side: `BARRIER_*` in `_lua.ts`.
 *
 * @module
 */
import { BrokenBarrierError } from "../errors.ts";
import { waitFailure, type WaitOptions } from "../options.ts";
import { type Core, deadline } from "./_core.ts";
import { connectionError } from "./_engine.ts";
import { mismatch } from "./_holdset.ts";
import {
  BARRIER_ABORT,
  BARRIER_ARRIVE,
  BARRIER_CANCEL,
  BARRIER_COMPLETE,
  BARRIER_INFO,
} from "./_lua.ts";
import { waitOn } from "./_wait.ts";

/** Options of `ctx.Barrier(name, parties, options)`. */
export interface RedisBarrierOptions {
  /**
   * Runs once per generation, in the context whose arrival completes it, before the others are
   * released; if it throws (or rejects), the barrier breaks and that party's `wait` rethrows it.
   * If that process dies while the action runs, the others wait until their timeouts.
   * @default {undefined}
   */
  action?: () => void | Promise<void>;
}

/** Validates a barrier's parties. */
export function checkParties(parties: unknown): number {
  if (typeof parties !== "number") {
    throw new TypeError(
      `Cannot create barrier: 'parties' must be a number, received ${typeof parties}`,
    );
  }
  if (!Number.isInteger(parties) || parties < 1 || parties > 2 ** 31 - 1) {
    throw new RangeError(
      `Cannot create barrier: 'parties' must be a positive integer, received ${parties}`,
    );
  }
  return parties;
}

/**
 * A distributed barrier: `wait()` returns once `parties` contexts have called it in this
 * generation, each with a distinct index (`parties - 1` for the first arrival, 0 for the last).
 *
 * - The number of parties is stored in Redis by the first user; opening the barrier with another
 *   number throws `RangeError` at first use.
 * - A waiter that times out breaks the barrier: it throws `BrokenBarrierError` with the
 *   `TimeoutError` as `cause`, and every other waiter `BrokenBarrierError` (as the local
 *   `Barrier`). `abort()` breaks it, `reset()` breaks the current waiters and makes it usable.
 * - Waiters sleep in `BLPOP` (no polling). No `waitSync`.
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
 * const indexes = await Promise.all([
 *   a.Barrier("start", 2).wait({ timeout: 5_000 }),
 *   b.Barrier("start", 2).wait({ timeout: 5_000 }),
 * ]);
 * assert.deepEqual(indexes.sort(), [0, 1]);
 * ```
 */
export class RedisBarrier {
  /** The barrier's name in its namespace. */
  readonly name: string;
  /** How many parties each generation waits for. */
  readonly parties: number;
  readonly #core: Core;
  readonly #key: string;
  readonly #base: string;
  readonly #action: RedisBarrierOptions["action"];

  /**
   * Not available: a Redis primitive cannot block a thread while it waits on the network. Use
   * `await wait()` (on a worker thread too).
   */
  declare readonly waitSync?: never;

  /** @ignore Use `ctx.Barrier(name, parties, options)`. */
  constructor(
    core: Core,
    name: string,
    base: string,
    parties: number,
    action: RedisBarrierOptions["action"],
  ) {
    this.#core = core;
    this.name = name;
    this.parties = parties;
    this.#base = base;
    this.#key = base + "g";
    this.#action = action;
  }

  #run(script: typeof BARRIER_INFO, args: string[]): Promise<unknown> {
    return this.#core.engine.script(script, [this.#key], args).catch((e) => {
      throw mismatch(`barrier '${this.name}'`, e, this.parties);
    });
  }

  /**
   * Waits until `parties` contexts wait.
   *
   * @param options `timeout` (ms) and/or `signal`.
   * @returns This caller's arrival index, 0..parties-1.
   * @throws {BrokenBarrierError} if the barrier is or becomes broken or reset (also when this
   *   caller's own timeout or abort broke it: then `cause` is the `TimeoutError` or reason).
   * @throws {RangeError} if Redis holds the barrier with another number of parties.
   *
   * @example
   * ```ts ignore
   * import { connect } from "@interlock/interlock/redis";
   * import { BrokenBarrierError } from "@interlock/interlock";
   * import { startRedisServer } from "@interlock/interlock/redis/testing";
   * import assert from "node:assert/strict";
   *
   * await using server = await startRedisServer();
   * await using ctx = await connect(server.url);
   * const barrier = ctx.Barrier("b", 2);
   * await assert.rejects(barrier.wait({ timeout: 20 }), BrokenBarrierError); // nobody came
   * assert.ok(await barrier.broken());
   * ```
   */
  async wait(options?: WaitOptions): Promise<number> {
    const what = `wait on barrier '${this.name}'`;
    const end = deadline(this.#core, what, options);
    const waiter = this.#core.nextId();
    const action = this.#action === undefined ? "0" : "1";
    const [index, status] = await this.#run(BARRIER_ARRIVE, [
      waiter,
      String(this.parties),
      action,
    ]) as [number, number];
    if (status === -1) throw new BrokenBarrierError();
    if (status === 1) return index;
    if (status === 2) return await this.#complete(index);
    const token = await waitOn(
      this.#core.engine,
      {
        what,
        tokenKey: `${this.#base}w:${waiter}`,
        poll: () => Promise.resolve({ done: false, hint: -1 }),
        cancel: async () => String(await this.#run(BARRIER_CANCEL, [waiter])),
        renewEvery: Infinity,
      },
      end,
      options?.signal,
    );
    if (token === "ok") return index;
    if (token === "timeout") {
      throw new BrokenBarrierError(
        `Barrier broken: this party ${
          options?.signal?.aborted ? "was aborted" : `timed out after ${options?.timeout} ms`
        }`,
        { cause: waitFailure(what, options) },
      );
    }
    throw new BrokenBarrierError();
  }

  async #complete(index: number): Promise<number> {
    let failed = false;
    let error: unknown;
    try {
      await this.#action?.();
    } catch (e) {
      failed = true;
      error = e;
    }
    await this.#run(BARRIER_COMPLETE, [failed ? "0" : "1"]);
    if (failed) throw error;
    return index;
  }

  /**
   * Breaks the barrier: current and future waiters throw `BrokenBarrierError` until `reset()`.
   *
   * @example
   * ```ts ignore
   * import { connect } from "@interlock/interlock/redis";
   * import { BrokenBarrierError } from "@interlock/interlock";
   * import { startRedisServer } from "@interlock/interlock/redis/testing";
   * import assert from "node:assert/strict";
   *
   * await using server = await startRedisServer();
   * await using ctx = await connect(server.url);
   * const barrier = ctx.Barrier("b", 2);
   * await barrier.abort();
   * await assert.rejects(barrier.wait(), BrokenBarrierError);
   * ```
   */
  async abort(): Promise<void> {
    this.#core.checkOpen(`abort barrier '${this.name}'`);
    await this.#run(BARRIER_ABORT, ["abort"]);
  }

  /**
   * Breaks the current waiters (they throw `BrokenBarrierError`) and makes the barrier usable.
   *
   * @example
   * ```ts ignore
   * import { connect } from "@interlock/interlock/redis";
   * import { startRedisServer } from "@interlock/interlock/redis/testing";
   * import assert from "node:assert/strict";
   *
   * await using server = await startRedisServer();
   * await using ctx = await connect(server.url);
   * const barrier = ctx.Barrier("b", 1);
   * await barrier.abort();
   * await barrier.reset();
   * assert.equal(await barrier.wait(), 0);
   * ```
   */
  async reset(): Promise<void> {
    this.#core.checkOpen(`reset barrier '${this.name}'`);
    await this.#run(BARRIER_ABORT, ["reset"]);
  }

  /**
   * Whether the barrier is broken (a snapshot).
   *
   * @example
   * ```ts ignore
   * import { connect } from "@interlock/interlock/redis";
   * import { startRedisServer } from "@interlock/interlock/redis/testing";
   * import assert from "node:assert/strict";
   *
   * await using server = await startRedisServer();
   * await using ctx = await connect(server.url);
   * assert.equal(await ctx.Barrier("b", 2).broken(), false);
   * ```
   */
  async broken(): Promise<boolean> {
    return (await this.#info())[1] === 1;
  }

  /**
   * How many parties wait in the current generation (a snapshot).
   *
   * @example
   * ```ts ignore
   * import { connect } from "@interlock/interlock/redis";
   * import { startRedisServer } from "@interlock/interlock/redis/testing";
   * import assert from "node:assert/strict";
   *
   * await using server = await startRedisServer();
   * await using ctx = await connect(server.url);
   * assert.equal(await ctx.Barrier("b", 2).nWaiting(), 0);
   * ```
   */
  async nWaiting(): Promise<number> {
    return (await this.#info())[0];
  }

  async #info(): Promise<[number, number]> {
    return await this.#run(BARRIER_INFO, []).catch((e) => {
      throw connectionError(`read barrier '${this.name}'`, e);
    }) as [number, number];
  }
}
