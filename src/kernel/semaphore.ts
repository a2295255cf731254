/**
 * Semaphore kernel: the shared-memory algorithm of `Semaphore` and `BoundedSemaphore`, a counter of
 * permits that `acquire` takes one at a time and `release(n)` gives back; robust ones also record
 * who holds permits, so that the permits of a thread that died are reclaimed (SysV's SEM_UNDO).
 *
 * Shared layout: Int32Array `s` over the semaphore's region, 28 bytes (one cache line), and for a
 * robust one a holder table after it, HOLDERS entries of two words (two more lines).
 * | index  | field   | written by                     | meaning                                     |
 * | 0      | tag     | constructor, once              | TAG.Semaphore or TAG.BoundedSemaphore       |
 * | 1      | value   | acquire, release, reclaim (CAS)| `permits | SLEEPERS`: permits available in  |
 * |        |         |                                | bits 0-30, SLEEPERS (bit 31) set when a     |
 * |        |         |                                | thread may sleep on the word                |
 * | 2      | waiters | acquire's slow path (add, sub) | acquirers inside the slow path              |
 * | 3      | bound   | constructor, once              | most permits `value` may hold: the initial  |
 * |        |         |                                | value (bounded) or 2^31 - 1 (unbounded)     |
 * | 4      | tainted | reclaim (add), untaint (CAS)   | reclaimed permits not yet owned up to       |
 * | 5      | holders | constructor, once              | entries of the holder table; 0: not robust  |
 * | 6      | initial | constructor, once              | the initial value: the fast paths' guess    |
 * | 16+2j  | id      | its thread (CAS 0 -> id, once),| presence id of the thread entry j counts    |
 * |        |         | reclaim (CAS id -> -1 -> 0)    | for, 0 free, -1 being reclaimed             |
 * | 17+2j  | count   | its thread; reclaim (store 0)  | permits that thread took and still holds    |
 *
 * Transitions (p: the permits in `value`; the SLEEPERS bit stays as it is unless said):
 * - acquire: p>0 -> p-1 (CAS). Fast path: one CAS from the caller's guess (a semaphore nobody uses
 *   holds its initial value), which returns what is there if the guess was wrong. Slow path:
 *   waiters + 1, and only the first waiter (it found 0) spins with backoff; then, while p === 0,
 *   0 -> SLEEPERS (CAS) and sleep while value === SLEEPERS; once it has slept it takes a permit as
 *   p -> (p-1) | SLEEPERS (others may sleep: its release must notify), and if permits are left
 *   notifies p-1 (releases made while SLEEPERS was clear woke nobody). On leaving the slow path
 *   (with a permit, timed out, or aborted) waiters - 1. A robust acquirer then adds 1 to its count.
 * - release(n): p -> p+n (CAS) unless p+n > bound (then nothing changes: OVER_BOUND). Fast path: one
 *   CAS from the caller's guess, which fails whenever SLEEPERS is set. A release that finds
 *   SLEEPERS clears it and notifies n. A robust releaser first lowers its own count.
 * - reclaim (a robust waiter whose patience ran out): for each entry whose thread a probe proved
 *   gone, id -> -1, take its count c, count := 0, id := 0; then tainted += the total, and the
 *   permits go back as by release (capped at the bound; SLEEPERS kept, then notify if waiters >
 *   0). An acquirer that takes a permit while `tainted` > 0 owns up to one (untaint, with its
 *   onOwnerDied) or gives its permit back and throws: reclaimed permits stand for resources a dead
 *   thread may have left inconsistent.
 * - a timed-out or aborted acquire changes `waiters` back and takes nothing.
 *
 * Invariant: 0 <= p <= bound. No lost wake-up (Drepper's mutex #2, with permits): a thread sleeps
 * only while value === SLEEPERS, and only a release or reclaim moves the word on from there; both
 * notify when they find SLEEPERS (a release clears it; reclaim keeps it and notifies if `waiters`
 * > 0, read after its CAS). While the bit is clear, a thread the clearing release woke is on its
 * way: it sets the bit again, sleeping again (no permit left) or taking a permit, and then passes
 * on the permits that later releases (which found the bit clear and woke nobody) left. So a
 * sleeper is never left asleep beside a permit, nor without the bit set for the next release. A
 * woken acquirer that loses the permit sleeps again; the permit went to someone, so no permit is
 * lost either. `waiters` only decides whether a waiter spins, never whether it sleeps or is woken:
 * a thread terminated inside the slow path (a worker's `terminate()`) leaves its count behind for
 * good, and later waiters then sleep without spinning, so the semaphore degrades to a plain futex
 * semaphore and stays correct (`tests/explore/robust_test.ts` kills a waiter at every point of
 * every interleaving). As in the Lock kernel, a waiter terminated after a release woke it and
 * before it took a permit or slept again takes that wake-up with it (so does a releaser terminated
 * between its CAS and its notify). Counts move after the permit on acquire and before it on
 * release, so a thread that stopped in between loses a permit rather than have one reclaimed twice
 * (a thread is only ever stopped between turns of its event loop, never in between). Fast paths
 * read and write `value` only (a robust one its count too).
 * Synchronizes-with: release's CAS of `value` is read by the acquirer's successful CAS.
 *
 * @module
 */
