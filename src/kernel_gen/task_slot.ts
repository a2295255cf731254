// Derived from src/kernel/task_slot.ts by tools/derive_kernels.ts: do not edit.
// The generator form of each kernel there, for the async path and the explorer; its layout,
// state table, invariant and every function's docs are in src/kernel/task_slot.ts.
// Regenerate with `deno task derive`; tests/tools/derive_kernels_test.ts checks it.
import type { GenSeam as Seam, KernelGen } from "../_atomics.ts";

// The functions below use module-private twins of the exported constants: V8 reads an exported
// binding through its module cell at every use (~7% of an uncontended pair, see src/kernel/lock.ts).
const $FIRST = 1;
const $DONE = 0;
const $QUEUED = 1;
const $RUNNING = 2;
const $REVOKED = 3;

export const FIRST: number = $FIRST;
export const SLOTS = 256;
export const BYTES = (FIRST + SLOTS) * 4;
export const GEN_MASK = 0x1fffffff;

export const DONE: number = $DONE;
export const QUEUED: number = $QUEUED;
export const RUNNING: number = $RUNNING;
export const REVOKED: number = $REVOKED;

export function* assign(A: Seam, s: Int32Array, k: number, gen: number): KernelGen<void> {
  (yield* A.store(s, $FIRST + k, (gen << 2) | $QUEUED));
}

export function* claim(A: Seam, s: Int32Array, k: number, gen: number): KernelGen<boolean> {
  const queued = (gen << 2) | $QUEUED;
  return (yield* A.compareExchange(s, $FIRST + k, queued, (gen << 2) | $RUNNING)) === queued;
}

export function* finish(A: Seam, s: Int32Array, k: number, gen: number): KernelGen<void> {
  (yield* A.store(s, $FIRST + k, (gen << 2) | $DONE));
}

export function* revoke(A: Seam, s: Int32Array, k: number, gen: number): KernelGen<boolean> {
  const queued = (gen << 2) | $QUEUED;
  return (yield* A.compareExchange(s, $FIRST + k, queued, (gen << 2) | $REVOKED)) === queued;
}

export function* stateOf(A: Seam, s: Int32Array, k: number, gen: number): KernelGen<number> {
  const word = (yield* A.load(s, $FIRST + k));
  if ((word >>> 2) !== gen) return -1;
  return word & 3;
}
