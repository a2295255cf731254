/**
 * Element types of `Value` and `SharedArray`: Python typecodes or TypedArray constructors, their
 * TypeScript element types, and validation of user numbers.
 *
 * @module
 */
import { Lock } from "../sync/lock.ts";
import { type Typecode, type TypeInfo, TYPES } from "../kernel/value.ts";

export type { Typecode };

/**
 * The element type of a `Value` or `SharedArray`: a Python typecode or a TypedArray constructor.
 *
 * | typecode | constructor      | C type             | JS type  |
 * | -------- | ---------------- | ------------------ | -------- |
 * | `'b'`    | `Int8Array`      | signed char        | number   |
 * | `'B'`    | `Uint8Array`     | unsigned char      | number   |
 * | `'h'`    | `Int16Array`     | short              | number   |
 * | `'H'`    | `Uint16Array`    | unsigned short     | number   |
 * | `'i'`    | `Int32Array`     | int                | number   |
 * | `'I'`    | `Uint32Array`    | unsigned int       | number   |
 * | `'l'`    | `BigInt64Array`  | long (64-bit)      | bigint   |
 * | `'L'`    | `BigUint64Array` | unsigned long      | bigint   |
 * | `'q'`    | `BigInt64Array`  | long long          | bigint   |
 * | `'Q'`    | `BigUint64Array` | unsigned long long | bigint   |
 * | `'f'`    | `Float32Array`   | float              | number   |
 * | `'d'`    | `Float64Array`   | double             | number   |
 *
 * `'l'`/`'L'` are 64-bit, as C `long` in CPython on Linux and macOS.
 */
export type ElementType =
  | Typecode
  // Written out, not `kernel/value.ts`'s AtomicArrayConstructor: the public docs then list each
  // constructor and name no internal type (tests/rendered_docs_test.ts).
  | Int8ArrayConstructor
  | Uint8ArrayConstructor
  | Int16ArrayConstructor
  | Uint16ArrayConstructor
  | Int32ArrayConstructor
  | Uint32ArrayConstructor
  | BigInt64ArrayConstructor
  | BigUint64ArrayConstructor
  | Float32ArrayConstructor
  | Float64ArrayConstructor;

/** The JavaScript type of the numbers an {@linkcode ElementType} holds: `bigint` or `number`. */
export type NumberOf<T extends ElementType> = T extends
  "l" | "L" | "q" | "Q" | BigInt64ArrayConstructor | BigUint64ArrayConstructor ? bigint
  : number;

/** The typed array `SharedArray.view` returns for an {@linkcode ElementType}. */
export type ViewOf<T extends ElementType> = T extends "b" | Int8ArrayConstructor ? Int8Array
  : T extends "B" | Uint8ArrayConstructor ? Uint8Array
  : T extends "h" | Int16ArrayConstructor ? Int16Array
  : T extends "H" | Uint16ArrayConstructor ? Uint16Array
  : T extends "i" | Int32ArrayConstructor ? Int32Array
  : T extends "I" | Uint32ArrayConstructor ? Uint32Array
  : T extends "l" | "q" | BigInt64ArrayConstructor ? BigInt64Array
  : T extends "L" | "Q" | BigUint64ArrayConstructor ? BigUint64Array
  : T extends "f" | Float32ArrayConstructor ? Float32Array
  : T extends "d" | Float64ArrayConstructor ? Float64Array
  : never;

/** The sharing options of `Value` and `SharedArray`. */
export interface SharedOptions {
  /**
   * `true`: the object carries a fresh {@linkcode Lock} (`getLock()`); `false`: no lock (raw
   * access, as Python's `lock=False`); a `Lock`: share that lock with other objects.
   * @default {true}
   */
  lock?: boolean | Lock;
}

const CONSTRUCTORS = new Map<unknown, Typecode>([
  [Int8Array, "b"],
  [Uint8Array, "B"],
  [Int16Array, "h"],
  [Uint16Array, "H"],
  [Int32Array, "i"],
  [Uint32Array, "I"],
  [BigInt64Array, "q"],
  [BigUint64Array, "Q"],
  [Float32Array, "f"],
  [Float64Array, "d"],
]);

