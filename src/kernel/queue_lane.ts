/**
 * Queue kernel, the lane: the unbounded byte FIFO, under the lane lock, in a queue's growable heap
 * (a separate `SharedArrayBuffer`), which carries large records and any record put while the ring
 * is full. `src/channel/_lane.ts` copies the bytes and grows the heap between these calls.
 *
 * The lane's words (LANE_LOCK to LANE_CAP), its state and its part in the invariant (FIFO across
 * lanes, close) are in the header of the queue kernel, `src/kernel/queue.ts`, which owns the
 * region; this file holds the lane's functions. In short: every function here but
 * {@linkcode waitRoom} runs while holding the lane lock `S.lk`, which also orders the heap's
 * growth; LANE_HEAD and LANE_TAIL are 31-bit byte positions (wrapping), mapped onto the heap modulo
 * its capacity; LANE_ITEMS counts committed records, and {@linkcode lanePop} takes one only while
 * the ring is empty.
 *
 * @module
 */
import type { Seam } from "../_atomics.ts";
import {
  acquire as lockAcquire,
  release as lockRelease,
  STATE as LOCK_STATE,
  tryAcquire as lockTryAcquire,
} from "./lock.ts";
import { ANONYMOUS } from "./presence.ts";
import {
  CLOSED,
  DEQ,
  dif,
  EMPTY,
  ENQ,
  FULL,
  LANE_CAP,
  LANE_HEAD,
  LANE_ITEMS,
  LANE_TAIL,
  MASK,
  OK,
  prepareWait,
  RING,
  type Shape,
  SPACE_SEQ,
  TIMED_OUT,
  wakeSlotWaiters,
} from "./queue.ts";

// Module-private copies of the imported constants, as in queue.ts: V8 reads an imported binding
// through its module cell at every use, while it folds a module's own initialised `const` into the
// compiled code (TurboFan's graph for a function using `const $X = X` matches the one using a
// literal); the values are written once, in queue.ts.
const $LOCK_STATE = LOCK_STATE;
const $LANE_HOLDER = ANONYMOUS; // the lane lock's holder: nobody probes it (no section awaits)
const $ENQ = ENQ;
const $DEQ = DEQ;
const $SPACE_SEQ = SPACE_SEQ;
const $LANE_HEAD = LANE_HEAD;
const $LANE_TAIL = LANE_TAIL;
const $LANE_ITEMS = LANE_ITEMS;
const $LANE_CAP = LANE_CAP;
const $MASK = MASK;
const $EMPTY = EMPTY;
const $CLOSED = CLOSED;
const $FULL = FULL;
const $TIMED_OUT = TIMED_OUT;
const $OK = OK;
const $RING = RING;

/**
 * Takes the lane lock. Its critical sections only copy bytes, so it is held briefly: spin on it
 * (16 * `A.spin` re-checks) before the Lock kernel's own spin-then-sleep.
 */
export function laneLock(A: Seam, S: Shape): void {
  const lk = S.lk;
  for (let n = A.spin * 16; n > 0; n--) {
    if (A.load(lk, $LOCK_STATE) === 0 && lockTryAcquire(A, lk, $LANE_HOLDER)) return;
    A.pause();
  }
  lockAcquire(A, lk, $LANE_HOLDER, Infinity);
}

/** Releases the lane lock. */
export function laneUnlock(A: Seam, S: Shape): void {
  if (!lockRelease(A, S.lk, $LANE_HOLDER)) {
    throw new Error("Inconsistent queue state: lane lock not held");
  }
}

/**
 * Reserves `bytes` bytes at the lane's head: returns their heap position, {@linkcode CLOSED}, or
 * {@linkcode FULL} (not enough free capacity now; grow the heap or wait for room).
 */
export function laneReserve(A: Seam, S: Shape, bytes: number): number {
  const q = S.q;
  if (A.load(q, $ENQ) < 0) return $CLOSED;
  const head = A.load(q, $LANE_HEAD);
  const used = dif(head, A.load(q, $LANE_TAIL));
  if (A.load(q, $LANE_CAP) - used < bytes) return $FULL;
  A.store(q, $LANE_HEAD, (head + bytes) & $MASK);
  return head;
}

/** Makes the record written at the reserved position visible to consumers. */
export function laneCommit(A: Seam, S: Shape): void {
  A.add(S.q, $LANE_ITEMS, 1);
}

/**
 * Takes the lane's oldest record: returns its heap position, {@linkcode EMPTY}, or
 * {@linkcode RING} when the ring holds records (take those first).
 */
export function lanePop(A: Seam, S: Shape): number {
  const q = S.q;
  if (A.load(q, $LANE_ITEMS) === 0) return $EMPTY;
  // FIFO across lanes: a record reserved in the ring before the lane's oldest record was appended
  // must be taken first. That record was committed before we took the lock, so if the ring is
  // empty now (DEQ read first, then ENQ: since DEQ <= ENQ and both only grow, equal values mean
  // empty at the ENQ read), every ring record reserved before it has been claimed. A consumer's
  // earlier look at the ring (tryClaim) is not enough: it may be long stale. The explorer test
  // tests/channel/queue_explore_test.ts found the need: a consumer descheduled between its look at
  // the ring and its pop could otherwise take a lane record ahead of ring records put earlier.
  const d = A.load(q, $DEQ);
  if ((A.load(q, $ENQ) & $MASK) !== d) return $RING;
  // The lane empties: producers waiting in waitSlot may use the ring again.
  if (A.sub(q, $LANE_ITEMS, 1) === 1) wakeSlotWaiters(A, S);
  return A.load(q, $LANE_TAIL);
}

/** Frees the `bytes` bytes of the record just popped at the lane's tail. */
export function laneFree(A: Seam, S: Shape, bytes: number): void {
  A.store(S.q, $LANE_TAIL, (A.load(S.q, $LANE_TAIL) + bytes) & $MASK);
}

/** The lane's tail position and used bytes, for relinearizing the heap when it grows. */
export function laneSpan(A: Seam, S: Shape): [tail: number, used: number] {
  const tail = A.load(S.q, $LANE_TAIL);
  return [tail, dif(A.load(S.q, $LANE_HEAD), tail)];
}

/** Records the heap's new capacity after growing it. */
export function laneResize(A: Seam, S: Shape, capacity: number): void {
  A.store(S.q, $LANE_CAP, capacity);
}

/**
 * Waits (without the lane lock) until the lane could take `bytes` bytes: the heap has that much
 * free capacity, or would have once grown to its bound `laneMax`. Returns {@linkcode OK},
 * {@linkcode CLOSED} or {@linkcode TIMED_OUT}.
 */
export function waitRoom(
  A: Seam,
  S: Shape,
  bytes: number,
  laneMax: number,
  deadline: number,
): number {
  const q = S.q;
  for (;;) {
    const w = prepareWait(A, q, $SPACE_SEQ);
    if (A.load(q, $ENQ) < 0) return $CLOSED;
    // Room now, or room once the heap grows to its bound (the grower always reaches it if needed).
    const used = dif(A.load(q, $LANE_HEAD), A.load(q, $LANE_TAIL));
    if (laneMax - used >= bytes) return $OK;
    // No lost wake-up: laneFree happens before the consumer's wakeProducers (queue.ts's header).
    if (A.wait(q, $SPACE_SEQ, w, deadline) === "timed-out") return $TIMED_OUT;
  }
}
