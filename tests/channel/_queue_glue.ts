/**
 * The public queue's put and get, step for step, over a generator seam, so the interleaving
 * explorer can run them: `Channel` (`src/channel/_core.ts`) and its `Lane` (`_lane.ts`) call the
 * plain kernel (`src/kernel/queue.ts`, the lane's functions in `queue_lane.ts`) with `REAL`, which
 * the explorer cannot interleave, so each function here makes the same kernel calls, in the same
 * order, on the derived kernel (`src/kernel_gen/queue.ts`, `queue_lane.ts`) with the seam it is
 * given. Only the bytes differ: a record is one word, written in one step into
 * the slot's header word or into a stand-in for the heap (which also keeps the record's length, as
 * the heap's record header does).
 *
 * This is a copy of the glue, so it is checked, not trusted: `queue_explore_test.ts` runs random
 * sequences of operations on a public `Queue` and on this mirror (driven by {@linkcode runNow} with
 * the production seam) and requires the queue's shared words to agree after every operation.
 *
 * @module
 */
import type { GenSeam, KernelGen, WaitRequest } from "../../src/_atomics.ts";
import * as K from "../../src/kernel/queue.ts";
import * as G from "../../src/kernel_gen/queue.ts";
import * as GL from "../../src/kernel_gen/queue_lane.ts";
import { Queue } from "../../mod.ts";
import { SLOT_PAYLOAD } from "../../src/channel/_core.ts";
import { laneBytes } from "../../src/channel/_lane.ts";

/** The status of a put whose record would spill into the lane when that is not allowed. */
const RING_FULL = -100;
/** The deadline of the wait for a ring slot: finite, so its timeout is a scheduling choice. */
const RING_WAIT = 1e15;

/** A queue as the mirror sees it: the kernel's shape, the heap stand-in, its bound. */
export interface Q {
  /** The queue's region and this thread's position hints (one Shape per thread, as Channel). */
  readonly S: K.Shape;
  /**
   * Stand-in for the heap: the record at lane position `pos` is `lane[(pos % laneMax) >> 3]`,
   * `length * 2^16 + value` (positions of live records differ modulo `laneMax`, however the heap
   * grows, so the stand-in never needs the relinearizing copy the heap does).
   */
  readonly lane: Int32Array;
  /** The heap's bound in bytes (`maxBytes`). */
  readonly laneMax: number;
  /** The derived kernel the mirror calls: `KERNEL`, or a copy with a mutant in one function. */
  readonly G: Kernel;
  /** `Channel.#idleAt`: the progress count at which consumers last looked idle. */
  idleAt: number | undefined;
}

/** The derived queue kernel's functions, the lane's (`queue_lane.ts`) included. */
export type Kernel = typeof G & typeof GL;

/** The derived kernel as production runs it: every function of `queue.ts` and `queue_lane.ts`. */
export const KERNEL: Kernel = { ...G, ...GL };

/** An item: a number (its identity), and the bytes its encoding takes. */
export interface Item {
  /** Its identity, 0 to 65535. */
  readonly value: number;
  /** Encoded payload length: up to {@linkcode SLOT_PAYLOAD} fits a ring slot. */
  readonly length: number;
}

/** A small item (fits a ring slot). */
export function small(value: number): Item {
  return { value, length: 8 };
}

/** A large item (always goes to the lane). */
export function large(value: number, length = 200): Item {
  return { value, length };
}

/** The shared memory of a queue the public constructor made, as plain typed arrays. */
export interface Region {
  /** The queue's words. */
  readonly q: Int32Array;
  /** The heap stand-in (one word per 8 bytes of `maxBytes`). */
  readonly lane: Int32Array;
}

/**
 * A queue made by the public constructor, `new Queue(maxsize, { maxBytes })`, as shared memory the
 * explorer can snapshot. `ring` (a power of two) gives an unbounded queue a ring that small: the
 * constructor gives unbounded queues 1,024 slots, too many to wrap in a search, so the region of
 * `new Queue(ring)` is used with its bound lifted (the kernel reads the bound from the region, as
 * `Queue.from` does, so this is the unbounded queue with a 2-slot ring). Returns the region and a
 * public `Queue` over it.
 */
