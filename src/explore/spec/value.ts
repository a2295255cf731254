/**
 * The sequential specifications of `Value` and `SharedArray`.
 *
 * @module
 */
import { type Typecode, TYPES } from "../../kernel/value.ts";
import { checkNumber } from "../../shared/_type.ts";

/** `x` as an element of a typed array of `code` holds it (float32 rounding, integer wrap). */
function stored(code: Typecode, x: number | bigint): number | bigint {
  const a = new TYPES[code].array(1) as unknown as { 0: number | bigint };
  a[0] = x;
  return a[0];
}

/**
 * The sequential specification of a `Value` of typecode `code`: one number, read and written
 * whole (a float never tears), stored as its type stores it (`'f'` rounds to float32).
 *
 * @example
 * ```ts
 * import { ValueSpec } from "@interlock/interlock/explore";
 * import assert from "node:assert/strict";
 *
 * const v = new ValueSpec("f", 0);
 * v.set(0.1);
 * assert.equal(v.get(), Math.fround(0.1));
 * assert.throws(() => new ValueSpec("i").set(2 ** 40), RangeError);
 * ```
 */
export class ValueSpec {
  /** The typecode. */
  code: Typecode;
  /** The value. */
  value: number | bigint;

  /** A value of typecode `code` holding `initial` (0 by default). */
  constructor(code?: Typecode, initial?: number | bigint) {
    code ??= "i";
    this.code = code;
    this.value = stored(code, initial ?? (TYPES[code].bigint ? 0n : 0));
  }

  /** The value. */
  get(): number | bigint {
    return this.value;
  }

  /**
   * Stores `x`.
   *
   * @throws {TypeError | RangeError} if `x` does not fit the type.
   */
  set(x: number | bigint): void {
    this.value = stored(this.code, checkNumber("set value", TYPES[this.code], x));
  }
}

/**
 * The sequential specification of a `SharedArray` of typecode `code`: its elements, each read and
 * written whole; negative indexes count from the end.
 *
 * @example
 * ```ts
 * import { SharedArraySpec } from "@interlock/interlock/explore";
 * import assert from "node:assert/strict";
 *
 * const a = new SharedArraySpec("i", [1, 2, 3]);
 * a.set(-1, 7);
 * assert.equal(a.get(2), 7);
 * assert.throws(() => a.get(3), RangeError);
 * ```
 */
export class SharedArraySpec {
  /** The typecode. */
  code: Typecode;
  /** The elements. */
  elements: (number | bigint)[];

  /** An array of typecode `code` with `initial` elements (or `initial` zeros). */
  constructor(code?: Typecode, initial?: number | readonly (number | bigint)[]) {
    code ??= "i";
    initial ??= 0;
    this.code = code;
    const zero = TYPES[code].bigint ? 0n : 0;
    this.elements = typeof initial === "number"
      ? new Array(initial).fill(zero)
      : initial.map((x) => stored(code, x));
  }

  /**
   * Element `index`.
   *
   * @throws {RangeError} if `index` is out of range.
   */
  get(index: number): number | bigint {
    return this.elements[at(this, "get", index)]!;
  }

  /**
   * Stores `x` at `index`.
   *
   * @throws {RangeError | TypeError} if `index` is out of range or `x` does not fit the type.
   */
  set(index: number, x: number | bigint): void {
    const i = at(this, "set", index);
    this.elements[i] = stored(this.code, checkNumber("set element", TYPES[this.code], x));
  }

  /** The number of elements. */
  get length(): number {
    return this.elements.length;
  }
}

function at(a: SharedArraySpec, what: string, index: number): number {
  const n = a.elements.length;
  if (Number.isInteger(index) && index < n && index >= -n) return index < 0 ? index + n : index;
  throw new RangeError(
    `Cannot ${what} element: 'index' must be an integer from ${-n} to ${n - 1}, received ${index}`,
  );
}
