/**
 * Lock kernel: the shared-memory algorithm of `Lock` (a futex mutex after Drepper, "Futexes Are
 * Tricky", mutex #2, whose word names its holder so that the lock is *robust*: a waiter can learn
 * that the holder died, as from a POSIX robust mutex's EOWNERDEAD), written against the atomics
 * seam so that the same code runs in production and under the interleaving explorer.
 *
 * Shared layout: Int32Array `s` over the lock's region, 16 bytes (padded to one cache line).
 * | index | field   | written by                          | meaning                              |
 * | 0     | tag     | constructor, once                   | TAG.Lock                             |
 * | 1     | state   | acquire, release, abandon, takeOver | 0: free; else `holder << 1 | c`: the |
 * |       |         | (CAS)                               | holder's presence id (or ABANDONED), |
 * |       |         |                                     | c = 1 if a thread may sleep on it    |
 * | 2     | waiters | acquire's slow path (add, sub)      | threads inside the slow path (a      |
 * |       |         |                                     | hint: see the invariant)             |
 * | 3     | woken   | release and abandon (add), a woken  | threads a release or abandon woke    |
 * |       |         | sleeper (sub), a sleeper whose nap  | that have not run yet (see the       |
 * |       |         | ran out (CAS to 0)                  | invariant)                           |
 * A view of 2 words (the queue's lane lock, `./queue.ts`) has neither count: there every waiter
 * may spin, and every contended release wakes. The RLock kernel (`./rlock.ts`) keeps the same four
 * words first.
 *
 * States: FREE 0 | HELD(h) h<<1 | CONTENDED(h) h<<1|1 | ABANDONED<<1|1 (its holder died holding it).
 * Transitions (`me`: the caller's presence id, `./presence.ts`):
 * - acquire: FREE -> HELD(me) (CAS: fast path) | else waiters + 1, and only the first waiter (it
 *   found 0) spins with backoff, FREE -> HELD(me) (CAS); the others go on at once | HELD(h) ->
 *   CONTENDED(h) (CAS), then sleep while CONTENDED(h) | once it has contended, FREE ->
 *   CONTENDED(me) (CAS: a later release may wake a sleeper needlessly, never too few); on leaving
 *   the slow path (acquired, timed out, or aborted) waiters - 1. Finding ABANDONED, it returns
 *   OWNER_DIED (unchanged).
 * - release (any thread, as Python's Lock): HELD(me) -> FREE (CAS, fast path) | any other non-FREE
 *   -> FREE (CAS), then if c was 1 (ABANDONED too: the release its holder never made) wake one
 *   sleeper, unless `woken` > 0: a thread woken earlier has not run yet, and it will (*throttled
 *   wake-ups*, Go's `mutexWoken`). A wake that woke a thread adds 1 to `woken`; a sleeper whose
 *   wait ended "ok" subtracts 1 before anything else; a sleeper whose wait timed out sets a
 *   positive `woken` back to 0.
 * - abandon (a waiter whose probe proved h gone; giveUp: a holder that could not repair the data):
 *   HELD(h)/CONTENDED(h) -> ABANDONED (CAS), then notify all (adding the count to `woken`): every
 *   sleeper wakes to learn it.
 * - takeOver (an acquirer that will repair the data): ABANDONED -> CONTENDED(me) (CAS).
 * - a timed-out or aborted acquire leaves the state as it found it, or contended (harmless).
 *
 * Invariant: a thread sleeps only while the state equals the CONTENDED(h) it read, and every move
 * away from a contended state (release, abandon) changes the word before it notifies, or skips the
 * notify while `woken` > 0: no lost wake-up. `woken` counts the wakes that woke a thread (added
 * after the notify) minus the woken threads that ran (each subtracts once, before its next CAS),
 * so while it is positive some woken thread has not run yet; a release that skipped had freed the
 * word first, so that thread's CAS sees the release: it takes the lock (and its own release wakes
 * the next) or finds a new holder, whose release wakes. Below the truth (negative for a moment, or
 * after a reset) it only wakes more. A woken thread terminated before it subtracts leaves `woken`
 * raised: releases stop waking until a sleeper's nap ends and resets it (every robust acquire
 * sleeps at most its patience, at most a second, at a time: `src/sync/_robust.ts`). Wakes nobody
 * counted (an aborted async acquire's notify of every waiter, `src/_async.ts`) leave it below 0
 * for good: releases then wake at every contended release, as without the throttle. A word names
 * a dead holder only until a waiter probes it: waiters sleep at most their patience at a time
 * (`src/sync/_robust.ts`) and then probe the holder, and a probe never calls a living thread gone
 * (`./presence.ts`). Fast paths read and write `state` only.
 * The waiter count only decides whether a waiter spins before the steps above, never whether it
 * sleeps or is woken. A thread terminated inside the slow path (a worker's `terminate()`, which
 * can stop it anywhere) leaves its count behind for good: every later waiter then finds it
 * non-zero and sleeps without spinning, so the lock degrades to a plain futex lock (Drepper's #2),
 * and stays correct (`tests/explore/robust_test.ts` kills a waiter at every point of every
 * interleaving).
 * Synchronizes-with: release's CAS to FREE is read by the next acquire's CAS.
 *
 * @module
 */
