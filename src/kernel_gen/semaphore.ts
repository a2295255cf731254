// Derived from src/kernel/semaphore.ts by tools/derive_kernels.ts: do not edit.
// The generator form of each kernel there, for the async path and the explorer; its layout,
// state table, invariant and every function's docs are in src/kernel/semaphore.ts.
// Regenerate with `deno task derive`; tests/tools/derive_kernels_test.ts checks it.
import type { GenSeam as Seam, KernelGen } from "../_atomics.ts";
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
const $SLEEPERS = -0x80000000;
const $RELEASED = 0;
const $OVER_BOUND = 1;
const $MAX_STEP = 32;

export const VALUE: number = $VALUE;
export const WAITERS: number = $WAITERS;
export const BOUND: number = $BOUND;
export const TAINTED: number = $TAINTED;
export const HOLDERS: number = $HOLDERS;
export const INITIAL: number = $INITIAL;
export const TABLE: number = $TABLE;
export const TABLE_ENTRIES = 16;
export const BYTES = 28;
export function robustBytes(entries: number): number {
  return ($TABLE + 2 * entries) * 4;
}
export const FIELDS: readonly string[] = (() => {
  const names = ["tag", "value", "waiters", "bound", "tainted", "holders", "initial"];
  for (let w = names.length; w < $TABLE; w++) names.push(`word${w}`);
  for (let j = 0; j < TABLE_ENTRIES; j++) names.push(`holder${j}.id`, `holder${j}.count`);
  return names;
})();

export const MAX_VALUE: number = $MAX_VALUE;
export const SLEEPERS: number = $SLEEPERS;

export const RELEASED: number = $RELEASED;
export const OVER_BOUND: number = $OVER_BOUND;

export function* init(A: Seam, s: Int32Array, value: number, bound: number, holders: number): KernelGen<void> {
  (yield* A.store(s, $VALUE, value));
  (yield* A.store(s, $BOUND, bound));
  (yield* A.store(s, $HOLDERS, holders));
  (yield* A.store(s, $INITIAL, value));
}

export function* initial(A: Seam, s: Int32Array): KernelGen<number> {
  return (yield* A.load(s, $INITIAL));
}

export function takeGuess(initialValue: number): number {
  return initialValue > 1 ? initialValue : 1;
}

export function giveGuess(initialValue: number): number {
  return initialValue > 1 ? initialValue - 1 : 0;
}

export function* holders(A: Seam, s: Int32Array): KernelGen<number> {
  return (yield* A.load(s, $HOLDERS));
}

export function* tryAcquire(A: Seam, s: Int32Array, expect: number): KernelGen<boolean> {
  // The fast path alone, small enough to inline: the guess was right.
  const c = (yield* A.compareExchange(s, $VALUE, expect, expect - 1));
  return c === expect || (yield* tryAcquireSeen(A, s, c));
}

function* tryAcquireSeen(A: Seam, s: Int32Array, c: number): KernelGen<boolean> {
  // `c - 1` keeps the SLEEPERS bit: with permits > 0 the subtraction never borrows from it.
  while ((c & $MAX_VALUE) > 0) {
    const seen = (yield* A.compareExchange(s, $VALUE, c, c - 1));
    if (seen === c) return true;
    c = seen;
  }
  return false;
}

export function* acquire(A: Seam, s: Int32Array, expect: number, deadline: number): KernelGen<boolean> {
  if ((yield* tryAcquire(A, s, expect))) return true;
  const first = (yield* A.add(s, $WAITERS, 1)) === 0;
  const r = (first && (yield* spin(A, s))) || (yield* contend(A, s, deadline));
  (yield* A.sub(s, $WAITERS, 1));
  return r;
}

function* spin(A: Seam, s: Int32Array): KernelGen<boolean> {
  const budget = A.spin;
  for (let spent = 0, step = 1; spent < budget; step = step < $MAX_STEP ? step * 2 : step) {
    for (let p = 0; p < step && spent < budget; p++, spent++) (yield* A.pause());
    const c = (yield* A.load(s, $VALUE));
    if ((c & $MAX_VALUE) > 0 && (yield* A.compareExchange(s, $VALUE, c, c - 1)) === c) return true;
  }
  return false;
}

function* contend(A: Seam, s: Int32Array, deadline: number): KernelGen<boolean> {
  let c = (yield* A.load(s, $VALUE));
  let slept = 0;
  A.loop?.("semaphore.acquire"); // for the explorer's state caching (Seam.at)
  for (;;) {
    A.at?.("semaphore.acquire", c, slept);
    if ((c & $MAX_VALUE) > 0) {
      // Once we slept, take it with SLEEPERS: the release that woke us cleared it, others may sleep.
      const seen = (yield* A.compareExchange(s, $VALUE, c, (c - 1) | slept));
      if (seen !== c) {
        c = seen;
        continue;
      }
      // Permits left that releases made while SLEEPERS was clear: pass them on to sleepers.
      if (slept !== 0 && (c & $MAX_VALUE) > 1) (yield* A.notify(s, $VALUE, (c & $MAX_VALUE) - 1));
      return true;
    }
    if (c === 0) {
      // Set SLEEPERS before sleeping: a release that finds it notifies (we are counted already).
      const seen = (yield* A.compareExchange(s, $VALUE, 0, $SLEEPERS));
      if (seen !== 0) {
        c = seen;
        continue;
      }
    }
    // No lost wake-up: we sleep only while value === SLEEPERS, and whoever moves the word on from
    // there notifies (see the invariant).
    if ((yield* A.wait(s, $VALUE, $SLEEPERS, deadline)) === "timed-out") return false;
    slept = $SLEEPERS;
    c = (yield* A.load(s, $VALUE));
  }
}

