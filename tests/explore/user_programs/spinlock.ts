/**
 * A hand-rolled spinlock: `acquire` spins on a compare-exchange, `release` stores 0. The counter it
 * protects is a plain `Int32Array`. Expected: no data race (the lock's atomics order the plain
 * accesses) and no lost increment.
 *
 * @module
 */

/** Spins until the lock word goes from 0 to 1. */
export function acquire(lock: Int32Array): void {
  while (Atomics.compareExchange(lock, 0, 0, 1) !== 0) {
    // spin
  }
}

/** Frees the lock word. */
export function release(lock: Int32Array): void {
  Atomics.store(lock, 0, 0);
}

/** Increments `counter[0]` `times` times under the spinlock. */
export function increment(lock: Int32Array, counter: Int32Array, times: number): void {
  for (let k = 0; k < times; k++) {
    acquire(lock);
    counter[0]!++;
    release(lock);
  }
}
