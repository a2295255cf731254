// Derived from src/kernel/rlock.ts by tools/derive_kernels.ts: do not edit.
// The generator form of each kernel there, for the async path and the explorer; its layout,
// state table, invariant and every function's docs are in src/kernel/rlock.ts.
// Regenerate with `deno task derive`; tests/tools/derive_kernels_test.ts checks it.
import type { GenSeam as Seam, KernelGen } from "../_atomics.ts";
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

export const STATE = L.STATE;
export const OWNER: number = $OWNER;
export const COUNT: number = $COUNT;
export const WAITERS = L.WAITERS;
export const BYTES = 24;
export const FIELDS: readonly string[] = ["tag", "state", "waiters", "woken", "owner", "count"];

export const RELEASED: number = $RELEASED;
export const NOT_HELD: number = $NOT_HELD;
export const NOT_OWNER: number = $NOT_OWNER;
export const OWNER_GONE: number = $OWNER_GONE;

export const MAX_COUNT: number = $MAX_COUNT;

function* reenter(A: Seam, s: Int32Array): KernelGen<boolean> {
  const c = (yield* A.load(s, $COUNT));
  if (c === $MAX_COUNT) {
    throw new RangeError(`Cannot acquire RLock: its recursion count would exceed ${$MAX_COUNT}`);
  }
  (yield* A.store(s, $COUNT, c + 1));
  return true;
}

function* own(A: Seam, s: Int32Array, me: number, count: number): KernelGen<void> {
  (yield* A.store(s, $OWNER, me));
  (yield* A.store(s, $COUNT, count));
}

export function* tryAcquire(A: Seam, s: Int32Array, me: number, who: number): KernelGen<boolean> {
  if ((yield* A.load(s, $OWNER)) === me) return (yield* reenter(A, s));
  if (!(yield* L.tryAcquire(A, s, who))) return false;
  (yield* own(A, s, me, 1));
  return true;
}

export function* acquire(A: Seam, s: Int32Array, me: number, who: number, deadline: number): KernelGen<number> {
  if ((yield* A.load(s, $OWNER)) === me) {
    (yield* reenter(A, s));
    return L.ACQUIRED;
  }
  const r = (yield* L.acquire(A, s, who, deadline));
  if (r === L.ACQUIRED) (yield* own(A, s, me, 1));
  return r;
}

export function* release(A: Seam, s: Int32Array, me: number, who: number): KernelGen<number> {
  if ((yield* A.load(s, $OWNER)) !== me) return (yield* notOwned(A, s));
  const c = (yield* A.load(s, $COUNT));
  if (c > 1) {
    (yield* A.store(s, $COUNT, c - 1));
    return $RELEASED;
  }
  if (c !== 1) throw new Error(`Inconsistent RLock state: owned with count ${c}`);
  (yield* unown(A, s, who));
  return $RELEASED;
}

function* notOwned(A: Seam, s: Int32Array): KernelGen<number> {
  if ((yield* L.abandoned(A, s))) return $OWNER_GONE;
  return (yield* L.locked(A, s)) ? $NOT_OWNER : $NOT_HELD;
}

function* unown(A: Seam, s: Int32Array, who: number): KernelGen<void> {
  // Clear owner and count before releasing: the next owner's stores must not be overwritten.
  (yield* A.store(s, $COUNT, 0));
  (yield* A.store(s, $OWNER, 0));
  if (!(yield* L.release(A, s, who))) throw new Error("Inconsistent RLock state: owned but unlocked");
}

export function* releaseAll(A: Seam, s: Int32Array, me: number, who: number): KernelGen<number> {
  if ((yield* A.load(s, $OWNER)) !== me) return 0;
  const c = (yield* A.load(s, $COUNT));
  if (c < 1) throw new Error(`Inconsistent RLock state: owned with count ${c}`);
  (yield* unown(A, s, who));
  return c;
}

export function* acquireRestore(
  A: Seam,
  s: Int32Array,
  me: number,
  who: number,
  count: number,
  deadline: number,
): KernelGen<number> {
  const r = (yield* L.acquire(A, s, who, deadline));
  if (r === L.ACQUIRED) (yield* own(A, s, me, count));
  return r;
}

export function* takeOver(A: Seam, s: Int32Array, me: number, who: number, count: number): KernelGen<boolean> {
  if (!(yield* L.takeOver(A, s, who))) return false;
  (yield* own(A, s, me, count));
  return true;
}

export function* giveUp(A: Seam, s: Int32Array, me: number, who: number): KernelGen<boolean> {
  if ((yield* A.load(s, $OWNER)) !== me) return false;
  (yield* A.store(s, $COUNT, 0));
  (yield* A.store(s, $OWNER, 0));
  if (!(yield* L.giveUp(A, s, who))) throw new Error("Inconsistent RLock state: owned but not held");
  return true;
}

export function* owned(A: Seam, s: Int32Array, me: number): KernelGen<boolean> {
  return (yield* A.load(s, $OWNER)) === me;
}

export function* recursionCount(A: Seam, s: Int32Array, me: number): KernelGen<number> {
  return (yield* A.load(s, $OWNER)) === me ? (yield* A.load(s, $COUNT)) : 0;
}

export function* abandoned(A: Seam, s: Int32Array): KernelGen<boolean> {
  return (yield* L.abandoned(A, s));
}

export function* probeHolder(A: Seam, s: Int32Array, registry: Int32Array): KernelGen<boolean> {
  return (yield* L.probeHolder(A, s, registry));
}

export function* locked(A: Seam, s: Int32Array): KernelGen<boolean> {
  return (yield* L.locked(A, s));
}
