/**
 * Record encoding for queues and pipes: how a structured-clone-able value becomes bytes in shared
 * memory and back.
 *
 * Measured on this machine (see bench/queue_bench.ts): `node:v8` `serialize` + `deserialize` cost
 * several microseconds per value even for a number (each call builds a serializer), and
 * `structuredClone` of a small object tens of microseconds, while a type-tagged record costs a few
 * nanoseconds. So the common small values get their own record kinds, and everything else goes
 * through `node:v8` `serialize` (the structured-clone wire format):
 *
 * | kind      | value                                   | payload                              |
 * | --------- | --------------------------------------- | ------------------------------------ |
 * | UNDEFINED | `undefined`                             | none                                 |
 * | NULL      | `null`                                  | none                                 |
 * | FALSE     | `false`                                 | none                                 |
 * | TRUE      | `true`                                  | none                                 |
 * | NUMBER    | any number (NaN, -0 and ±Infinity kept) | 8 bytes, float64                     |
 * | BIGINT    | a bigint in the int64 range             | 8 bytes, int64                       |
 * | LATIN1    | a string whose code units are all < 256 | 1 byte per code unit                 |
 * | UTF16     | any other string                        | 2 bytes per code unit (lone surrogates kept) |
 * | CLONE     | anything else structured clone accepts  | `node:v8` `serialize` bytes          |
 *
 * Values structured clone rejects (functions, symbols, objects holding them) and
 * `SharedArrayBuffer`s (shared memory cannot travel through shared memory: send it with
 * `postMessage` or as a task argument) throw a `TypeError` at {@linkcode encode}, before anything is
 * enqueued.
 *
 * @module
 */
import { deserialize, serialize } from "node:v8";

/** Record kinds (the low 8 bits of a record header). */
export const UNDEFINED = 0;
/** See {@linkcode UNDEFINED}. */
export const NULL = 1;
/** See {@linkcode UNDEFINED}. */
export const FALSE = 2;
/** See {@linkcode UNDEFINED}. */
export const TRUE = 3;
/** See {@linkcode UNDEFINED}. */
export const NUMBER = 4;
/** See {@linkcode UNDEFINED}. */
export const BIGINT = 5;
/** See {@linkcode UNDEFINED}. */
export const LATIN1 = 6;
/** See {@linkcode UNDEFINED}. */
export const UTF16 = 7;
/** See {@linkcode UNDEFINED}. */
export const CLONE = 8;

/** Typed views over one memory, all starting at byte 0 (offsets passed are 8-aligned). */
export interface Mem {
  /** Bytes. */
  readonly u8: Uint8Array;
  /** UTF-16 code units. */
  readonly u16: Uint16Array;
  /** float64s. */
  readonly f64: Float64Array;
  /** int64s. */
  readonly b64: BigInt64Array;
}

/** Views over `buffer` from byte 0 (length-tracking, so a growable buffer's views follow it). */
export function memOf(buffer: ArrayBufferLike): Mem {
  return {
    u8: new Uint8Array(buffer),
    u16: new Uint16Array(buffer),
    f64: new Float64Array(buffer),
    b64: new BigInt64Array(buffer),
  };
}

const MIN_I64 = -(1n << 63n);
const MAX_I64 = (1n << 63n) - 1n;

/** The payload length (bytes) of the value last passed to {@linkcode encode}. */
export let encodedLength = 0;
let cloned: Uint8Array = new Uint8Array(0);

/**
 * Chooses the record kind of `value` and computes its payload length (in
 * {@linkcode encodedLength}); for CLONE records it serializes `value` now.
 *
 * @throws {TypeError} naming `what` if structured clone cannot carry `value` through a queue.
 */
