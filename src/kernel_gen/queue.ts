// Derived from src/kernel/queue.ts by tools/derive_kernels.ts: do not edit.
// The generator form of each kernel there, for the async path and the explorer; its layout,
// state table, invariant and every function's docs are in src/kernel/queue.ts.
// Regenerate with `deno task derive`; tests/tools/derive_kernels_test.ts checks it.
import type { GenSeam as Seam, KernelGen } from "../_atomics.ts";
import {
  acquire as lockAcquire,
  release as lockRelease,
  TIMED_OUT as LOCK_TIMED_OUT,
} from "./lock.ts";
import { ANONYMOUS } from "./presence.ts";

// The functions below use these module-private twins of the exported constants: V8 reads an
// exported binding through its module cell at every use (~7% of a lock pair, bench/seam_bench.ts),
// while a private `const` is folded into the compiled code.
const $LANE_HOLDER = ANONYMOUS; // the lane lock's holder: nobody probes it (no section awaits)
const $ENQ = 16;
const $DEQ = 32;
const $PUT_SEQ = 48;
const $SPACE_SEQ = 64;
const $SLOT_SEQ = 65;
const $COUNT = 80;
const $UNFINISHED = 96;
const $LANE_LOCK = 112;
const $LANE_TAIL = 115;
const $LANE_ITEMS = 116;
const $SLOT0 = 128;
const $SLOT_BYTES = 64;
const $CLOSED_BIT = 0x80000000 | 0;
const $MASK = 0x7fffffff;
const $EMPTY = -1;
const $CLOSED = -2;
const $LANE = -3;
const $FULL = -4;
const $TIMED_OUT = -5;
const $OK = 0;

export const SLOTS: number = 1;
export const MAXSIZE: number = 2;
export const FLAVOUR: number = 3;
export const LANE_MAX: number = 4;
export const ENQ: number = $ENQ;
export const DEQ: number = $DEQ;
export const PUT_SEQ: number = $PUT_SEQ;
export const SPACE_SEQ: number = $SPACE_SEQ;
export const SLOT_SEQ: number = $SLOT_SEQ;
export const COUNT: number = $COUNT;
export const UNFINISHED: number = $UNFINISHED;
export const LANE_LOCK: number = $LANE_LOCK;
export const LANE_HEAD: number = 114;
export const LANE_TAIL: number = $LANE_TAIL;
export const LANE_ITEMS: number = $LANE_ITEMS;
export const LANE_CAP: number = 117;
export const SLOT0: number = $SLOT0;
export const SLOT_BYTES: number = $SLOT_BYTES;
export const SLOT_HEADER: number = 8;
export const BYTES: number = $SLOT0 * 4;
export const CLOSED_BIT: number = $CLOSED_BIT;
export const MASK: number = $MASK;

export const QUEUE: number = 1;
export const JOINABLE: number = 2;
export const SIMPLE: number = 3;
export const PIPE: number = 4;

export const EMPTY: number = $EMPTY;
export const CLOSED: number = $CLOSED;
export const LANE: number = $LANE;
export const FULL: number = $FULL;
export const TIMED_OUT: number = $TIMED_OUT;
export const RING: number = -6;
export const OK: number = $OK;

export const FIELDS: Readonly<Record<number, string>> = {
  0: "tag",
  1: "slots",
  2: "maxsize",
  3: "flavour",
  4: "laneMax",
  16: "enq",
  32: "deq",
  48: "putSeq",
  64: "spaceSeq",
  65: "slotSeq",
  80: "count",
  96: "unfinished",
  113: "lane.lock",
  114: "lane.head",
  115: "lane.tail",
  116: "lane.items",
  117: "lane.cap",
};

export interface Shape {
  readonly q: Int32Array;
  readonly lk: Int32Array;
  readonly mask: number;
  readonly maxsize: number;
  enqHint: number;
  deqHint: number;
}

export function shape(q: Int32Array, slots: number, maxsize: number): Shape {
  const lk = new Int32Array(q.buffer, q.byteOffset + $LANE_LOCK * 4, 2);
  return { q, lk, mask: slots - 1, maxsize, enqHint: 0, deqHint: 0 };
}

export function slotWord(S: Shape, p: number): number {
  return $SLOT0 + (p & S.mask) * ($SLOT_BYTES >> 2);
}

export function dif(a: number, b: number): number {
  return ((a - b) << 1) >> 1;
}

// ---------------------------------------------------------------------------------------------
// Producers

