/**
 * Array kernel: the shared-memory algorithm of `SharedArray`: a fixed-length run of numbers in
 * shared memory, each element read and written with one atomic operation (the {@linkcode get} and
 * {@linkcode set} of the Value kernel, `src/kernel/value.ts`, applied to element `i`).
 *
 * Shared layout: the array's region, `bytes(length, elementBytes)` bytes (whole cache lines).
 * | word | byte | field  | written by                  | meaning                                      |
 * | 0    | 0    | tag    | constructor, once           | TAG.Array                                    |
 * | 1    | 4    | type   | constructor, once           | char code of the Python typecode ('d' = 100) |
 * | 2    | 8    | length | constructor, once           | number of elements                           |
 * | 4... | 16   | data   | get/set (atomic load/store) | the elements, `elementBytes` each            |
 *
 * Each element is accessed through the atomic view of its type (see `slot` in the Value kernel):
 * integers as themselves, 'f' as Int32 bits, 'd' as BigInt64 bits, so no element ever tears.
 *
 * Transitions: none beyond "store replaces element i"; no wait or notify, so no wake-up can be
 * lost. Operations on several elements (bulk updates through the typed view, or "double every
 * element") are not atomic as a whole: hold the array's lock around them.
 * Synchronizes-with: a `set`'s store of element i is read by every later `get` of element i.
 *
 * @module
 */
import type { AtomicArray, Seam } from "../_atomics.ts";
import { get as getValue, type Kind, set as setValue } from "./value.ts";

// The functions below use module-private twins of the exported constants: V8 reads an exported
// binding through its module cell at every use (~7% of an uncontended pair, see src/kernel/lock.ts).
const $DATA_BYTE = 16;

/** Word index of the type code. */
export const TYPE = 1;
/** Word index of the length. */
export const LENGTH = 2;
/** Byte offset of element 0 inside the region (8-aligned, so 64-bit views fit). */
export const DATA_BYTE: number = $DATA_BYTE;
/** Names of the region's header words, for traces; data words are named `data[k]`. */
export const FIELDS: readonly string[] = ["tag", "type", "length", "pad"];

/** Bytes the region of `length` elements of `elementBytes` bytes each needs. */
export function bytes(length: number, elementBytes: number): number {
  return $DATA_BYTE + length * elementBytes;
}

/** Reads element `i` atomically (`v` is the atomic view over the data, see the module doc). */
export function get(A: Seam, v: AtomicArray, i: number, kind: Kind): number | bigint {
  return getValue(A, v, i, kind);
}

/** Stores `x` in element `i` atomically. */
export function set(A: Seam, v: AtomicArray, i: number, kind: Kind, x: number | bigint): void {
  setValue(A, v, i, kind, x);
}
