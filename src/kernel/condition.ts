/**
 * Condition kernel: the shared-memory algorithm of `Condition`, a condition variable bound to a
 * `Lock` or an `RLock` (whose words `lk` it takes as a parameter, with `reentrant` saying which).
 *
 * Shared layout: Int32Array `c` over the condition's region, 12 bytes (padded to one cache line).
 * | index | field   | written by                  | meaning                                        |
 * | 0     | tag     | constructor, once           | TAG.Condition                                  |
 * | 1     | seq     | notify, leave (add)         | sequence number: bumped after issuing tokens;  |
 * |       |         |                             | the word waiters sleep on                      |
 * | 2     | waiters | begin, claim, leave, notify | packed: bits 16..31 registered waiters w,      |
 * |       |         | (CAS)                       | bits 0..15 undelivered wake-up tokens t; t <= w |
 *
 * A waiter *registers* (w+1) while it holds the lock, then releases the lock, sleeps on `seq`, and
 * leaves the wait only by *claiming* a token ((w, t) -> (w-1, t-1)) or by timing out ((w, t) ->
 * (w-1, min(t, w-1))). `notify(n)` (lock held) issues k = min(n, w - t) tokens, one for each
 * registered waiter that has none yet, then bumps `seq` and wakes k sleepers. Exactly k waiters
 * return from the wait as notified (which ones is not specified: a waiter that wakes for another
 * reason may claim a token first; then the one woken for it finds none and sleeps again).
 *
 * Transitions:
 * - begin (lock held): (w, t) -> (w+1, t); read seq; release the lock completely (an RLock's
 *   recursion count is saved).
 * - sleep: spin, then wait(seq, s) while seq === s; on waking (or on seeing seq move while
 *   spinning) read s := seq *before* trying to claim, so that tokens issued after the claim
 *   attempt bump seq past s and the next wait returns at once. A timed-out (or aborted) waiter
 *   leaves instead of claiming: it never eats a token meant for another waiter, and if tokens
 *   remain it bumps seq and wakes one sleeper to take its place.
 * - end: take the lock again and restore the saved recursion count, also after a timeout or an
 *   abort, so the caller always returns holding the lock. The caller repeats it until it succeeds
 *   (probing the lock's holder between tries, as every robust acquire does); if the lock was
 *   abandoned (its holder died), the caller takes it over (`takeOver`) and says so.
 * - notify(n) (lock held): issue k tokens (CAS), bump seq, notify k sleepers on seq; or, `later`
 *   (wait morphing, a Condition over an RLock), leave the notify to the caller, who calls
 *   wake(k) once it has released the lock completely (so the woken waiter does not run into a
 *   lock its notifier still holds). Until then k tokens wait with their sleepers asleep: a waiter
 *   that sleeps in *naps* (sleep with `nap`: a timeout returns still registered, and the next
 *   nap's first look at seq claims) finds them after its nap even if the notifier never wakes it
 *   (it died holding the lock: taking the lock back then tells the waiter so).
 *
 * Invariant: t <= w, and t <= the number of registered waiters that are not asleep on `seq`
 * (*active* waiters, which will try to claim before sleeping again), plus the wakes that holders
 * of the lock owe (notify `later` until its wake). notify keeps it by waking k sleepers for k
 * tokens (at once or when the notifier lets the lock go); a sleeper can only go to sleep while
 * seq is unchanged since it found no token, i.e. while t === 0 (every token issue bumps seq); a
 * leaving waiter that finds tokens wakes a replacement. So a token never waits while every waiter sleeps: no lost wake-up. The sequence
 * counter, not a word that never changes, is what makes "read seq, release the lock, sleep" safe
 * (a notify in between bumps it, so the wait returns at once).
 * Synchronizes-with: notify's token CAS happens before its seq bump, which the waiter reads before
 * its claiming CAS.
 *
 * @module
 */
import type { Seam } from "../_atomics.ts";
import * as L from "./lock.ts";
import * as R from "./rlock.ts";

// The functions below use module-private twins of the exported constants: V8 reads an exported
// binding through its module cell at every use (~7% of an uncontended pair, see src/kernel/lock.ts).
const $SEQ = 1;
const $WAITERS = 2;
const $WAITER = 0x10000;
const $TOKENS = 0xffff;
const $MAX_WAITERS = 0xffff;
const $OK = 0;
const $NOT_OWNER = 1;
const $TOO_MANY = 3;

