// Derived from src/kernel/exit_latch.ts by tools/derive_kernels.ts: do not edit.
// The generator form of each kernel there, for the async path and the explorer; its layout,
// state table, invariant and every function's docs are in src/kernel/exit_latch.ts.
// Regenerate with `deno task derive`; tests/tools/derive_kernels_test.ts checks it.
import type { GenSeam as Seam, KernelGen } from "../_atomics.ts";

// The functions below use module-private twins of the exported constants: V8 reads an exported
// binding through its module cell at every use (~7% of an uncontended pair, see src/kernel/lock.ts).
const $STATE = 1;
const $CODE = 2;
const $SEQ = 3;
const $RUNNING = 0;
const $CLOSING = 2;
const $EXITED = 1;

export const STATE: number = $STATE;
export const CODE: number = $CODE;
export const SEQ: number = $SEQ;
export const BYTES = 16;

export const RUNNING: number = $RUNNING;
export const CLOSING: number = $CLOSING;
export const EXITED: number = $EXITED;

export function* close(A: Seam, s: Int32Array, code: number): KernelGen<boolean> {
  if ((yield* A.compareExchange(s, $STATE, $RUNNING, $CLOSING)) !== $RUNNING) return false;
  (yield* A.store(s, $CODE, code));
  (yield* A.store(s, $STATE, $EXITED));
  // Bump seq after the state, then wake every joiner: one sleeping on seq 0 is woken, one about to
  // sleep finds seq 1 and does not.
  (yield* A.add(s, $SEQ, 1));
  (yield* A.notify(s, $SEQ, Infinity));
  return true;
}

export function* exitCode(A: Seam, s: Int32Array): KernelGen<number | null> {
  if ((yield* A.load(s, $STATE)) !== $EXITED) return null;
  return (yield* A.load(s, $CODE));
}

export function* join(A: Seam, s: Int32Array, deadline: number): KernelGen<boolean> {
  for (let n = A.spin; n > 0; n--) {
    if ((yield* A.load(s, $STATE)) === $EXITED) return true;
    (yield* A.pause());
  }
  while ((yield* A.load(s, $STATE)) !== $EXITED) {
    // No lost wake-up: we sleep only while seq is 0, and the closer bumps it before notifying.
    if ((yield* A.wait(s, $SEQ, 0, deadline)) === "timed-out") return (yield* A.load(s, $STATE)) === $EXITED;
  }
  return true;
}
