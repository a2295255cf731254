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
 * | LATIN1    | a short string, all code units < 256    | 1 byte per code unit                 |
 * | UTF16     | a short string, other code units        | 2 bytes per code unit                |
 * | UTF8      | a longer well-formed string             | UTF-8 (`TextEncoder`/`TextDecoder`)  |
 * | UTF16     | a longer string with lone surrogates    | 2 bytes per code unit (kept exactly) |
 * | JSON      | a tree of plain objects and arrays of   | its `JSON.stringify` text, as one of |
 * |           | strings, finite numbers, booleans, null | the string kinds above               |
 * | CLONE     | anything else structured clone accepts  | `node:v8` `serialize` bytes          |
 *
 * JSON is used only where it carries the value exactly as structured clone does (no -0, NaN,
 * Infinity, `undefined`, holes, shared or cyclic references, extra array properties, non-plain
 * objects); it costs about a microsecond for a small object where `serialize` costs tens.
 * "Short" means up to {@linkcode SHORT} code units: such strings are copied unit by unit, which
 * beats the native encoders' call overhead; longer ones go through the native UTF-8 codec, several
 * times faster per character (measured in bench/queue_bench.ts).
 *
 * Values structured clone rejects (functions, symbols, objects holding them) and
 * `SharedArrayBuffer`s (shared memory cannot travel through shared memory: send it with
 * `postMessage` or as a task argument) throw a `TypeError` at {@linkcode encode}, before anything is
 * enqueued.
 *
 * @module
 */
import { deserialize } from "node:v8";
import { serializeValue } from "../_runtime.ts";

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
/** See {@linkcode UNDEFINED}. */
export const UTF8 = 9;
/** JSON records: JSON_BASE + the string kind (LATIN1, UTF16, UTF8) of their JSON text. */
export const JSON_BASE = 16;

/**
 * Strings up to this many code units use the unit-by-unit kinds (LATIN1, UTF16): below it the
 * native codecs' call overhead costs more than copying units in JavaScript.
 */
export const SHORT = 256;

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
  /** int32s. */
  readonly i32: Int32Array;
}

/** Views over `buffer` from byte 0 (length-tracking, so a growable buffer's views follow it). */
export function memOf(buffer: ArrayBufferLike): Mem {
  return {
    u8: new Uint8Array(buffer),
    u16: new Uint16Array(buffer),
    f64: new Float64Array(buffer),
    b64: new BigInt64Array(buffer),
    i32: new Int32Array(buffer),
  };
}

const MIN_I64 = -(1n << 63n);
const MAX_I64 = (1n << 63n) - 1n;

/** The payload length (bytes) of the value last passed to {@linkcode encode}. */
export let encodedLength = 0;
/**
 * What {@linkcode write} needs for the value last passed to {@linkcode encode}: the value itself,
 * the JSON text of a JSON record, or the bytes of a CLONE or UTF8 record.
 */
export let encodedPayload: unknown;

/**
 * Chooses the record kind of `value` and computes its payload length ({@linkcode encodedLength})
 * and payload ({@linkcode encodedPayload}; read both before the next call).
 *
 * @throws {TypeError} naming `what` if structured clone cannot carry `value` through a queue.
 */
export function encode(what: string, value: unknown): number {
  encodedPayload = value;
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
      if (isJsonTree(value, 0, new Set())) {
        const text = JSON.stringify(value);
        encodedPayload = text;
        return JSON_BASE + encodeString(text);
      }
      break;
    default:
      throw new TypeError(
        `Cannot ${what}: a ${typeof value} cannot be cloned (send values structured clone accepts)`,
      );
  }
  let bytes: Uint8Array;
  try {
    bytes = serializeValue(value);
  } catch (error) {
    throw new TypeError(
      `Cannot ${what}: the value cannot be cloned (${(error as Error).message}); shared objects ` +
        `travel with postMessage or as task arguments, not through queues`,
      { cause: error },
    );
  }
  encodedPayload = bytes;
  encodedLength = bytes.length;
  return CLONE;
}

/**
 * Whether JSON carries `value` exactly as structured clone would: a tree (no shared or cyclic
 * references) of plain objects and dense arrays without extra properties, holding strings, finite
 * numbers other than -0, booleans and null. Anything else takes the CLONE kind.
 */
function isJsonTree(value: object, depth: number, seen: Set<object>): boolean {
  if (depth > 64 || seen.has(value)) return false;
  seen.add(value);
  if (Array.isArray(value)) {
    const n = value.length;
    if (Object.getPrototypeOf(value) !== Array.prototype) return false;
    for (let i = 0; i < n; i++) {
      if (!(i in value) || !isJsonValue(value[i], depth, seen)) return false;
    }
    return Object.keys(value).length === n;
  }
  if (Object.getPrototypeOf(value) !== Object.prototype) return false;
  for (const key in value) {
    if (!Object.hasOwn(value, key)) return false; // inherited enumerable: not a plain object
    if (!isJsonValue((value as Record<string, unknown>)[key], depth, seen)) return false;
  }
  return true;
}