export function* tryReserve(A: Seam, S: Shape): KernelGen<number> {
  const q = S.q;
  // FIFO across lanes: while anything waits in the lane, new records queue up behind it there.
  if ((yield* A.load(q, $LANE_ITEMS)) !== 0) return $LANE;
  // Fast path, saving the load of ENQ: guess it is where this thread's last reservation left it.
  // The guess's slot free for it and the CAS from it succeeding prove ENQ was the guess and the
  // slot ours, exactly as in the loop below (a closed queue's ENQ has bit 31 set: the CAS fails).
  const g = S.enqHint;
  if ((yield* A.load(q, slotWord(S, g))) === g && (yield* A.compareExchange(q, $ENQ, g, (g + 1) & $MASK)) === g) {
    S.enqHint = (g + 1) & $MASK;
    return g;
  }
  // When the ring is full, wait for a slot while consumers make progress (DEQ moves at least once
  // every `A.spin` re-checks), at most 32 * `A.spin` re-checks: a streaming producer then stays in
  // the ring, while one facing idle consumers soon moves on to the lane (a put never blocks).
  const spin = A.spin; // once per phase: in production it adapts (REAL in src/_atomics.ts)
  let budget = spin * 32, idle = spin;
  let seen = -1;
  for (;;) {
    const e = (yield* A.load(q, $ENQ));
    if (e < 0) return $CLOSED;
    const d = dif((yield* A.load(q, slotWord(S, e))), e);
    if (d === 0) {
      // The slot is free for e; whoever moves ENQ from e owns it.
      if ((yield* A.compareExchange(q, $ENQ, e, (e + 1) & $MASK)) === e) {
        S.enqHint = (e + 1) & $MASK;
        return e;
      }
    } else if (d < 0) {
      // Full: the slot still holds the record of the previous lap.
      if (--budget < 0 || --idle < 0) return $FULL;
      (yield* A.pause());
      const p = (yield* A.load(q, $DEQ));
      if (p !== seen) {
        seen = p;
        idle = spin;
      }
    }
    // d > 0: another producer reserved e; read ENQ again.
  }
}

export function* publish(A: Seam, S: Shape, p: number): KernelGen<void> {
  // Synchronizes-with: a consumer's load of seq === p+1 sees the record written before this store.
  (yield* A.store(S.q, slotWord(S, p), (p + 1) & $MASK));
  (yield* wakeConsumers(A, S));
}

export function* wakeConsumers(A: Seam, S: Shape): KernelGen<void> {
  (yield* signal(A, S.q, $PUT_SEQ));
}

export function* waitSlot(A: Seam, S: Shape, deadline: number): KernelGen<number> {
  const q = S.q;
  for (;;) {
    const w = (yield* prepareWait(A, q, $SLOT_SEQ));
    const e = (yield* A.load(q, $ENQ));
    if (e < 0 || (yield* A.load(q, $LANE_ITEMS)) === 0 && dif((yield* A.load(q, slotWord(S, e))), e) >= 0) return $OK;
    // No lost wake-up: release frees a slot (lanePop empties the lane), then signals SLOT_SEQ if
    // the ring is at most half full (lane: empty); otherwise the deadline ends the wait.
    if ((yield* A.wait(q, $SLOT_SEQ, w, deadline)) === "timed-out") return $TIMED_OUT;
  }
}

export function* wakeSlotWaiters(A: Seam, S: Shape): KernelGen<void> {
  (yield* signal(A, S.q, $SLOT_SEQ));
}

export function* prepareWait(A: Seam, q: Int32Array, i: number): KernelGen<number> {
  for (;;) {
    const w = (yield* A.load(q, i));
    if ((w & 1) !== 0 || (yield* A.compareExchange(q, i, w, w | 1)) === w) return w | 1;
  }
}

export function* signal(A: Seam, q: Int32Array, i: number): KernelGen<void> {
  const w = (yield* A.load(q, i));
  // A failed CAS means another signaller (or close) changed the word, and it notifies.
  if ((w & 1) !== 0 && (yield* A.compareExchange(q, i, w, (w + 2) & ~1)) === w) (yield* A.notify(q, i, Infinity));
}

export function* tryCount(A: Seam, S: Shape): KernelGen<number> {
  const q = S.q;
  for (;;) {
    if ((yield* A.load(q, $ENQ)) < 0) return $CLOSED;
    const c = (yield* A.load(q, $COUNT));
    if (c >= S.maxsize) return $FULL;
    if ((yield* A.compareExchange(q, $COUNT, c, c + 1)) === c) return $OK;
  }
}

