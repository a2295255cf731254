// Derived from src/kernel/semaphore.ts by tools/derive_kernels.ts: do not edit.
// Regenerate with `deno task derive`; tests/tools/derive_kernels_test.ts checks it.
/**
 * Semaphore kernel: the shared-memory algorithm of `Semaphore` and `BoundedSemaphore`, a counter of
 * permits that `acquire` takes one at a time and `release(n)` gives back.
 *
 * Shared layout: Int32Array `s` over the semaphore's region, 16 bytes (padded to one cache line).
 * | index | field   | written by                     | meaning                                     |
 * | 0     | tag     | constructor, once              | TAG.Semaphore or TAG.BoundedSemaphore       |
 * | 1     | value   | acquire (CAS), release (CAS)   | permits available, 0 <= value <= bound      |
 * | 2     | waiters | acquire (add/sub)              | acquirers that may sleep on `value`         |
 * | 3     | bound   | constructor, once              | most permits `value` may hold: the initial  |
 * |       |         |                                | value (bounded) or 2^31 - 1 (unbounded)     |
 *
 * Transitions:
 * - acquire: value v>0 -> v-1 (CAS; fast path, spin, and after every wake-up). To sleep, an acquirer
 *   first raises `waiters`, re-tries, then sleeps while value === 0, and lowers `waiters` when it
 *   leaves (with a permit or timed out).
 * - release(n): value v -> v+n (CAS) unless v+n > bound (then nothing changes: OVER_BOUND); then, if
 *   `waiters` > 0, notify n sleepers on `value`.
 * - a timed-out or aborted acquire changes `waiters` back and takes nothing.
 *
 * Invariant: 0 <= value <= bound. No lost wake-up: an acquirer raises `waiters` before its last
 * check of `value` and then sleeps only while value === 0 (the check and the enqueue are one atomic
 * step); release raises `value` before it reads `waiters`. Sequential consistency orders the two
 * threads' write-then-read pairs, so either the acquirer sees the permit or the releaser sees the
 * waiter and notifies. A woken acquirer that loses the permit to another thread sleeps again; the
 * permit went to someone, so no permit is lost either.
 * Synchronizes-with: release's CAS of `value` is read by the acquirer's successful CAS.
 *
 * @module
 */
import type { GenSeam as Seam, KernelGen } from "../_atomics.ts";

// The functions below use module-private twins of the exported constants: V8 reads an exported
// binding through its module cell at every use (~7% of an uncontended pair, see src/kernel/lock.ts).
const $VALUE = 1;
const $WAITERS = 2;
const $BOUND = 3;
const $MAX_VALUE = 0x7fffffff;
const $RELEASED = 0;
const $OVER_BOUND = 1;

/** Word index of the number of available permits. */
export const VALUE: number = $VALUE;
/** Word index of the number of acquirers that may sleep. */
export const WAITERS: number = $WAITERS;
/** Word index of the bound on `value`. */
export const BOUND: number = $BOUND;
/** Bytes the semaphore's region needs. */
export const BYTES = 16;
/** The name of each word, by index (for traces). */
export const FIELDS: readonly string[] = ["tag", "value", "waiters", "bound"];

/** The largest value (and the bound of an unbounded semaphore). */
export const MAX_VALUE: number = $MAX_VALUE;

/** {@linkcode release} succeeded. */
export const RELEASED: number = $RELEASED;
/** {@linkcode release} failed (nothing changed): the value would exceed the bound. */
export const OVER_BOUND: number = $OVER_BOUND;

/** Writes the initial value and bound of a fresh region (before it is shared). */
export function* init(A: Seam, s: Int32Array, value: number, bound: number): KernelGen<void> {
  (yield* A.store(s, $VALUE, value));
  (yield* A.store(s, $BOUND, bound));
}

/** Takes one permit if there is one; never waits. */
export function* tryAcquire(A: Seam, s: Int32Array): KernelGen<boolean> {
  let v = (yield* A.load(s, $VALUE));
  while (v > 0) {
    const seen = (yield* A.compareExchange(s, $VALUE, v, v - 1));
    if (seen === v) return true;
    v = seen;
  }
  return false;
}

/** Takes one permit, sleeping until `deadline`; returns false (nothing taken) on timeout. */
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

/** Gives back `n` permits (n >= 1) and wakes up to `n` sleepers; RELEASED or OVER_BOUND. */
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

/** The number of available permits (a snapshot). */
export function* value(A: Seam, s: Int32Array): KernelGen<number> {
  return (yield* A.load(s, $VALUE));
}

/** The most permits the semaphore may hold: its initial value if bounded, else 2^31 - 1. */
export function* bound(A: Seam, s: Int32Array): KernelGen<number> {
  return (yield* A.load(s, $BOUND));
}
