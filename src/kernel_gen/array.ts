// Derived from src/kernel/array.ts by tools/derive_kernels.ts: do not edit.
// The generator form of each kernel there, for the async path and the explorer; its layout,
// state table, invariant and every function's docs are in src/kernel/array.ts.
// Regenerate with `deno task derive`; tests/tools/derive_kernels_test.ts checks it.
import type { AtomicArray, GenSeam as Seam, KernelGen } from "../_atomics.ts";
import { get as getValue, type Kind, set as setValue } from "./value.ts";

// The functions below use module-private twins of the exported constants: V8 reads an exported
// binding through its module cell at every use (~7% of an uncontended pair, see src/kernel/lock.ts).
const $DATA_BYTE = 16;

export const TYPE = 1;
export const LENGTH = 2;
export const DATA_BYTE: number = $DATA_BYTE;
export const FIELDS: readonly string[] = ["tag", "type", "length", "pad"];

export function bytes(length: number, elementBytes: number): number {
  return $DATA_BYTE + length * elementBytes;
}

export function* get(A: Seam, v: AtomicArray, i: number, kind: Kind): KernelGen<number | bigint> {
  return (yield* getValue(A, v, i, kind));
}

export function* set(A: Seam, v: AtomicArray, i: number, kind: Kind, x: number | bigint): KernelGen<void> {
  (yield* setValue(A, v, i, kind, x));
}
