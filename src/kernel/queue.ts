/**
 * Queue kernel: the shared-memory algorithm of `Queue`, `JoinableQueue`, `SimpleQueue` and each
 * direction of a `Pipe`: a multi-producer multi-consumer FIFO of serialized records, carried by a
 * lock-free ring of fixed-size slots and, for large records and overflow, by a lane under a lock in
 * a separate growable heap (both described below the invariant).
 *
 * Shared layout: Int32Array `q` over the queue's region (`BYTES + slots * SLOT_BYTES` bytes).
 * | word | field        | written by                        | meaning                               |
 * | 0    | tag          | constructor, once                 | TAG.Queue                             |
 * | 1    | slots        | constructor, once                 | ring slots N (power of two, >= 2)     |
 * | 2    | maxsize      | constructor, once                 | item bound, 0 = unbounded             |
 * | 3    | flavour      | constructor, once                 | QUEUE / JOINABLE / SIMPLE             |
 * | 4    | laneMax      | constructor, once                 | heap capacity bound (power of two)    |
 * | 16   | ENQ          | producers (CAS), close (CAS)      | CLOSED bit 31, next ring position     |
 * | 32   | DEQ          | consumers (CAS)                   | next ring position to consume         |
 * | 48   | PUT_SEQ      | sleepers (bit 0), producers, close| event word consumers sleep on         |
 * | 64   | SPACE_SEQ    | sleepers (bit 0), consumers, close| event word producers wait for room on |
 * | 65   | SLOT_SEQ     | sleepers (bit 0), consumers, close| event word waitSlot sleepers sleep on |
 * | 80   | COUNT        | producers (CAS) / consumers (sub) | items in the queue (bounded only)     |
 * | 96   | UNFINISHED   | put (add) / taskDone (CAS)        | JoinableQueue's unfinished tasks      |
 * | 113  | lane lock    | Lock kernel (view `lk` at 112)    | protects the lane words and heap      |
 * | 114  | LANE_HEAD    | lane producers, under lock        | next heap byte position to write      |
 * | 115  | LANE_TAIL    | lane consumers, under lock        | next heap byte position to read       |
 * | 116  | LANE_ITEMS   | under lock (read without it too)  | records in the lane                   |
 * | 117  | LANE_CAP     | the grower, under lock            | current heap capacity in bytes        |
 * | 128+ | slots        | see below                         | N slots of SLOT_BYTES (64) bytes      |
 * Each group of hot words sits on its own 64-byte line (ENQ, DEQ, the wake-up pairs, COUNT).
 *
 * Invariant, in short (the details follow):
 * - FIFO: producers use the ring only while the lane is empty; consumers pop the lane only when the
 *   ring holds nothing, reserved or published (checked under the lane lock `lk`).
 * - One CAS on ENQ (DEQ) claims a ring position; slot `seq` p / p+1 / p+N: free / full / consumed.
 * - No lost wake-up: a sleeper sets bit 0 of its event word and re-checks; a signaller seeing bit 0
 *   notifies all. close sets ENQ's CLOSED bit by CAS; a timed-out wait has claimed nothing to undo.
 *
 * Two lanes carry records:
 * - the **ring**, a bounded lock-free ring of fixed-size slots after Dmitry Vyukov's bounded MPMC
 *   queue: each slot has a sequence word, so producers and consumers claim slots with one CAS on
 *   their own position word and never wait while holding a claim. Every record that fits a slot
 *   (numbers, short strings, small objects) travels here; one slot is one cache line, so a transfer
 *   moves one line from producer to consumer.
 * - the **lane** (its functions in `queue_lane.ts`), an unbounded byte FIFO under a lock (`lk`) in a
 *   growable `SharedArrayBuffer` (the "heap"): large records, and any record put while the ring is
 *   full. Lane records are only touched while holding `lk`, which also orders the heap's growth.
 *
 * FIFO across lanes: a producer uses the ring only while the lane is empty (`LANE_ITEMS === 0`);
 * once anything sits in the lane, every producer appends there until consumers drain it. Consumers
 * pop from the lane only when the ring holds nothing at all, reserved or published (`DEQ === ENQ`,
 * checked while holding the lane lock: `lanePop` in `queue_lane.ts`, which says why). So a
 * producer's later item can never be claimed before its earlier one: if the earlier one is in the
 * ring, it was reserved before the later one was appended to the lane, and the lane waits until the
 * ring is drained; if it is in the lane, the later one is behind it in the lane (or in the ring,
 * once the lane was fully claimed).
 *
 * Slot k (byte `4 * SLOT0 + k * 64`): word 0 `seq`, word 1 record header (kind | length << 8),
 * bytes 8..63 the payload. Positions are 31-bit counters (wrapping); for ring position p in slot k:
 * seq === p: free for p | seq === p + 1: holds p's record | seq === p + N: p consumed, free for p+N.
 *
 * Transitions:
 * - reserve (producer): p = ENQ; seq === p -> CAS ENQ p->p+1 (the slot is ours); write the record;
 *   publish: store seq = p+1. seq < p: the ring is full (spin briefly, then use the lane).
 * - claim (consumer): p = DEQ; seq === p+1 -> CAS DEQ p->p+1; read the record; release: store
 *   seq = p+N. seq < p+1 and ENQ === p: the ring is empty; ENQ !== p: p is reserved but not yet
 *   published (wait for it, never skip it).
 * - Each thread first tries the position after its own last reserve (claim), kept in its Shape
 *   (`enqHint`, `deqHint`: plain fields, not shared): the same seq check and CAS on that guess, which
 *   saves the load of ENQ (DEQ) while one producer (consumer) streams; a stale guess fails the seq
 *   check or the CAS and falls back to the loop above. Measured: +8% items/s worker to worker.
 * - close: set ENQ's CLOSED bit (CAS loop). A reservation is a CAS on ENQ, so every reservation is
 *   ordered before or after close: before, it completes and is drained; after, it fails. Lane puts
 *   check CLOSED while holding `lk`, and a consumer that finds the queue closed with an empty ring
 *   checks the lane under `lk` too, so a lane put that passed its check is always seen.
 *
 * Waking: three event words (PUT_SEQ for consumers, SPACE_SEQ for producers waiting for room,
 * SLOT_SEQ for producers waiting for a ring slot). Bit 0 says "someone may sleep on me", the other
 * bits count signals. All Atomics are sequentially consistent:
 * - a thread about to sleep sets bit 0 ({@linkcode prepareWait}, CAS), re-checks its condition,
 *   then waits while the word still has that value; a thread that makes the condition true (a
 *   publish, a freed slot) then reads the word ({@linkcode signal}): only if bit 0 is set does it
 *   start a new sequence with bit 0 clear (CAS) and notify all. Either the sleeper's re-check sees
 *   the change, or the signaller sees bit 0 and changes the word after the sleeper read it, so the
 *   wait returns at once or is woken: no lost wake-up (a Dekker pair). Notifying all keeps pollers
 *   and consumers that wait for a not-yet-published slot from swallowing a wake-up.
 * - Only the first signal after a sleeper announced itself pays for a notify: a consumer that
 *   sleeps and takes ~40 µs to wake used to cost its producer one notify (a system call) per record
 *   published meanwhile. A sleeper that leaves without sleeping leaves bit 0 set: one later signal
 *   then notifies nobody, which is cheap.
 * - producers in {@linkcode waitSlot} (ring full or lane in use; always with a deadline of about a
 *   millisecond) are signalled only once the ring is at most half full or the lane became empty,
 *   so they wake to a batch of free slots. A waiter that would have fit earlier loses at most its
 *   deadline, never a record.
 * - close adds 2 to every event word (keeping bit 0) and notifies all, so every sleeper re-checks.
 * - JoinableQueue: `join` sleeps on UNFINISHED while it is non-zero; the taskDone that makes it 0
 *   notifies all (a join that read a stale non-zero value fails its wait with "not-equal").
 * - A timed-out or aborted wait has nothing to undo (it claimed no slot, count or lane record).
 *
 * @module
 */