import type { Seam } from "../_atomics.ts";
import * as P from "./presence.ts";

// The functions below use module-private twins of the exported constants: V8 reads an exported
// binding through its module cell at every use (~7% of an uncontended pair, see src/kernel/lock.ts).
const $VALUE = 1;
const $WAITERS = 2;
const $BOUND = 3;
const $TAINTED = 4;
const $HOLDERS = 5;
const $INITIAL = 6;
const $TABLE = 16;
const $RECLAIMING = -1;
const $MAX_VALUE = 0x7fffffff;
/** The SLEEPERS bit of `value` (bit 31), and the word of an empty semaphore with sleepers. */
const $SLEEPERS = -0x80000000;
const $RELEASED = 0;
const $OVER_BOUND = 1;
/** The most pauses between two checks of a spinning acquire (as the Lock kernel's). */
const $MAX_STEP = 32;

/** Word index of the number of available permits (with the SLEEPERS bit). */
export const VALUE: number = $VALUE;
/** Word index of the number of acquirers inside the slow path (it decides who spins). */
export const WAITERS: number = $WAITERS;
/** Word index of the bound on `value`. */
export const BOUND: number = $BOUND;
/** Word index of the number of reclaimed permits not yet owned up to. */
export const TAINTED: number = $TAINTED;
/** Word index of the size of the holder table (0: not robust). */
export const HOLDERS: number = $HOLDERS;
/** Word index of the initial value. */
export const INITIAL: number = $INITIAL;
/** Word index of the holder table. */
export const TABLE: number = $TABLE;
/** Entries of a robust semaphore's holder table: threads that may hold permits at once. */
export const TABLE_ENTRIES = 16;
/** Bytes the semaphore's region needs (robust ones: {@linkcode robustBytes}). */
export const BYTES = 28;
/** Bytes a robust semaphore's region needs, with a holder table of `entries` entries. */
export function robustBytes(entries: number): number {
  return ($TABLE + 2 * entries) * 4;
}
/** The name of each word, by index (for traces). */
export const FIELDS: readonly string[] = (() => {
  const names = ["tag", "value", "waiters", "bound", "tainted", "holders", "initial"];
  for (let w = names.length; w < $TABLE; w++) names.push(`word${w}`);
  for (let j = 0; j < TABLE_ENTRIES; j++) names.push(`holder${j}.id`, `holder${j}.count`);
  return names;
})();

/** The largest value (and the bound of an unbounded semaphore). */
export const MAX_VALUE: number = $MAX_VALUE;
/** The SLEEPERS bit of the `value` word (see the module doc). */
export const SLEEPERS: number = $SLEEPERS;

