// Derived from src/kernel/lock.ts by tools/derive_kernels.ts: do not edit.
// Regenerate with `deno task derive`; tests/tools/derive_kernels_test.ts checks it.
/**
 * Lock kernel: the shared-memory algorithm of `Lock` (a futex mutex after Drepper, "Futexes Are
 * Tricky", mutex #2), written against the atomics seam so that the same code runs in production and
 * under the interleaving explorer (see `src/_atomics.ts`).
 *
 * Shared layout: Int32Array `s` over the lock's region, 8 bytes (padded to one cache line).
 * | index | field | written by                   | meaning                                   |
 * | 0     | tag   | constructor, once            | TAG.Lock                                  |
 * | 1     | state | acquire / release (CAS, xchg)| UNLOCKED=0, LOCKED=1, CONTENDED=2         |
 *
 * Transitions:
 * - acquire: 0->1 (CAS, fast path and spin with backoff) | any->2 (exchange), then sleep while
 *   state === 2; the exchange that returns 0 takes the lock (leaving 2: a later release may wake
 *   a sleeper needlessly, never too few).
 * - release: 1->0 (CAS) | 2->0 (store) then notify 1. Releasing in state 0 changes nothing and fails.
 * - a timed-out or aborted acquire leaves state as it found it or at 2 (harmless, see above).
 *
 * Invariant: a thread sleeps on `state` only while state === 2, and every release that finds 2
 * notifies after storing 0, so a sleeper is always woken or finds the lock free: no lost wake-up.
 * Synchronizes-with: release's store/CAS of 0 is read by the next acquire's CAS/exchange.
 *
 * @module
 */
import type { GenSeam as Seam, KernelGen } from "../_atomics.ts";

// The functions below use these module-private twins of the exported constants: V8 reads an
// exported binding through its module cell at every use, which cost ~7% of an uncontended
// acquire/release pair (bench/seam_bench.ts); a private `const` is folded into the compiled code.
const $STATE = 1;
const $UNLOCKED = 0;
const $LOCKED = 1;
const $CONTENDED = 2;
/** The most pauses between two checks of a spinning acquire. */
const $MAX_STEP = 32;

/** Word index of the state. */
export const STATE: number = $STATE;
/** Bytes the lock's region needs. */
export const BYTES = 8;
/** The name of each word, by index (for traces). */
export const FIELDS: readonly string[] = ["tag", "state"];

/** Not held. */
export const UNLOCKED: number = $UNLOCKED;
/** Held, and no thread has announced that it sleeps. */
export const LOCKED: number = $LOCKED;
/** Held, and some thread may sleep waiting for it. */
export const CONTENDED: number = $CONTENDED;

/** Takes the lock if it is free; never waits. */
export function* tryAcquire(A: Seam, s: Int32Array): KernelGen<boolean> {
  return (yield* A.compareExchange(s, $STATE, $UNLOCKED, $LOCKED)) === $UNLOCKED;
}

/**
 * Takes the lock, sleeping until `deadline`; returns false (state consistent) on timeout.
 *
 * Before it sleeps it spins for `A.spin` pauses, re-checking the state after 1, 2, 4, ... 32
 * pauses (exponential backoff): the first checks catch a prompt hand-off within ~0.1 µs, the
 * later ones stay out of the way of a holder that releases and re-takes the lock in a loop (each
 * check pulls the lock's cache line away from the holder's core). Measured by
 * `bench/lock_bench.ts` (see bench/RESULTS.md): against re-checking after every pause, backoff
 * raised 2-worker contended throughput from ~0.6-0.9x to ~1.0-1.2x a hand-written futex lock (the
 * kernel alone; the `Lock` class ~0.8-1.0x), and a ping-pong round trip between two spinning
 * workers stays under 1 µs.
 */
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

/** Releases the lock; returns false (and changes nothing) if it was not held. */
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

/** Whether the lock is held by anyone. */
export function* locked(A: Seam, s: Int32Array): KernelGen<boolean> {
  return (yield* A.load(s, $STATE)) !== $UNLOCKED;
}
