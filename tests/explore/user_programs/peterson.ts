/**
 * Peterson's mutual exclusion for two threads, with `Atomics` (sequentially consistent, as the
 * algorithm needs): raise your flag, give the turn away, wait while the other wants in and has the
 * turn. The critical section increments a plain counter. Expected: no data race, no lost increment.
 *
 * @module
 */

/** Thread `me` (0 or 1) enters the critical section once. */
export function critical(flags: Int32Array, turn: Int32Array, data: Int32Array, me: number): void {
  const other = 1 - me;
  Atomics.store(flags, me, 1);
  Atomics.store(turn, 0, other);
  while (Atomics.load(flags, other) === 1 && Atomics.load(turn, 0) === other) {
    // spin
  }
  data[0]!++;
  Atomics.store(flags, me, 0);
}