import type { Seam } from "../_atomics.ts";
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

/** Word index of the ring's slot count. */
export const SLOTS: number = 1;
/** Word index of the item bound (0: unbounded). */
export const MAXSIZE: number = 2;
/** Word index of the flavour (which class created the queue). */
export const FLAVOUR: number = 3;
/** Word index of the heap capacity bound. */
export const LANE_MAX: number = 4;
/** Word index of the enqueue position (bit 31: closed). */
export const ENQ: number = $ENQ;
/** Word index of the dequeue position. */
export const DEQ: number = $DEQ;
/** Word index of the consumers' event word (see the module doc). */
export const PUT_SEQ: number = $PUT_SEQ;
/** Word index of the event word of producers waiting for room. */
export const SPACE_SEQ: number = $SPACE_SEQ;
/** Word index of the event word of producers waiting for a ring slot. */
export const SLOT_SEQ: number = $SLOT_SEQ;
/** Word index of the item count (bounded queues). */
export const COUNT: number = $COUNT;
/** Word index of the unfinished-task count (JoinableQueue). */
export const UNFINISHED: number = $UNFINISHED;
/** Word index where the lane lock's view starts (its state is the next word). */
export const LANE_LOCK: number = $LANE_LOCK;
/** Word index of the lane's write position. */
export const LANE_HEAD: number = 114;
/** Word index of the lane's read position. */
export const LANE_TAIL: number = $LANE_TAIL;
/** Word index of the number of records in the lane. */
export const LANE_ITEMS: number = $LANE_ITEMS;
/** Word index of the heap's current capacity. */
export const LANE_CAP: number = 117;
/** Word index of slot 0. */
export const SLOT0: number = $SLOT0;
/** Bytes per ring slot (one cache line). */
export const SLOT_BYTES: number = $SLOT_BYTES;
/** Bytes of a slot's header (seq and record header); the payload follows. */
export const SLOT_HEADER: number = 8;
/** Bytes of the region before slot 0. */
export const BYTES: number = $SLOT0 * 4;
/** Bit 31 of ENQ: the queue is closed. */
export const CLOSED_BIT: number = $CLOSED_BIT;
/** Positions are 31-bit counters. */
export const MASK: number = $MASK;