export function* count(A: Seam, S: Shape, deadline: number): KernelGen<number> {
  const q = S.q;
  let r = (yield* tryCount(A, S));
  for (let n = A.spin; r === $FULL && n > 0; n--) {
    (yield* A.pause());
    r = (yield* tryCount(A, S));
  }
  while (r === $FULL) {
    const w = (yield* prepareWait(A, q, $SPACE_SEQ));
    r = (yield* tryCount(A, S));
    if (r !== $FULL) break;
    // No lost wake-up: a consumer frees room, then signals SPACE_SEQ (module doc).
    if ((yield* A.wait(q, $SPACE_SEQ, w, deadline)) === "timed-out") return $TIMED_OUT;
    r = (yield* tryCount(A, S));
  }
  return r;
}

export function* uncount(A: Seam, S: Shape): KernelGen<void> {
  (yield* A.sub(S.q, $COUNT, 1));
  (yield* wakeProducers(A, S));
}

export function* wakeProducers(A: Seam, S: Shape): KernelGen<void> {
  (yield* signal(A, S.q, $SPACE_SEQ));
}

// ---------------------------------------------------------------------------------------------
// Consumers

export function* tryClaim(A: Seam, S: Shape): KernelGen<number> {
  const q = S.q;
  // Fast path, saving the load of DEQ: guess it is where this thread's last claim left it; the
  // guess's record published and the CAS from it succeeding prove it, as in the loop below.
  const g = S.deqHint;
  if (
    (yield* A.load(q, slotWord(S, g))) === ((g + 1) & $MASK) &&
    (yield* A.compareExchange(q, $DEQ, g, (g + 1) & $MASK)) === g
  ) {
    S.deqHint = (g + 1) & $MASK;
    return g;
  }
  for (;;) {
    const p = (yield* A.load(q, $DEQ));
    const d = dif((yield* A.load(q, slotWord(S, p))), (p + 1) & $MASK);
    if (d === 0) {
      // Published and not yet taken: whoever moves DEQ from p owns it.
      if ((yield* A.compareExchange(q, $DEQ, p, (p + 1) & $MASK)) === p) {
        S.deqHint = (p + 1) & $MASK;
        return p;
      }
      continue;
    }
    if (d > 0) continue; // another consumer took p; read DEQ again
    const e = (yield* A.load(q, $ENQ));
    if ((yield* A.load(q, $DEQ)) !== p) continue; // DEQ moved meanwhile: our view is stale
    // p is reserved by a producer still writing it: wait for it, never skip it (FIFO).
    if ((e & $MASK) !== p) return $EMPTY;
    if ((yield* A.load(q, $LANE_ITEMS)) !== 0) return $LANE;
    if (e >= 0) return $EMPTY;
    // Closed, ring drained, lane looked empty: a lane put that passed its closed check before the
    // close may still be appending while holding the lane lock; take the lock to see it. Only the
    // async form's abort can end that wait: then this thread does not hold the lock, and must not
    // release it (it would release the putter's): claim nothing.
    if ((yield* lockAcquire(A, S.lk, $LANE_HOLDER, Infinity)) === LOCK_TIMED_OUT) return $TIMED_OUT;
    const items = (yield* A.load(q, $LANE_ITEMS));
    (yield* lockRelease(A, S.lk, $LANE_HOLDER));
    return items !== 0 ? $LANE : $CLOSED;
  }
}

export function* claim(A: Seam, S: Shape, deadline: number): KernelGen<number> {
  const q = S.q;
  let r = (yield* tryClaim(A, S));
  for (let n = A.spin; r === $EMPTY && n > 0; n--) {
    (yield* A.pause());
    r = (yield* tryClaim(A, S));
  }
  while (r === $EMPTY) {
    const w = (yield* prepareWait(A, q, $PUT_SEQ));
    r = (yield* tryClaim(A, S));
    if (r !== $EMPTY) break;
    // No lost wake-up: a producer publishes, then signals PUT_SEQ (module doc).
    if ((yield* A.wait(q, $PUT_SEQ, w, deadline)) === "timed-out") return $TIMED_OUT;
    r = (yield* tryClaim(A, S));
  }
  return r;
}

