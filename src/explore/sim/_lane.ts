/**
 * The lane of a queue under the explorer: `src/channel/_lane.ts`'s `Lane` with the lane's derived
 * kernel (`src/kernel_gen/queue_lane.ts`) run on the simulated seam, so every load, CAS and wait of
 * the lane lock and the lane words is a step. The heap bytes are copied in and out (and the heap
 * grown) with the production helpers while the lane lock is held, as plain data, exactly as
 * `Lane` does; records are staged in memory of their own (production stages them in one scratch
 * buffer per thread, which the explorer's threads, sharing one module, cannot share).
 *
 * @module
 */
import * as K from "../../kernel/queue.ts";
import * as G from "../../kernel_gen/queue.ts";
import * as GL from "../../kernel_gen/queue_lane.ts";
import * as C from "../../channel/_codec.ts";
import {
  copyIn,
  copyOut,
  grownCapacity,
  headerAt,
  LANE_HEADER,
  laneBytes,
  NONE,
  regrow,
  writeRecord,
} from "../../channel/_lane.ts";
import { SIM } from "../_engine.ts";
import type { Step } from "./_common.ts";

/** The lane of one queue, for every virtual thread (each passes its own `Shape`). */
export class SimLane {
  readonly #heap: SharedArrayBuffer;
  readonly #mem: C.Mem;
  readonly #max: number;
  readonly #joinable: boolean;

  /** The lane of a queue whose heap is `heap` (bounded by `max` bytes). */
  constructor(heap: SharedArrayBuffer, max: number, joinable: boolean) {
    this.#heap = heap;
    this.#mem = C.memOf(heap);
    this.#max = max;
    this.#joinable = joinable;
  }

  /** `Lane.put`: appends a record; OK, FULL (heap at its bound) or CLOSED. */
  *put(S: K.Shape, kind: number, length: number, payload: unknown): Step<number> {
    const bytes = laneBytes(length);
    const m = C.memOf(new ArrayBuffer((bytes + 7) & ~7));
    writeRecord(m, kind, length, payload);
    yield* GL.laneLock(SIM, S);
    let r: number;
    try {
      let pos = yield* GL.laneReserve(SIM, S, bytes);
      if (pos === K.FULL && (yield* this.#grow(S, bytes))) {
        pos = yield* GL.laneReserve(SIM, S, bytes);
      }
      if (pos >= 0) {
        if (this.#joinable) yield* G.addTask(SIM, S);
        copyIn(this.#mem.u8, pos, m.u8, bytes, this.#heap.byteLength);
        yield* GL.laneCommit(SIM, S);
        r = K.OK;
      } else {
        r = pos;
      }
    } finally {
      yield* GL.laneUnlock(SIM, S);
    }
    if (r === K.OK) yield* G.wakeConsumers(SIM, S);
    return r;
  }

  /** `Lane.take`: the oldest record's value, or `NONE` if the lane is empty (or must wait). */
  *take(S: K.Shape): Step<unknown> {
    yield* GL.laneLock(SIM, S);
    let m: C.Mem;
    let kind: number;
    let length: number;
    try {
      const pos = yield* GL.lanePop(SIM, S);
      if (pos < 0) return NONE; // EMPTY, or RING: the ring has records to take first
      const cap = this.#heap.byteLength;
      [length, kind] = headerAt(this.#mem, pos, cap);
      m = C.memOf(new ArrayBuffer((length + 7) & ~7));
      copyOut(this.#mem.u8, pos + LANE_HEADER, m.u8, length, cap);
      yield* GL.laneFree(SIM, S, laneBytes(length));
    } finally {
      yield* GL.laneUnlock(SIM, S);
    }
    yield* G.taken(SIM, S);
    return C.read(m, 0, kind, length);
  }

  /** `Lane.#grow`: grows the heap so that `bytes` more fit; false if its bound forbids. */
  *#grow(S: K.Shape, bytes: number): Step<boolean> {
    const [tail, used] = yield* GL.laneSpan(SIM, S);
    const next = grownCapacity(this.#heap.byteLength, used, bytes, this.#max);
    if (next === 0) return false;
    regrow(this.#heap, this.#mem, tail, used, next);
    yield* GL.laneResize(SIM, S, next);
    return true;
  }
}
