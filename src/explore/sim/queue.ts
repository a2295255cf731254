/**
 * `SimQueue`: a `Queue`, `JoinableQueue` or `SimpleQueue` under the explorer, minimal: the ring
 * only. Items travel through the queue kernel's ring (`src/kernel/queue.ts`, derived), written and
 * read with `Channel`'s own `writeSlot`/`readSlot` (`src/channel/_core.ts`) and the production
 * codec, exactly as `Channel` puts and gets records that fit a slot. What the ring cannot take goes
 * to the lane in production (an item larger than a slot, a full ring, records already in the
 * lane); the explorer does not model the lane yet and says so with a `RangeError`.
 *
 * @module
 */
import { REAL } from "../../_atomics.ts";
import { RuntimeError } from "../../errors.ts";
import * as K from "../../kernel/queue.ts";
import * as G from "../../kernel_gen/queue.ts";
import { deadlineOf, waitFailure } from "../../options.ts";
import * as C from "../../channel/_codec.ts";
import {
  encode,
  encodedLength,
  encodedPayload,
  readSlot,
  SLOT_PAYLOAD,
  writeSlot,
} from "../../channel/_core.ts";
import { GET, getFailure, PUT, putFailure } from "../../channel/_glue.ts";
import { JoinableQueue, Queue } from "../../channel/queue.ts";
import { SimpleQueue } from "../../channel/simple_queue.ts";
import { currentThread, SIM, type Thread } from "../_engine.ts";
import { registerLayout } from "../_scenario.ts";
import type { SimWaitOptions, Step } from "./_common.ts";

/** What `JoinableQueue.joinSync` says it was doing, in errors. */
const JOIN = "join the queue";

/**
 * A `Queue`, `JoinableQueue` or `SimpleQueue` under the explorer: `put` and `get` are the queue
 * kernel's ring reserve/publish and claim/release, with the item encoded into the slot by the
 * production codec; waits (a full bounded queue, an empty one) sleep in the kernel.
 *
 * - Each virtual thread has its own view of the ring (its `Shape`, with its ENQ/DEQ guesses), as
 *   each real thread has its own `Channel`.
 * - Items larger than a ring slot, and a ring full of unconsumed items, need the lane, which is
 *   not modelled: those puts throw a `RangeError` saying so.
 *
 * @example
 * ```ts
 * import { Queue } from "@interlock/interlock";
 * import { explore, sim } from "@interlock/interlock/explore";
 * import assert from "node:assert/strict";
 *
 * const report = explore({
 *   setup: () => ({ q: new Queue<number>(1) }),
 *   threads: [
 *     function* producer({ q }: { q: Queue<number> }) {
 *       yield* sim(q).put(1);
 *       yield* sim(q).put(2); // waits for room
 *     },
 *     function* consumer({ q }: { q: Queue<number> }) {
 *       return [yield* sim(q).get(), yield* sim(q).get()];
 *     },
 *   ],
 *   invariant: (_, [, got]) => String(got) === "1,2",
 * });
 * assert.ok(report.ok && report.complete);
 * ```
 */
export class SimQueue<T = unknown> {
  readonly #q: Int32Array;
  readonly #slots: number;
  readonly #maxsize: number;
  readonly #laneMax: number;
  readonly #joinable: boolean;
  readonly #ring: C.Mem;
  readonly #slot0: number;
  readonly #shapes = new WeakMap<Thread, K.Shape>();

  /** Wraps `queue` (normally through `sim`). */
  constructor(queue: Queue<T> | SimpleQueue<T>) {
    // Written once by the constructor that created the region: plain reads, no steps.
    const head = new Int32Array(queue.buffer, queue.byteOffset, K.BYTES >> 2);
    this.#slots = REAL.load(head, K.SLOTS);
    this.#maxsize = REAL.load(head, K.MAXSIZE);
    this.#laneMax = REAL.load(head, K.LANE_MAX);
    this.#joinable = REAL.load(head, K.FLAVOUR) === K.JOINABLE;
    this.#q = new Int32Array(
      queue.buffer,
      queue.byteOffset,
      (K.BYTES + this.#slots * K.SLOT_BYTES) >> 2,
    );
    this.#ring = C.memOf(queue.buffer);
    this.#slot0 = queue.byteOffset + K.SLOT0 * 4;
  }

  /** This virtual thread's Shape (a fresh one per thread and execution). */
  #shape(): K.Shape {
    const t = currentThread();
    let S = this.#shapes.get(t);
    if (S === undefined) {
      S = K.shape(this.#q, this.#slots, this.#maxsize);
      this.#shapes.set(t, S);
    }
    return S;
  }

  /**
   * Puts `item`, sleeping while a bounded queue is full (as `putSync`, or `put`).
   *
   * @throws {QueueClosedError} if the queue is closed.
   * @throws {DOMException} named `TimeoutError` if a finite `timeout` fires first.
   * @throws {RangeError} if the item would need the lane (not modelled).
   */
  *put(item: T, options?: SimWaitOptions): Step<void> {
    yield* this.#put(item, deadlineOf(PUT, options), options, true);
  }

