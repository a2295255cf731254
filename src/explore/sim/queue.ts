/**
 * `SimQueue`: a `Queue`, `JoinableQueue` or `SimpleQueue` under the explorer, a shell around a
 * `SimChannel` (`./_channel.ts`: the ring and the lane, run through their derived kernels) as the
 * production classes are around `Channel`, with their glue's errors (`src/channel/_glue.ts`).
 *
 * @module
 */
import { REAL } from "../../_atomics.ts";
import { TAG } from "../../_region.ts";
import { RuntimeError } from "../../errors.ts";
import * as K from "../../kernel/queue.ts";
import { deadlineOf } from "../../options.ts";
import { encode, StatusBox } from "../../channel/_core.ts";
import { GET, getFailure, PUT, putFailure } from "../../channel/_glue.ts";
import type { PipeDirection as QueueParts } from "../../channel/pipe.ts";
import { JoinableQueue, Queue } from "../../channel/queue.ts";
import { SimpleQueue } from "../../channel/simple_queue.ts";
import { type Layout, registerLayout, registerPartsLayout } from "../_scenario.ts";
import { atSpecLevel, TIMED_OUT } from "../_spec_step.ts";
import {
  abortable,
  abortably,
  failed,
  type SimWaitOptions,
  specOp,
  type Step,
  timed,
} from "./_common.ts";
import { SimChannel } from "./_channel.ts";
import { type ChannelUnit, channelUnit, Q } from "./_channel_spec.ts";

/** What `JoinableQueue.joinSync` says it was doing, in errors. */
const JOIN = "join the queue";