export function* poll(A: Seam, S: Shape, deadline: number): KernelGen<number> {
  const q = S.q;
  while (!(yield* ready(A, S))) {
    const w = (yield* prepareWait(A, q, $PUT_SEQ));
    if ((yield* ready(A, S))) break;
    // No lost wake-up: as in claim.
    if ((yield* A.wait(q, $PUT_SEQ, w, deadline)) === "timed-out") return $TIMED_OUT;
  }
  return $OK;
}

export function* ready(A: Seam, S: Shape): KernelGen<boolean> {
  const q = S.q;
  const p = (yield* A.load(q, $DEQ));
  if (dif((yield* A.load(q, slotWord(S, p))), (p + 1) & $MASK) >= 0) return true;
  return (yield* A.load(q, $LANE_ITEMS)) !== 0 || (yield* A.load(q, $ENQ)) < 0;
}

export function* release(A: Seam, S: Shape, p: number): KernelGen<void> {
  const q = S.q;
  // Synchronizes-with: the producer that next sees seq === p+N writes after our reads of the slot.
  (yield* A.store(q, slotWord(S, p), (p + S.mask + 1) & $MASK));
  // Producers waiting for a slot: wake them once the ring is at most half full (module doc).
  if (
    ((yield* A.load(q, $SLOT_SEQ)) & 1) !== 0 &&
    dif((yield* A.load(q, $ENQ)) & $MASK, (p + 1) & $MASK) <= (S.mask + 1) >> 1
  ) (yield* wakeSlotWaiters(A, S));
  // Producers sleeping on SPACE_SEQ wait for a count (bounded queues) or for heap room, which a
  // ring slot is not: an unbounded queue's ring take has no one to wake (saves a load per get).
  if (S.maxsize > 0) (yield* taken(A, S));
}

export function* taken(A: Seam, S: Shape): KernelGen<void> {
  if (S.maxsize > 0) (yield* A.sub(S.q, $COUNT, 1));
  (yield* wakeProducers(A, S));
}

// ---------------------------------------------------------------------------------------------
// Closing and joining

export function* close(A: Seam, S: Shape): KernelGen<void> {
  const q = S.q;
  for (;;) {
    const e = (yield* A.load(q, $ENQ));
    if (e < 0 || (yield* A.compareExchange(q, $ENQ, e, e | $CLOSED_BIT)) === e) break;
  }
  // Adding 2 keeps each word's bit 0 and changes its value, so no sleeper misses this.
  (yield* A.add(q, $PUT_SEQ, 2));
  (yield* A.notify(q, $PUT_SEQ, Infinity));
  (yield* A.add(q, $SPACE_SEQ, 2));
  (yield* A.notify(q, $SPACE_SEQ, Infinity));
  (yield* A.add(q, $SLOT_SEQ, 2));
  (yield* A.notify(q, $SLOT_SEQ, Infinity));
}

export function* progress(A: Seam, S: Shape): KernelGen<number> {
  return ((yield* A.load(S.q, $DEQ)) + (yield* A.load(S.q, $LANE_TAIL))) | 0;
}

export function* closed(A: Seam, S: Shape): KernelGen<boolean> {
  return (yield* A.load(S.q, $ENQ)) < 0;
}

export function* size(A: Seam, S: Shape): KernelGen<number> {
  const q = S.q;
  if (S.maxsize > 0) return (yield* A.load(q, $COUNT));
  const d = (yield* A.load(q, $DEQ));
  const ring = dif((yield* A.load(q, $ENQ)) & $MASK, d);
  return Math.max(0, ring) + (yield* A.load(q, $LANE_ITEMS));
}

export function* addTask(A: Seam, S: Shape): KernelGen<void> {
  (yield* A.add(S.q, $UNFINISHED, 1));
}

export function* taskDone(A: Seam, S: Shape): KernelGen<boolean> {
  const q = S.q;
  for (;;) {
    const u = (yield* A.load(q, $UNFINISHED));
    if (u <= 0) return false;
    if ((yield* A.compareExchange(q, $UNFINISHED, u, u - 1)) === u) {
      if (u === 1) (yield* A.notify(q, $UNFINISHED, Infinity));
      return true;
    }
  }
}

export function* join(A: Seam, S: Shape, deadline: number): KernelGen<boolean> {
  const q = S.q;
  for (;;) {
    const u = (yield* A.load(q, $UNFINISHED));
    if (u === 0) return true;
    // No lost wake-up: we sleep only while UNFINISHED === u !== 0; reaching 0 changes it and notifies.
    if ((yield* A.wait(q, $UNFINISHED, u, deadline)) === "timed-out") return false;
  }
}
