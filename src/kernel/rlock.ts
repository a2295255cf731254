/**
 * RLock kernel: the shared-memory algorithm of `RLock`, a reentrant lock owned by one agent (the main
 * thread or one worker) at a time. The mutual exclusion itself is the `Lock` kernel (`./lock.ts`)
 * run on the same `state` word; this kernel adds the owner and the recursion count.
 *
 * Shared layout: Int32Array `s` over the lock's region, 24 bytes (padded to one cache line).
 * | index | field   | written by                      | meaning                                     |
 * | 0     | tag     | constructor, once               | TAG.RLock                                   |
 * | 1     | state   | Lock kernel (CAS)               | FREE, HELD/CONTENDED(holder's presence id)  |
 * |       |         |                                 | or ABANDONED (lock.ts)                      |
 * | 2     | waiters | Lock kernel (add, sub)          | threads in the Lock kernel's slow path, a   |
 * |       |         |                                 | hint for spinning (lock.ts)                 |
 * | 3     | woken   | Lock kernel (add, sub, CAS)     | woken threads yet to run (lock.ts)          |
 * | 4     | owner   | the holder only                 | agent id of the holder, 0 while unheld      |
 * | 5     | count   | the holder only                 | recursion count, 0 while unheld             |
 *
 * Transitions (agent `me`, presence id `who`):
 * - acquire/tryAcquire: owner === me -> count+1 (reentry, no other word changes);
 *   else Lock-acquire `state` for `who`, then owner := me, count := 1. Finding the lock abandoned
 *   (its owner died holding it), acquire returns OWNER_DIED and changes nothing.
 * - release: owner !== me -> fails, nothing changes; count > 1 -> count-1;
 *   count === 1 -> count := 0, owner := 0, then Lock-release `state` (which wakes one sleeper).
 * - releaseAll / acquireRestore (for `Condition`): drop the lock whatever the count, returning the
 *   count; later take the lock again and restore it.
 * - takeOver: Lock-takeOver `state` (ABANDONED -> CONTENDED(who)), then owner := me, count := 1;
 *   giveUp (the owner could not repair the data): count := 0, owner := 0, then Lock-giveUp.
 *
 * Invariant: owner !== 0 exactly while `state` is held, except inside the holder's own acquire and
 * release between the Lock step and the owner store, and while abandoned (owner and count are then
 * the dead owner's, until a takeOver overwrites them); `owner === me` can therefore only be
 * observed by the holder `me` itself (only `me` writes `me`, and it clears it before releasing
 * `state`), so the reentry check needs no atomic read-modify-write. Ids are unique per agent (see
 * `src/_agent.ts`). Waits, wake-ups and dead owners are those of the Lock kernel (see there).
 * Synchronizes-with: the releaser's stores of owner/count happen before its release of `state`,
 * which the next acquirer's CAS/exchange reads.
 *
 * @module
 */
import type { Seam } from "../_atomics.ts";
import * as L from "./lock.ts";

// The functions below use module-private twins of the exported constants: V8 reads an exported
// binding through its module cell at every use (~7% of an uncontended pair, see src/kernel/lock.ts).
const $OWNER = 4;
const $COUNT = 5;
const $RELEASED = 0;
const $NOT_HELD = 1;
const $NOT_OWNER = 2;
const $OWNER_GONE = 3;
const $MAX_COUNT = 0x7fffffff;

/** Word index of the lock state (shared with the Lock kernel). */
export const STATE = L.STATE;
/** Word index of the owner's agent id. */
export const OWNER: number = $OWNER;
/** Word index of the recursion count. */
export const COUNT: number = $COUNT;
/** Word index of the waiter count (shared with the Lock kernel). */
export const WAITERS = L.WAITERS;
/** Bytes the RLock's region needs. */
export const BYTES = 24;
/** The name of each word, by index (for traces). */
export const FIELDS: readonly string[] = ["tag", "state", "waiters", "woken", "owner", "count"];

/** {@linkcode release} succeeded. */
export const RELEASED: number = $RELEASED;
/** {@linkcode release} failed: nobody holds the lock. */
export const NOT_HELD: number = $NOT_HELD;
/** {@linkcode release} failed: another agent holds the lock. */
export const NOT_OWNER: number = $NOT_OWNER;
/** {@linkcode release} failed: the lock is abandoned (its owner died holding it). */
export const OWNER_GONE: number = $OWNER_GONE;

/** The largest recursion count. */
export const MAX_COUNT: number = $MAX_COUNT;

/** Enters once more as the owner. Only the owner calls this. */
function reenter(A: Seam, s: Int32Array): boolean {
  const c = A.load(s, $COUNT);
  if (c === $MAX_COUNT) {
    throw new RangeError(`Cannot acquire RLock: its recursion count would exceed ${$MAX_COUNT}`);
  }
  A.store(s, $COUNT, c + 1);
  return true;
}

/** Becomes the owner after taking `state`. */
function own(A: Seam, s: Int32Array, me: number, count: number): void {
  A.store(s, $OWNER, me);
  A.store(s, $COUNT, count);
}

