/**
 * `RedisQueue` and `RedisJoinableQueue`: a work queue in a Redis stream with a consumer group
 * (server side: `_lua_stream.ts`; reading and visibility: `_stream.ts`; bytes: `_codec.ts`).
 *
 * @module
 */
import { drain } from "../_drain.ts";
import { RuntimeError } from "../errors.ts";
import { waitFailure, type WaitOptions } from "../options.ts";
import { type Core, deadline, type Tracked } from "./_core.ts";
import { BINARY, connectionError } from "./_engine.ts";
import { decode, encode } from "./_codec.ts";
import { QUEUE_ACK, QUEUE_BURY, QUEUE_CLAIM, QUEUE_INFO, QUEUE_REQUEUE } from "./_lua_stream.ts";
import {
  checkCount,
  Consumer,
  type Delivery,
  entries,
  type GroupConfig,
  groupConfig,
} from "./_stream.ts";
import { putBounded } from "./_put.ts";
import { type CorruptPayloadError, LeaseLostError, RedisConnectionError } from "./errors.ts";

/** Options of `ctx.Queue(name, maxsize, options)` and `ctx.JoinableQueue(...)`. */
export interface RedisQueueOptions {
  /**
   * Milliseconds a consumer may hold an item without renewing it; a consumer's watchdog renews
   * its items every third of it while its process lives, so this is how long after a consumer
   * dies (or pauses) its items go to another. Stored in Redis by the queue's first user; every
   * object that sets it must agree (`RangeError` otherwise).
   * @default {the context's `lease` (30,000)}
   */
  visibility?: number;
  /**
   * Deliveries of one item before it goes to the dead-letter stream instead of being delivered
   * again (its consumers kept dying, pausing or closing without acknowledging it). Stored in
   * Redis like `visibility`.
   * @default {5}
   */
  maxDeliveries?: number;
  /**
   * Dead letters kept (the oldest are trimmed beyond it, approximately).
   * @default {10000}
   */
  deadLetters?: number;
}

/** An item that went to the dead-letter stream, as {@linkcode RedisQueue.deadLetters} reads it. */
export interface DeadLetter<T> {
  /** Its stream entry id when it was buried. */
  readonly id: string;
  /** `"deliveries"` (delivered `maxDeliveries` times, never acknowledged) or `"corrupt: ..."`. */
  readonly reason: string;
  /** How many times it was delivered. */
  readonly deliveries: number;
  /** The item, if its payload decodes. */
  readonly item?: T;
  /** Why its payload does not decode, if it does not. */
  readonly error?: CorruptPayloadError;
}

/** One item as `get()` hands it out: a value, or the error of a payload that did not decode. */
type Outcome = { id: string; value: unknown } | { id: string; error: CorruptPayloadError };