/** The type information of `type`, or a `TypeError` naming `what`. */
export function typeInfo(what: string, type: unknown): TypeInfo {
  if (typeof type === "string" && Object.hasOwn(TYPES, type)) return TYPES[type as Typecode];
  const code = CONSTRUCTORS.get(type);
  if (code !== undefined) return TYPES[code];
  const shown = typeof type === "string"
    ? `'${type}'`
    : typeof type === "function"
    ? type.name || "an anonymous function"
    : typeof type;
  throw new TypeError(
    `Cannot ${what}: 'type' must be a typecode (b, B, h, H, i, I, l, L, q, Q, f, d) or an integer ` +
      `or float TypedArray constructor, received ${shown}`,
  );
}

/** The type information stored as `charCode` in a region, or `undefined` if it is not a typecode. */
export function typeOfCode(charCode: number): TypeInfo | undefined {
  const code = String.fromCharCode(charCode);
  return Object.hasOwn(TYPES, code) ? TYPES[code as Typecode] : undefined;
}

const RANGES: Partial<Record<Typecode, readonly [number | bigint, number | bigint]>> = {
  b: [-0x80, 0x7f],
  B: [0, 0xff],
  h: [-0x8000, 0x7fff],
  H: [0, 0xffff],
  i: [-0x80000000, 0x7fffffff],
  I: [0, 0xffffffff],
  l: [-(1n << 63n), (1n << 63n) - 1n],
  L: [0n, (1n << 64n) - 1n],
  q: [-(1n << 63n), (1n << 63n) - 1n],
  Q: [0n, (1n << 64n) - 1n],
};

/**
 * Checks that `x` fits the element type: a bigint in range for 64-bit integer types, an integer
 * number in range for the others, any number for floats. Throws `TypeError` / `RangeError` naming
 * `what` otherwise (numbers never wrap around silently).
 */
export function checkNumber(what: string, type: TypeInfo, x: unknown): number | bigint {
  if (type.bigint) {
    if (typeof x !== "bigint") {
      throw new TypeError(
        `Cannot ${what}: typecode '${type.code}' holds bigints, received ${describe(x)}`,
      );
    }
  } else if (typeof x !== "number") {
    throw new TypeError(
      `Cannot ${what}: typecode '${type.code}' holds numbers, received ${describe(x)}`,
    );
  }
  const range = RANGES[type.code];
  if (range !== undefined) {
    if (typeof x === "number" && !Number.isInteger(x) || x! < range[0] || x! > range[1]) {
      throw new RangeError(
        `Cannot ${what}: typecode '${type.code}' holds integers from ${range[0]} to ${range[1]}, ` +
          `received ${String(x)}`,
      );
    }
  }
  return x as number | bigint;
}

/** Resolves the `lock` option to the lock to carry (or `undefined`), or a `TypeError`. */
export function lockOf(what: string, options: SharedOptions | undefined): Lock | undefined {
  if (options === undefined) return new Lock();
  if (typeof options !== "object" || options === null) {
    throw new TypeError(`Cannot ${what}: options must be an object, received ${describe(options)}`);
  }
  const { lock = true } = options;
  if (lock === true) return new Lock();
  if (lock === false) return undefined;
  if (lock instanceof Lock) return lock;
  throw new TypeError(
    `Cannot ${what}: 'lock' must be a boolean or a Lock, received ${describe(lock)}`,
  );
}

/** Revives the `lock` a clone carries (`undefined` if it carries none), or a `TypeError`. */
export function reviveLock(value: object): Lock | undefined {
  const { lock } = value as { lock?: unknown };
  return lock === undefined ? undefined : Lock.from(lock);
}

/** A short description of a value for error messages. */
export function describe(x: unknown): string {
  if (x === null) return "null";
  if (typeof x === "number" || typeof x === "bigint" || typeof x === "boolean") {
    return `${typeof x} ${String(x)}${typeof x === "bigint" ? "n" : ""}`;
  }
  if (typeof x === "object") return (x as object).constructor?.name ?? "object";
  return typeof x;
}
