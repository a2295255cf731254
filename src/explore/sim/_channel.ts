/**
 * `SimChannel`: `Channel` (`src/channel/_core.ts`) under the explorer, the working state of one
 * queue region that `SimQueue` (a `Queue`, `JoinableQueue`, `SimpleQueue`) and `SimConnection`
 * (each direction of a `Pipe`) are thin shells around, as the production classes are around
 * `Channel`. Items travel through the queue kernel's ring (`src/kernel/queue.ts`, derived),
 * written and read with `Channel`'s own `writeSlot`/`readSlot` and the production codec, and
 * through the lane (`./_lane.ts`) when the ring cannot take them: an item larger than a slot, a
 * full ring, records already in the lane. Methods return the kernel's statuses as `Channel`'s do.
 *
 * @module
 */
import { REAL } from "../../_atomics.ts";
import * as K from "../../kernel/queue.ts";
import * as G from "../../kernel_gen/queue.ts";
import * as GL from "../../kernel_gen/queue_lane.ts";
import * as C from "../../channel/_codec.ts";
import {
  encodedLength,
  encodedPayload,
  type QueueParts,
  readSlot,
  SLOT_PAYLOAD,
  StatusBox,
  writeSlot,
} from "../../channel/_core.ts";
import { laneBytes, NONE } from "../../channel/_lane.ts";
import { currentThread, SIM, type Thread } from "../_engine.ts";
import type { Step } from "./_common.ts";
import { SimLane } from "./_lane.ts";

/** `#place`'s status when the record would spill into the lane and the caller did not allow it. */
const RING_FULL = -100;

/** One queue region under the explorer, for every virtual thread (each has its own `Shape`). */
export class SimChannel {
  /** The item bound, 0 for none. */
  readonly maxsize: number;
  /** The heap's bound (`maxBytes`). */
  readonly laneMax: number;
  /** Which class created the queue (`K.QUEUE`, `K.JOINABLE`, `K.SIMPLE`, `K.PIPE`). */
  readonly flavour: number;
  readonly #q: Int32Array;
  readonly #slots: number;
  readonly #joinable: boolean;
  readonly #ring: C.Mem;
  readonly #slot0: number;
  readonly #lane: SimLane;
  readonly #shapes = new WeakMap<Thread, K.Shape>();

  /** The channel of the queue region of `parts`. */
  constructor(parts: QueueParts) {
    // Written once by the constructor that created the region: plain reads, no steps.
    const head = new Int32Array(parts.buffer, parts.byteOffset, K.BYTES >> 2);
    this.#slots = REAL.load(head, K.SLOTS);
    this.maxsize = REAL.load(head, K.MAXSIZE);
    this.laneMax = REAL.load(head, K.LANE_MAX);
    this.flavour = REAL.load(head, K.FLAVOUR);
    this.#joinable = this.flavour === K.JOINABLE;
    this.#q = new Int32Array(
      parts.buffer,
      parts.byteOffset,
      (K.BYTES + this.#slots * K.SLOT_BYTES) >> 2,
    );
    this.#ring = C.memOf(parts.buffer);
    this.#slot0 = parts.byteOffset + K.SLOT0 * 4;
    this.#lane = new SimLane(parts.heap, this.laneMax, this.#joinable);
  }