/** Takes the lock if it is free or already held by `me` (presence id `who`); never waits. */
export function tryAcquire(A: Seam, s: Int32Array, me: number, who: number): boolean {
  if (A.load(s, $OWNER) === me) return reenter(A, s);
  if (!L.tryAcquire(A, s, who)) return false;
  own(A, s, me, 1);
  return true;
}

/**
 * Takes the lock for `me` (presence id `who`), sleeping until `deadline`: the Lock kernel's
 * ACQUIRED, TIMED_OUT or OWNER_DIED (nothing changed in either).
 */
export function acquire(A: Seam, s: Int32Array, me: number, who: number, deadline: number): number {
  if (A.load(s, $OWNER) === me) {
    reenter(A, s);
    return L.ACQUIRED;
  }
  const r = L.acquire(A, s, who, deadline);
  if (r === L.ACQUIRED) own(A, s, me, 1);
  return r;
}

/**
 * Releases one level of `me`'s hold (presence id `who`); returns RELEASED, NOT_HELD, NOT_OWNER or
 * OWNER_GONE (nothing changed in the last three).
 */
export function release(A: Seam, s: Int32Array, me: number, who: number): number {
  if (A.load(s, $OWNER) !== me) return notOwned(A, s);
  const c = A.load(s, $COUNT);
  if (c > 1) {
    A.store(s, $COUNT, c - 1);
    return $RELEASED;
  }
  if (c !== 1) throw new Error(`Inconsistent RLock state: owned with count ${c}`);
  unown(A, s, who);
  return $RELEASED;
}

/** Why a caller that does not own the lock cannot release it: NOT_HELD, NOT_OWNER or OWNER_GONE. */
function notOwned(A: Seam, s: Int32Array): number {
  if (L.abandoned(A, s)) return $OWNER_GONE;
  return L.locked(A, s) ? $NOT_OWNER : $NOT_HELD;
}

/** Gives up ownership and releases `state`. Only the owner calls this. */
function unown(A: Seam, s: Int32Array, who: number): void {
  // Clear owner and count before releasing: the next owner's stores must not be overwritten.
  A.store(s, $COUNT, 0);
  A.store(s, $OWNER, 0);
  if (!L.release(A, s, who)) throw new Error("Inconsistent RLock state: owned but unlocked");
}

/**
 * Releases `me`'s hold completely, whatever its recursion count, and returns that count (0, with
 * nothing changed, if `me` is not the owner). Used by `Condition.wait`.
 */
export function releaseAll(A: Seam, s: Int32Array, me: number, who: number): number {
  if (A.load(s, $OWNER) !== me) return 0;
  const c = A.load(s, $COUNT);
  if (c < 1) throw new Error(`Inconsistent RLock state: owned with count ${c}`);
  unown(A, s, who);
  return c;
}

/**
 * Takes the lock for `me` (presence id `who`), sleeping until `deadline`, and restores recursion
 * count `count` (from releaseAll): ACQUIRED, TIMED_OUT or OWNER_DIED (nothing changed in either).
 */
export function acquireRestore(
  A: Seam,
  s: Int32Array,
  me: number,
  who: number,
  count: number,
  deadline: number,
): number {
  const r = L.acquire(A, s, who, deadline);
  if (r === L.ACQUIRED) own(A, s, me, count);
  return r;
}

/**
 * Takes an abandoned lock over for `me` (presence id `who`) with recursion count `count`; false if
 * it is not abandoned.
 */
export function takeOver(A: Seam, s: Int32Array, me: number, who: number, count: number): boolean {
  if (!L.takeOver(A, s, who)) return false;
  own(A, s, me, count);
  return true;
}

/**
 * The owner `me` gives the lock up as abandoned, whatever its count (it could not repair the
 * data). Returns false (nothing changed) if `me` does not own it.
 */
export function giveUp(A: Seam, s: Int32Array, me: number, who: number): boolean {
  if (A.load(s, $OWNER) !== me) return false;
  A.store(s, $COUNT, 0);
  A.store(s, $OWNER, 0);
  if (!L.giveUp(A, s, who)) throw new Error("Inconsistent RLock state: owned but not held");
  return true;
}

/** Whether `me` holds the lock. */
export function owned(A: Seam, s: Int32Array, me: number): boolean {
  return A.load(s, $OWNER) === me;
}

/** `me`'s recursion count: 0 unless `me` holds the lock. */
export function recursionCount(A: Seam, s: Int32Array, me: number): number {
  return A.load(s, $OWNER) === me ? A.load(s, $COUNT) : 0;
}

/** Whether the lock is abandoned (its owner died holding it; see the Lock kernel). */
export function abandoned(A: Seam, s: Int32Array): boolean {
  return L.abandoned(A, s);
}

/** Probes the owner; if it is gone, marks the lock abandoned. Whether it is abandoned now. */
export function probeHolder(A: Seam, s: Int32Array, registry: Int32Array): boolean {
  return L.probeHolder(A, s, registry);
}

/** Whether any agent holds the lock (abandoned counts as held). */
export function locked(A: Seam, s: Int32Array): boolean {
  return L.locked(A, s);
}
