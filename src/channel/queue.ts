/**
 * `Queue` and `JoinableQueue`: multi-producer, multi-consumer FIFO queues in shared memory, as
 * Python's `multiprocessing.Queue` and `multiprocessing.JoinableQueue`. The algorithm and its
 * shared layout live in `src/kernel/queue.ts`; record encoding in `src/channel/_codec.ts`.
 *
 * @module
 */
import { drain } from "../_drain.ts";
import { registerClass, TAG } from "../_region.ts";
import { QueueClosedError, RuntimeError } from "../errors.ts";
import * as K from "../kernel/queue.ts";
import { deadlineOf, type SyncWaitOptions, waitFailure, type WaitOptions } from "../options.ts";
import {
  Channel,
  encode,
  encodedLength,
  encodedPayload,
  registerFlavour,
  reviveQueue,
  StatusBox,
} from "./_core.ts";
import {
  GET,
  getFailure,
  getItem,
  getItemNowait,
  PUT,
  putFailure,
  putItem,
  putItemNowait,
} from "./_glue.ts";
import { createChannel, type QueueOptions } from "./_options.ts";

export type { QueueOptions };

let reviving: Channel | undefined;
let channelOf: (queue: Queue<unknown>) => Channel;

/**
 * A multi-producer, multi-consumer FIFO queue in shared memory for any structured-clone-able value,
 * usable from the main thread and any number of workers, as Python's `multiprocessing.Queue`.
 *
 * - `maxsize` bounds the number of items (`0`, the default: unbounded). `put` waits while the queue
 *   is full, `get` while it is empty; the async forms (`put`, `get`) take `{ timeout, signal }` and
 *   never block the thread, the `*Sync` forms block it (for workers) and take `{ timeout }`;
 *   `putNowait`/`getNowait` never wait and throw {@linkcode QueueFullError} /
 *   {@linkcode QueueEmptyError}.
 * - FIFO per producer; nothing is lost or duplicated under any number of producers and consumers,
 *   including consumers that time out or abort mid-wait (they never hold an item while waiting).
 * - Items are copied as by structured clone: numbers, bigints, booleans, `null`, `undefined` and
 *   strings in a fast type-tagged encoding, trees of plain objects and arrays of those as JSON text
 *   (only when JSON keeps them exactly), everything else through `node:v8` `serialize`. A value
 *   that cannot be cloned (a function, a symbol, a `SharedArrayBuffer` or an Interlock object: send
 *   those with `postMessage` or as task arguments) throws a `TypeError` before anything is enqueued.
 * - Storage: a ring of 64-byte slots in shared memory carries items whose encoding fits 56 bytes;
 *   larger items and the overflow of a full ring go to a growable heap of at most
 *   {@linkcode QueueOptions.maxBytes} bytes.
 * - `close()` ends the queue for everyone: `put` then throws {@linkcode QueueClosedError}, `get`
 *   drains the remaining items and then throws it, and `for await` loops end.
 * - `qsize()`, `empty()` and `full()` are snapshots, as in Python.
 * - Send it to a worker with `postMessage(queue)` and call `Queue.from(data)` there (or pass it to
 *   a `Process`/`Pool` task, which revives it for you).
 * - A worker terminated in the middle of a `put` or `get` can leave the queue stuck (as in Python).
 *
 * @typeParam T The type of the items.
 *
 * @example Producer and consumer with a sentinel (the seed's `None`)
 * ```ts
 * import { Queue } from "@interlock/interlock";
 * import assert from "node:assert/strict";
 *
 * const queue = new Queue<number | null>();
 * for (let item = 0; item < 5; item++) await queue.put(item);
 * await queue.put(null); // signal the end of the data
 * const processed: number[] = [];
 * for (;;) {
 *   const item = await queue.get();
 *   if (item === null) break;
 *   processed.push(item);
 * }
 * assert.deepEqual(processed, [0, 1, 2, 3, 4]);
 * ```
 */