export function encode(what: string, value: unknown): number {
  switch (typeof value) {
    case "number":
      encodedLength = 8;
      return NUMBER;
    case "string":
      return encodeString(value);
    case "boolean":
      encodedLength = 0;
      return value ? TRUE : FALSE;
    case "undefined":
      encodedLength = 0;
      return UNDEFINED;
    case "bigint":
      if (value >= MIN_I64 && value <= MAX_I64) {
        encodedLength = 8;
        return BIGINT;
      }
      break;
    case "object":
      if (value === null) {
        encodedLength = 0;
        return NULL;
      }
      break;
    default:
      throw new TypeError(
        `Cannot ${what}: a ${typeof value} cannot be cloned (send values structured clone accepts)`,
      );
  }
  try {
    cloned = serialize(value);
  } catch (error) {
    throw new TypeError(
      `Cannot ${what}: the value cannot be cloned (${(error as Error).message}); shared objects ` +
        `travel with postMessage or as task arguments, not through queues`,
      { cause: error },
    );
  }
  encodedLength = cloned.length;
  return CLONE;
}

/** The bytes the last {@linkcode encode} of a CLONE record serialized (then forgets them). */
export function takeCloned(): Uint8Array {
  const bytes = cloned;
  cloned = EMPTY_BYTES;
  return bytes;
}

const EMPTY_BYTES = new Uint8Array(0);

function encodeString(s: string): number {
  const n = s.length;
  for (let i = 0; i < n; i++) {
    if (s.charCodeAt(i) > 0xff) {
      encodedLength = 2 * n;
      return UTF16;
    }
  }
  encodedLength = n;
  return LATIN1;
}

/**
 * Writes the payload of a record of `kind` at byte `at` (8-aligned) of `m`: `value` is the value
 * passed to {@linkcode encode}, or for CLONE records the bytes {@linkcode takeCloned} returned.
 */
export function write(m: Mem, at: number, kind: number, value: unknown): void {
  switch (kind) {
    case NUMBER:
      m.f64[at >> 3] = value as number;
      return;
    case LATIN1: {
      const s = value as string;
      const u8 = m.u8;
      for (let i = 0, n = s.length; i < n; i++) u8[at + i] = s.charCodeAt(i);
      return;
    }
    case UTF16: {
      const s = value as string;
      const u16 = m.u16;
      const base = at >> 1;
      for (let i = 0, n = s.length; i < n; i++) u16[base + i] = s.charCodeAt(i);
      return;
    }
    case BIGINT:
      m.b64[at >> 3] = value as bigint;
      return;
    case CLONE:
      m.u8.set(value as Uint8Array, at);
      return;
  }
}

/** Reads the value of a record of `kind` with a payload of `length` bytes at byte `at` of `m`. */
export function read(m: Mem, at: number, kind: number, length: number): unknown {
  switch (kind) {
    case NUMBER:
      return m.f64[at >> 3];
    case LATIN1:
      return length <= 64 ? shortString(m.u8, at, length) : longString(m.u8, at, length);
    case UTF16:
      return length <= 128
        ? shortString(m.u16, at >> 1, length >> 1)
        : longString(m.u16, at >> 1, length >> 1);
    case UNDEFINED:
      return undefined;
    case NULL:
      return null;
    case FALSE:
      return false;
    case TRUE:
      return true;
    case BIGINT:
      return m.b64[at >> 3];
    case CLONE:
      // deserialize wants its own bytes: the shared ones may be reused once the record is freed.
      return deserialize(m.u8.slice(at, at + length));
  }
  throw new Error(`Inconsistent queue record kind: ${kind}`);
}

function shortString(units: Uint8Array | Uint16Array, at: number, n: number): string {
  let s = "";
  for (let i = 0; i < n; i++) s += String.fromCharCode(units[at + i]!);
  return s;
}

function longString(units: Uint8Array | Uint16Array, at: number, n: number): string {
  const parts: string[] = [];
  for (let i = 0; i < n; i += 8192) {
    const chunk = units.subarray(at + i, at + Math.min(n, i + 8192));
    parts.push(String.fromCharCode.apply(null, chunk as unknown as number[]));
  }
  return parts.join("");
}
