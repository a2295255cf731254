/**
 * `RedisJoinableQueue`: a {@linkcode RedisQueue} with `join()`.
 *
 * @module
 */
import { waitFailure, type WaitOptions } from "../options.ts";
import { deadline } from "./_core.ts";
import { QUEUE_JOIN } from "./_lua_stream.ts";
import { WAITER_CANCEL } from "./_lua.ts";
import { waitOn } from "./_wait.ts";
import { RedisQueue } from "./queue.ts";

/**
 * A {@linkcode RedisQueue} whose `join()` waits until every item put has been acknowledged, as
 * Python's `JoinableQueue`: unfinished items are those in the queue's stream, waiting or held.
 *
 * - An item that went to the dead letters counts as finished.
 * - `join({ timeout, signal })` sleeps in `BLPOP` until the acknowledgement that empties the
 *   queue wakes it.
 *
 * @typeParam T The type of the items.
 *
 * @example
 * ```ts
 * import { connect } from "@interlock/interlock/redis";
 * import { startRedisServer } from "@interlock/interlock/redis/testing";
 * import assert from "node:assert/strict";
 *
 * await using server = await startRedisServer();
 * await using ctx = await connect(server.url);
 * const tasks = ctx.JoinableQueue<string>("chores");
 * await tasks.putMany(["wash", "dry"]);
 * const done: string[] = [];
 * const worker = (async () => {
 *   for (let k = 0; k < 2; k++) {
 *     done.push(await tasks.get({ timeout: 5_000 }));
 *     await tasks.taskDone();
 *   }
 * })();
 * await tasks.join({ timeout: 5_000 });
 * await worker;
 * assert.deepEqual(done, ["wash", "dry"]);
 * ```
 */
export class RedisJoinableQueue<T = unknown> extends RedisQueue<T> {
  /**
   * Not available: a Redis queue cannot block a thread while it waits on the network. Use
   * `await join()` (on a worker thread too).
   */
  declare readonly joinSync?: never;

  /**
   * Waits until every item put into the queue (by anyone) is acknowledged or dead-lettered.
   *
   * @param options `timeout` (ms) and/or `signal`.
   * @throws {DOMException} named `TimeoutError` when `timeout` passes first.
   *
   * @example
   * ```ts ignore
   * await ctx.JoinableQueue("chores").join({ timeout: 60_000 });
   * ```
   */
  async join(options?: WaitOptions): Promise<void> {
    const what = `join queue '${this.name}'`;
    const end = deadline(this.core, what, options);
    await this.maxsize(); // the stream and its group exist
    const waiter = this.core.nextId();
    const reg = String(this.core.lease);
    const j = `${this.base}j:`;
    const done = await waitOn(
      this.core.engine,
      {
        what,
        tokenKey: `${j}w:${waiter}`,
        poll: async (mode) => {
          const ok = await this.core.engine.script(QUEUE_JOIN, [this.stream], [waiter, reg, mode]);
          return ok === 1 ? { done: true, value: "1" } : { done: false, hint: -1 };
        },
        cancel: async () => {
          const woken = await this.core.engine.script(WAITER_CANCEL, [`${j}q`], [waiter]);
          return woken === 1 ? "1" : undefined;
        },
        renewEvery: this.core.lease / 3,
      },
      end,
      options?.signal,
    );
    if (done === undefined) throw waitFailure(what, options);
  }
}