/** {@linkcode release} succeeded. */
export const RELEASED: number = $RELEASED;
/** {@linkcode release} failed (nothing changed): the value would exceed the bound. */
export const OVER_BOUND: number = $OVER_BOUND;

/**
 * Writes the initial value, bound and holder-table size (0: not robust) of a fresh region (before
 * it is shared).
 */
export function init(A: Seam, s: Int32Array, value: number, bound: number, holders: number): void {
  A.store(s, $VALUE, value);
  A.store(s, $BOUND, bound);
  A.store(s, $HOLDERS, holders);
  A.store(s, $INITIAL, value);
}

/** The initial value (callers derive the fast paths' guesses from it once). */
export function initial(A: Seam, s: Int32Array): number {
  return A.load(s, $INITIAL);
}

/**
 * The value {@linkcode tryAcquire} and {@linkcode acquire} should guess for a semaphore whose
 * {@linkcode initial} value is `initialValue`: a semaphore nobody uses holds its initial value (at
 * least 1: a take succeeds from nothing less).
 */
export function takeGuess(initialValue: number): number {
  return initialValue > 1 ? initialValue : 1;
}

/**
 * The value {@linkcode release} should guess for a semaphore whose {@linkcode initial} value is
 * `initialValue`: one permit taken leaves one less (at least 0).
 */
export function giveGuess(initialValue: number): number {
  return initialValue > 1 ? initialValue - 1 : 0;
}

/** The size of the holder table: 0 unless the semaphore is robust. */
export function holders(A: Seam, s: Int32Array): number {
  return A.load(s, $HOLDERS);
}

/**
 * Takes one permit if there is one; never waits. `expect` (>= 1): the value the caller guesses is
 * there; a right guess costs one CAS, a wrong one a second (the CAS returns what is there).
 */
export function tryAcquire(A: Seam, s: Int32Array, expect: number): boolean {
  // The fast path alone, small enough to inline: the guess was right.
  const c = A.compareExchange(s, $VALUE, expect, expect - 1);
  return c === expect || tryAcquireSeen(A, s, c);
}

/** {@linkcode tryAcquire} of a semaphore whose value was last seen as `c`. */
function tryAcquireSeen(A: Seam, s: Int32Array, c: number): boolean {
  // `c - 1` keeps the SLEEPERS bit: with permits > 0 the subtraction never borrows from it.
  while ((c & $MAX_VALUE) > 0) {
    const seen = A.compareExchange(s, $VALUE, c, c - 1);
    if (seen === c) return true;
    c = seen;
  }
  return false;
}

/**
 * Takes one permit, sleeping until `deadline`; returns false (nothing taken) on timeout. `expect`:
 * as for {@linkcode tryAcquire}.
 *
 * Only the first waiter (it found `waiters` at 0) spins, re-checking after 1, 2, 4, ... 32 pauses
 * as the Lock kernel's acquire; the others sleep at once. Spinning every waiter, a `Semaphore(1)`
 * used as a lock by 4 and 8 workers on 2 cores ran at 0.07x the raw futex lock (bench/RESULTS.md,
 * "Speed under pressure (issue 16): Semaphore under contention"): each spinner took a core from
 * the holder, and the permit changed hands every ~0.8 µs.
 */
export function acquire(A: Seam, s: Int32Array, expect: number, deadline: number): boolean {
  if (tryAcquire(A, s, expect)) return true;
  const first = A.add(s, $WAITERS, 1) === 0;
  const r = (first && spin(A, s)) || contend(A, s, deadline);
  A.sub(s, $WAITERS, 1);
  return r;
}

/** The spin of the first waiter: whether it took a permit (the budget is read once, see REAL). */
function spin(A: Seam, s: Int32Array): boolean {
  const budget = A.spin;
  for (let spent = 0, step = 1; spent < budget; step = step < $MAX_STEP ? step * 2 : step) {
    for (let p = 0; p < step && spent < budget; p++, spent++) A.pause();
    const c = A.load(s, $VALUE);
    if ((c & $MAX_VALUE) > 0 && A.compareExchange(s, $VALUE, c, c - 1) === c) return true;
  }
  return false;
}

