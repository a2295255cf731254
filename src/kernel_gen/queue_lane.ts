// Derived from src/kernel/queue_lane.ts by tools/derive_kernels.ts: do not edit.
// The generator form of each kernel there, for the async path and the explorer; its layout,
// state table, invariant and every function's docs are in src/kernel/queue_lane.ts.
// Regenerate with `deno task derive`; tests/tools/derive_kernels_test.ts checks it.
import type { GenSeam as Seam, KernelGen } from "../_atomics.ts";
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

export function* laneLock(A: Seam, S: Shape): KernelGen<void> {
  const lk = S.lk;
  for (let n = A.spin * 16; n > 0; n--) {
    if ((yield* A.load(lk, $LOCK_STATE)) === 0 && (yield* lockTryAcquire(A, lk, $LANE_HOLDER))) return;
    (yield* A.pause());
  }
  (yield* lockAcquire(A, lk, $LANE_HOLDER, Infinity));
}

export function* laneUnlock(A: Seam, S: Shape): KernelGen<void> {
  if (!(yield* lockRelease(A, S.lk, $LANE_HOLDER))) {
    throw new Error("Inconsistent queue state: lane lock not held");
  }
}

export function* laneReserve(A: Seam, S: Shape, bytes: number): KernelGen<number> {
  const q = S.q;
  if ((yield* A.load(q, $ENQ)) < 0) return $CLOSED;
  const head = (yield* A.load(q, $LANE_HEAD));
  const used = dif(head, (yield* A.load(q, $LANE_TAIL)));
  if ((yield* A.load(q, $LANE_CAP)) - used < bytes) return $FULL;
  (yield* A.store(q, $LANE_HEAD, (head + bytes) & $MASK));
  return head;
}

export function* laneCommit(A: Seam, S: Shape): KernelGen<void> {
  (yield* A.add(S.q, $LANE_ITEMS, 1));
}

export function* lanePop(A: Seam, S: Shape): KernelGen<number> {
  const q = S.q;
  if ((yield* A.load(q, $LANE_ITEMS)) === 0) return $EMPTY;
  // FIFO across lanes: a record reserved in the ring before the lane's oldest record was appended
  // must be taken first. That record was committed before we took the lock, so if the ring is
  // empty now (DEQ read first, then ENQ: since DEQ <= ENQ and both only grow, equal values mean
  // empty at the ENQ read), every ring record reserved before it has been claimed. A consumer's
  // earlier look at the ring (tryClaim) is not enough: it may be long stale. The explorer test
  // tests/channel/queue_explore_test.ts found the need: a consumer descheduled between its look at
  // the ring and its pop could otherwise take a lane record ahead of ring records put earlier.
  const d = (yield* A.load(q, $DEQ));
  if (((yield* A.load(q, $ENQ)) & $MASK) !== d) return $RING;
  // The lane empties: producers waiting in waitSlot may use the ring again.
  if ((yield* A.sub(q, $LANE_ITEMS, 1)) === 1) (yield* wakeSlotWaiters(A, S));
  return (yield* A.load(q, $LANE_TAIL));
}

export function* laneFree(A: Seam, S: Shape, bytes: number): KernelGen<void> {
  (yield* A.store(S.q, $LANE_TAIL, ((yield* A.load(S.q, $LANE_TAIL)) + bytes) & $MASK));
}

export function* laneSpan(A: Seam, S: Shape): KernelGen<[tail: number, used: number]> {
  const tail = (yield* A.load(S.q, $LANE_TAIL));
  return [tail, dif((yield* A.load(S.q, $LANE_HEAD)), tail)];
}

export function* laneResize(A: Seam, S: Shape, capacity: number): KernelGen<void> {
  (yield* A.store(S.q, $LANE_CAP, capacity));
}

export function* waitRoom(
  A: Seam,
  S: Shape,
  bytes: number,
  laneMax: number,
  deadline: number,
): KernelGen<number> {
  const q = S.q;
  for (;;) {
    const w = (yield* prepareWait(A, q, $SPACE_SEQ));
    if ((yield* A.load(q, $ENQ)) < 0) return $CLOSED;
    // Room now, or room once the heap grows to its bound (the grower always reaches it if needed).
    const used = dif((yield* A.load(q, $LANE_HEAD)), (yield* A.load(q, $LANE_TAIL)));
    if (laneMax - used >= bytes) return $OK;
    // No lost wake-up: laneFree happens before the consumer's wakeProducers (queue.ts's header).
    if ((yield* A.wait(q, $SPACE_SEQ, w, deadline)) === "timed-out") return $TIMED_OUT;
  }
}