/**
 * A distributed FIFO work queue for structured-clone-compatible items, shared by every context
 * (every process, on every machine) that opens it by name, on a Redis stream with a consumer
 * group.
 *
 * - **At-least-once delivery; acknowledge after processing.** `get()` delivers an item to this
 *   object, which holds it until `taskDone()` acknowledges it. A held item is delivered to nobody
 *   else. If this consumer's process dies (or pauses, or loses Redis) for the `visibility`
 *   timeout, its unacknowledged items go to other consumers: an item may be processed twice, never
 *   lost. So make processing idempotent (as BullMQ, Ray and SQS ask), and call `taskDone()` only
 *   once the item's effects are durable. `taskDone()` acknowledges this object's oldest held item
 *   (Python's `task_done()`): with several items in flight in one object, finish them in order, or
 *   use one object per concurrent consumer.
 * - **Dead letters.** An item delivered `maxDeliveries` times without acknowledgement, or whose
 *   payload does not decode (see below), moves to the queue's dead-letter stream
 *   ({@linkcode RedisQueue.deadLetters}); it counts as done for `join()` and frees its room.
 * - **Untrusted bytes.** Items are read back as bytes any client could have written: a payload
 *   Interlock cannot decode makes that `get()` throw {@linkcode CorruptPayloadError} (after the
 *   item went to the dead letters); the next `get()` goes on with the next item. Decoding never
 *   runs code.
 * - **Items** are structured-clone-compatible values (as for the local `Queue`); one that cannot be
 *   cloned (a function, a symbol, shared memory) throws `TypeError`, and nothing is written.
 * - **Bounded** with `maxsize` > 0: at most `maxsize` items are unacknowledged (waiting or being
 *   processed); `put()` waits for room, FIFO among waiting producers. Stored in Redis by the first
 *   user. Unbounded by default.
 * - **Waiting costs no polling**: `get()` blocks in `XREADGROUP BLOCK`, `put()` and `join()` in
 *   `BLPOP` on a token list of their own; all take `{ timeout, signal }`. Dead consumers' items are
 *   reclaimed when their visibility ends (a timed wake-up), not by a periodic scan.
 * - FIFO by put order, except that a reclaimed or requeued item is delivered after newer ones.
 * - No `*Sync` forms, no `putNowait`/`getNowait` (a network call cannot be synchronous):
 *   `get({ timeout: 0 })` looks once. `qsize()`, `empty()`, `full()` are Promises.
 * - `close()` closes this object, not the queue: the items it got and did not acknowledge go back
 *   to the queue at once. The queue lives as long as its keys; end consumers with a sentinel item,
 *   as in Python.
 *
 * @typeParam T The type of the items.
 *
 * @example A producer and a consumer (two processes, in real life)
 * ```ts
 * import { connect } from "@interlock/interlock/redis";
 * import { startRedisServer } from "@interlock/interlock/redis/testing";
 * import assert from "node:assert/strict";
 *
 * await using server = await startRedisServer();
 * await using producer = await connect(server.url);
 * await using consumer = await connect(server.url);
 * for (const n of [1, 2, 3]) await producer.Queue<{ n: number } | null>("jobs").put({ n });
 * await producer.Queue("jobs").put(null); // the end of the data
 * const jobs = consumer.Queue<{ n: number } | null>("jobs");
 * const seen: number[] = [];
 * for (;;) {
 *   const job = await jobs.get({ timeout: 5_000 });
 *   if (job !== null) seen.push(job.n); // the work, idempotent
 *   await jobs.taskDone(); // acknowledged: it will not be delivered again
 *   if (job === null) break;
 * }
 * assert.deepEqual(seen, [1, 2, 3]);
 * ```
 */
export class RedisQueue<T = unknown> implements AsyncIterable<T>, AsyncDisposable {
  /** The queue's name in its namespace. */
  readonly name: string;
  /** Not available: a Redis queue cannot block a thread on the network. Use `await put()`. */
  declare readonly putSync?: never;
  /** Not available: a Redis queue cannot block a thread on the network. Use `await get()`. */
  declare readonly getSync?: never;

  /** @ignore */
  protected readonly core: Core;
  /** @ignore */
  protected readonly stream: string;
  /** @ignore */
  protected readonly base: string;
  readonly #consumer: Consumer;
  readonly #keep: number;
  /** Delivered items not yet handed out by `get()` (a reclaim or `getMany` overflow). */
  readonly #buffer: Outcome[] = [];
  /** Items handed out and not yet acknowledged, oldest first. */
  readonly #got: string[] = [];
  /** Those of them this consumer lost (reclaimed by another). */
  readonly #lost = new Set<string>();
  readonly #tracked: Tracked;
  #trackedNow = false;
  #closed = false;

  /** @ignore Use `ctx.Queue(name, maxsize, options)`. */
  constructor(
    core: Core,
    name: string,
    base: string,
    maxsize: number | undefined,
    options: RedisQueueOptions | undefined,
  ) {
    this.core = core;
    this.name = name;
    this.base = base;
    this.stream = base + "s";
    const what = `create queue`;
    const [config, explicit] = groupConfig(what, core, options, maxsize);
    this.#keep = options?.deadLetters === undefined
      ? 10_000
      : checkCount(what, "deadLetters", options.deadLetters, 1);
    this.#consumer = new Consumer(core, {
      stream: this.stream,
      what: `queue '${name}'`,
      config,
      explicit,
      claim: QUEUE_CLAIM,
      claimArgs: () => [String(this.#consumer.config.maxsize)],
      keep: this.#keep,
      onLost: (ids) => {
        for (const id of ids) this.#lost.add(id);
        const gone = new Set(ids);
        for (let i = this.#buffer.length - 1; i >= 0; i--) {
          if (gone.has(this.#buffer[i]!.id)) this.#buffer.splice(i, 1);
        }
      },
    });
    this.#tracked = {
      stop: () => this.#consumer.stop(),
      releaseQuietly: () => this.#release().then(() => {}, () => {}),
    };
  }

  #check(what: string): void {
    this.core.checkOpen(what);
    if (this.#closed) {
      throw new RedisConnectionError(`Cannot ${what}: this queue object is closed`);
    }
  }

