/**
 * Peterson's algorithm with its first two steps swapped: giving the turn away before raising the
 * flag lets both threads in. Expected: the two critical sections overlap, which shows as a data
 * race on the plain counter.
 *
 * @module
 */

/** Thread `me` (0 or 1) enters the critical section once. */
export function critical(flags: Int32Array, turn: Int32Array, data: Int32Array, me: number): void {
  const other = 1 - me;
  Atomics.store(turn, 0, other);
  Atomics.store(flags, me, 1);
  while (Atomics.load(flags, other) === 1 && Atomics.load(turn, 0) === other) {
    // spin
  }
  data[0]!++;
  Atomics.store(flags, me, 0);
}