export class Queue<T = unknown> implements AsyncIterable<T>, AsyncDisposable {
  /** The shared memory of the queue's ring; shared, not copied, by `postMessage`. */
  readonly buffer: SharedArrayBuffer;
  /** Where the queue's region starts in {@linkcode Queue.buffer}. */
  readonly byteOffset: number;
  /** The queue's growable storage for large and overflowing items. */
  readonly heap: SharedArrayBuffer;
  readonly #c: Channel;

  /**
   * Creates an empty queue in fresh shared memory.
   *
   * @param maxsize The most items the queue holds; `0` (the default) means unbounded.
   * @param options `maxBytes`: the bound of the queue's large-item storage.
   * @throws {RangeError} if `maxsize` is not a non-negative integer, or `maxBytes` is out of range.
   * @throws {TypeError} if `options` or `maxBytes` has the wrong type.
   *
   * @example
   * ```ts
   * import { Queue } from "@interlock/interlock";
   * import assert from "node:assert/strict";
   *
   * const queue = new Queue<string>(2);
   * assert.equal(queue.maxsize, 2);
   * assert.throws(() => new Queue(-1), RangeError);
   * ```
   */
  constructor(maxsize?: number, options?: QueueOptions) {
    if (maxsize === undefined) maxsize = 0;
    this.#c = reviving ??
      createChannel(
        new.target === JoinableQueue ? K.JOINABLE : K.QUEUE,
        "create queue",
        maxsize,
        options,
      );
    reviving = undefined;
    this.buffer = this.#c.buffer;
    this.byteOffset = this.#c.byteOffset;
    this.heap = this.#c.heap;
  }

  /**
   * Returns a working queue over the memory of `value`, a `Queue` or its structured clone (what a
   * worker receives from `postMessage(queue)`). A `JoinableQueue`'s clone gives a `JoinableQueue`.
   *
   * @typeParam T The item type the caller expects (not checked).
   * @throws {TypeError} if `value` is not a `Queue` or `JoinableQueue`, or a clone of one.
   *
   * @example
   * ```ts
   * import { Queue } from "@interlock/interlock";
   * import assert from "node:assert/strict";
   *
   * const queue = new Queue<string>();
   * const inWorker = Queue.from<string>(structuredClone(queue));
   * inWorker.putNowait("hello");
   * assert.equal(queue.getNowait(), "hello");
   * assert.throws(() => Queue.from({}), TypeError);
   * ```
   */
  static from<T = unknown>(value: unknown): Queue<T> {
    if (value instanceof Queue) return value;
    const c = Channel.revive("Queue", value, [K.QUEUE, K.JOINABLE]);
    reviving = c;
    return c.flavour === K.JOINABLE ? new JoinableQueue<T>() : new Queue<T>();
  }

  /** The most items the queue holds; `0` means unbounded. */
  get maxsize(): number {
    return this.#c.maxsize;
  }