export function* release(A: Seam, s: Int32Array, n: number, bound: number, expect: number): KernelGen<number> {
  if (expect <= bound - n) {
    // The fast path alone, small enough to inline: the guess was right, so SLEEPERS was clear.
    const v = (yield* A.compareExchange(s, $VALUE, expect, expect + n));
    return v === expect ? $RELEASED : (yield* releaseSeen(A, s, n, bound, v));
  }
  return (yield* releaseSeen(A, s, n, bound, (yield* A.load(s, $VALUE))));
}

function* releaseSeen(A: Seam, s: Int32Array, n: number, bound: number, v: number): KernelGen<number> {
  for (;;) {
    if ((v & $MAX_VALUE) > bound - n) return $OVER_BOUND;
    if (v >= 0) {
      // SLEEPERS clear: nobody sleeps (`v + n` <= bound keeps the bit clear).
      const seen = (yield* A.compareExchange(s, $VALUE, v, v + n));
      if (seen === v) return $RELEASED;
      v = seen;
      continue;
    }
    // SLEEPERS set: clear it and wake n (each sets it again unless it leaves, see the invariant).
    const seen = (yield* A.compareExchange(s, $VALUE, v, (v & $MAX_VALUE) + n));
    if (seen !== v) {
      v = seen;
      continue;
    }
    (yield* A.notify(s, $VALUE, n));
    return $RELEASED;
  }
}

export function* entryOf(A: Seam, s: Int32Array, who: number): KernelGen<number> {
  if (!P.probeable(who)) return -1;
  const n = (yield* A.load(s, $HOLDERS));
  for (;;) {
    let free = -1;
    for (let j = 0; j < n; j++) {
      const id = (yield* A.load(s, $TABLE + 2 * j));
      if (id === who) return j;
      if (id === 0 && free < 0) free = j;
    }
    if (free < 0) return -1;
    // Lost the free entry to another thread: look again (ours cannot have appeared meanwhile).
    if ((yield* A.compareExchange(s, $TABLE + 2 * free, 0, who)) === 0) return free;
  }
}

export function* hold(A: Seam, s: Int32Array, j: number, n: number): KernelGen<void> {
  const w = $TABLE + 2 * j + 1;
  (yield* A.store(s, w, (yield* A.load(s, w)) + n));
}

export function* unhold(A: Seam, s: Int32Array, j: number, n: number): KernelGen<number> {
  const w = $TABLE + 2 * j + 1;
  const c = (yield* A.load(s, w));
  const k = c < n ? c : n;
  if (k > 0) (yield* A.store(s, w, c - k));
  return k;
}

export function* tainted(A: Seam, s: Int32Array): KernelGen<number> {
  return (yield* A.load(s, $TAINTED));
}

export function* untaint(A: Seam, s: Int32Array): KernelGen<boolean> {
  // tryAcquire's loop on another word, written out: tryAcquire is a fast path and calls nothing.
  let t = (yield* A.load(s, $TAINTED));
  while (t > 0) {
    const seen = (yield* A.compareExchange(s, $TAINTED, t, t - 1));
    if (seen === t) return true;
    t = seen;
  }
  return false;
}

export function* retaint(A: Seam, s: Int32Array): KernelGen<void> {
  (yield* A.add(s, $TAINTED, 1));
}

export function* reclaim(A: Seam, s: Int32Array, registry: Int32Array): KernelGen<number> {
  const n = (yield* A.load(s, $HOLDERS));
  let total = 0;
  for (let j = 0; j < n; j++) {
    const w = $TABLE + 2 * j;
    const id = (yield* A.load(s, w));
    if (id === 0 || id === $RECLAIMING || (yield* P.probeId(A, registry, id)) !== P.GONE) continue;
    // A gone thread writes nothing more: only another reclaimer can race us for its entry.
    if ((yield* A.compareExchange(s, w, id, $RECLAIMING)) !== id) continue;
    total += (yield* A.load(s, w + 1));
    (yield* A.store(s, w + 1, 0));
    (yield* A.store(s, w, 0));
  }
  if (total === 0) return 0;
  // Taint first, then give the permits back: whoever takes one of them sees the taint.
  (yield* A.add(s, $TAINTED, total));
  const bound = (yield* A.load(s, $BOUND));
  let v = (yield* A.load(s, $VALUE));
  let k = 0;
  for (;;) {
    const room = bound - (v & $MAX_VALUE);
    k = room < total ? room : total;
    if (k <= 0) break;
    // `v + k` keeps SLEEPERS as it is (setting it is always safe: see the invariant).
    const seen = (yield* A.compareExchange(s, $VALUE, v, v + k));
    if (seen === v) break;
    v = seen;
  }
  if (k < total) (yield* A.sub(s, $TAINTED, total - (k > 0 ? k : 0)));
  if (k <= 0) return 0;
  if ((yield* A.load(s, $WAITERS)) > 0) (yield* A.notify(s, $VALUE, k));
  return k;
}

export function* value(A: Seam, s: Int32Array): KernelGen<number> {
  return (yield* A.load(s, $VALUE)) & $MAX_VALUE;
}

export function* bound(A: Seam, s: Int32Array): KernelGen<number> {
  return (yield* A.load(s, $BOUND));
}