  /**
   * Puts `item` if there is room, without waiting (as `putNowait`, or `SimpleQueue.put`).
   *
   * @throws {QueueFullError} if a bounded queue is full; {QueueClosedError} if closed.
   */
  *putNowait(item: T): Step<void> {
    yield* this.#put(item, Infinity, undefined, false);
  }

  *#put(
    item: T,
    deadline: number,
    options: SimWaitOptions | undefined,
    wait: boolean,
  ): Step<void> {
    const kind = encode(PUT, item, this.#laneMax);
    const length = encodedLength;
    const payload = encodedPayload;
    if (length > SLOT_PAYLOAD) throw laneError(`an item of ${length} bytes`);
    const S = this.#shape();
    if (this.#maxsize > 0) {
      const r = wait ? yield* G.count(SIM, S, deadline) : yield* G.tryCount(SIM, S);
      if (r !== K.OK) throw putFailure(r, options);
    }
    const p = yield* G.tryReserve(SIM, S);
    if (p < 0) {
      if (this.#maxsize > 0) yield* G.uncount(SIM, S);
      if (p === K.CLOSED) throw putFailure(p, options);
      throw laneError(p === K.LANE ? "records already in the lane" : "a full ring");
    }
    if (this.#joinable) yield* G.addTask(SIM, S);
    writeSlot(this.#ring, this.#slot0, S, p, kind, length, payload);
    yield* G.publish(SIM, S, p);
  }

  /**
   * Takes the oldest item, sleeping while the queue is empty (as `getSync`, or `get`).
   *
   * @throws {QueueClosedError} if the queue is closed and drained.
   * @throws {DOMException} named `TimeoutError` if a finite `timeout` fires first.
   */
  *get(options?: SimWaitOptions): Step<T> {
    const S = this.#shape();
    const p = yield* G.claim(SIM, S, deadlineOf(GET, options));
    return yield* this.#take(S, p, options);
  }

  /**
   * Takes the oldest item if there is one (as `getNowait`).
   *
   * @throws {QueueEmptyError} if the queue is empty; {QueueClosedError} if closed and drained.
   */
  *getNowait(): Step<T> {
    const S = this.#shape();
    return yield* this.#take(S, yield* G.tryClaim(SIM, S), undefined);
  }

  *#take(S: K.Shape, p: number, options: SimWaitOptions | undefined): Step<T> {
    if (p === K.LANE) throw laneError("records in the lane");
    if (p < 0) throw getFailure(p, options);
    let value: unknown;
    try {
      value = readSlot(this.#ring, this.#slot0, S, p);
    } finally {
      yield* G.release(SIM, S, p);
    }
    return value as T;
  }

  /** The number of items (a snapshot). */
  *qsize(): Step<number> {
    return yield* G.size(SIM, this.#shape());
  }

  /** Whether the queue is empty (a snapshot). */
  *empty(): Step<boolean> {
    return (yield* G.size(SIM, this.#shape())) === 0;
  }

  /** Whether a bounded queue is full (a snapshot). */
  *full(): Step<boolean> {
    return this.#maxsize > 0 && (yield* G.size(SIM, this.#shape())) >= this.#maxsize;
  }

  /** Closes the queue and wakes every waiter. */
  *close(): Step<void> {
    yield* G.close(SIM, this.#shape());
  }

  /** Whether the queue is closed. */
  *closed(): Step<boolean> {
    return yield* G.closed(SIM, this.#shape());
  }

  /**
   * Marks one task of a `JoinableQueue` done.
   *
   * @throws {RuntimeError} if no task is unfinished.
   */
  *taskDone(): Step<void> {
    if (!(yield* G.taskDone(SIM, this.#shape()))) {
      throw new RuntimeError("Cannot mark a task done: taskDone() called too many times");
    }
  }

  /**
   * Waits until every task of a `JoinableQueue` is done.
   *
   * @throws {DOMException} named `TimeoutError` if a finite `timeout` fires first.
   */
  *join(options?: SimWaitOptions): Step<void> {
    if (!(yield* G.join(SIM, this.#shape(), deadlineOf(JOIN, options)))) {
      throw waitFailure(JOIN, options);
    }
  }
}

function laneError(what: string): RangeError {
  return new RangeError(
    `Cannot explore the queue: ${what} would go through the queue's lane, which the explorer ` +
      `does not model yet (items up to ${SLOT_PAYLOAD} bytes, at most as many as the ring's slots)`,
  );
}

const layout = (queue: Queue | SimpleQueue) => {
  const slots = REAL.load(new Int32Array(queue.buffer, queue.byteOffset, 2), K.SLOTS);
  return {
    bytes: K.BYTES + slots * K.SLOT_BYTES,
    name: (b: number) => {
      if (b < K.BYTES) return K.FIELDS[b >> 2] ?? `word${b >> 2}`;
      const slot = Math.floor((b - K.BYTES) / K.SLOT_BYTES);
      const word = ((b - K.BYTES) % K.SLOT_BYTES) >> 2;
      return `slot${slot}.${word === 0 ? "seq" : word === 1 ? "header" : "payload"}`;
    },
  };
};
registerLayout(Queue, layout);
registerLayout(JoinableQueue, layout);
registerLayout(SimpleQueue, layout);