export function publicQueue(
  maxsize: number,
  options: { ring?: number; maxBytes?: number } = {},
): { region: Region; queue: Queue<unknown> } {
  const maxBytes = options.maxBytes ?? 4096;
  const made = new Queue(maxsize > 0 ? maxsize : options.ring ?? 2, { maxBytes });
  const slots = new Int32Array(made.buffer, made.byteOffset, K.BYTES >> 2)[K.SLOTS]!;
  const q = new Int32Array(made.buffer, made.byteOffset, (K.BYTES >> 2) + slots * 16);
  q[K.MAXSIZE] = maxsize;
  const queue = Queue.from({ buffer: made.buffer, byteOffset: made.byteOffset, heap: made.heap });
  const lane = new Int32Array(new SharedArrayBuffer(maxBytes >> 1));
  return { region: { q, lane }, queue };
}

/**
 * This thread's view of `region` (its own Shape, as each thread has its own Channel), calling
 * `kernel` (the derived kernel, unless a test swaps in a mutant function).
 */
export function view(region: Region, kernel: Kernel = KERNEL): Q {
  const q = region.q;
  return {
    S: K.shape(q, q[K.SLOTS]!, q[K.MAXSIZE]!),
    lane: region.lane,
    laneMax: q[K.LANE_MAX]!,
    G: kernel,
    idleAt: undefined,
  };
}

// ---------------------------------------------------------------------------------------------
// Putting (Channel.tryPut, putSync, #placeCounted, #place, #settle; Lane.put, #grow)

/** `Queue.putNowait` (`Channel.tryPut`): OK, FULL or CLOSED. */
export function* putNowait(A: GenSeam, c: Q, item: Item): KernelGen<number> {
  if (c.S.maxsize > 0) {
    const r = yield* c.G.tryCount(A, c.S);
    if (r !== K.OK) return r;
  }
  return yield* placeCounted(A, c, item, Infinity, true, false);
}

/** `Queue.putSync` (`Channel.putSync`): OK, CLOSED or TIMED_OUT. */
export function* putSync(A: GenSeam, c: Q, item: Item, deadline: number): KernelGen<number> {
  if (c.S.maxsize > 0) {
    const r = yield* c.G.count(A, c.S, deadline);
    if (r !== K.OK) return r;
  }
  return yield* placeCounted(A, c, item, deadline, false, true);
}

/**
 * `Channel.#placeCounted`. Production bounds the wait for a ring slot by 1 ms (`RING_WAIT_MS`);
 * here that bound is a finite deadline, so "the wait times out" is one more scheduling choice.
 */
function* placeCounted(
  A: GenSeam,
  c: Q,
  item: Item,
  deadline: number,
  nowait: boolean,
  ringWait: boolean,
): KernelGen<number> {
  let spill = !ringWait || (yield* consumersIdle(A, c));
  for (;;) {
    const r = yield* place(A, c, item, spill);
    if (r === RING_FULL) {
      spill = true;
      const before = yield* c.G.progress(A, c.S);
      yield* c.G.waitSlot(A, c.S, nowait ? RING_WAIT : Math.min(deadline, RING_WAIT));
      if ((yield* c.G.progress(A, c.S)) === before) c.idleAt = before;
      continue;
    }
    if (r !== K.FULL || nowait) return yield* settle(A, c, r);
    const w = yield* c.G.waitRoom(A, c.S, laneBytes(item.length), c.laneMax, deadline);
    if (w !== K.OK) return yield* settle(A, c, w);
  }
}

/** `Channel.#consumersIdle`. */
function* consumersIdle(A: GenSeam, c: Q): KernelGen<boolean> {
  const idleAt = c.idleAt;
  if (idleAt === undefined) return false;
  if ((yield* c.G.progress(A, c.S)) === idleAt) return true;
  c.idleAt = undefined;
  return false;
}

/** `Channel.#settle`: gives back the count of a put that failed. */
function* settle(A: GenSeam, c: Q, r: number): KernelGen<number> {
  if (r !== K.OK && c.S.maxsize > 0) yield* c.G.uncount(A, c.S);
  return r;
}

/** `Channel.#place`: into the ring, or the lane. */
function* place(A: GenSeam, c: Q, item: Item, spill: boolean): KernelGen<number> {
  const S = c.S;
  if (item.length <= SLOT_PAYLOAD) {
    const p = yield* c.G.tryReserve(A, S);
    if (p >= 0) {
      yield* A.store(S.q, K.slotWord(S, p) + 1, item.value); // the record
      yield* c.G.publish(A, S, p);
      return K.OK;
    }
    if (p === K.CLOSED) return K.CLOSED;
    if (!spill) return RING_FULL;
  }
  return yield* placeInLane(A, c, item);
}