  /** This virtual thread's Shape (a fresh one per thread and execution). */
  shape(): K.Shape {
    const t = currentThread();
    let S = this.#shapes.get(t);
    if (S === undefined) {
      S = K.shape(this.#q, this.#slots, this.maxsize);
      this.#shapes.set(t, S);
    }
    return S;
  }

  /**
   * `Channel.putSync` (`wait`: sleeps until `deadline` for a count and for heap room) and
   * `Channel.tryPut` (`ringWait` as there): counts the item (bounded queues), then places the
   * record last passed to `encode` (`kind`) in the ring or the lane; OK, FULL, CLOSED or TIMED_OUT.
   *
   * Production's waiting puts (`ringWait`) first wait up to a millisecond for a ring slot when the
   * record would spill into the lane; here that wait ends at once (as when consumers look idle):
   * the put tries the ring once more, then spills. Every order of items stays reachable.
   * `tryFirst`: `Channel.put` (the promise form), which tries to count without waiting first.
   */
  *put(
    kind: number,
    deadline: number,
    wait: boolean,
    ringWait: boolean,
    tryFirst = false,
  ): Step<number> {
    const length = encodedLength;
    const payload = encodedPayload;
    const S = this.shape();
    if (this.maxsize > 0) {
      let r = wait && !tryFirst ? K.FULL : yield* G.tryCount(SIM, S);
      if (wait && r === K.FULL) r = yield* G.count(SIM, S, deadline);
      if (r !== K.OK) return r;
    }
    let spill = !ringWait;
    for (;;) {
      const r = yield* this.#place(S, kind, length, payload, spill);
      if (r === RING_FULL) {
        spill = true;
        continue;
      }
      if (r === K.FULL && wait) {
        const w = yield* GL.waitRoom(SIM, S, laneBytes(length), this.laneMax, deadline);
        if (w === K.OK) continue;
        if (this.maxsize > 0) yield* G.uncount(SIM, S);
        return w;
      }
      if (r !== K.OK && this.maxsize > 0) yield* G.uncount(SIM, S);
      return r;
    }
  }

  /** `Channel.#place`: the record into the ring, or the lane if `spill`; else RING_FULL. */
  *#place(
    S: K.Shape,
    kind: number,
    length: number,
    payload: unknown,
    spill: boolean,
  ): Step<number> {
    if (length <= SLOT_PAYLOAD) {
      const p = yield* G.tryReserve(SIM, S);
      if (p >= 0) {
        if (this.#joinable) yield* G.addTask(SIM, S);
        writeSlot(this.#ring, this.#slot0, S, p, kind, length, payload);
        yield* G.publish(SIM, S, p);
        return K.OK;
      }
      if (p === K.CLOSED) return K.CLOSED;
      if (!spill) return RING_FULL; // FULL or LANE
    }
    return yield* this.#lane.put(S, kind, length, payload);
  }

  /**
   * `Channel.getSync` (`wait`, until `deadline`) and `Channel.tryGet`: the oldest record's value,
   * from the ring or else the lane, or a `StatusBox` (EMPTY, CLOSED, TIMED_OUT). `tryFirst`:
   * `Channel.get` (the promise form), which tries to claim without waiting first.
   */
  *get(deadline: number, wait: boolean, tryFirst = false): Step<unknown> {
    const S = this.shape();
    for (;;) {
      let p = wait && !tryFirst ? K.EMPTY : yield* G.tryClaim(SIM, S);
      if (wait && p === K.EMPTY) p = yield* G.claim(SIM, S, deadline);
      if (p >= 0) {
        let value: unknown;
        try {
          value = readSlot(this.#ring, this.#slot0, S, p);
        } finally {
          yield* G.release(SIM, S, p);
        }
        return value;
      }
      if (p !== K.LANE) return new StatusBox(p);
      const v = yield* this.#lane.take(S);
      if (v !== NONE) return v;
    }
  }

  /**
   * `Channel.pollSync`: waits until a get would not wait; false on timeout. `tryFirst`:
   * `Channel.poll` (the promise form), which checks without waiting first.
   */
  *poll(deadline: number, tryFirst = false): Step<boolean> {
    if (tryFirst && (yield* G.ready(SIM, this.shape()))) return true;
    return (yield* G.poll(SIM, this.shape(), deadline)) === K.OK;
  }

  /** The number of items (a snapshot). */
  *size(): Step<number> {
    return yield* G.size(SIM, this.shape());
  }

  /** Closes the queue and wakes every waiter. */
  *close(): Step<void> {
    yield* G.close(SIM, this.shape());
  }

  /** Whether the queue is closed. */
  *closed(): Step<boolean> {
    return yield* G.closed(SIM, this.shape());
  }

  /** Marks one task done; false if none was unfinished. */
  *taskDone(): Step<boolean> {
    return yield* G.taskDone(SIM, this.shape());
  }

  /** Waits for all tasks until `deadline`; false on timeout. */
  *join(deadline: number): Step<boolean> {
    return yield* G.join(SIM, this.shape(), deadline);
  }
}