/** The sleeping part of {@linkcode acquire}: whether it took a permit before `deadline`. */
function contend(A: Seam, s: Int32Array, deadline: number): boolean {
  let c = A.load(s, $VALUE);
  let slept = 0;
  A.loop?.("semaphore.acquire"); // for the explorer's state caching (Seam.at)
  for (;;) {
    A.at?.("semaphore.acquire", c, slept);
    if ((c & $MAX_VALUE) > 0) {
      // Once we slept, take it with SLEEPERS: the release that woke us cleared it, others may sleep.
      const seen = A.compareExchange(s, $VALUE, c, (c - 1) | slept);
      if (seen !== c) {
        c = seen;
        continue;
      }
      // Permits left that releases made while SLEEPERS was clear: pass them on to sleepers.
      if (slept !== 0 && (c & $MAX_VALUE) > 1) A.notify(s, $VALUE, (c & $MAX_VALUE) - 1);
      return true;
    }
    if (c === 0) {
      // Set SLEEPERS before sleeping: a release that finds it notifies (we are counted already).
      const seen = A.compareExchange(s, $VALUE, 0, $SLEEPERS);
      if (seen !== 0) {
        c = seen;
        continue;
      }
    }
    // No lost wake-up: we sleep only while value === SLEEPERS, and whoever moves the word on from
    // there notifies (see the invariant).
    if (A.wait(s, $VALUE, $SLEEPERS, deadline) === "timed-out") return false;
    slept = $SLEEPERS;
    c = A.load(s, $VALUE);
  }
}

/**
 * Gives back `n` permits (n >= 1) and wakes up to `n` sleepers; RELEASED or OVER_BOUND. `bound`:
 * the semaphore's {@linkcode bound} (it never changes: callers read it once); `expect`: the value
 * the caller guesses is there (>= 0), as for {@linkcode tryAcquire}.
 */
export function release(A: Seam, s: Int32Array, n: number, bound: number, expect: number): number {
  if (expect <= bound - n) {
    // The fast path alone, small enough to inline: the guess was right, so SLEEPERS was clear.
    const v = A.compareExchange(s, $VALUE, expect, expect + n);
    return v === expect ? $RELEASED : releaseSeen(A, s, n, bound, v);
  }
  return releaseSeen(A, s, n, bound, A.load(s, $VALUE));
}

/** {@linkcode release} of a semaphore whose value was last seen as `v`. */
function releaseSeen(A: Seam, s: Int32Array, n: number, bound: number, v: number): number {
  for (;;) {
    if ((v & $MAX_VALUE) > bound - n) return $OVER_BOUND;
    if (v >= 0) {
      // SLEEPERS clear: nobody sleeps (`v + n` <= bound keeps the bit clear).
      const seen = A.compareExchange(s, $VALUE, v, v + n);
      if (seen === v) return $RELEASED;
      v = seen;
      continue;
    }
    // SLEEPERS set: clear it and wake n (each sets it again unless it leaves, see the invariant).
    const seen = A.compareExchange(s, $VALUE, v, (v & $MAX_VALUE) + n);
    if (seen !== v) {
      v = seen;
      continue;
    }
    A.notify(s, $VALUE, n);
    return $RELEASED;
  }
}

/**
 * The holder-table entry of the thread with presence id `who`, claimed on first use; -1 if the
 * table is full or `who` cannot be probed (such a thread's permits are not recorded).
 */