/** `Lane.put`. */
function* placeInLane(A: GenSeam, c: Q, item: Item): KernelGen<number> {
  const S = c.S;
  const bytes = laneBytes(item.length);
  yield* c.G.laneLock(A, S);
  let r: number;
  try {
    let pos = yield* c.G.laneReserve(A, S, bytes);
    if (pos === K.FULL && (yield* grow(A, c, bytes))) pos = yield* c.G.laneReserve(A, S, bytes);
    if (pos >= 0) {
      yield* A.store(c.lane, (pos % c.laneMax) >> 3, item.length * 0x10000 + item.value);
      yield* c.G.laneCommit(A, S);
      r = K.OK;
    } else {
      r = pos;
    }
  } finally {
    yield* c.G.laneUnlock(A, S);
  }
  if (r === K.OK) yield* c.G.wakeConsumers(A, S);
  return r;
}

/**
 * `Lane.#grow` (holding the lane lock): the heap's capacity is its `LANE_CAP` word, read as
 * production reads `heap.byteLength` (no shared step); the stand-in needs no copying.
 */
function* grow(A: GenSeam, c: Q, bytes: number): KernelGen<boolean> {
  const cap = c.S.q[K.LANE_CAP]!;
  const [, used] = yield* c.G.laneSpan(A, c.S);
  let next = Math.max(cap * 2, 4096);
  while (next - used < bytes) next *= 2;
  if (next > c.laneMax) {
    if (c.laneMax - used < bytes || cap === c.laneMax) return false;
    next = c.laneMax;
  }
  yield* c.G.laneResize(A, c.S, next);
  return true;
}

// ---------------------------------------------------------------------------------------------
// Getting (Channel.tryGet, getSync, #takeSlot, Lane.take)

/** `Queue.getNowait` (`Channel.tryGet`): the item's value, or EMPTY / CLOSED as a string. */
export function* getNowait(A: GenSeam, c: Q): KernelGen<number | string> {
  for (;;) {
    const r = yield* c.G.tryClaim(A, c.S);
    if (r >= 0) return yield* takeSlot(A, c, r);
    if (r !== K.LANE) return status(r);
    const v = yield* takeLane(A, c);
    if (v !== undefined) return v;
  }
}

/** `Queue.getSync` (`Channel.getSync`): the item's value, or CLOSED / TIMED_OUT as a string. */
export function* getSync(A: GenSeam, c: Q, deadline: number): KernelGen<number | string> {
  for (;;) {
    const r = yield* c.G.claim(A, c.S, deadline);
    if (r >= 0) return yield* takeSlot(A, c, r);
    if (r !== K.LANE) return status(r);
    const v = yield* takeLane(A, c);
    if (v !== undefined) return v;
  }
}

function status(r: number): string {
  return r === K.CLOSED ? "closed" : r === K.EMPTY ? "empty" : "timed out";
}

/** `Channel.#takeSlot`. */
function* takeSlot(A: GenSeam, c: Q, p: number): KernelGen<number> {
  const value = yield* A.load(c.S.q, K.slotWord(c.S, p) + 1);
  yield* c.G.release(A, c.S, p);
  return value;
}

/** `Lane.take`: the value, or undefined when the lane turned out empty. */
function* takeLane(A: GenSeam, c: Q): KernelGen<number | undefined> {
  const S = c.S;
  yield* c.G.laneLock(A, S);
  let value: number;
  try {
    const pos = yield* c.G.lanePop(A, S);
    if (pos < 0) return undefined; // EMPTY, or RING: the ring has records to take first
    const word = yield* A.load(c.lane, (pos % c.laneMax) >> 3);
    value = word & 0xffff;
    yield* c.G.laneFree(A, S, laneBytes(word >>> 16));
  } finally {
    yield* c.G.laneUnlock(A, S);
  }
  yield* c.G.taken(A, S);
  return value;
}

/** `Queue.close`. */
export function* close(A: GenSeam, c: Q): KernelGen<void> {
  yield* c.G.close(A, c.S);
}

// ---------------------------------------------------------------------------------------------
// Running the mirror outside the explorer

/**
 * Runs a mirror operation to the end at once with a production generator seam (`ASYNC`): a wait
 * it asks for is answered as an immediate `Atomics.wait` with no time left would answer it
 * ("not-equal" if the word changed, else "timed-out"), so only operations that need not wait
 * give the public queue's answer.
 */
export function runNow<R>(gen: KernelGen<R>): R {
  let step = gen.next();
  while (!step.done) {
    const w = step.value as WaitRequest;
    step = gen.next(Atomics.load(w.a, w.i) === w.expected ? "timed-out" : "not-equal");
  }
  return step.value;
}