/** Flavours (word FLAVOUR). */
export const QUEUE: number = 1;
/** See {@linkcode QUEUE}. */
export const JOINABLE: number = 2;
/** See {@linkcode QUEUE}. */
export const SIMPLE: number = 3;
/** See {@linkcode QUEUE}: one direction of a `Pipe`. */
export const PIPE: number = 4;

/** Status: nothing to take right now. */
export const EMPTY: number = $EMPTY;
/** Status: the queue is closed (and, for consumers, drained). */
export const CLOSED: number = $CLOSED;
/** Status: the record must go to (or be taken from) the lane. */
export const LANE: number = $LANE;
/** Status: no room (bounded queue at maxsize, or the heap at its bound). */
export const FULL: number = $FULL;
/** Status: the deadline passed (or the wait was aborted). */
export const TIMED_OUT: number = $TIMED_OUT;
/** Status: the ring holds records, take those before the lane's. */
export const RING: number = -6;
/** Status: success without a position. */
export const OK: number = $OK;

/** Names of the header words, for traces. */
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

/** The views and constants of one queue that every kernel function takes. */
export interface Shape {
  /** The queue's region as words. */
  readonly q: Int32Array;
  /** The lane lock's view (words LANE_LOCK, LANE_LOCK + 1), as the Lock kernel expects it. */
  readonly lk: Int32Array;
  /** Slots - 1 (slots is a power of two). */
  readonly mask: number;
  /** The item bound, 0 for unbounded. */
  readonly maxsize: number;
  /** This thread's guess of ENQ (not shared; a stale guess fails the CAS on ENQ: module doc). */
  enqHint: number;
  /** This thread's guess of DEQ (see {@linkcode Shape.enqHint}), checked by the CAS on DEQ. */
  deqHint: number;
}