function isJsonValue(x: unknown, depth: number, seen: Set<object>): boolean {
  switch (typeof x) {
    case "string":
    case "boolean":
      return true;
    case "number":
      return Number.isFinite(x) && !Object.is(x, -0);
    case "object":
      return x === null || isJsonTree(x, depth + 1, seen);
    default:
      return false;
  }
}

const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { ignoreBOM: true });

/** The string kind of `s` (LATIN1, UTF16 or UTF8), setting the length and payload. */
function encodeString(s: string): number {
  const n = s.length;
  if (n > SHORT && s.isWellFormed()) {
    const bytes = encoder.encode(s);
    encodedPayload = bytes;
    encodedLength = bytes.length;
    return UTF8;
  }
  encodedPayload = s;
  // Up to 28 units fit a ring slot as UTF-16 anyway: skip the scan for a narrower encoding.
  if (n <= 28) {
    encodedLength = 2 * n;
    return UTF16;
  }
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
 * Writes the payload of a record of `kind` at byte `at` (8-aligned) of `m`: `value` is the
 * {@linkcode encodedPayload} that {@linkcode encode} left.
 */
export function write(m: Mem, at: number, kind: number, value: unknown): void {
  switch (kind >= JSON_BASE ? kind - JSON_BASE : kind) {
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
    case UTF8:
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
      return manyUnits(m.u8, at, length); // LATIN1 is only used above 28 units
    case UTF16:
      return units16(m.u16, at >> 1, length >> 1);
    case UTF8:
      // TextDecoder wants unshared bytes: callers pass lane records in a private copy.
      return decoder.decode(m.u8.subarray(at, at + length));
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
    case JSON_BASE + LATIN1:
    case JSON_BASE + UTF16:
    case JSON_BASE + UTF8:
      return JSON.parse(read(m, at, kind - JSON_BASE, length) as string);
  }
  throw new Error(`Inconsistent queue record kind: ${kind}`);
}

const CHUNK = 8192;
const scratchUnits: number[] = [];
const fromCharCode = String.fromCharCode;

/** The string of UTF-16 code units `u[at .. at + n)`. */
function units16(u: Uint16Array, at: number, n: number): string {
  // Fixed-arity calls for short strings: ~3x faster than `apply` with an array; typed for
  // Uint16Array alone so that its element loads stay monomorphic (measured: ~25% of a short read).
  if (n <= 8) return few16(u, at, n);
  if (n <= 16) return few16(u, at, 8) + few16(u, at + 8, n - 8);
  return manyUnits(u, at, n);
}

/** The string of code units `units[at .. at + n)`, in chunks through `apply`. */
function manyUnits(units: Uint8Array | Uint16Array, at: number, n: number): string {
  const a = scratchUnits;
  let out = "";
  for (let i = 0; i < n; i += CHUNK) {
    const m = Math.min(CHUNK, n - i);
    a.length = m;
    for (let j = 0; j < m; j++) a[j] = units[at + i + j]!;
    out += fromCharCode.apply(null, a);
  }
  return out;
}

/** `units16()` for at most 8 code units: one written-out fixed-arity call per count (~3x `apply`). */
function few16(u: Uint16Array, at: number, n: number): string {
  switch (n) {
    case 0:
      return "";
    case 1:
      return fromCharCode(u[at]!);
    case 2:
      return fromCharCode(u[at]!, u[at + 1]!);
    case 3:
      return fromCharCode(u[at]!, u[at + 1]!, u[at + 2]!);
    case 4:
      return fromCharCode(u[at]!, u[at + 1]!, u[at + 2]!, u[at + 3]!);
    case 5:
      return fromCharCode(u[at]!, u[at + 1]!, u[at + 2]!, u[at + 3]!, u[at + 4]!);
    case 6:
      return fromCharCode(u[at]!, u[at + 1]!, u[at + 2]!, u[at + 3]!, u[at + 4]!, u[at + 5]!);
    case 7:
      return fromCharCode(
        u[at]!,
        u[at + 1]!,
        u[at + 2]!,
        u[at + 3]!,
        u[at + 4]!,
        u[at + 5]!,
        u[at + 6]!,
      );
    default:
      return fromCharCode(
        u[at]!,
        u[at + 1]!,
        u[at + 2]!,
        u[at + 3]!,
        u[at + 4]!,
        u[at + 5]!,
        u[at + 6]!,
        u[at + 7]!,
      );
  }
}
