// Derived from src/kernel/event.ts by tools/derive_kernels.ts: do not edit.
// The generator form of each kernel there, for the async path and the explorer; its layout,
// state table, invariant and every function's docs are in src/kernel/event.ts.
// Regenerate with `deno task derive`; tests/tools/derive_kernels_test.ts checks it.
import type { GenSeam as Seam, KernelGen } from "../_atomics.ts";

// The functions below use module-private twins of the exported constants: V8 reads an exported
// binding through its module cell at every use (~7% of an uncontended pair, see src/kernel/lock.ts).
const $STATE = 1;
const $WAITERS = 2;
const $FLAG = 1;

export const STATE: number = $STATE;
export const WAITERS: number = $WAITERS;
export const BYTES = 12;
export const FIELDS: readonly string[] = ["tag", "state", "waiters"];

export const FLAG: number = $FLAG;

export function* set(A: Seam, e: Int32Array): KernelGen<void> {
  let v = (yield* A.load(e, $STATE));
  for (;;) {
    if ((v & $FLAG) !== 0) return;
    // Next generation, flag up; the generation wraps within 31 bits.
    const seen = (yield* A.compareExchange(e, $STATE, v, (((v >>> 1) + 1) << 1) | $FLAG));
    if (seen === v) break;
    v = seen;
  }
  // Read `waiters` only after changing state (see the invariant above).
  if ((yield* A.load(e, $WAITERS)) > 0) (yield* A.notify(e, $STATE, Infinity));
}

export function* clear(A: Seam, e: Int32Array): KernelGen<void> {
  let v = (yield* A.load(e, $STATE));
  while ((v & $FLAG) !== 0) {
    const seen = (yield* A.compareExchange(e, $STATE, v, v & ~$FLAG));
    if (seen === v) return;
    v = seen;
  }
}

export function* isSet(A: Seam, e: Int32Array): KernelGen<boolean> {
  return ((yield* A.load(e, $STATE)) & $FLAG) !== 0;
}

export function* wait(A: Seam, e: Int32Array, deadline: number): KernelGen<boolean> {
  const v = (yield* A.load(e, $STATE));
  if ((v & $FLAG) !== 0) return true;
  // Spin briefly: a cross-core wake-up costs ~40 µs here.
  for (let n = A.spin; n > 0; n--) {
    (yield* A.pause());
    if ((yield* A.load(e, $STATE)) !== v) return true;
  }
  // Announce a sleeper before the wait's check, so set either changes state first or notifies us.
  (yield* A.add(e, $WAITERS, 1));
  for (;;) {
    // No lost wake-up: we sleep only while state === v, and set changes it before notifying.
    const result = (yield* A.wait(e, $STATE, v, deadline));
    if ((yield* A.load(e, $STATE)) !== v) {
      (yield* A.sub(e, $WAITERS, 1));
      return true;
    }
    if (result === "timed-out") {
      (yield* A.sub(e, $WAITERS, 1));
      return false;
    }
  }
}