/** Word index of the sequence number waiters sleep on. */
export const SEQ: number = $SEQ;
/** Word index of the packed waiter and token counts. */
export const WAITERS: number = $WAITERS;
/** Bytes the condition's region needs. */
export const BYTES = 12;
/** The name of each word, by index (for traces). */
export const FIELDS: readonly string[] = ["tag", "seq", "waiters"];

/** One registered waiter in the `waiters` word. */
export const WAITER: number = $WAITER;
/** Mask of the token count in the `waiters` word. */
export const TOKENS: number = $TOKENS;
/** The most waiters one condition can register at a time. */
export const MAX_WAITERS: number = $MAX_WAITERS;

/** {@linkcode begin} succeeded. */
export const OK: number = $OK;
/** The caller does not hold the lock (nothing changed). */
export const NOT_OWNER: number = $NOT_OWNER;
/** {@linkcode MAX_WAITERS} waiters already wait (nothing changed). */
export const TOO_MANY: number = $TOO_MANY;

/** What {@linkcode begin} hands to {@linkcode sleep} and {@linkcode end}. */
export interface Ticket {
  /** OK, NOT_OWNER or TOO_MANY. */
  readonly status: number;
  /** The sequence number read while the lock was still held. */
  readonly seq: number;
  /** The released RLock's recursion count (1 for a Lock). */
  readonly saved: number;
}

/** Registered waiters in a `waiters` word. */
export function waitersOf(v: number): number {
  return v >>> 16;
}

/** Undelivered tokens in a `waiters` word. */
export function tokensOf(v: number): number {
  return v & $TOKENS;
}

/**
 * Whether the caller holds the lock: `me` owns the RLock, or (a plain Lock, which has no owner)
 * anyone holds the Lock.
 */
export function owns(A: Seam, lk: Int32Array, reentrant: boolean, me: number): boolean {
  return reentrant ? R.owned(A, lk, me) : L.locked(A, lk);
}

/**
 * Releases the lock completely (agent `me`, presence id `who`); returns the count to restore (0:
 * the release failed).
 */
function unlock(A: Seam, lk: Int32Array, reentrant: boolean, me: number, who: number): number {
  if (reentrant) return R.releaseAll(A, lk, me, who);
  return L.release(A, lk, who) ? 1 : 0;
}

/** Registers a waiter and releases the lock. Call with the lock held. */
export function begin(
  A: Seam,
  c: Int32Array,
  lk: Int32Array,
  reentrant: boolean,
  me: number,
  who: number,
): Ticket {
  if (!owns(A, lk, reentrant, me)) return { status: $NOT_OWNER, seq: 0, saved: 0 };
  let v = A.load(c, $WAITERS);
  for (;;) {
    if (waitersOf(v) === $MAX_WAITERS) return { status: $TOO_MANY, seq: 0, saved: 0 };
    const seen = A.compareExchange(c, $WAITERS, v, (v + $WAITER) | 0);
    if (seen === v) break;
    v = seen;
  }
  // Read seq while still holding the lock: a notify that can see our registration runs after we
  // release the lock, and bumps seq, so the sleep below cannot miss it.
  const seq = A.load(c, $SEQ);
  const saved = unlock(A, lk, reentrant, me, who);
  if (saved === 0) {
    // Only a plain Lock gets here: another thread released it under us (misuse).
    leave(A, c);
    return { status: $NOT_OWNER, seq: 0, saved: 0 };
  }
  return { status: $OK, seq, saved };
}

/** Takes a token if there is one: (w, t) -> (w-1, t-1). */
function claim(A: Seam, c: Int32Array): boolean {
  let v = A.load(c, $WAITERS);
  while (tokensOf(v) > 0) {
    const seen = A.compareExchange(c, $WAITERS, v, (v - $WAITER - 1) | 0);
    if (seen === v) return true;
    v = seen;
  }
  return false;
}

/**
 * Deregisters a waiter that was not notified: (w, t) -> (w-1, min(t, w-1)). If tokens remain, one
 * of them may have been meant for the leaver, so a sleeper is woken to claim it instead.
 */