/** Builds the {@linkcode Shape} of a queue region (pure: makes views, reads nothing). */
export function shape(q: Int32Array, slots: number, maxsize: number): Shape {
  const lk = new Int32Array(q.buffer, q.byteOffset + $LANE_LOCK * 4, 2);
  return { q, lk, mask: slots - 1, maxsize, enqHint: 0, deqHint: 0 };
}

/** Word index of the seq word of the slot of ring position `p` (pure). */
export function slotWord(S: Shape, p: number): number {
  return $SLOT0 + (p & S.mask) * ($SLOT_BYTES >> 2);
}

/** `a - b` for 31-bit positions, as a signed number (pure). */
export function dif(a: number, b: number): number {
  return ((a - b) << 1) >> 1;
}

// ---------------------------------------------------------------------------------------------
// Producers

/**
 * Reserves a ring slot for one record: returns its position p (write the record into slot p, then
 * {@linkcode publish}), {@linkcode LANE} if the record must go to the lane (the lane is not empty),
 * {@linkcode FULL} if the ring stayed full (see below: wait with {@linkcode waitSlot}, or use the
 * lane), or {@linkcode CLOSED}.
 */
export function tryReserve(A: Seam, S: Shape): number {
  const q = S.q;
  // FIFO across lanes: while anything waits in the lane, new records queue up behind it there.
  if (A.load(q, $LANE_ITEMS) !== 0) return $LANE;
  // Fast path, saving the load of ENQ: guess it is where this thread's last reservation left it.
  // The guess's slot free for it and the CAS from it succeeding prove ENQ was the guess and the
  // slot ours, exactly as in the loop below (a closed queue's ENQ has bit 31 set: the CAS fails).
  const g = S.enqHint;
  if (A.load(q, slotWord(S, g)) === g && A.compareExchange(q, $ENQ, g, (g + 1) & $MASK) === g) {
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
    const e = A.load(q, $ENQ);
    if (e < 0) return $CLOSED;
    const d = dif(A.load(q, slotWord(S, e)), e);
    if (d === 0) {
      // The slot is free for e; whoever moves ENQ from e owns it.
      if (A.compareExchange(q, $ENQ, e, (e + 1) & $MASK) === e) {
        S.enqHint = (e + 1) & $MASK;
        return e;
      }
    } else if (d < 0) {
      // Full: the slot still holds the record of the previous lap.
      if (--budget < 0 || --idle < 0) return $FULL;
      A.pause();
      const p = A.load(q, $DEQ);
      if (p !== seen) {
        seen = p;
        idle = spin;
      }
    }
    // d > 0: another producer reserved e; read ENQ again.
  }
}

/** Publishes the record written into the slot of reserved position `p`, waking consumers. */
export function publish(A: Seam, S: Shape, p: number): void {
  // Synchronizes-with: a consumer's load of seq === p+1 sees the record written before this store.
  A.store(S.q, slotWord(S, p), (p + 1) & $MASK);
  wakeConsumers(A, S);
}

/** Wakes sleeping consumers if any announced themselves (see the module doc). */
export function wakeConsumers(A: Seam, S: Shape): void {
  signal(A, S.q, $PUT_SEQ);
}

/**
 * Waits (until `deadline`) until the ring could take a record: the lane is empty and the slot at
 * ENQ is free (or the queue is closed). A producer whose record would otherwise spill into the lane
 * (ring full, or lane in use) lets slower consumers catch up first: once records sit in the lane,
 * every producer follows them there (FIFO) and the lane is slower than the ring, so without this
 * wait a producer that outruns its consumer once would keep both on the lane. Returns
 * {@linkcode OK} (re-try {@linkcode tryReserve}) or {@linkcode TIMED_OUT}.
 */
