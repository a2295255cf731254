/**
 * RLock kernel: the shared-memory algorithm of `RLock`, a reentrant lock owned by one agent (the main
 * thread or one worker) at a time. The mutual exclusion itself is the `Lock` kernel (`./lock.ts`)
 * run on the same `state` word; this kernel adds the owner and the recursion count.
 *
 * Shared layout: Int32Array `s` over the lock's region, 16 bytes (padded to one cache line).
 * | index | field | written by                      | meaning                                     |
 * | 0     | tag   | constructor, once               | TAG.RLock                                   |
 * | 1     | state | Lock kernel (CAS, exchange)     | UNLOCKED=0, LOCKED=1, CONTENDED=2 (lock.ts) |
 * | 2     | owner | the holder only                 | agent id of the holder, 0 while unheld      |
 * | 3     | count | the holder only                 | recursion count, 0 while unheld             |
 *
 * Transitions (agent `me`):
 * - acquire/tryAcquire: owner === me -> count+1 (reentry, no other word changes);
 *   else Lock-acquire `state`, then owner := me, count := 1.
 * - release: owner !== me -> fails, nothing changes; count > 1 -> count-1;
 *   count === 1 -> count := 0, owner := 0, then Lock-release `state` (which wakes one sleeper).
 * - releaseAll / acquireRestore (for `Condition`): drop the lock whatever the count, returning the
 *   count; later take the lock again and restore it.
 *
 * Invariant: owner !== 0 exactly while `state` is held, except inside the holder's own acquire and
 * release between the Lock step and the owner store; `owner === me` can therefore only be observed
 * by the holder `me` itself (only `me` writes `me`, and it clears it before releasing `state`), so the
 * reentry check needs no atomic read-modify-write. Ids are unique per agent (see `src/_agent.ts`).
 * Waits and wake-ups are those of the Lock kernel (no lost wake-up, see there).
 * Synchronizes-with: the releaser's stores of owner/count happen before its release of `state`,
 * which the next acquirer's CAS/exchange reads.
 *
 * @module
 */
import type { Seam } from "../_atomics.ts";
import * as L from "./lock.ts";

// The functions below use module-private twins of the exported constants: V8 reads an exported
// binding through its module cell at every use (~7% of an uncontended pair, see src/kernel/lock.ts).
const $OWNER = 2;
const $COUNT = 3;
const $RELEASED = 0;
const $NOT_HELD = 1;
const $NOT_OWNER = 2;
const $MAX_COUNT = 0x7fffffff;

/** Word index of the lock state (shared with the Lock kernel). */
export const STATE = L.STATE;
/** Word index of the owner's agent id. */
export const OWNER: number = $OWNER;
/** Word index of the recursion count. */
export const COUNT: number = $COUNT;
/** Bytes the RLock's region needs. */
export const BYTES = 16;
/** The name of each word, by index (for traces). */
export const FIELDS: readonly string[] = ["tag", "state", "owner", "count"];

/** {@linkcode release} succeeded. */
export const RELEASED: number = $RELEASED;
/** {@linkcode release} failed: nobody holds the lock. */
export const NOT_HELD: number = $NOT_HELD;
/** {@linkcode release} failed: another agent holds the lock. */
export const NOT_OWNER: number = $NOT_OWNER;

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

/** Takes the lock if it is free or already held by `me`; never waits. */
export function tryAcquire(A: Seam, s: Int32Array, me: number): boolean {
  if (A.load(s, $OWNER) === me) return reenter(A, s);
  if (!L.tryAcquire(A, s)) return false;
  own(A, s, me, 1);
  return true;
}

/** Takes the lock for `me`, sleeping until `deadline`; returns false (nothing changed) on timeout. */
export function acquire(A: Seam, s: Int32Array, me: number, deadline: number): boolean {
  if (A.load(s, $OWNER) === me) return reenter(A, s);
  if (!L.acquire(A, s, deadline)) return false;
  own(A, s, me, 1);
  return true;
}

/** Releases one level of `me`'s hold; returns RELEASED, NOT_HELD or NOT_OWNER (nothing changed). */
export function release(A: Seam, s: Int32Array, me: number): number {
  if (A.load(s, $OWNER) !== me) return L.locked(A, s) ? $NOT_OWNER : $NOT_HELD;
  const c = A.load(s, $COUNT);
  if (c > 1) {
    A.store(s, $COUNT, c - 1);
    return $RELEASED;
  }
  if (c !== 1) throw new Error(`Inconsistent RLock state: owned with count ${c}`);
  unown(A, s);
  return $RELEASED;
}

/** Gives up ownership and releases `state`. Only the owner calls this. */
function unown(A: Seam, s: Int32Array): void {
  // Clear owner and count before releasing: the next owner's stores must not be overwritten.
  A.store(s, $COUNT, 0);
  A.store(s, $OWNER, 0);
  if (!L.release(A, s)) throw new Error("Inconsistent RLock state: owned but unlocked");
}

/**
 * Releases `me`'s hold completely, whatever its recursion count, and returns that count (0, with
 * nothing changed, if `me` is not the owner). Used by `Condition.wait`.
 */
export function releaseAll(A: Seam, s: Int32Array, me: number): number {
  if (A.load(s, $OWNER) !== me) return 0;
  const c = A.load(s, $COUNT);
  if (c < 1) throw new Error(`Inconsistent RLock state: owned with count ${c}`);
  unown(A, s);
  return c;
}

/** Takes the lock for `me` (no deadline) and restores recursion count `count` (from releaseAll). */
export function acquireRestore(A: Seam, s: Int32Array, me: number, count: number): void {
  if (!L.acquire(A, s, Infinity)) {
    throw new Error("Inconsistent RLock state: untimed wait timed out");
  }
  own(A, s, me, count);
}

/** Whether `me` holds the lock. */
export function owned(A: Seam, s: Int32Array, me: number): boolean {
  return A.load(s, $OWNER) === me;
}

/** `me`'s recursion count: 0 unless `me` holds the lock. */
export function recursionCount(A: Seam, s: Int32Array, me: number): number {
  return A.load(s, $OWNER) === me ? A.load(s, $COUNT) : 0;
}

/** Whether any agent holds the lock. */
export function locked(A: Seam, s: Int32Array): boolean {
  return L.locked(A, s);
}
