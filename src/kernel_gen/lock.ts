// Derived from src/kernel/lock.ts by tools/derive_kernels.ts: do not edit.
// The generator form of each kernel there, for the async path and the explorer; its layout,
// state table, invariant and every function's docs are in src/kernel/lock.ts.
// Regenerate with `deno task derive`; tests/tools/derive_kernels_test.ts checks it.
import type { GenSeam as Seam, KernelGen } from "../_atomics.ts";
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
const $TAKEN = -1;
const $MAX_STEP = 32;

export const STATE: number = $STATE;
export const WAITERS: number = $WAITERS;
export const WOKEN: number = $WOKEN;
export const BYTES = 16;
export const FIELDS: readonly string[] = ["tag", "state", "waiters", "woken"];

export const UNLOCKED: number = $UNLOCKED;
export const ABANDONED: number = $ABANDONED;
export const ABANDONED_STATE: number = $ABANDONED_STATE;

export const TIMED_OUT: number = $TIMED_OUT;
export const ACQUIRED: number = $ACQUIRED;
export const OWNER_DIED: number = $OWNER_DIED;

export function* tryAcquire(A: Seam, s: Int32Array, me: number): KernelGen<boolean> {
  return (yield* A.compareExchange(s, $STATE, $UNLOCKED, me << 1)) === $UNLOCKED;
}

export function* acquire(A: Seam, s: Int32Array, me: number, deadline: number): KernelGen<number> {
  const c = (yield* A.compareExchange(s, $STATE, $UNLOCKED, me << 1));
  if (c === $UNLOCKED) return $ACQUIRED;
  // Spin briefly: a sleep and wake-up costs ~10-40 µs here, a spinning hand-off well under 1 µs.
  if (s.length <= $WAITERS) {
    A.loop?.("lock.acquire", 1); // for the explorer's state caching (Seam.at): `c` lives on
    return (yield* contend(A, s, me, (yield* spin(A, s, me, c)), deadline));
  }
  const first = (yield* A.add(s, $WAITERS, 1)) === 0;
  A.loop?.("lock.acquire", 2); // the fast path's CAS and the add: `c` lives on, `first` is spent
  const r = (yield* contend(A, s, me, first ? (yield* spin(A, s, me, c)) : c, deadline));
  (yield* A.sub(s, $WAITERS, 1));
  return r;
}

function* contend(A: Seam, s: Int32Array, me: number, c: number, deadline: number): KernelGen<number> {
  if (c === $TAKEN) return $ACQUIRED;
  // As many steps as Drepper's exchange loop, with the holder kept.
  for (;;) {
    A.at?.("lock.acquire", c);
    if (c === $UNLOCKED) {
      // Take it as contended: we cannot know whether others sleep, so our release must notify.
      c = (yield* A.compareExchange(s, $STATE, $UNLOCKED, (me << 1) | 1));
      if (c === $UNLOCKED) return $ACQUIRED;
      continue;
    }
    if (c === $ABANDONED_STATE) return $OWNER_DIED;
    if ((c & 1) === 0) {
      // Announce a sleeper before sleeping: the holder's release then notifies.
      const seen = (yield* A.compareExchange(s, $STATE, c, c | 1));
      if (seen !== c) {
        c = seen;
        continue;
      }
    }
    // No lost wake-up: we sleep only while the word is still CONTENDED(h), and every move away
    // from it changes the word before notifying (or leaves the wake to a woken thread yet to run).
    const r = (yield* A.wait(s, $STATE, c | 1, deadline));
    if (r === "ok") {
      if (s.length > $WOKEN) (yield* A.sub(s, $WOKEN, 1)); // we ran: see the module doc
    } else if (r === "timed-out") {
      if (s.length > $WOKEN) (yield* unstick(A, s));
      return $TIMED_OUT;
    }
    // Woken, or the word had changed: try to take it at once (the CAS says what is there if not).
    c = $UNLOCKED;
  }
}

