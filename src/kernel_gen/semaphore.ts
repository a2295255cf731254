// Derived from src/kernel/semaphore.ts by tools/derive_kernels.ts: do not edit.
// The generator form of each kernel there, for the async path and the explorer; its layout,
// state table, invariant and every function's docs are in src/kernel/semaphore.ts.
// Regenerate with `deno task derive`; tests/tools/derive_kernels_test.ts checks it.
import type { GenSeam as Seam, KernelGen } from "../_atomics.ts";

// The functions below use module-private twins of the exported constants: V8 reads an exported
// binding through its module cell at every use (~7% of an uncontended pair, see src/kernel/lock.ts).
const $VALUE = 1;
const $WAITERS = 2;
const $BOUND = 3;
const $MAX_VALUE = 0x7fffffff;
const $RELEASED = 0;
const $OVER_BOUND = 1;

export const VALUE: number = $VALUE;
export const WAITERS: number = $WAITERS;
export const BOUND: number = $BOUND;
export const BYTES = 16;
export const FIELDS: readonly string[] = ["tag", "value", "waiters", "bound"];

export const MAX_VALUE: number = $MAX_VALUE;

export const RELEASED: number = $RELEASED;
export const OVER_BOUND: number = $OVER_BOUND;

export function* init(A: Seam, s: Int32Array, value: number, bound: number): KernelGen<void> {
  (yield* A.store(s, $VALUE, value));
  (yield* A.store(s, $BOUND, bound));
}

export function* tryAcquire(A: Seam, s: Int32Array): KernelGen<boolean> {
  let v = (yield* A.load(s, $VALUE));
  while (v > 0) {
    const seen = (yield* A.compareExchange(s, $VALUE, v, v - 1));
    if (seen === v) return true;
    v = seen;
  }
  return false;
}

export function* acquire(A: Seam, s: Int32Array, deadline: number): KernelGen<boolean> {
  if ((yield* tryAcquire(A, s))) return true;
  // Spin briefly: a cross-core wake-up costs ~40 µs here, a spinning hand-off well under 1 µs.
  for (let n = A.spin; n > 0; n--) {
    (yield* A.pause());
    if ((yield* A.load(s, $VALUE)) > 0 && (yield* tryAcquire(A, s))) return true;
  }
  // Announce a possible sleeper before the last check, so a release either leaves a permit we see
  // or sees us and notifies.
  (yield* A.add(s, $WAITERS, 1));
  for (;;) {
    if ((yield* tryAcquire(A, s))) {
      (yield* A.sub(s, $WAITERS, 1));
      return true;
    }
    // No lost wake-up: we sleep only while value === 0, and release raises value before notifying.
    if ((yield* A.wait(s, $VALUE, 0, deadline)) === "timed-out") {
      (yield* A.sub(s, $WAITERS, 1));
      return false;
    }
  }
}

export function* release(A: Seam, s: Int32Array, n: number): KernelGen<number> {
  const bound = (yield* A.load(s, $BOUND));
  let v = (yield* A.load(s, $VALUE));
  for (;;) {
    if (v > bound - n) return $OVER_BOUND;
    const seen = (yield* A.compareExchange(s, $VALUE, v, v + n));
    if (seen === v) break;
    v = seen;
  }
  // Read `waiters` only after publishing the permits (see the invariant above).
  if ((yield* A.load(s, $WAITERS)) > 0) (yield* A.notify(s, $VALUE, n));
  return $RELEASED;
}

export function* value(A: Seam, s: Int32Array): KernelGen<number> {
  return (yield* A.load(s, $VALUE));
}

export function* bound(A: Seam, s: Int32Array): KernelGen<number> {
  return (yield* A.load(s, $BOUND));
}
