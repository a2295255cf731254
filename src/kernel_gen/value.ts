// Derived from src/kernel/value.ts by tools/derive_kernels.ts: do not edit.
// The generator form of each kernel there, for the async path and the explorer; its layout,
// state table, invariant and every function's docs are in src/kernel/value.ts.
// Regenerate with `deno task derive`; tests/tools/derive_kernels_test.ts checks it.
import type { AtomicArray, GenSeam as Seam, KernelGen } from "../_atomics.ts";

export const TYPE = 1;
export const VALUE = 2;
export const VALUE_BYTE = 8;
export const BYTES = 16;
export const FIELDS: readonly string[] = ["tag", "type", "value", "value.hi"];

export type Kind = 0 | 1 | 2;

// The functions below use module-private twins of the exported constants: V8 reads an exported
// binding through its module cell at every use (~7% of an uncontended pair, see src/kernel/lock.ts).
const $INT = 0;
const $FLOAT32 = 1;
const $FLOAT64 = 2;

export const INT: 0 = $INT;
export const FLOAT32: 1 = $FLOAT32;
export const FLOAT64: 2 = $FLOAT64;

export type Typecode = "b" | "B" | "h" | "H" | "i" | "I" | "l" | "L" | "q" | "Q" | "f" | "d";

export type AtomicArrayConstructor =
  | Int8ArrayConstructor
  | Uint8ArrayConstructor
  | Int16ArrayConstructor
  | Uint16ArrayConstructor
  | Int32ArrayConstructor
  | Uint32ArrayConstructor
  | BigInt64ArrayConstructor
  | BigUint64ArrayConstructor;

export interface TypeInfo {
  readonly code: Typecode;
  readonly array: AtomicArrayConstructor | Float32ArrayConstructor | Float64ArrayConstructor;
  readonly atomic: AtomicArrayConstructor;
  readonly kind: Kind;
  readonly bigint: boolean;
}

function info(
  code: Typecode,
  array: TypeInfo["array"],
  atomic: TypeInfo["atomic"],
  kind: Kind,
): TypeInfo {
  return { code, array, atomic, kind, bigint: array === BigInt64Array || array === BigUint64Array };
}

export const TYPES: Readonly<Record<Typecode, TypeInfo>> = {
  b: info("b", Int8Array, Int8Array, $INT),
  B: info("B", Uint8Array, Uint8Array, $INT),
  h: info("h", Int16Array, Int16Array, $INT),
  H: info("H", Uint16Array, Uint16Array, $INT),
  i: info("i", Int32Array, Int32Array, $INT),
  I: info("I", Uint32Array, Uint32Array, $INT),
  l: info("l", BigInt64Array, BigInt64Array, $INT),
  L: info("L", BigUint64Array, BigUint64Array, $INT),
  q: info("q", BigInt64Array, BigInt64Array, $INT),
  Q: info("Q", BigUint64Array, BigUint64Array, $INT),
  f: info("f", Float32Array, Int32Array, $FLOAT32),
  d: info("d", Float64Array, BigInt64Array, $FLOAT64),
};

export function slot(
  code: Typecode,
  buffer: SharedArrayBuffer,
  byteOffset: number,
  length: number,
): AtomicArray {
  const View = TYPES[code].atomic as unknown as new (
    buffer: SharedArrayBuffer,
    byteOffset: number,
    length: number,
  ) => AtomicArray;
  return new View(buffer, byteOffset, length);
}

export type Bits = number | bigint;

// Private scratch memory (not shared) that reinterprets float bits; no shared access happens here.
const f32 = new Float32Array(1);
const i32 = new Int32Array(f32.buffer);
const f64 = new Float64Array(1);
const i64 = new BigInt64Array(f64.buffer);

export function* get(A: Seam, v: AtomicArray, i: number, kind: Kind): KernelGen<number | bigint> {
  const bits = (yield* A.load(v, i));
  return kind === $INT ? bits : fromBits(bits, kind);
}

export function* set(A: Seam, v: AtomicArray, i: number, kind: Kind, x: number | bigint): KernelGen<void> {
  (yield* A.store(v, i, (kind === $INT ? x : toBits(x as number, kind)) as never));
}

export function fromBits(bits: Bits, kind: Kind): number | bigint {
  if (kind === $FLOAT32) {
    i32[0] = bits as number;
    return f32[0]!;
  }
  if (kind === $FLOAT64) {
    i64[0] = bits as bigint;
    return f64[0]!;
  }
  return bits;
}

export function toBits(x: number, kind: Kind): Bits {
  if (kind === $FLOAT32) {
    f32[0] = x;
    return i32[0]!;
  }
  f64[0] = x;
  return i64[0]!;
}
