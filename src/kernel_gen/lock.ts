// Derived from src/kernel/lock.ts by tools/derive_kernels.ts: do not edit.
// The generator form of each kernel there, for the async path and the explorer; its layout,
// state table, invariant and every function's docs are in src/kernel/lock.ts.
// Regenerate with `deno task derive`; tests/tools/derive_kernels_test.ts checks it.
import type { GenSeam as Seam, KernelGen } from "../_atomics.ts";

// The functions below use these module-private twins of the exported constants: V8 reads an
// exported binding through its module cell at every use, which cost ~7% of an uncontended
// acquire/release pair (bench/seam_bench.ts); a private `const` is folded into the compiled code.
const $STATE = 1;
const $UNLOCKED = 0;
const $LOCKED = 1;
const $CONTENDED = 2;
const $MAX_STEP = 32;

export const STATE: number = $STATE;
export const BYTES = 8;
export const FIELDS: readonly string[] = ["tag", "state"];

export const UNLOCKED: number = $UNLOCKED;
export const LOCKED: number = $LOCKED;
export const CONTENDED: number = $CONTENDED;

export function* tryAcquire(A: Seam, s: Int32Array): KernelGen<boolean> {
  return (yield* A.compareExchange(s, $STATE, $UNLOCKED, $LOCKED)) === $UNLOCKED;
}

export function* acquire(A: Seam, s: Int32Array, deadline: number): KernelGen<boolean> {
  if ((yield* A.compareExchange(s, $STATE, $UNLOCKED, $LOCKED)) === $UNLOCKED) return true;
  // Spin briefly: a sleep and wake-up costs ~10-40 µs here, a spinning hand-off well under 1 µs.
  for (let spent = 0, step = 1; spent < A.spin; step = step < $MAX_STEP ? step * 2 : step) {
    for (let p = 0; p < step && spent < A.spin; p++, spent++) (yield* A.pause());
    if (
      (yield* A.load(s, $STATE)) === $UNLOCKED &&
      (yield* A.compareExchange(s, $STATE, $UNLOCKED, $LOCKED)) === $UNLOCKED
    ) return true;
  }
  // Announce a sleeper (state 2) before sleeping; the exchange that finds 0 owns the lock.
  while ((yield* A.exchange(s, $STATE, $CONTENDED)) !== $UNLOCKED) {
    // No lost wake-up: we sleep only if state is still 2, and release stores 0 before notifying.
    if ((yield* A.wait(s, $STATE, $CONTENDED, deadline)) === "timed-out") return false;
  }
  return true;
}

export function* release(A: Seam, s: Int32Array): KernelGen<boolean> {
  const c = (yield* A.compareExchange(s, $STATE, $LOCKED, $UNLOCKED));
  if (c === $LOCKED) return true;
  if (c === $UNLOCKED) return false;
  if (c !== $CONTENDED) throw new Error(`Inconsistent lock state: ${c}`);
  // Only the holder moves the state away from 2, so a plain store suffices.
  (yield* A.store(s, $STATE, $UNLOCKED));
  (yield* A.notify(s, $STATE, 1));
  return true;
}

export function* locked(A: Seam, s: Int32Array): KernelGen<boolean> {
  return (yield* A.load(s, $STATE)) !== $UNLOCKED;
}