import type { Seam } from "../_atomics.ts";
import * as P from "./presence.ts";

// The functions below use these module-private twins of the exported constants: V8 reads an
// exported binding through its module cell at every use, which cost ~7% of an uncontended
// acquire/release pair (bench/seam_bench.ts); a private `const` is folded into the compiled code.
const $STATE = 1;
const $WAITERS = 2;
const $WOKEN = 3;
const $UNLOCKED = 0;
const $ABANDONED = (1 << 30) - 1; // above every presence id (./presence.ts)
const $ABANDONED_STATE = ($ABANDONED << 1) | 1;
const $TIMED_OUT = 0;
const $ACQUIRED = 1;
const $OWNER_DIED = 2;
/** What {@linkcode spin} returns once it took the lock (no state is negative). */
const $TAKEN = -1;
/** The most pauses between two checks of a spinning acquire. */
const $MAX_STEP = 32;

/** Word index of the state. */
export const STATE: number = $STATE;
/** Word index of the waiter count (threads inside acquire's slow path; see the module doc). */
export const WAITERS: number = $WAITERS;
/** Word index of the count of woken threads yet to run (see the module doc). */
export const WOKEN: number = $WOKEN;
/** Bytes the lock's region needs. */
export const BYTES = 16;
/** The name of each word, by index (for traces). */
export const FIELDS: readonly string[] = ["tag", "state", "waiters", "woken"];

/** State: not held. */
export const UNLOCKED: number = $UNLOCKED;
/** The holder a state names once its holder was found dead (an id that names no thread). */
export const ABANDONED: number = $ABANDONED;
/** The state of an abandoned lock. */
export const ABANDONED_STATE: number = $ABANDONED_STATE;

/** {@linkcode acquire}: the deadline passed first (nothing taken). */
export const TIMED_OUT: number = $TIMED_OUT;
/** {@linkcode acquire}: the caller holds the lock. */
export const ACQUIRED: number = $ACQUIRED;
/** {@linkcode acquire}: the lock is abandoned (nothing taken; see {@linkcode takeOver}). */
export const OWNER_DIED: number = $OWNER_DIED;

/** Takes the lock for `me` if it is free; never waits. */
export function tryAcquire(A: Seam, s: Int32Array, me: number): boolean {
  return A.compareExchange(s, $STATE, $UNLOCKED, me << 1) === $UNLOCKED;
}

/**
 * Takes the lock for `me`, sleeping until `deadline`: ACQUIRED, TIMED_OUT (state consistent), or
 * OWNER_DIED if it finds the lock abandoned.
 *
 * Before it sleeps it spins for `A.lockSpin` pauses, re-checking the state after 1, 2, 4, ... 32
 * pauses (exponential backoff): the first checks catch a prompt hand-off within ~0.1 µs, the
 * later ones stay out of the way of a holder that releases and re-takes the lock in a loop (each
 * check pulls the lock's cache line away from the holder's core). Measured by
 * `bench/lock_bench.ts` (see bench/RESULTS.md): against re-checking after every pause, backoff
 * raised 2-worker contended throughput from ~0.6-0.9x to ~1.0-1.2x a hand-written futex lock (the
 * kernel alone; the `Lock` class ~0.8-1.0x), and a ping-pong round trip between two spinning
 * workers stays under 1 µs. The production seam's lock budget adapts per thread, apart from its
 * budget for signals (`REAL` in `src/_atomics.ts`).
 *
 * Only the first waiter spins (the one that found the waiter count at 0): the others sleep at once.
 * With more waiters than cores, every further spinner took a core from the holder and took the
 * lock in turns of ~1 µs, where a futex lock's holder keeps it for many turns while its waiters
 * sleep: 4 and 8 workers on 2 cores ran at ~0.35x the raw futex lock (bench/RESULTS.md, "Speed under
 * pressure (issue 16)"). A count rather than the spinner's id: a second waiter then sleeps even
 * when nobody spins, so while sleepers exist the holder keeps its turn, as in a futex lock.
 */