/**
 * A `Queue`, `JoinableQueue` or `SimpleQueue` under the explorer: `put` and `get` are the queue
 * kernel's ring reserve/publish and claim/release, with the item encoded into the slot by the
 * production codec, or the lane's lock, reserve/commit and pop/free when the ring cannot take
 * the item (larger than a slot, a full ring, records already in the lane), as in production;
 * waits (a full bounded queue, an empty one, a lane at its `maxBytes`) sleep in the kernel.
 *
 * - Each virtual thread has its own view of the ring (its `Shape`, with its ENQ/DEQ guesses), as
 *   each real thread has its own `Channel`.
 * - A waiting put whose item would spill into the lane first waits up to a millisecond for a ring
 *   slot in production; here that wait ends at once (as when consumers look idle): the put tries
 *   the ring once more, then spills. Every order of items and every final state stays reachable.
 * - `SimpleQueue.put` never waits (as in production); `join`/`taskDone` are `JoinableQueue`'s.
 * - At the specification level (`level: "spec"`, or `specLevel(queue)`), each call is one atomic
 *   step of {@linkcode QueueSpec} (a blocking call waits until a state lets it move), applied to
 *   the queue's memory by production code (see `./_channel_spec.ts`: the heap's `maxBytes` bound is
 *   not modelled there).
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
  readonly #queue: Queue<T> | SimpleQueue<T>;
  readonly #c: SimChannel;

  /** Wraps `queue` (normally through `sim`). */
  constructor(queue: Queue<T> | SimpleQueue<T>) {
    this.#queue = queue;
    this.#c = new SimChannel(queue);
  }

  /** The queue's specification-level unit, if the queue is at that level. */
  #spec(): ChannelUnit | undefined {
    return atSpecLevel(this.#queue) ? channelUnit(this.#queue, "queue") : undefined;
  }

  /**
   * Puts `item`, sleeping while a bounded queue is full (as `putSync`, or `put`); a
   * `SimpleQueue`'s put never waits (as in production).
   *
   * @throws {QueueClosedError} if the queue is closed.
   * @throws {DOMException} named `TimeoutError` if a finite `timeout` fires first, `AbortError` if
   * the signal of an `abortable` call fires (the promise form with a `signal`).
   * @throws {TypeError} if `item` cannot be cloned; {RangeError} if it exceeds `maxBytes`.
   */
  *put(item: T, options?: SimWaitOptions): Step<void> {
    const c = this.#c;
    const kind = encode(PUT, item, c.laneMax);
    const u = this.#spec();
    if (u !== undefined) {
      const wait = c.flavour !== K.SIMPLE && timed(PUT, options);
      const r = yield* specOp(u.target, "put", Q.put, [item], wait, u.put(item, PUT), {
        value: item,
      });
      if (r === TIMED_OUT) throw failed(PUT, options);
      return;
    }
    const r = c.flavour === K.SIMPLE ? yield* c.put(kind, Infinity, false, true) : yield* abortably(
      c.put(kind, deadlineOf(PUT, options), true, true, abortable(options)),
      options,
    );
    if (r !== K.OK) throw r === K.TIMED_OUT ? failed(PUT, options) : putFailure(r, options);
  }

  /**
   * Puts `item` if there is room, without waiting (as `putNowait`).
   *
   * @throws {QueueFullError} if a bounded queue is full; {QueueClosedError} if closed.
   */
  *putNowait(item: T): Step<void> {
    const u = this.#spec();
    if (u !== undefined) {
      encode(PUT, item, u.laneMax);
      yield* specOp(u.target, "putNowait", Q.putNowait, [item], false, u.put(item, PUT), {
        value: item,
      });
      return;
    }
    const r = yield* this.#c.put(encode(PUT, item, this.#c.laneMax), Infinity, false, false);
    if (r !== K.OK) throw putFailure(r, undefined);
  }

  /**
   * Takes the oldest item, sleeping while the queue is empty (as `getSync`, or `get`).
   *
   * @throws {QueueClosedError} if the queue is closed and drained.
   * @throws {DOMException} named `TimeoutError` if a finite `timeout` fires first, `AbortError` if
   * the signal of an `abortable` call fires (the promise form with a `signal`).
   */
  *get(options?: SimWaitOptions): Step<T> {
    const u = this.#spec();
    if (u !== undefined) {
      const r = yield* specOp(u.target, "get", Q.get, [], timed(GET, options), u.take);
      if (r === TIMED_OUT) throw failed(GET, options);
      return r as T;
    }
    const deadline = deadlineOf(GET, options);
    const v = yield* abortably(this.#c.get(deadline, true, abortable(options)), options);
    if (v instanceof StatusBox) {
      throw v.status === K.TIMED_OUT ? failed(GET, options) : getFailure(v.status, options);
    }
    return v as T;
  }

  /**
   * Takes the oldest item if there is one (as `getNowait`).
   *
   * @throws {QueueEmptyError} if the queue is empty; {QueueClosedError} if closed and drained.
   */
  *getNowait(): Step<T> {
    const u = this.#spec();
    if (u !== undefined) {
      return (yield* specOp(u.target, "getNowait", Q.getNowait, [], false, u.take)) as T;
    }
    const v = yield* this.#c.get(Infinity, false);
    if (v instanceof StatusBox) throw getFailure(v.status, undefined);
    return v as T;
  }

  /** The number of items (a snapshot). */
  *qsize(): Step<number> {
    const u = this.#spec();
    if (u !== undefined) return (yield* specOp(u.target, "qsize", Q.qsize, [])) as number;
    return yield* this.#c.size();
  }

  /** Whether the queue is empty (a snapshot). */
  *empty(): Step<boolean> {
    const u = this.#spec();
    if (u !== undefined) return (yield* specOp(u.target, "empty", Q.empty, [])) as boolean;
    return (yield* this.#c.size()) === 0;
  }

  /** Whether a bounded queue is full (a snapshot). */
  *full(): Step<boolean> {
    const u = this.#spec();
    if (u !== undefined) return (yield* specOp(u.target, "full", Q.full, [])) as boolean;
    return this.#c.maxsize > 0 && (yield* this.#c.size()) >= this.#c.maxsize;
  }

  /** Closes the queue and wakes every waiter. */
  *close(): Step<void> {
    const u = this.#spec();
    if (u !== undefined) yield* specOp(u.target, "close", Q.close, [], false, u.close);
    else yield* this.#c.close();
  }

  /** Whether the queue is closed. */
  *closed(): Step<boolean> {
    const u = this.#spec();
    if (u !== undefined) return (yield* specOp(u.target, "closed", Q.closed, [])) as boolean;
    return yield* this.#c.closed();
  }

  /**
   * Marks one task of a `JoinableQueue` done.
   *
   * @throws {RuntimeError} if no task is unfinished.
   */
  *taskDone(): Step<void> {
    const u = this.#spec();
    if (u !== undefined) {
      yield* specOp(u.target, "taskDone", Q.taskDone, [], false, u.taskDone);
      return;
    }
    if (!(yield* this.#c.taskDone())) {
      throw new RuntimeError("Cannot mark a task done: taskDone() called too many times");
    }
  }

  /**
   * Waits until every task of a `JoinableQueue` is done.
   *
   * @throws {DOMException} named `TimeoutError` if a finite `timeout` fires first, `AbortError` if
   * the signal of an `abortable` call fires (the promise form with a `signal`).
   */
  *join(options?: SimWaitOptions): Step<void> {
    const u = this.#spec();
    if (u !== undefined) {
      if ((yield* specOp(u.target, "join", Q.join, [], timed(JOIN, options))) === TIMED_OUT) {
        throw failed(JOIN, options);
      }
      return;
    }
    const deadline = deadlineOf(JOIN, options);
    // The promise form checks first (`joinSync(-Infinity)`), then waits with abortable sleeps.
    if (abortable(options) && (yield* this.#c.join(-Infinity))) return;
    if (!(yield* abortably(this.#c.join(deadline), options))) throw failed(JOIN, options);
  }
}

/** How a queue region's words are named in traces (`q.ENQ`, `q.slot3.payload`, `q.LANE_ITEMS`). */
export function queueLayout(queue: QueueParts): Layout {
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
}
registerLayout(Queue, queueLayout);
registerLayout(JoinableQueue, queueLayout);
registerLayout(SimpleQueue, queueLayout);
registerPartsLayout(TAG.Queue, queueLayout);
