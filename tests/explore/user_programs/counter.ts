/**
 * A hit counter in a plain `Int32Array` over a `SharedArrayBuffer`: `counter[0]++` is a plain read
 * and a plain write. Expected: a data race between the two workers' increments (and, in some
 * schedules, a lost hit); `countAtomically` with `Atomics.add` has none.
 *
 * @module
 */

/** Counts `times` hits with plain accesses. */
export function count(counter: Int32Array, times: number): void {
  for (let k = 0; k < times; k++) counter[0]!++;
}

/** Counts `times` hits with `Atomics.add`. */
export function countAtomically(counter: Int32Array, times: number): void {
  for (let k = 0; k < times; k++) Atomics.add(counter, 0, 1);
}
