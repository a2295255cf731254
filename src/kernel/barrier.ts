/**
 * Barrier kernel: the shared-memory algorithm of `Barrier`, where `parties` threads wait for each
 * other, generation after generation (Python's `threading.Barrier` state machine, made lock-free:
 * one word holds the phase, the arrival count and the generation, so each step is one CAS).
 *
 * Shared layout: Int32Array `b` over the barrier's region, 20 bytes (padded to one cache line).
 * | index | field   | written by                | meaning                                      |
 * | 0     | tag     | constructor, once         | TAG.Barrier                                  |
 * | 1     | parties | constructor, once         | threads per generation, 1..32767             |
 * | 2     | state   | every operation (CAS)     | bits 0..1 phase: FILLING=0, BROKEN=1,        |
 * |       |         |                           | RESETTING=2; bits 2..16 count: parties       |
 * |       |         |                           | inside the current generation; bits 17..31   |
 * |       |         |                           | generation, mod 2^15. Waiters sleep on it.   |
 * | 3, 4  | timeout | constructor, once         | default timeout of every party's waits (ms), |
 * |       |         |                           | a float64's low and high words; Infinity:    |
 * |       |         |                           | none. Shared, so clones in workers keep it.  |
 *
 * Transitions (g: generation, c: count, p: parties):
 * - arrive: (g, c, FILLING) with c < p -> (g, c+1, FILLING); the arrival's index is c. While the
 *   generation is full (c === p: its last party runs the action) or a reset drains, arrivals wait
 *   for the next generation. In BROKEN, arrivals fail at once.
 * - complete (the party with index p-1, after its action): (g, p, FILLING) -> (g+1, 0, FILLING),
 *   notify all: every party of g is released. If the action threw: -> BROKEN, notify all.
 * - break (a party times out or is aborted, or `abort()`): (g, c, FILLING|RESETTING) -> (g, c,
 *   BROKEN), notify all.
 * - exit (a party of g that finds BROKEN or RESETTING): c -> c-1; in RESETTING the last one out
 *   (c-1 === 0) starts the next generation: -> (g+1, 0, FILLING), notify all.
 * - reset: c === 0 -> (g+1, 0, FILLING); else FILLING or BROKEN -> RESETTING (same g, c), notify
 *   all: the parties inside exit with BrokenBarrierError, then the barrier is fresh.
 *
 * Invariant: the generation advances only when no party of the current generation still needs to
 * learn its fate: by `complete` (all p parties released at once), or when c === 0 (all exited). So a
 * waiting party of generation g is released exactly when it sees a generation other than g, and
 * broken exactly when it sees g with a phase other than FILLING; it never confuses the two. Each
 * generation hands out indexes 0..p-1 once (one CAS per arrival). The generation wraps after 2^15:
 * a party would have to sleep through 32,768 complete generations of other threads, between two of
 * its own instructions, to be confused.
 * No lost wake-up: a party sleeps only while `state` equals the value it just read, and every
 * transition a sleeper waits for (new generation, BROKEN, RESETTING) is a CAS followed by notify-all.
 * Changes of the count alone notify nobody: no sleeper waits for them (a sleeper that read a
 * stale count gets "not-equal" and reads again).
 * Synchronizes-with: the completer's CAS (after its action) is read by every released party's load.
 *
 * @module
 */
import type { Seam } from "../_atomics.ts";

// The functions below use module-private twins of the exported constants: V8 reads an exported
// binding through its module cell at every use (~7% of an uncontended pair, see src/kernel/lock.ts).
const $PARTIES = 1;
const $STATE = 2;
const $TIMEOUT = 3;
const $FILLING = 0;
const $BROKEN = 1;
const $RESETTING = 2;
const $TICKET_GEN = 0x8000;
const $RELEASED = 0;
const $BROKEN_BARRIER = -1;
const $TIMED_OUT = -2;
const $TIMED_OUT_ENTERING = -3;

/** Word index of the number of parties. */
export const PARTIES: number = $PARTIES;
/** Word index of the phase, count and generation. */
export const STATE: number = $STATE;
/** Word index of the default timeout (two words: a float64's low and high halves). */
export const TIMEOUT: number = $TIMEOUT;
/** Bytes the barrier's region needs. */
export const BYTES = 20;
/** The name of each word, by index (for traces). */
export const FIELDS: readonly string[] = ["tag", "parties", "state", "timeout.lo", "timeout.hi"];

/** Phase: parties are arriving. */
export const FILLING: number = $FILLING;
/** Phase: broken until reset; waits fail. */
export const BROKEN: number = $BROKEN;
/** Phase: a reset waits for the parties inside to leave. */
export const RESETTING: number = $RESETTING;
/** The largest number of parties. */
export const MAX_PARTIES = 0x7fff;