export function waitSlot(A: Seam, S: Shape, deadline: number): number {
  const q = S.q;
  for (;;) {
    const w = prepareWait(A, q, $SLOT_SEQ);
    const e = A.load(q, $ENQ);
    if (e < 0 || A.load(q, $LANE_ITEMS) === 0 && dif(A.load(q, slotWord(S, e)), e) >= 0) return $OK;
    // No lost wake-up: release frees a slot (lanePop empties the lane), then signals SLOT_SEQ if
    // the ring is at most half full (lane: empty); otherwise the deadline ends the wait.
    if (A.wait(q, $SLOT_SEQ, w, deadline) === "timed-out") return $TIMED_OUT;
  }
}

/** Wakes the producers sleeping in {@linkcode waitSlot}, if any announced themselves. */
export function wakeSlotWaiters(A: Seam, S: Shape): void {
  signal(A, S.q, $SLOT_SEQ);
}

/**
 * Announces a sleeper on event word `i`: sets its bit 0 (see the module doc) and returns the value
 * to wait on. Re-check the condition after this, then wait while the word holds that value.
 */
export function prepareWait(A: Seam, q: Int32Array, i: number): number {
  for (;;) {
    const w = A.load(q, i);
    if ((w & 1) !== 0 || A.compareExchange(q, i, w, w | 1) === w) return w | 1;
  }
}

/**
 * Signals event word `i` after making a sleeper's condition true: if a sleeper announced itself,
 * starts a new sequence with bit 0 clear and wakes every sleeper; otherwise only reads the word.
 */
export function signal(A: Seam, q: Int32Array, i: number): void {
  const w = A.load(q, i);
  // A failed CAS means another signaller (or close) changed the word, and it notifies.
  if ((w & 1) !== 0 && A.compareExchange(q, i, w, (w + 2) & ~1) === w) A.notify(q, i, Infinity);
}

/**
 * Counts one more item in a bounded queue if it has room: {@linkcode OK}, {@linkcode FULL} or
 * {@linkcode CLOSED}. Unbounded queues do not count.
 */
export function tryCount(A: Seam, S: Shape): number {
  const q = S.q;
  for (;;) {
    if (A.load(q, $ENQ) < 0) return $CLOSED;
    const c = A.load(q, $COUNT);
    if (c >= S.maxsize) return $FULL;
    if (A.compareExchange(q, $COUNT, c, c + 1) === c) return $OK;
  }
}

/**
 * {@linkcode tryCount}, waiting for room until `deadline`: {@linkcode OK}, {@linkcode CLOSED} or
 * {@linkcode TIMED_OUT} (nothing counted).
 */
export function count(A: Seam, S: Shape, deadline: number): number {
  const q = S.q;
  let r = tryCount(A, S);
  for (let n = A.spin; r === $FULL && n > 0; n--) {
    A.pause();
    r = tryCount(A, S);
  }
  while (r === $FULL) {
    const w = prepareWait(A, q, $SPACE_SEQ);
    r = tryCount(A, S);
    if (r !== $FULL) break;
    // No lost wake-up: a consumer frees room, then signals SPACE_SEQ (module doc).
    if (A.wait(q, $SPACE_SEQ, w, deadline) === "timed-out") return $TIMED_OUT;
    r = tryCount(A, S);
  }
  return r;
}

/** Gives back a count taken by {@linkcode tryCount} / {@linkcode count} (a put that failed). */
export function uncount(A: Seam, S: Shape): void {
  A.sub(S.q, $COUNT, 1);
  wakeProducers(A, S);
}

/** Wakes producers waiting for room, if any announced themselves. */
export function wakeProducers(A: Seam, S: Shape): void {
  signal(A, S.q, $SPACE_SEQ);
}

// ---------------------------------------------------------------------------------------------
// Consumers

/**
 * Claims the oldest record if one is ready: returns its ring position p (read slot p, then
 * {@linkcode release}), {@linkcode LANE} (the ring is empty and the lane holds records: take one
 * under the lane lock), {@linkcode EMPTY}, or {@linkcode CLOSED} (closed and fully drained); in the
 * async form also {@linkcode TIMED_OUT}, when an abort ended its wait for the lane lock.
 */