export function acquire(A: Seam, s: Int32Array, me: number, deadline: number): number {
  const c = A.compareExchange(s, $STATE, $UNLOCKED, me << 1);
  if (c === $UNLOCKED) return $ACQUIRED;
  // Spin briefly: a sleep and wake-up costs ~10-40 µs here, a spinning hand-off well under 1 µs.
  if (s.length <= $WAITERS) {
    A.loop?.("lock.acquire", 1); // for the explorer's state caching (Seam.at): `c` lives on
    return contend(A, s, me, spin(A, s, me, c), deadline);
  }
  const first = A.add(s, $WAITERS, 1) === 0;
  A.loop?.("lock.acquire", 2); // the fast path's CAS and the add: `c` lives on, `first` is spent
  const r = contend(A, s, me, first ? spin(A, s, me, c) : c, deadline);
  A.sub(s, $WAITERS, 1);
  return r;
}

/**
 * The slow path of {@linkcode acquire}, given the state `c` it saw last (TAKEN: it took the lock
 * while spinning): ACQUIRED, TIMED_OUT or OWNER_DIED.
 */
function contend(A: Seam, s: Int32Array, me: number, c: number, deadline: number): number {
  if (c === $TAKEN) return $ACQUIRED;
  // As many steps as Drepper's exchange loop, with the holder kept.
  for (;;) {
    A.at?.("lock.acquire", c);
    if (c === $UNLOCKED) {
      // Take it as contended: we cannot know whether others sleep, so our release must notify.
      c = A.compareExchange(s, $STATE, $UNLOCKED, (me << 1) | 1);
      if (c === $UNLOCKED) return $ACQUIRED;
      continue;
    }
    if (c === $ABANDONED_STATE) return $OWNER_DIED;
    if ((c & 1) === 0) {
      // Announce a sleeper before sleeping: the holder's release then notifies.
      const seen = A.compareExchange(s, $STATE, c, c | 1);
      if (seen !== c) {
        c = seen;
        continue;
      }
    }
    // No lost wake-up: we sleep only while the word is still CONTENDED(h), and every move away
    // from it changes the word before notifying (or leaves the wake to a woken thread yet to run).
    const r = A.wait(s, $STATE, c | 1, deadline);
    if (r === "ok") {
      if (s.length > $WOKEN) A.sub(s, $WOKEN, 1); // we ran: see the module doc
    } else if (r === "timed-out") {
      if (s.length > $WOKEN) unstick(A, s);
      return $TIMED_OUT;
    }
    // Woken, or the word had changed: try to take it at once (the CAS says what is there if not).
    c = $UNLOCKED;
  }
}

/**
 * The spin of an {@linkcode acquire} that found the lock in state `c`: TAKEN if it took the lock
 * for `me`, else the state it saw last. The budget is read once per phase (in production it adapts,
 * see REAL in src/_atomics.ts).
 */
function spin(A: Seam, s: Int32Array, me: number, c: number): number {
  const budget = A.lockSpin;
  for (let spent = 0, step = 1; spent < budget; step = step < $MAX_STEP ? step * 2 : step) {
    for (let p = 0; p < step && spent < budget; p++, spent++) A.pause();
    c = A.load(s, $STATE);
    if (c === $UNLOCKED) {
      c = A.compareExchange(s, $STATE, $UNLOCKED, me << 1);
      if (c === $UNLOCKED) return $TAKEN;
    }
  }
  return c;
}

/** Releases the lock (whoever holds it); returns false (and changes nothing) if it was free. */
export function release(A: Seam, s: Int32Array, me: number): boolean {
  // The fast path alone, small enough to inline: `me` holds it and nobody sleeps.
  const c = A.compareExchange(s, $STATE, me << 1, $UNLOCKED);
  return c === me << 1 || releaseSeen(A, s, c);
}