  /** The stored settings (after the first call that reached Redis). */
  async #config(what: string): Promise<GroupConfig> {
    this.#check(what);
    return await this.#consumer.init();
  }

  /**
   * The most unacknowledged items (0: unbounded), as stored in Redis.
   *
   * @example
   * ```ts ignore
   * assert.equal(await ctx.Queue("jobs", 10).maxsize(), 10);
   * ```
   */
  async maxsize(): Promise<number> {
    return (await this.#config(`read queue '${this.name}'`)).maxsize;
  }

  /**
   * Adds `item` at the tail, waiting for room if the queue is bounded and full.
   *
   * @param item A structured-clone-compatible value.
   * @param options `timeout` (ms) and/or `signal` bound the wait for room.
   * @throws {TypeError} if `item` cannot be cloned (nothing is written).
   * @throws {DOMException} named `TimeoutError` if there was no room in time (nothing written).
   * @throws {RedisConnectionError} if Redis cannot be reached.
   *
   * @example
   * ```ts ignore
   * await ctx.Queue("jobs").put({ file: "a.png" });
   * await assert.rejects(ctx.Queue("jobs").put(() => 1), TypeError);
   * ```
   */
  async put(item: T, options?: WaitOptions): Promise<void> {
    const what = `put into queue '${this.name}'`;
    const payload = encode(what, item);
    const end = deadline(this.core, what, options);
    const { maxsize } = this.#consumer.ready ? this.#consumer.config : await this.#config(what);
    if (this.#closed) this.#check(what);
    if (maxsize > 0) {
      return await putBounded(this.core, this.base, what, [payload], maxsize, end, options);
    }
    try {
      await this.core.engine.command(this.stream, ["XADD", this.stream, "*", "d", payload]);
    } catch (e) {
      throw connectionError(what, e);
    }
  }

  /**
   * Adds `items` at the tail, in order; a bounded queue waits for room for all of them and adds
   * them together (all or none).
   *
   * @param items Structured-clone-compatible values.
   * @param options `timeout` (ms) and/or `signal` bound the wait for room.
   * @throws {TypeError} if an item cannot be cloned (nothing is written).
   * @throws {RangeError} if a bounded queue could never hold them all at once.
   *
   * @example
   * ```ts ignore
   * await ctx.Queue("jobs").putMany([1, 2, 3]); // one round trip per batch
   * ```
   */
  async putMany(items: readonly T[], options?: WaitOptions): Promise<void> {
    const what = `put into queue '${this.name}'`;
    if (!Array.isArray(items)) {
      throw new TypeError(`Cannot ${what}: 'items' must be an array, received ${typeof items}`);
    }
    const payloads = items.map((item) => encode(what, item));
    const end = deadline(this.core, what, options);
    const { maxsize } = await this.#config(what);
    if (payloads.length === 0) return;
    if (maxsize === 0) {
      const engine = this.core.engine;
      await Promise.all(
        payloads.map((d) => engine.command(this.stream, ["XADD", this.stream, "*", "d", d])),
      ).catch((e) => {
        throw connectionError(what, e);
      });
      return;
    }
    if (payloads.length > maxsize) {
      throw new RangeError(
        `Cannot ${what}: ${payloads.length} items never fit a queue of maxsize ${maxsize}`,
      );
    }
    await putBounded(this.core, this.base, what, payloads, maxsize, end, options);
  }

  /**
   * Takes the item at the head, waiting for one; it stays held by this object (delivered to no
   * one else) until {@linkcode RedisQueue.taskDone} acknowledges it.
   *
   * @param options `timeout` (ms; 0 looks once) and/or `signal`.
   * @returns The item.
   * @throws {DOMException} named `TimeoutError` if no item came in time.
   * @throws {CorruptPayloadError} if the item's payload does not decode (it went to the dead
   *   letters; the next `get()` goes on).
   * @throws {RedisConnectionError} if Redis cannot be reached or the connection breaks.
   *
   * @example
   * ```ts ignore
   * const job = await ctx.Queue("jobs").get({ timeout: 5_000 });
   * ```
   */
  async get(options?: WaitOptions): Promise<T> {
    return (await this.#take(1, options))[0] as T;
  }

  /**
   * Takes up to `max` items (at least one, waiting for it), each held until acknowledged: one
   * round trip for a batch. An undecodable item ends the batch before it; the next call throws
   * its {@linkcode CorruptPayloadError}.
   *
   * @param max The most items to take.
   * @param options `timeout` (ms) and/or `signal` bound the wait for the first item.
   * @returns 1 to `max` items, oldest first.
   *
   * @example
   * ```ts ignore
   * const batch = await ctx.Queue("jobs").getMany(100, { timeout: 5_000 });
   * ```
   */
  async getMany(max: number, options?: WaitOptions): Promise<T[]> {
    checkCount(`get from queue '${this.name}'`, "max", max, 1);
    return await this.#take(max, options) as T[];
  }

  async #take(max: number, options: WaitOptions | undefined): Promise<unknown[]> {
    const what = `get from queue '${this.name}'`;
    const end = deadline(this.core, what, options);
    this.#check(what);
    if (!this.#trackedNow) {
      this.#trackedNow = true;
      this.core.track(this.#tracked);
    }
    for (;;) {
      if (this.#buffer.length > 0) {
        const out: unknown[] = [];
        while (out.length < max && this.#buffer.length > 0) {
          const next = this.#buffer[0]!;
          if ("error" in next) {
            if (out.length > 0) break;
            this.#buffer.shift();
            throw next.error;
          }
          this.#buffer.shift();
          this.#got.push(next.id);
          out.push(next.value);
        }
        return out;
      }
      const got = await this.#consumer.read(max, end, options?.signal);
      if (got.length === 0) {
        if (this.#consumer.stopped) this.#check(what); // closed meanwhile
        throw waitFailure(what, options);
      }
      const bury = this.#accept(got);
      if (bury !== undefined) await this.#bury(bury);
    }
  }

  /**
   * Decodes deliveries into the buffer; returns those to bury (past the cap, or undecodable) by
   * reason, if any.
   */
  #accept(got: Delivery[]): Map<string, string[]> | undefined {
    const { maxDeliveries } = this.#consumer.config;
    let bury: Map<string, string[]> | undefined;
    for (const d of got) {
      let reason = "deliveries";
      if (d.deliveries <= maxDeliveries) {
        try {
          const value = decode(
            d.fields.get("d"),
            d.id,
            () => `item ${d.id} of queue '${this.name}'`,
          );
          this.#buffer.push({ id: d.id, value });
          continue;
        } catch (error) {
          const e = error as CorruptPayloadError;
          this.#buffer.push({ id: d.id, error: e });
          reason = `corrupt: ${e.message}`;
        }
      }
      bury ??= new Map();
      bury.set(reason, [...bury.get(reason) ?? [], d.id]);
    }
    return bury;
  }

  /** Moves deliveries to the dead letters, by reason. */
  async #bury(bury: Map<string, string[]>): Promise<void> {
    for (const [reason, ids] of bury) {
      this.#consumer.release(ids);
      await this.core.engine.script(QUEUE_BURY, [this.stream], [
        this.#consumer.name,
        String(this.#consumer.config.maxsize),
        String(this.#keep),
        reason.slice(0, 500),
        ...ids,
      ]).catch((e) => {
        throw connectionError(`get from queue '${this.name}'`, e);
      });
    }
  }

  /**
   * Acknowledges this object's `count` oldest held items: they are done and leave the queue
   * (Python's `task_done()`, which here is also the acknowledgement of at-least-once delivery).
   *
   * @param count How many items to acknowledge (default `1`).
   * @throws {RuntimeError} if this object holds fewer items (nothing changes).
   * @throws {LeaseLostError} if an item's visibility had ended and another consumer got it (the
   *   others are acknowledged; that one will be processed again).
   * @throws {RedisConnectionError} if Redis cannot be reached (the items are then delivered again
   *   after the visibility timeout).
   *
   * @example
   * ```ts ignore
   * const jobs = ctx.Queue("jobs");
   * await process(await jobs.get());
   * await jobs.taskDone();
   * ```
   */
  async taskDone(count?: number): Promise<void> {
    if (count === undefined) count = 1;
    const what = `mark a task of queue '${this.name}' done`;
    checkCount(what, "count", count, 1);
    this.#check(what);
    if (count > this.#got.length) {
      throw new RuntimeError(
        `Cannot ${what}: taskDone() called more times than this object got items (${this.#got.length} held)`,
      );
    }
    const ids = count === 1 ? [this.#got.shift()!] : this.#got.splice(0, count);
    const lost: string[] = [];
    if (this.#lost.size > 0) { // rare: split off the items this consumer lost
      for (const id of ids) if (this.#lost.delete(id)) lost.push(id);
      if (lost.length > 0) ids.splice(0, ids.length, ...ids.filter((id) => !lost.includes(id)));
    }
    this.#consumer.release(ids);
    if (ids.length > 0) {
      let refused: unknown[];
      try {
        refused = await this.core.engine.script(QUEUE_ACK, [this.stream], [
          this.#consumer.name,
          String(this.#consumer.config.maxsize),
          ...ids,
        ]) as unknown[];
      } catch (e) {
        throw connectionError(what, e);
      }
      for (const id of refused) lost.push(String(id));
    }
    if (lost.length > 0) {
      throw new LeaseLostError(
        `Cannot ${what}: item ${lost.join(", ")} was held longer than the visibility timeout ` +
          `without a renewal and went to another consumer (it will be processed again)`,
      );
    }
  }

  async #info(what: string): Promise<{ length: number; pending: number; dead: number }> {
    await this.#config(what);
    const [length, pending, dead] = await this.core.engine.script(QUEUE_INFO, [this.stream], [])
      .catch((e) => {
        throw connectionError(what, e);
      }) as number[];
    return { length: length!, pending: pending!, dead: dead! };
  }

  /**
   * How many items wait for a consumer (put, not yet delivered): a snapshot.
   *
   * @example
   * ```ts ignore
   * await ctx.Queue("jobs").put(1);
   * assert.equal(await ctx.Queue("jobs").qsize(), 1);
   * ```
   */
  async qsize(): Promise<number> {
    const { length, pending } = await this.#info(`read queue '${this.name}'`);
    return length - pending;
  }

  /** Whether no item waits for a consumer (a snapshot). */
  async empty(): Promise<boolean> {
    return await this.qsize() === 0;
  }

  /** Whether a bounded queue has `maxsize` unacknowledged items (a snapshot). */
  async full(): Promise<boolean> {
    const what = `read queue '${this.name}'`;
    const { maxsize } = await this.#config(what);
    return maxsize > 0 && (await this.#info(what)).length >= maxsize;
  }

  /**
   * The oldest `count` dead letters: items delivered `maxDeliveries` times without an
   * acknowledgement, or whose payload did not decode. They stay in the stream
   * `{namespace:name}:queue:d` (trimmed to `deadLetters` entries) for you to inspect or replay.
   *
   * @param count How many to read (default `100`).
   *
   * @example
   * ```ts ignore
   * for (const letter of await ctx.Queue("jobs").deadLetters()) console.log(letter.reason);
   * ```
   */
  async deadLetters(count?: number): Promise<DeadLetter<T>[]> {
    if (count === undefined) count = 100;
    const what = `read the dead letters of queue '${this.name}'`;
    checkCount(what, "count", count, 1);
    this.#check(what);
    const reply = await this.core.engine.command(this.stream, [
      "XRANGE",
      this.base + "d",
      "-",
      "+",
      "COUNT",
      String(count),
    ], BINARY).catch((e) => {
      throw connectionError(what, e);
    });
    return entries(reply, () => 0).map(({ fields }) => {
      const id = String(fields.get("id") ?? "");
      const letter = {
        id,
        reason: String(fields.get("reason") ?? ""),
        deliveries: Number(String(fields.get("deliveries") ?? "0")),
      };
      try {
        return { ...letter, item: decode(fields.get("d"), id, () => `dead letter ${id}`) as T };
      } catch (error) {
        return { ...letter, error: error as CorruptPayloadError };
      }
    });
  }

  /**
   * Yields items as they come, forever (until this object or its context closes). Each is held
   * until acknowledged: call `taskDone()` in the loop body once it is processed.
   *
   * @example
   * ```ts ignore
   * const jobs = ctx.Queue<string>("jobs");
   * for await (const job of jobs) {
   *   await handle(job);
   *   await jobs.taskDone();
   * }
   * ```
   */
  [Symbol.asyncIterator](): AsyncIterator<T> {
    return drain(() => this.get(), () => this.#closed || this.core.closedNow());
  }

  async #release(): Promise<void> {
    const ids = [...this.#got, ...this.#buffer.map((o) => o.id)].filter((id) =>
      this.#consumer.holds(id)
    );
    this.#got.length = 0;
    this.#buffer.length = 0;
    this.#consumer.stop();
    this.#consumer.release(ids);
    if (ids.length > 0 || this.#trackedNow) {
      await this.core.engine.script(QUEUE_REQUEUE, [this.stream], [this.#consumer.name, ...ids]);
    }
  }

  /**
   * Closes this object (not the queue): the items it got and did not acknowledge go back to the
   * queue for any consumer, and it leaves the consumer group. Later calls throw
   * `RedisConnectionError`. Idempotent.
   *
   * @example
   * ```ts ignore
   * await using jobs = ctx.Queue("jobs"); // closed at block end
   * ```
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#trackedNow) this.core.untrack(this.#tracked);
    if (this.core.closedNow()) return;
    await this.#release().catch((e) => {
      throw connectionError(`close queue '${this.name}'`, e);
    });
  }

  /** Same as {@linkcode RedisQueue.close}. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}