export function tryClaim(A: Seam, S: Shape): number {
  const q = S.q;
  // Fast path, saving the load of DEQ: guess it is where this thread's last claim left it; the
  // guess's record published and the CAS from it succeeding prove it, as in the loop below.
  const g = S.deqHint;
  if (
    A.load(q, slotWord(S, g)) === ((g + 1) & $MASK) &&
    A.compareExchange(q, $DEQ, g, (g + 1) & $MASK) === g
  ) {
    S.deqHint = (g + 1) & $MASK;
    return g;
  }
  for (;;) {
    const p = A.load(q, $DEQ);
    const d = dif(A.load(q, slotWord(S, p)), (p + 1) & $MASK);
    if (d === 0) {
      // Published and not yet taken: whoever moves DEQ from p owns it.
      if (A.compareExchange(q, $DEQ, p, (p + 1) & $MASK) === p) {
        S.deqHint = (p + 1) & $MASK;
        return p;
      }
      continue;
    }
    if (d > 0) continue; // another consumer took p; read DEQ again
    const e = A.load(q, $ENQ);
    if (A.load(q, $DEQ) !== p) continue; // DEQ moved meanwhile: our view is stale
    // p is reserved by a producer still writing it: wait for it, never skip it (FIFO).
    if ((e & $MASK) !== p) return $EMPTY;
    if (A.load(q, $LANE_ITEMS) !== 0) return $LANE;
    if (e >= 0) return $EMPTY;
    // Closed, ring drained, lane looked empty: a lane put that passed its closed check before the
    // close may still be appending while holding the lane lock; take the lock to see it. Only the
    // async form's abort can end that wait: then this thread does not hold the lock, and must not
    // release it (it would release the putter's): claim nothing.
    if (lockAcquire(A, S.lk, $LANE_HOLDER, Infinity) === LOCK_TIMED_OUT) return $TIMED_OUT;
    const items = A.load(q, $LANE_ITEMS);
    lockRelease(A, S.lk, $LANE_HOLDER);
    return items !== 0 ? $LANE : $CLOSED;
  }
}

/**
 * {@linkcode tryClaim}, waiting until `deadline` while the queue is empty: a position,
 * {@linkcode LANE}, {@linkcode CLOSED} or {@linkcode TIMED_OUT} (nothing claimed).
 */
export function claim(A: Seam, S: Shape, deadline: number): number {
  const q = S.q;
  let r = tryClaim(A, S);
  for (let n = A.spin; r === $EMPTY && n > 0; n--) {
    A.pause();
    r = tryClaim(A, S);
  }
  while (r === $EMPTY) {
    const w = prepareWait(A, q, $PUT_SEQ);
    r = tryClaim(A, S);
    if (r !== $EMPTY) break;
    // No lost wake-up: a producer publishes, then signals PUT_SEQ (module doc).
    if (A.wait(q, $PUT_SEQ, w, deadline) === "timed-out") return $TIMED_OUT;
    r = tryClaim(A, S);
  }
  return r;
}

/**
 * Whether a record (or the end of a closed queue) is ready, without claiming it, waiting until
 * `deadline`: {@linkcode OK} (ready, or closed) or {@linkcode TIMED_OUT}.
 */
export function poll(A: Seam, S: Shape, deadline: number): number {
  const q = S.q;
  while (!ready(A, S)) {
    const w = prepareWait(A, q, $PUT_SEQ);
    if (ready(A, S)) break;
    // No lost wake-up: as in claim.
    if (A.wait(q, $PUT_SEQ, w, deadline) === "timed-out") return $TIMED_OUT;
  }
  return $OK;
}

/** Whether a get would not wait now: a record is published or in the lane, or the queue is closed. */
export function ready(A: Seam, S: Shape): boolean {
  const q = S.q;
  const p = A.load(q, $DEQ);
  if (dif(A.load(q, slotWord(S, p)), (p + 1) & $MASK) >= 0) return true;
  return A.load(q, $LANE_ITEMS) !== 0 || A.load(q, $ENQ) < 0;
}