const PHASE = 3;
const COUNT_ONE = 4;
const GEN_SHIFT = 17;
const MASK15 = 0x7fff;
/** Tickets (from {@linkcode arrive}) are `generation * TICKET_GEN + index`. */
export const TICKET_GEN: number = $TICKET_GEN;

/** A party was released: it returns its index. */
export const RELEASED: number = $RELEASED;
/** The barrier is (or was, while waiting) broken or reset. */
export const BROKEN_BARRIER: number = $BROKEN_BARRIER;
/** This party's deadline passed while it waited, and it broke the barrier. */
export const TIMED_OUT: number = $TIMED_OUT;
/** The deadline passed before this caller could enter a generation (nothing changed). */
export const TIMED_OUT_ENTERING: number = $TIMED_OUT_ENTERING;

/** The phase of a `state` value. */
export function phaseOf(v: number): number {
  return v & PHASE;
}

/** The count of a `state` value. */
export function countOf(v: number): number {
  return (v >>> 2) & MASK15;
}

/** The generation of a `state` value. */
export function generationOf(v: number): number {
  return v >>> GEN_SHIFT;
}

/** Packs a `state` value (the generation is taken mod 2^15). */
export function pack(generation: number, count: number, phase: number): number {
  return (((generation & MASK15) << GEN_SHIFT) | (count << 2) | phase) | 0;
}

// Thread-local scratch to convert the timeout between a float64 and its two words (never shared).
const f64 = new Float64Array(1);
const halves = new Int32Array(f64.buffer);

/**
 * Writes the number of parties and the default timeout (ms, `Infinity` for none) into a fresh
 * region (before it is shared).
 */
export function init(A: Seam, b: Int32Array, parties: number, timeout: number): void {
  A.store(b, $PARTIES, parties);
  f64[0] = timeout;
  const lo = halves[0]!;
  const hi = halves[1]!;
  A.store(b, $TIMEOUT, lo);
  A.store(b, $TIMEOUT + 1, hi);
}

/** The default timeout of the barrier's waits (ms), `Infinity` for none. */
export function timeout(A: Seam, b: Int32Array): number {
  // Both loads first, then the conversion: no other caller can use the scratch in between.
  const lo = A.load(b, $TIMEOUT);
  const hi = A.load(b, $TIMEOUT + 1);
  halves[0] = lo;
  halves[1] = hi;
  return f64[0]!;
}

/** The number of parties. */
export function parties(A: Seam, b: Int32Array): number {
  return A.load(b, $PARTIES);
}

/**
 * Enters the current generation: returns a ticket (generation * TICKET_GEN + index, >= 0), or
 * BROKEN_BARRIER, or TIMED_OUT_ENTERING. The party with index `p - 1` must then call
 * {@linkcode complete}; every other party calls {@linkcode awaitRelease}.
 */
export function arrive(A: Seam, b: Int32Array, p: number, deadline: number): number {
  for (;;) {
    const v = A.load(b, $STATE);
    const phase = phaseOf(v);
    if (phase === $BROKEN) return $BROKEN_BARRIER;
    const count = countOf(v);
    if (phase === $FILLING && count < p) {
      if (A.compareExchange(b, $STATE, v, v + COUNT_ONE) === v) {
        return generationOf(v) * $TICKET_GEN + count;
      }
      continue;
    }
    // A full generation's action runs, or a reset drains: wait for the next generation. No lost
    // wake-up: both end with a CAS of `state` and a notify-all.
    if (A.wait(b, $STATE, v, deadline) === "timed-out") {
      return phaseOf(A.load(b, $STATE)) === $BROKEN ? $BROKEN_BARRIER : $TIMED_OUT_ENTERING;
    }
  }
}

/** Leaves a broken or resetting generation; the last one out finishes a reset. */
function exit(A: Seam, b: Int32Array): number {
  let v = A.load(b, $STATE);
  for (;;) {
    const count = countOf(v) - 1;
    const last = phaseOf(v) === $RESETTING && count === 0;
    const next = last ? pack(generationOf(v) + 1, 0, $FILLING) : v - COUNT_ONE;
    const seen = A.compareExchange(b, $STATE, v, next);
    if (seen === v) {
      // Arrivals may wait for the reset to finish.
      if (last) A.notify(b, $STATE, Infinity);
      return $BROKEN_BARRIER;
    }
    v = seen;
  }
}