export function leave(A: Seam, c: Int32Array): void {
  let v = A.load(c, $WAITERS);
  for (;;) {
    const w = waitersOf(v) - 1;
    const t = Math.min(tokensOf(v), w);
    const seen = A.compareExchange(c, $WAITERS, v, (w * $WAITER + t) | 0);
    if (seen === v) {
      if (t > 0) {
        // Bump seq so that no one can sleep on the value it read before these tokens existed.
        A.add(c, $SEQ, 1);
        A.notify(c, $SEQ, 1);
      }
      return;
    }
    v = seen;
  }
}

/**
 * Sleeps (lock released) until this registered waiter claims a token: true; or until `deadline`:
 * false, deregistered, no token taken. `seq` is the ticket's sequence number. With `nap`, the
 * deadline ends a nap, not the wait: false then means still registered (sleep again with the
 * ticket's `seq`, or {@linkcode leave}).
 */
export function sleep(
  A: Seam,
  c: Int32Array,
  seq: number,
  deadline: number,
  nap: boolean,
): boolean {
  // Spin briefly: a notify usually follows soon in a hand-off, and a wake-up costs ~40 µs here
  // (the budget adapts in production: Seam.notifySpin).
  for (let n = A.notifySpin(seq); n > 0; n--) {
    const now = A.load(c, $SEQ);
    if (now !== seq) {
      // Notified while spinning: claim at once (the wait below would return "not-equal").
      if (claim(A, c)) return true;
      seq = now;
      break;
    }
    A.pause();
  }
  for (;;) {
    // No lost wake-up: we sleep only while seq is unchanged, and notify bumps it before waking.
    const result = A.wait(c, $SEQ, seq, deadline);
    // Read seq before claiming: tokens issued after the claim attempt will have bumped it.
    seq = A.load(c, $SEQ);
    if (result === "timed-out") {
      if (!nap) leave(A, c);
      return false;
    }
    if (claim(A, c)) return true;
  }
}

/**
 * Takes the lock again for `me` (presence id `who`) until `deadline` and restores the recursion
 * count `saved`: the Lock kernel's ACQUIRED, TIMED_OUT or OWNER_DIED (nothing changed in either).
 */
export function end(
  A: Seam,
  lk: Int32Array,
  reentrant: boolean,
  me: number,
  who: number,
  saved: number,
  deadline: number,
): number {
  if (reentrant) return R.acquireRestore(A, lk, me, who, saved, deadline);
  return L.acquire(A, lk, who, deadline);
}

/** Takes the abandoned lock over with the recursion count `saved`; false if not abandoned. */
export function takeOver(
  A: Seam,
  lk: Int32Array,
  reentrant: boolean,
  me: number,
  who: number,
  saved: number,
): boolean {
  if (reentrant) return R.takeOver(A, lk, me, who, saved);
  return L.takeOver(A, lk, who);
}

/**
 * Wakes up to `n` waiters (`Infinity`: all). Call with the lock held. Returns how many tokens it
 * issued, or -1 (nothing changed) if the caller does not hold the lock. `later`: issue the tokens
 * but wake nobody; the caller owes {@linkcode wake} of that many once it released the lock.
 */
export function notify(
  A: Seam,
  c: Int32Array,
  lk: Int32Array,
  reentrant: boolean,
  me: number,
  n: number,
  later: boolean,
): number {
  if (!owns(A, lk, reentrant, me)) return -1;
  let v = A.load(c, $WAITERS);
  let k = 0;
  for (;;) {
    // One token per registered waiter that has none yet.
    k = Math.min(n, waitersOf(v) - tokensOf(v));
    if (k <= 0) return 0;
    const seen = A.compareExchange(c, $WAITERS, v, (v + k) | 0);
    if (seen === v) break;
    v = seen;
  }
  // Bump seq after issuing the tokens: a waiter that reads the new seq then sees them.
  A.add(c, $SEQ, 1);
  if (!later) wake(A, c, k);
  return k;
}

/** Wakes `k` sleepers for the tokens a `notify` issued (`later`: after releasing the lock). */
export function wake(A: Seam, c: Int32Array, k: number): void {
  A.notify(c, $SEQ, k);
}