/** Frees the slot of claimed position `p` for the next lap, and accounts for the taken item. */
export function release(A: Seam, S: Shape, p: number): void {
  const q = S.q;
  // Synchronizes-with: the producer that next sees seq === p+N writes after our reads of the slot.
  A.store(q, slotWord(S, p), (p + S.mask + 1) & $MASK);
  // Producers waiting for a slot: wake them once the ring is at most half full (module doc).
  if (
    (A.load(q, $SLOT_SEQ) & 1) !== 0 &&
    dif(A.load(q, $ENQ) & $MASK, (p + 1) & $MASK) <= (S.mask + 1) >> 1
  ) wakeSlotWaiters(A, S);
  // Producers sleeping on SPACE_SEQ wait for a count (bounded queues) or for heap room, which a
  // ring slot is not: an unbounded queue's ring take has no one to wake (saves a load per get).
  if (S.maxsize > 0) taken(A, S);
}

/**
 * Accounts for one item leaving the queue (a lane take, or a ring take from a bounded queue):
 * uncounts it and wakes producers waiting for a count or for heap room.
 */
export function taken(A: Seam, S: Shape): void {
  if (S.maxsize > 0) A.sub(S.q, $COUNT, 1);
  wakeProducers(A, S);
}

// ---------------------------------------------------------------------------------------------
// Closing and joining

/** Closes the queue (idempotent) and wakes every sleeper so that it re-checks. */
export function close(A: Seam, S: Shape): void {
  const q = S.q;
  for (;;) {
    const e = A.load(q, $ENQ);
    if (e < 0 || A.compareExchange(q, $ENQ, e, e | $CLOSED_BIT) === e) break;
  }
  // Adding 2 keeps each word's bit 0 and changes its value, so no sleeper misses this.
  A.add(q, $PUT_SEQ, 2);
  A.notify(q, $PUT_SEQ, Infinity);
  A.add(q, $SPACE_SEQ, 2);
  A.notify(q, $SPACE_SEQ, Infinity);
  A.add(q, $SLOT_SEQ, 2);
  A.notify(q, $SLOT_SEQ, Infinity);
}

/** A number that changes whenever a consumer takes a record (from either lane). */
export function progress(A: Seam, S: Shape): number {
  return (A.load(S.q, $DEQ) + A.load(S.q, $LANE_TAIL)) | 0;
}

/** Whether the queue is closed. */
export function closed(A: Seam, S: Shape): boolean {
  return A.load(S.q, $ENQ) < 0;
}

/**
 * Items in the queue: COUNT for bounded queues; otherwise ring positions between DEQ and ENQ
 * (reserved or published) plus lane records. A snapshot.
 */
export function size(A: Seam, S: Shape): number {
  const q = S.q;
  if (S.maxsize > 0) return A.load(q, $COUNT);
  const d = A.load(q, $DEQ);
  const ring = dif(A.load(q, $ENQ) & $MASK, d);
  return Math.max(0, ring) + A.load(q, $LANE_ITEMS);
}

/** Counts one more unfinished task (a JoinableQueue put, before it publishes). */
export function addTask(A: Seam, S: Shape): void {
  A.add(S.q, $UNFINISHED, 1);
}

/**
 * Marks one task done: returns false (and changes nothing) if none is unfinished. The one that
 * reaches zero wakes every joiner.
 */
export function taskDone(A: Seam, S: Shape): boolean {
  const q = S.q;
  for (;;) {
    const u = A.load(q, $UNFINISHED);
    if (u <= 0) return false;
    if (A.compareExchange(q, $UNFINISHED, u, u - 1) === u) {
      if (u === 1) A.notify(q, $UNFINISHED, Infinity);
      return true;
    }
  }
}

/** Waits until no task is unfinished; false if `deadline` passed first. */
export function join(A: Seam, S: Shape, deadline: number): boolean {
  const q = S.q;
  for (;;) {
    const u = A.load(q, $UNFINISHED);
    if (u === 0) return true;
    // No lost wake-up: we sleep only while UNFINISHED === u !== 0; reaching 0 changes it and notifies.
    if (A.wait(q, $UNFINISHED, u, deadline) === "timed-out") return false;
  }
}
