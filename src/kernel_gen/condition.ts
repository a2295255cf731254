// Derived from src/kernel/condition.ts by tools/derive_kernels.ts: do not edit.
// The generator form of each kernel there, for the async path and the explorer; its layout,
// state table, invariant and every function's docs are in src/kernel/condition.ts.
// Regenerate with `deno task derive`; tests/tools/derive_kernels_test.ts checks it.
import type { GenSeam as Seam, KernelGen } from "../_atomics.ts";
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

export const SEQ: number = $SEQ;
export const WAITERS: number = $WAITERS;
export const BYTES = 12;
export const FIELDS: readonly string[] = ["tag", "seq", "waiters"];

export const WAITER: number = $WAITER;
export const TOKENS: number = $TOKENS;
export const MAX_WAITERS: number = $MAX_WAITERS;

export const OK: number = $OK;
export const NOT_OWNER: number = $NOT_OWNER;
export const TOO_MANY: number = $TOO_MANY;

export interface Ticket {
  readonly status: number;
  readonly seq: number;
  readonly saved: number;
}

export function waitersOf(v: number): number {
  return v >>> 16;
}

export function tokensOf(v: number): number {
  return v & $TOKENS;
}

export function* owns(A: Seam, lk: Int32Array, reentrant: boolean, me: number): KernelGen<boolean> {
  return reentrant ? (yield* R.owned(A, lk, me)) : (yield* L.locked(A, lk));
}

function* unlock(A: Seam, lk: Int32Array, reentrant: boolean, me: number, who: number): KernelGen<number> {
  if (reentrant) return (yield* R.releaseAll(A, lk, me, who));
  return (yield* L.release(A, lk, who)) ? 1 : 0;
}

export function* begin(
  A: Seam,
  c: Int32Array,
  lk: Int32Array,
  reentrant: boolean,
  me: number,
  who: number,
): KernelGen<Ticket> {
  if (!(yield* owns(A, lk, reentrant, me))) return { status: $NOT_OWNER, seq: 0, saved: 0 };
  let v = (yield* A.load(c, $WAITERS));
  for (;;) {
    if (waitersOf(v) === $MAX_WAITERS) return { status: $TOO_MANY, seq: 0, saved: 0 };
    const seen = (yield* A.compareExchange(c, $WAITERS, v, (v + $WAITER) | 0));
    if (seen === v) break;
    v = seen;
  }
  // Read seq while still holding the lock: a notify that can see our registration runs after we
  // release the lock, and bumps seq, so the sleep below cannot miss it.
  const seq = (yield* A.load(c, $SEQ));
  const saved = (yield* unlock(A, lk, reentrant, me, who));
  if (saved === 0) {
    // Only a plain Lock gets here: another thread released it under us (misuse).
    (yield* leave(A, c));
    return { status: $NOT_OWNER, seq: 0, saved: 0 };
  }
  return { status: $OK, seq, saved };
}

function* claim(A: Seam, c: Int32Array): KernelGen<boolean> {
  let v = (yield* A.load(c, $WAITERS));
  while (tokensOf(v) > 0) {
    const seen = (yield* A.compareExchange(c, $WAITERS, v, (v - $WAITER - 1) | 0));
    if (seen === v) return true;
    v = seen;
  }
  return false;
}

export function* leave(A: Seam, c: Int32Array): KernelGen<void> {
  let v = (yield* A.load(c, $WAITERS));
  for (;;) {
    const w = waitersOf(v) - 1;
    const t = Math.min(tokensOf(v), w);
    const seen = (yield* A.compareExchange(c, $WAITERS, v, (w * $WAITER + t) | 0));
    if (seen === v) {
      if (t > 0) {
        // Bump seq so that no one can sleep on the value it read before these tokens existed.
        (yield* A.add(c, $SEQ, 1));
        (yield* A.notify(c, $SEQ, 1));
      }
      return;
    }
    v = seen;
  }
}

export function* sleep(
  A: Seam,
  c: Int32Array,
  seq: number,
  deadline: number,
  nap: boolean,
): KernelGen<boolean> {
  // Spin briefly: a notify usually follows soon in a hand-off, and a wake-up costs ~40 µs here
  // (the budget adapts in production: Seam.notifySpin).
  for (let n = A.notifySpin(seq); n > 0; n--) {
    const now = (yield* A.load(c, $SEQ));
    if (now !== seq) {
      // Notified while spinning: claim at once (the wait below would return "not-equal").
      if ((yield* claim(A, c))) return true;
      seq = now;
      break;
    }
    (yield* A.pause());
  }
  for (;;) {
    // No lost wake-up: we sleep only while seq is unchanged, and notify bumps it before waking.
    const result = (yield* A.wait(c, $SEQ, seq, deadline));
    // Read seq before claiming: tokens issued after the claim attempt will have bumped it.
    seq = (yield* A.load(c, $SEQ));
    if (result === "timed-out") {
      if (!nap) (yield* leave(A, c));
      return false;
    }
    if ((yield* claim(A, c))) return true;
  }
}

export function* end(
  A: Seam,
  lk: Int32Array,
  reentrant: boolean,
  me: number,
  who: number,
  saved: number,
  deadline: number,
): KernelGen<number> {
  if (reentrant) return (yield* R.acquireRestore(A, lk, me, who, saved, deadline));
  return (yield* L.acquire(A, lk, who, deadline));
}

export function* takeOver(
  A: Seam,
  lk: Int32Array,
  reentrant: boolean,
  me: number,
  who: number,
  saved: number,
): KernelGen<boolean> {
  if (reentrant) return (yield* R.takeOver(A, lk, me, who, saved));
  return (yield* L.takeOver(A, lk, who));
}

export function* notify(
  A: Seam,
  c: Int32Array,
  lk: Int32Array,
  reentrant: boolean,
  me: number,
  n: number,
  later: boolean,
): KernelGen<number> {
  if (!(yield* owns(A, lk, reentrant, me))) return -1;
  let v = (yield* A.load(c, $WAITERS));
  let k = 0;
  for (;;) {
    // One token per registered waiter that has none yet.
    k = Math.min(n, waitersOf(v) - tokensOf(v));
    if (k <= 0) return 0;
    const seen = (yield* A.compareExchange(c, $WAITERS, v, (v + k) | 0));
    if (seen === v) break;
    v = seen;
  }
  // Bump seq after issuing the tokens: a waiter that reads the new seq then sees them.
  (yield* A.add(c, $SEQ, 1));
  if (!later) (yield* wake(A, c, k));
  return k;
}

export function* wake(A: Seam, c: Int32Array, k: number): KernelGen<void> {
  (yield* A.notify(c, $SEQ, k));
}