/** {@linkcode release} of a lock last seen in state `c` (not HELD(me)): frees it, wakes one. */
function releaseSeen(A: Seam, s: Int32Array, c: number): boolean {
  for (;;) {
    if (c === $UNLOCKED) return false;
    if (c < 0) throw new Error(`Inconsistent lock state: ${c}`);
    const seen = A.compareExchange(s, $STATE, c, $UNLOCKED);
    if (seen === c) break;
    c = seen;
  }
  if ((c & 1) !== 0) wake(A, s);
  return true;
}

/**
 * Wakes one sleeper of a lock just released from a contended state, unless a thread woken before
 * has not run yet (`woken` > 0: it will see the release); counts the wake if it woke a thread.
 */
function wake(A: Seam, s: Int32Array): void {
  if (s.length <= $WOKEN) {
    A.notify(s, $STATE, 1);
    return;
  }
  if (A.load(s, $WOKEN) > 0) return;
  if (A.notify(s, $STATE, 1) !== 0) A.add(s, $WOKEN, 1);
}

/**
 * A sleeper's stretch ended with nobody waking it: sets a positive `woken` back to 0, in case a
 * woken thread died before it ran (releases would skip their wakes for good). Safe only while
 * positive: with `p` woken threads yet to run and `a` wakes yet to be counted (the waker between
 * its notify and its add), `woken` = p - a, so from a positive value the reset ends at a - p < 0
 * once all have run and been counted (more wakes, never fewer); from a negative one it would end
 * positive with nobody left to run.
 */
function unstick(A: Seam, s: Int32Array): void {
  let v = A.load(s, $WOKEN);
  while (v > 0) {
    const seen = A.compareExchange(s, $WOKEN, v, 0);
    if (seen === v) return;
    v = seen;
  }
}

/** Whether the lock is held by anyone (abandoned counts as held). */
export function locked(A: Seam, s: Int32Array): boolean {
  return A.load(s, $STATE) !== $UNLOCKED;
}

/** Whether the lock is abandoned: its holder died holding it, and nobody has taken it over yet. */
export function abandoned(A: Seam, s: Int32Array): boolean {
  return A.load(s, $STATE) === $ABANDONED_STATE;
}

/** The presence id of the holder (ABANDONED if abandoned, 0 if free). */
export function holder(A: Seam, s: Int32Array): number {
  return A.load(s, $STATE) >>> 1;
}

/**
 * Marks the lock, observed in state `from` (held), abandoned and wakes every sleeper. Returns false
 * (nothing changed) if the state moved on.
 */
export function abandon(A: Seam, s: Int32Array, from: number): boolean {
  if (A.compareExchange(s, $STATE, from, $ABANDONED_STATE) !== from) return false;
  const n = A.notify(s, $STATE, Infinity);
  // Each thread woken subtracts one from `woken` when it runs.
  if (n !== 0 && s.length > $WOKEN) A.add(s, $WOKEN, n);
  return true;
}

/**
 * Probes the holder the state names now in the presence registry `registry`; if it is gone, marks
 * the lock abandoned (waking every sleeper). Returns whether the lock is abandoned now.
 */
export function probeHolder(A: Seam, s: Int32Array, registry: Int32Array): boolean {
  let c = A.load(s, $STATE);
  const h = c >>> 1;
  if (c === $ABANDONED_STATE) return true;
  if (c === $UNLOCKED || P.probeId(A, registry, h) !== P.GONE) return false;
  // h is gone, so only a waiter's contended bit, a release or another prober can change the word.
  while (!abandon(A, s, c)) {
    c = A.load(s, $STATE);
    if (c >>> 1 !== h) return c === $ABANDONED_STATE;
  }
  return true;
}

/**
 * The holder `me` gives the lock up as abandoned (it could not make the data consistent again).
 * Returns false (nothing changed) if `me` does not hold it.
 */
export function giveUp(A: Seam, s: Int32Array, me: number): boolean {
  let c = A.load(s, $STATE);
  // Only a waiter's contended bit (or a release by another thread) can change the word under us.
  while (c >>> 1 === me) {
    if (abandon(A, s, c)) return true;
    c = A.load(s, $STATE);
  }
  return false;
}

/** Takes an abandoned lock for `me` (who will make the data consistent again); false if not abandoned. */
export function takeOver(A: Seam, s: Int32Array, me: number): boolean {
  return A.compareExchange(s, $STATE, $ABANDONED_STATE, (me << 1) | 1) === $ABANDONED_STATE;
}
