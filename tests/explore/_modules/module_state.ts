/**
 * A module-level variable written by a function: each worker has its own copy, so the explorer
 * refuses it at load time (`tests/explore/module_test.ts`).
 *
 * @module
 */
let hits = 0;

/** Counts a hit in module state. */
export function hit(): number {
  hits++;
  return hits;
}