export function entryOf(A: Seam, s: Int32Array, who: number): number {
  if (!P.probeable(who)) return -1;
  const n = A.load(s, $HOLDERS);
  for (;;) {
    let free = -1;
    for (let j = 0; j < n; j++) {
      const id = A.load(s, $TABLE + 2 * j);
      if (id === who) return j;
      if (id === 0 && free < 0) free = j;
    }
    if (free < 0) return -1;
    // Lost the free entry to another thread: look again (ours cannot have appeared meanwhile).
    if (A.compareExchange(s, $TABLE + 2 * free, 0, who) === 0) return free;
  }
}

/** Entry `j`'s thread took `n` more permits (only that thread writes its count). */
export function hold(A: Seam, s: Int32Array, j: number, n: number): void {
  const w = $TABLE + 2 * j + 1;
  A.store(s, w, A.load(s, w) + n);
}

/**
 * Entry `j`'s thread gives back `n` permits: lowers its count by as many as it holds (a release
 * beyond them is another thread's permits) and returns by how much.
 */
export function unhold(A: Seam, s: Int32Array, j: number, n: number): number {
  const w = $TABLE + 2 * j + 1;
  const c = A.load(s, w);
  const k = c < n ? c : n;
  if (k > 0) A.store(s, w, c - k);
  return k;
}

/** Reclaimed permits not yet owned up to (see {@linkcode untaint}). */
export function tainted(A: Seam, s: Int32Array): number {
  return A.load(s, $TAINTED);
}

/** Owns up to one reclaimed permit (the caller repairs what it stands for); false if none is left. */
export function untaint(A: Seam, s: Int32Array): boolean {
  // tryAcquire's loop on another word, written out: tryAcquire is a fast path and calls nothing.
  let t = A.load(s, $TAINTED);
  while (t > 0) {
    const seen = A.compareExchange(s, $TAINTED, t, t - 1);
    if (seen === t) return true;
    t = seen;
  }
  return false;
}

/** Gives back an owned-up-to reclaimed permit (the repair failed). */
export function retaint(A: Seam, s: Int32Array): void {
  A.add(s, $TAINTED, 1);
}

/**
 * Probes the threads of the holder table in the presence registry `registry`, and reclaims the
 * permits of those that are gone: returns how many went back (see "reclaim" above).
 */
export function reclaim(A: Seam, s: Int32Array, registry: Int32Array): number {
  const n = A.load(s, $HOLDERS);
  let total = 0;
  for (let j = 0; j < n; j++) {
    const w = $TABLE + 2 * j;
    const id = A.load(s, w);
    if (id === 0 || id === $RECLAIMING || P.probeId(A, registry, id) !== P.GONE) continue;
    // A gone thread writes nothing more: only another reclaimer can race us for its entry.
    if (A.compareExchange(s, w, id, $RECLAIMING) !== id) continue;
    total += A.load(s, w + 1);
    A.store(s, w + 1, 0);
    A.store(s, w, 0);
  }
  if (total === 0) return 0;
  // Taint first, then give the permits back: whoever takes one of them sees the taint.
  A.add(s, $TAINTED, total);
  const bound = A.load(s, $BOUND);
  let v = A.load(s, $VALUE);
  let k = 0;
  for (;;) {
    const room = bound - (v & $MAX_VALUE);
    k = room < total ? room : total;
    if (k <= 0) break;
    // `v + k` keeps SLEEPERS as it is (setting it is always safe: see the invariant).
    const seen = A.compareExchange(s, $VALUE, v, v + k);
    if (seen === v) break;
    v = seen;
  }
  if (k < total) A.sub(s, $TAINTED, total - (k > 0 ? k : 0));
  if (k <= 0) return 0;
  if (A.load(s, $WAITERS) > 0) A.notify(s, $VALUE, k);
  return k;
}

/** The number of available permits (a snapshot). */
export function value(A: Seam, s: Int32Array): number {
  return A.load(s, $VALUE) & $MAX_VALUE;
}

/** The most permits the semaphore may hold: its initial value if bounded, else 2^31 - 1. */
export function bound(A: Seam, s: Int32Array): number {
  return A.load(s, $BOUND);
}