function* spin(A: Seam, s: Int32Array, me: number, c: number): KernelGen<number> {
  const budget = A.lockSpin;
  for (let spent = 0, step = 1; spent < budget; step = step < $MAX_STEP ? step * 2 : step) {
    for (let p = 0; p < step && spent < budget; p++, spent++) (yield* A.pause());
    c = (yield* A.load(s, $STATE));
    if (c === $UNLOCKED) {
      c = (yield* A.compareExchange(s, $STATE, $UNLOCKED, me << 1));
      if (c === $UNLOCKED) return $TAKEN;
    }
  }
  return c;
}

export function* release(A: Seam, s: Int32Array, me: number): KernelGen<boolean> {
  // The fast path alone, small enough to inline: `me` holds it and nobody sleeps.
  const c = (yield* A.compareExchange(s, $STATE, me << 1, $UNLOCKED));
  return c === me << 1 || (yield* releaseSeen(A, s, c));
}

function* releaseSeen(A: Seam, s: Int32Array, c: number): KernelGen<boolean> {
  for (;;) {
    if (c === $UNLOCKED) return false;
    if (c < 0) throw new Error(`Inconsistent lock state: ${c}`);
    const seen = (yield* A.compareExchange(s, $STATE, c, $UNLOCKED));
    if (seen === c) break;
    c = seen;
  }
  if ((c & 1) !== 0) (yield* wake(A, s));
  return true;
}

function* wake(A: Seam, s: Int32Array): KernelGen<void> {
  if (s.length <= $WOKEN) {
    (yield* A.notify(s, $STATE, 1));
    return;
  }
  if ((yield* A.load(s, $WOKEN)) > 0) return;
  if ((yield* A.notify(s, $STATE, 1)) !== 0) (yield* A.add(s, $WOKEN, 1));
}

function* unstick(A: Seam, s: Int32Array): KernelGen<void> {
  let v = (yield* A.load(s, $WOKEN));
  while (v > 0) {
    const seen = (yield* A.compareExchange(s, $WOKEN, v, 0));
    if (seen === v) return;
    v = seen;
  }
}

export function* locked(A: Seam, s: Int32Array): KernelGen<boolean> {
  return (yield* A.load(s, $STATE)) !== $UNLOCKED;
}

export function* abandoned(A: Seam, s: Int32Array): KernelGen<boolean> {
  return (yield* A.load(s, $STATE)) === $ABANDONED_STATE;
}

export function* holder(A: Seam, s: Int32Array): KernelGen<number> {
  return (yield* A.load(s, $STATE)) >>> 1;
}

export function* abandon(A: Seam, s: Int32Array, from: number): KernelGen<boolean> {
  if ((yield* A.compareExchange(s, $STATE, from, $ABANDONED_STATE)) !== from) return false;
  const n = (yield* A.notify(s, $STATE, Infinity));
  // Each thread woken subtracts one from `woken` when it runs.
  if (n !== 0 && s.length > $WOKEN) (yield* A.add(s, $WOKEN, n));
  return true;
}

export function* probeHolder(A: Seam, s: Int32Array, registry: Int32Array): KernelGen<boolean> {
  let c = (yield* A.load(s, $STATE));
  const h = c >>> 1;
  if (c === $ABANDONED_STATE) return true;
  if (c === $UNLOCKED || (yield* P.probeId(A, registry, h)) !== P.GONE) return false;
  // h is gone, so only a waiter's contended bit, a release or another prober can change the word.
  while (!(yield* abandon(A, s, c))) {
    c = (yield* A.load(s, $STATE));
    if (c >>> 1 !== h) return c === $ABANDONED_STATE;
  }
  return true;
}

export function* giveUp(A: Seam, s: Int32Array, me: number): KernelGen<boolean> {
  let c = (yield* A.load(s, $STATE));
  // Only a waiter's contended bit (or a release by another thread) can change the word under us.
  while (c >>> 1 === me) {
    if ((yield* abandon(A, s, c))) return true;
    c = (yield* A.load(s, $STATE));
  }
  return false;
}

export function* takeOver(A: Seam, s: Int32Array, me: number): KernelGen<boolean> {
  return (yield* A.compareExchange(s, $STATE, $ABANDONED_STATE, (me << 1) | 1)) === $ABANDONED_STATE;
}