/** Breaks generation `g` after this party's deadline passed, unless it was released meanwhile. */
function timeOut(A: Seam, b: Int32Array, g: number): number {
  let v = A.load(b, $STATE);
  for (;;) {
    if (generationOf(v) !== g) return $RELEASED;
    if (phaseOf(v) !== $FILLING) return exit(A, b);
    const seen = A.compareExchange(b, $STATE, v, (v & ~PHASE) | $BROKEN);
    if (seen === v) {
      A.notify(b, $STATE, Infinity);
      exit(A, b);
      return $TIMED_OUT;
    }
    v = seen;
  }
}

/**
 * Waits until the generation of `ticket` is released (RELEASED), broken or reset (BROKEN_BARRIER),
 * or `deadline` passes (TIMED_OUT: this party broke the barrier for everyone).
 */
export function awaitRelease(A: Seam, b: Int32Array, ticket: number, deadline: number): number {
  const g = Math.floor(ticket / $TICKET_GEN);
  // Spin briefly: the last party often arrives soon, and a wake-up costs ~40 µs here.
  for (let n = A.spin; n > 0; n--) {
    const v = A.load(b, $STATE);
    if (generationOf(v) !== g || phaseOf(v) !== $FILLING) break;
    A.pause();
  }
  for (;;) {
    const v = A.load(b, $STATE);
    if (generationOf(v) !== g) return $RELEASED;
    if (phaseOf(v) !== $FILLING) return exit(A, b);
    // No lost wake-up: we sleep only while `state` is unchanged, and the transitions we wait for
    // are CAS-then-notify-all.
    if (A.wait(b, $STATE, v, deadline) === "timed-out") return timeOut(A, b, g);
  }
}

/**
 * Ends the full generation of `ticket` (the caller is its last party and has run the action):
 * releases everyone (RELEASED), or, if `ok` is false (the action threw), breaks the barrier. Returns
 * BROKEN_BARRIER if the barrier was broken or reset while the action ran, or was broken now.
 */
export function complete(A: Seam, b: Int32Array, ticket: number, ok: boolean): number {
  const g = Math.floor(ticket / $TICKET_GEN);
  let v = A.load(b, $STATE);
  for (;;) {
    // Only this party can end generation g: it is full, and we have not left it.
    if (phaseOf(v) !== $FILLING) return exit(A, b);
    const next = ok ? pack(g + 1, 0, $FILLING) : (v & ~PHASE) | $BROKEN;
    const seen = A.compareExchange(b, $STATE, v, next);
    if (seen === v) {
      A.notify(b, $STATE, Infinity);
      return ok ? $RELEASED : exit(A, b);
    }
    v = seen;
  }
}

/**
 * A whole wait without an action: returns this party's index (0..p-1), BROKEN_BARRIER, TIMED_OUT
 * or TIMED_OUT_ENTERING.
 */
export function wait(A: Seam, b: Int32Array, p: number, deadline: number): number {
  const ticket = arrive(A, b, p, deadline);
  if (ticket < 0) return ticket;
  const index = ticket % $TICKET_GEN;
  const result = index === p - 1
    ? complete(A, b, ticket, true)
    : awaitRelease(A, b, ticket, deadline);
  return result === $RELEASED ? index : result;
}

/** Breaks the barrier: parties inside and later arrivals fail until a reset. */
export function abort(A: Seam, b: Int32Array): void {
  let v = A.load(b, $STATE);
  for (;;) {
    if (phaseOf(v) === $BROKEN) return;
    const seen = A.compareExchange(b, $STATE, v, (v & ~PHASE) | $BROKEN);
    if (seen === v) break;
    v = seen;
  }
  A.notify(b, $STATE, Infinity);
}

/**
 * Returns the barrier to a fresh generation: at once if no party is inside, else once the parties
 * inside (which fail with BROKEN_BARRIER) have left.
 */
export function reset(A: Seam, b: Int32Array): void {
  let v = A.load(b, $STATE);
  for (;;) {
    const phase = phaseOf(v);
    let next: number;
    if (countOf(v) === 0) {
      if (phase === $FILLING) return;
      next = pack(generationOf(v) + 1, 0, $FILLING);
    } else {
      if (phase === $RESETTING) return;
      next = (v & ~PHASE) | $RESETTING;
    }
    const seen = A.compareExchange(b, $STATE, v, next);
    if (seen === v) break;
    v = seen;
  }
  A.notify(b, $STATE, Infinity);
}

/** Whether the barrier is broken (until a reset). */
export function broken(A: Seam, b: Int32Array): boolean {
  return phaseOf(A.load(b, $STATE)) === $BROKEN;
}

/** How many parties wait in the current generation (0 while broken or resetting). */
export function nWaiting(A: Seam, b: Int32Array): number {
  const v = A.load(b, $STATE);
  return phaseOf(v) === $FILLING ? countOf(v) : 0;
}
