/**
 * Semaphore kernel: the shared-memory algorithm of `Semaphore` and `BoundedSemaphore`, a counter of
 * permits that `acquire` takes one at a time and `release(n)` gives back; robust ones also record
 * who holds permits, so that the permits of a thread that died are reclaimed (SysV's SEM_UNDO).
 *
 * Shared layout: Int32Array `s` over the semaphore's region, 24 bytes (one cache line), and for a
 * robust one a holder table after it, HOLDERS entries of two words (two more lines).
 * | index  | field   | written by                     | meaning                                     |
 * | 0      | tag     | constructor, once              | TAG.Semaphore or TAG.BoundedSemaphore       |
 * | 1      | value   | acquire (CAS), release (CAS)   | permits available, 0 <= value <= bound      |
 * | 2      | waiters | acquire (add/sub)              | acquirers that may sleep on `value`         |
 * | 3      | bound   | constructor, once              | most permits `value` may hold: the initial  |
 * |        |         |                                | value (bounded) or 2^31 - 1 (unbounded)     |
 * | 4      | tainted | reclaim (add), untaint (CAS)   | reclaimed permits not yet owned up to       |
 * | 5      | holders | constructor, once              | entries of the holder table; 0: not robust  |
 * | 16+2j  | id      | its thread (CAS 0 -> id, once),| presence id of the thread entry j counts    |
 * |        |         | reclaim (CAS id -> -1 -> 0)    | for, 0 free, -1 being reclaimed             |
 * | 17+2j  | count   | its thread; reclaim (store 0)  | permits that thread took and still holds    |
 *
 * Transitions:
 * - acquire: value v>0 -> v-1 (CAS; fast path, spin, and after every wake-up). To sleep, an acquirer
 *   first raises `waiters`, re-tries, then sleeps while value === 0, and lowers `waiters` when it
 *   leaves (with a permit or timed out). A robust acquirer then adds 1 to its entry's count.
 * - release(n): value v -> v+n (CAS) unless v+n > bound (then nothing changes: OVER_BOUND); then, if
 *   `waiters` > 0, notify n sleepers on `value`. A robust releaser first lowers its own count.
 * - reclaim (a robust waiter whose patience ran out): for each entry whose thread a probe proved
 *   gone, id -> -1, take its count c, count := 0, id := 0; then tainted += the total, and the
 *   permits go back as by release (capped at the bound). An acquirer that takes a permit while
 *   `tainted` > 0 owns up to one (untaint, with its onOwnerDied) or gives its permit back and
 *   throws: reclaimed permits stand for resources a dead thread may have left inconsistent.
 * - a timed-out or aborted acquire changes `waiters` back and takes nothing.
 *
 * Invariant: 0 <= value <= bound. No lost wake-up: an acquirer raises `waiters` before its last
 * check of `value` and then sleeps only while value === 0 (the check and the enqueue are one atomic
 * step); release (and reclaim) raises `value` before it reads `waiters`. Sequential consistency
 * orders the two threads' write-then-read pairs, so either the acquirer sees the permit or the
 * releaser sees the waiter and notifies. A woken acquirer that loses the permit to another thread
 * sleeps again; the permit went to someone, so no permit is lost either. Counts move after the
 * permit on acquire and before it on release, so a thread that stopped in between loses a permit
 * rather than have one reclaimed twice (a thread is only ever stopped between turns of its event
 * loop, never in between). Fast paths read and write `value` only (a robust one its count too).
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
const $TABLE = 16;
const $RECLAIMING = -1;
const $MAX_VALUE = 0x7fffffff;
const $RELEASED = 0;
const $OVER_BOUND = 1;

/** Word index of the number of available permits. */
export const VALUE: number = $VALUE;
/** Word index of the number of acquirers that may sleep. */
export const WAITERS: number = $WAITERS;
/** Word index of the bound on `value`. */
export const BOUND: number = $BOUND;
/** Word index of the number of reclaimed permits not yet owned up to. */
export const TAINTED: number = $TAINTED;
/** Word index of the size of the holder table (0: not robust). */
export const HOLDERS: number = $HOLDERS;
/** Word index of the holder table. */
export const TABLE: number = $TABLE;
/** Entries of a robust semaphore's holder table: threads that may hold permits at once. */
export const TABLE_ENTRIES = 16;
/** Bytes the semaphore's region needs (robust ones: {@linkcode robustBytes}). */
export const BYTES = 24;
/** Bytes a robust semaphore's region needs, with a holder table of `entries` entries. */
export function robustBytes(entries: number): number {
  return ($TABLE + 2 * entries) * 4;
}
/** The name of each word, by index (for traces). */
export const FIELDS: readonly string[] = (() => {
  const names = ["tag", "value", "waiters", "bound", "tainted", "holders"];
  for (let w = names.length; w < $TABLE; w++) names.push(`word${w}`);
  for (let j = 0; j < TABLE_ENTRIES; j++) names.push(`holder${j}.id`, `holder${j}.count`);
  return names;
})();