  /**
   * Puts `item` at the end of the queue, waiting (without blocking the thread) while a bounded
   * queue is full.
   *
   * @param item Any structured-clone-able value.
   * @param options `timeout` in ms and/or an abort `signal`.
   * @throws {TypeError} if `item` cannot be cloned (nothing is enqueued).
   * @throws {RangeError} if `item` is larger than the queue's `maxBytes`.
   * @throws {QueueClosedError} if the queue is closed.
   * @throws {DOMException} named `TimeoutError` when `timeout` passes first (nothing is enqueued).
   *
   * @example
   * ```ts
   * import { Queue } from "@interlock/interlock";
   * import assert from "node:assert/strict";
   *
   * const queue = new Queue<{ id: number }>(1);
   * await queue.put({ id: 1 });
   * await assert.rejects(queue.put({ id: 2 }, { timeout: 10 }), { name: "TimeoutError" });
   * assert.deepEqual(await queue.get(), { id: 1 });
   * ```
   */
  put(item: T, options?: WaitOptions): Promise<void> {
    return putItem(this.#c, item, options);
  }

  /**
   * Puts `item` at the end of the queue, blocking the calling thread while a bounded queue is full.
   *
   * @param item Any structured-clone-able value.
   * @param options `timeout` in ms.
   * @throws {TypeError} if `item` cannot be cloned (nothing is enqueued).
   * @throws {RangeError} if `item` is larger than the queue's `maxBytes`.
   * @throws {QueueClosedError} if the queue is closed.
   * @throws {DOMException} named `TimeoutError` when `timeout` passes first (nothing is enqueued).
   *
   * @example
   * ```ts
   * import { Queue } from "@interlock/interlock";
   * import assert from "node:assert/strict";
   *
   * const queue = new Queue<number>(1);
   * queue.putSync(1);
   * assert.throws(() => queue.putSync(2, { timeout: 0 }), { name: "TimeoutError" });
   * assert.equal(queue.qsize(), 1);
   * ```
   */
  putSync(item: T, options?: SyncWaitOptions): void {
    // Written out, not a call into _glue.ts: one call layer less, 4-12% faster (see _glue.ts).
    const deadline = deadlineOf(PUT, options);
    const c = this.#c;
    const r = c.putSync(encode(PUT, item, c.laneMax), encodedLength, encodedPayload, deadline);
    if (r !== K.OK) throw putFailure(r, options);
  }

  /**
   * Puts `item` at the end of the queue if there is room, without waiting.
   *
   * @param item Any structured-clone-able value.
   * @throws {QueueFullError} if a bounded queue is full (or its storage is at `maxBytes`).
   * @throws {QueueClosedError} if the queue is closed.
   * @throws {TypeError} if `item` cannot be cloned; {RangeError} if larger than `maxBytes`.
   *
   * @example
   * ```ts
   * import { Queue, QueueFullError } from "@interlock/interlock";
   * import assert from "node:assert/strict";
   *
   * const queue = new Queue<string>(1);
   * queue.putNowait("a");
   * assert.throws(() => queue.putNowait("b"), QueueFullError);
   * assert.throws(() => queue.putNowait((() => 1) as unknown as string), TypeError);
   * ```
   */
  putNowait(item: T): void {
    putItemNowait(this.#c, item, false);
  }

  /**
   * Removes and returns the item at the front of the queue, waiting (without blocking the thread)
   * while it is empty.
   *
   * @param options `timeout` in ms and/or an abort `signal`.
   * @returns The oldest item.
   * @throws {QueueClosedError} if the queue is closed and drained.
   * @throws {DOMException} named `TimeoutError` when `timeout` passes first (nothing is taken).
   *
   * @example
   * ```ts
   * import { Queue } from "@interlock/interlock";
   * import assert from "node:assert/strict";
   *
   * const queue = new Queue<string>();
   * const pending = queue.get();
   * queue.putNowait("late");
   * assert.equal(await pending, "late");
   * await assert.rejects(queue.get({ timeout: 5 }), { name: "TimeoutError" });
   * ```
   */
  get(options?: WaitOptions): Promise<T> {
    return getItem<T>(this.#c, options);
  }

  /**
   * Removes and returns the item at the front of the queue, blocking the calling thread while it
   * is empty.
   *
   * @param options `timeout` in ms.
   * @returns The oldest item.
   * @throws {QueueClosedError} if the queue is closed and drained.
   * @throws {DOMException} named `TimeoutError` when `timeout` passes first (nothing is taken).
   *
   * @example
   * ```ts
   * import { Queue } from "@interlock/interlock";
   * import assert from "node:assert/strict";
   *
   * const queue = new Queue<bigint>();
   * queue.putNowait(2n ** 70n);
   * assert.equal(queue.getSync(), 2n ** 70n);
   * assert.throws(() => queue.getSync({ timeout: 0 }), { name: "TimeoutError" });
   * ```
   */
  getSync(options?: SyncWaitOptions): T {
    // Written out, not a call into _glue.ts: one call layer less, 4-12% faster (see _glue.ts).
    const v = this.#c.getSync(deadlineOf(GET, options));
    if (v instanceof StatusBox) throw getFailure(v.status, options);
    return v as T;
  }

  /**
   * Removes and returns the item at the front of the queue if there is one, without waiting.
   *
   * @returns The oldest item.
   * @throws {QueueEmptyError} if the queue is empty (including while an item is being written).
   * @throws {QueueClosedError} if the queue is closed and drained.
   *
   * @example
   * ```ts
   * import { Queue, QueueEmptyError } from "@interlock/interlock";
   * import assert from "node:assert/strict";
   *
   * const queue = new Queue<string>();
   * assert.throws(() => queue.getNowait(), QueueEmptyError);
   * ```
   */
  getNowait(): T {
    return getItemNowait<T>(this.#c);
  }

  /**
   * The number of items in the queue (a snapshot: other threads may change it at once).
   *
   * @example
   * ```ts
   * import { Queue } from "@interlock/interlock";
   * import assert from "node:assert/strict";
   *
   * const queue = new Queue<number>();
   * queue.putNowait(1);
   * queue.putNowait(2);
   * assert.equal(queue.qsize(), 2);
   * ```
   */
  qsize(): number {
    return this.#c.size();
  }

  /**
   * Whether the queue is empty (a snapshot).
   *
   * @example
   * ```ts
   * import { Queue } from "@interlock/interlock";
   * import assert from "node:assert/strict";
   *
   * assert.equal(new Queue().empty(), true);
   * ```
   */
  empty(): boolean {
    return this.#c.size() === 0;
  }

  /**
   * Whether a bounded queue holds `maxsize` items (a snapshot); always false when unbounded.
   *
   * @example
   * ```ts
   * import { Queue } from "@interlock/interlock";
   * import assert from "node:assert/strict";
   *
   * const queue = new Queue<number>(1);
   * queue.putNowait(1);
   * assert.equal(queue.full(), true);
   * ```
   */
  full(): boolean {
    const c = this.#c;
    return c.maxsize > 0 && c.size() >= c.maxsize;
  }

  /**
   * Closes the queue for every thread: puts throw {@linkcode QueueClosedError} from now on, gets
   * return the remaining items and then throw it, and waiting puts and gets wake up. Idempotent.
   *
   * @example
   * ```ts
   * import { Queue } from "@interlock/interlock";
   * import assert from "node:assert/strict";
   *
   * const queue = new Queue<number>();
   * queue.putNowait(1);
   * queue.close();
   * const seen: number[] = [];
   * for await (const item of queue) seen.push(item);
   * assert.deepEqual(seen, [1]);
   * assert.equal(queue.closed, true);
   * ```
   */
  close(): void {
    this.#c.close();
  }

  /** Whether {@linkcode Queue.close} was called (by any thread). */
  get closed(): boolean {
    return this.#c.closed();
  }

  /**
   * Yields items as they arrive until the queue is closed and drained.
   *
   * @example
   * ```ts
   * import { Queue } from "@interlock/interlock";
   * import assert from "node:assert/strict";
   *
   * const queue = new Queue<string>();
   * queue.putNowait("a");
   * queue.putNowait("b");
   * queue.close();
   * assert.deepEqual(await Array.fromAsync(queue), ["a", "b"]);
   * ```
   */
  [Symbol.asyncIterator](): AsyncIterator<T> {
    return drain(() => this.get(), (error) => error instanceof QueueClosedError);
  }

  /** Closes the queue (`await using queue = new Queue()`). */
  [Symbol.asyncDispose](): Promise<void> {
    this.close();
    return Promise.resolve();
  }

  static {
    channelOf = (queue) => queue.#c;
  }
}

/**
 * A {@linkcode Queue} that also counts unfinished tasks, as Python's
 * `multiprocessing.JoinableQueue`: every successful put adds a task, each consumer calls
 * {@linkcode JoinableQueue.taskDone} once per item it finished, and `join()` waits until every task
 * is done.
 *
 * - `taskDone()` called more times than items were put throws {@linkcode RuntimeError} (Python's
 *   `ValueError`) and changes nothing.
 * - `join()` (Promise) and `joinSync()` (blocking) take a timeout; a `join` that times out changes
 *   nothing.
 *
 * @typeParam T The type of the items.
 *
 * @example
 * ```ts
 * import { JoinableQueue } from "@interlock/interlock";
 * import assert from "node:assert/strict";
 *
 * const tasks = new JoinableQueue<string>();
 * tasks.putNowait("wash");
 * tasks.putNowait("dry");
 * const done: string[] = [];
 * const worker = (async () => {
 *   for (let k = 0; k < 2; k++) {
 *     done.push(await tasks.get());
 *     tasks.taskDone();
 *   }
 * })();
 * await tasks.join();
 * await worker;
 * assert.deepEqual(done, ["wash", "dry"]);
 * ```
 */
export class JoinableQueue<T = unknown> extends Queue<T> {
  /**
   * Returns a working `JoinableQueue` over the memory of `value`, a `JoinableQueue` or its clone.
   *
   * @typeParam T The item type the caller expects (not checked).
   * @throws {TypeError} if `value` is not a `JoinableQueue` or a clone of one.
   *
   * @example
   * ```ts
   * import { JoinableQueue, Queue } from "@interlock/interlock";
   * import assert from "node:assert/strict";
   *
   * const queue = new JoinableQueue<number>();
   * assert.ok(JoinableQueue.from(structuredClone(queue)) instanceof JoinableQueue);
   * assert.throws(() => JoinableQueue.from(structuredClone(new Queue())), TypeError);
   * ```
   */
  static override from<T = unknown>(value: unknown): JoinableQueue<T> {
    if (value instanceof JoinableQueue) return value;
    reviving = Channel.revive("JoinableQueue", value, [K.JOINABLE]);
    return new JoinableQueue<T>();
  }

  /**
   * Marks one task (one item taken from the queue) as done; the last one wakes every `join`.
   *
   * @throws {RuntimeError} if called more times than items were put.
   *
   * @example
   * ```ts
   * import { JoinableQueue, RuntimeError } from "@interlock/interlock";
   * import assert from "node:assert/strict";
   *
   * const queue = new JoinableQueue<number>();
   * queue.putNowait(1);
   * queue.getNowait();
   * queue.taskDone();
   * assert.throws(() => queue.taskDone(), RuntimeError);
   * ```
   */
  taskDone(): void {
    if (!channelOf(this).taskDone()) {
      throw new RuntimeError("Cannot mark a task done: taskDone() called too many times");
    }
  }

  /**
   * Waits (without blocking the thread) until every item put has been marked done.
   *
   * @param options `timeout` in ms and/or an abort `signal`.
   * @throws {DOMException} named `TimeoutError` when `timeout` passes first.
   *
   * @example
   * ```ts
   * import { JoinableQueue } from "@interlock/interlock";
   * import assert from "node:assert/strict";
   *
   * const queue = new JoinableQueue<number>();
   * await queue.join(); // nothing unfinished
   * queue.putNowait(1);
   * await assert.rejects(queue.join({ timeout: 5 }), { name: "TimeoutError" });
   * ```
   */
  async join(options?: WaitOptions): Promise<void> {
    const deadline = deadlineOf("join the queue", options);
    const c = channelOf(this);
    // Fast path: nothing unfinished (a wait with a passed deadline only checks).
    if (!c.joinSync(-Infinity) && !await c.join(deadline, options?.signal)) {
      throw waitFailure("join the queue", options);
    }
  }

  /**
   * Blocks the calling thread until every item put has been marked done.
   *
   * @param options `timeout` in ms.
   * @throws {DOMException} named `TimeoutError` when `timeout` passes first.
   *
   * @example
   * ```ts
   * import { JoinableQueue } from "@interlock/interlock";
   * import assert from "node:assert/strict";
   *
   * const queue = new JoinableQueue<number>();
   * queue.putNowait(1);
   * assert.throws(() => queue.joinSync({ timeout: 0 }), { name: "TimeoutError" });
   * queue.getNowait();
   * queue.taskDone();
   * queue.joinSync();
   * ```
   */
  joinSync(options?: SyncWaitOptions): void {
    if (!channelOf(this).joinSync(deadlineOf("join the queue", options))) {
      throw waitFailure("join the queue", options);
    }
  }
}

registerFlavour(K.QUEUE, Queue.from);
registerFlavour(K.JOINABLE, JoinableQueue.from);
registerClass(TAG.Queue, Queue, reviveQueue);
registerClass(TAG.Queue, JoinableQueue, reviveQueue);
