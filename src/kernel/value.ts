/**
 * Value kernel: the shared-memory algorithm of `Value` (and of each `SharedArray` element): one
 * number in shared memory, read and written with single atomic operations so that no reader ever
 * sees a torn value, whatever its type.
 *
 * Shared layout: the value's region, 16 bytes (padded to one cache line), 8-aligned.
 * | word | byte | field | written by             | meaning                                        |
 * | 0    | 0    | tag   | constructor, once      | TAG.Value                                      |
 * | 1    | 4    | type  | constructor, once      | char code of the Python typecode ('i' = 105)   |
 * | 2-3  | 8    | value | get/set (atomic load/store) | the value, in the typecode's representation |
 *
 * The value slot is accessed through one typed view chosen by the type (see {@linkcode slot}):
 * - integer types ('b','B','h','H','i','I' and 'l','L','q','Q'): the matching integer typed array,
 *   so `Atomics.load`/`Atomics.store` act on the value itself;
 * - 'f' (float32): its 32 bits through an `Int32Array` view: one atomic 32-bit load/store;
 * - 'd' (float64): its 64 bits through a `BigInt64Array` view: one atomic 64-bit load/store. A float
 *   therefore never tears. Measured on this machine: ~20 ns per get or set, against ~60 ns for a
 *   seqlock over two 32-bit halves and ~1 ns for a plain (tearable) `Float64Array` access.
 *
 * Transitions: none beyond "store replaces the value"; there is no wait or notify, so no wake-up
 * can be lost. Read-modify-write sequences (`v.value = v.value - 1`) are *not* atomic as a whole:
 * that is the seed's race, and what the value's lock (a separate `Lock` region) is for.
 * Synchronizes-with: a `set`'s store is read by every later `get`'s load (Atomics are sequentially
 * consistent).
 *
 * @module
 */
import type { AtomicArray, Seam } from "../_atomics.ts";

/** Word index of the type code. */
export const TYPE = 1;
/** Word index of the value (its first word, for 8-byte types). */
export const VALUE = 2;
/** Byte offset of the value inside the region (8-aligned, so 64-bit views fit). */
export const VALUE_BYTE = 8;
/** Bytes the value's region needs. */
export const BYTES = 16;
/** Names of the region's 32-bit words, for traces (`balance.value`). */
export const FIELDS: readonly string[] = ["tag", "type", "value", "value.hi"];

/** How the bits in a value slot map to the user's number: {@linkcode INT}, {@linkcode FLOAT32} or {@linkcode FLOAT64}. */
export type Kind = 0 | 1 | 2;

// The functions below use module-private twins of the exported constants: V8 reads an exported
// binding through its module cell at every use (~7% of an uncontended pair, see src/kernel/lock.ts).
const $INT = 0;
const $FLOAT32 = 1;
const $FLOAT64 = 2;

/** The slot holds the integer itself. */
export const INT: 0 = $INT;
/** The slot holds float32 bits in an `Int32Array` element. */
export const FLOAT32: 1 = $FLOAT32;
/** The slot holds float64 bits in a `BigInt64Array` element. */
export const FLOAT64: 2 = $FLOAT64;

/** The Python typecodes Interlock accepts, as `multiprocessing.Value`/`Array` and `array.array`. */
export type Typecode = "b" | "B" | "h" | "H" | "i" | "I" | "l" | "L" | "q" | "Q" | "f" | "d";

/** The integer typed arrays `Atomics` works on. */
export type AtomicArrayConstructor =
  | Int8ArrayConstructor
  | Uint8ArrayConstructor
  | Int16ArrayConstructor
  | Uint16ArrayConstructor
  | Int32ArrayConstructor
  | Uint32ArrayConstructor
  | BigInt64ArrayConstructor
  | BigUint64ArrayConstructor;

/** What a typecode means: the user-facing typed array, the atomic view of its bits, the kind. */
export interface TypeInfo {
  /** The Python typecode. */
  readonly code: Typecode;
  /** The typed array of the user's numbers (`Float64Array` for 'd'). */
  readonly array: AtomicArrayConstructor | Float32ArrayConstructor | Float64ArrayConstructor;
  /** The atomic typed array the bits are loaded and stored through (`BigInt64Array` for 'd'). */
  readonly atomic: AtomicArrayConstructor;
  /** How bits map to numbers. */
  readonly kind: Kind;
  /** Whether the user's numbers are bigints. */
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

/**
 * Every accepted typecode. 'l'/'L' are C `long`, 64-bit as in CPython on Linux and macOS, so their
 * values are bigints (as 'q'/'Q').
 */
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

/**
 * The atomic view of `length` elements of type `code` starting at `byteOffset` of `buffer` (pure:
 * builds a view, touches no memory). The explorer uses it to rebuild a `Value`'s slot from its public
 * `buffer`/`byteOffset`: `slot(v.typecode, v.buffer, v.byteOffset + VALUE_BYTE, 1)`.
 */
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

/** The element type of the typed view the value's bits are read through. */
export type Bits = number | bigint;

// Private scratch memory (not shared) that reinterprets float bits; no shared access happens here.
const f32 = new Float32Array(1);
const i32 = new Int32Array(f32.buffer);
const f64 = new Float64Array(1);
const i64 = new BigInt64Array(f64.buffer);

/** Reads `v[i]` atomically and converts its bits to the user's number (see {@linkcode Kind}). */
export function get(A: Seam, v: AtomicArray, i: number, kind: Kind): number | bigint {
  const bits = A.load(v, i);
  return kind === $INT ? bits : fromBits(bits, kind);
}

/** Converts `x` to the slot's bits (see {@linkcode Kind}) and stores it in `v[i]` atomically. */
export function set(A: Seam, v: AtomicArray, i: number, kind: Kind, x: number | bigint): void {
  A.store(v, i, (kind === $INT ? x : toBits(x as number, kind)) as never);
}

/** The user's number for the raw `bits` of a float slot (pure, no shared access). */
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

/** The raw bits that store `x` in a float slot (pure, no shared access). */
export function toBits(x: number, kind: Kind): Bits {
  if (kind === $FLOAT32) {
    f32[0] = x;
    return i32[0]!;
  }
  f64[0] = x;
  return i64[0]!;
}