/** The largest value (and the bound of an unbounded semaphore). */
export const MAX_VALUE: number = $MAX_VALUE;

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
}

/** The size of the holder table: 0 unless the semaphore is robust. */
export function holders(A: Seam, s: Int32Array): number {
  return A.load(s, $HOLDERS);
}

/** Takes one permit if there is one; never waits. */
export function tryAcquire(A: Seam, s: Int32Array): boolean {
  let v = A.load(s, $VALUE);
  while (v > 0) {
    const seen = A.compareExchange(s, $VALUE, v, v - 1);
    if (seen === v) return true;
    v = seen;
  }
  return false;
}

/** Takes one permit, sleeping until `deadline`; returns false (nothing taken) on timeout. */
export function acquire(A: Seam, s: Int32Array, deadline: number): boolean {
  if (tryAcquire(A, s)) return true;
  // Spin briefly: a cross-core wake-up costs ~40 µs here, a spinning hand-off well under 1 µs.
  for (let n = A.spin; n > 0; n--) {
    A.pause();
    if (A.load(s, $VALUE) > 0 && tryAcquire(A, s)) return true;
  }
  // Announce a possible sleeper before the last check, so a release either leaves a permit we see
  // or sees us and notifies.
  A.add(s, $WAITERS, 1);
  A.loop?.("semaphore.acquire"); // for the explorer's state caching (Seam.at)
  for (;;) {
    A.at?.("semaphore.acquire");
    if (tryAcquire(A, s)) {
      A.sub(s, $WAITERS, 1);
      return true;
    }
    // No lost wake-up: we sleep only while value === 0, and release raises value before notifying.
    if (A.wait(s, $VALUE, 0, deadline) === "timed-out") {
      A.sub(s, $WAITERS, 1);
      return false;
    }
  }
}

/** Gives back `n` permits (n >= 1) and wakes up to `n` sleepers; RELEASED or OVER_BOUND. */
export function release(A: Seam, s: Int32Array, n: number): number {
  const bound = A.load(s, $BOUND);
  let v = A.load(s, $VALUE);
  for (;;) {
    if (v > bound - n) return $OVER_BOUND;
    const seen = A.compareExchange(s, $VALUE, v, v + n);
    if (seen === v) break;
    v = seen;
  }
  // Read `waiters` only after publishing the permits (see the invariant above).
  if (A.load(s, $WAITERS) > 0) A.notify(s, $VALUE, n);
  return $RELEASED;
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
    k = bound - v < total ? bound - v : total;
    if (k <= 0) break;
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
  return A.load(s, $VALUE);
}

/** The most permits the semaphore may hold: its initial value if bounded, else 2^31 - 1. */
export function bound(A: Seam, s: Int32Array): number {
  return A.load(s, $BOUND);
}
