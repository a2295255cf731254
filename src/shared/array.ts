/**
 * `SharedArray`: a fixed-length array of numbers in shared memory, as Python's
 * `multiprocessing.Array`. The algorithm and its shared layout live in `src/kernel/array.ts`.
 *
 * @module
 */
import { type AtomicArray, REAL } from "../_atomics.ts";
import { allocate, attach, registerClass, TAG } from "../_region.ts";
import { RuntimeError } from "../errors.ts";
import * as K from "../kernel/array.ts";
import { slot, type TypeInfo } from "../kernel/value.ts";
import type { Lock } from "../sync/lock.ts";
import {
  checkNumber,
  describe,
  type ElementType,
  lockOf,
  type NumberOf,
  reviveLock,
  type SharedOptions,
  type Typecode,
  typeInfo,
  typeOfCode,
  type ViewOf,
} from "./_type.ts";

let reviving:
  | { words: Int32Array; type: TypeInfo; length: number; lock: Lock | undefined }
  | undefined;

/**
 * A fixed-length array of numbers in shared memory that the main thread and any number of workers
 * read and write, as Python's `multiprocessing.Array` (named `SharedArray` so that it does not
 * shadow the global `Array`).
 *
 * Python → Interlock:
 * | Python                         | Interlock                                      |
 * | ------------------------------ | ---------------------------------------------- |
 * | `Array('d', [1.0, 2.0])`       | `new SharedArray("d", [1, 2])`                 |
 * | `Array('i', 10)`               | `new SharedArray("i", 10)` (ten zeros)         |
 * | `Array('i', 10, lock=False)`   | `new SharedArray("i", 10, { lock: false })`    |
 * | `a[i]`, `a[i] = x`, `a[-1]`    | `a.get(i)`, `a.set(i, x)`, `a.get(-1)`         |
 * | `len(a)`, `list(a)`, `for x in a` | `a.length`, `a.toArray()`, `for (const x of a)` |
 * | `a.get_lock()`, `with a.get_lock():` | `a.getLock()`, `using _ = a.getLock().acquireSync();` |
 * | `a.get_obj()` (the ctypes array) | `a.view` (the typed array over the shared data) |
 *
 * - `type` is a Python typecode or a TypedArray constructor, as for `Value` (see
 *   {@linkcode ElementType}); 64-bit integer types hold bigints.
 * - `get(i)` and `set(i, x)` are each one atomic operation (floats included: no element ever tears);
 *   negative indices count from the end, as in Python. Unlike Python, they do not take the lock.
 * - Updates of several elements are not atomic as a whole: hold the lock around them. The
 *   {@linkcode SharedArray.view} typed array is for bulk work under the lock (plain, non-atomic
 *   accesses; fastest).
 * - `lock` defaults to `true` (a fresh `Lock`, carried as the own property
 *   {@linkcode SharedArray.lock} so clones carry it); `lock: false` gives none; `lock: someLock`
 *   shares one.
 * - Send it to a worker with `postMessage(array)` and call `SharedArray.from(data)` there.
 *
 * @typeParam T The element type given to the constructor; it decides `number` vs `bigint`.
 *
 * @example The seed's "double every element" under the array's lock
 * ```ts
 * import { SharedArray } from "@interlock/interlock";
 * import assert from "node:assert/strict";
 *
 * const numbers = new SharedArray("d", [1.0, 2.0, 3.0, 4.0]);
 * {
 *   using _ = numbers.getLock().acquireSync();
 *   for (let i = 0; i < numbers.length; i++) numbers.set(i, numbers.get(i) * 2);
 * }
 * assert.deepEqual(numbers.toArray(), [2, 4, 6, 8]);
 * assert.deepEqual([...numbers], [2, 4, 6, 8]);
 * ```
 */
export class SharedArray<T extends ElementType = ElementType> implements Iterable<NumberOf<T>> {
  /** The shared memory this array lives in; shared, not copied, by `postMessage`. */
  readonly buffer: SharedArrayBuffer;
  /** Where the array's region starts in {@linkcode SharedArray.buffer}. */
  readonly byteOffset: number;
  /** The lock this array carries (`undefined` when created with `lock: false`). */
  readonly lock: Lock | undefined;
  readonly #type: TypeInfo;
  readonly #length: number;
  readonly #v: AtomicArray;

  /**
   * Creates an array in fresh shared memory.
   *
   * @param type A typecode (`'d'`) or TypedArray constructor (`Float64Array`).
   * @param lengthOrValues The length (elements start at zero) or the initial elements.
   * @param options `lock`: `true` (default), `false`, or a `Lock` to share.
   * @throws {TypeError} for an unknown type, an element of the wrong kind, or a bad `lock`.
   * @throws {RangeError} for a bad length, or an integer element out of its type's range.
   *
   * @example
   * ```ts
   * import { SharedArray } from "@interlock/interlock";
   * import assert from "node:assert/strict";
   *
   * assert.deepEqual(new SharedArray("i", 3).toArray(), [0, 0, 0]);
   * assert.deepEqual(new SharedArray(BigInt64Array, [1n, 2n]).toArray(), [1n, 2n]);
   * assert.throws(() => new SharedArray("B", [256]), RangeError);
   * ```
   */
  constructor(type: T, lengthOrValues: number | Iterable<NumberOf<T>>, options?: SharedOptions) {
    let state = reviving;
    let initial: (number | bigint)[] | undefined;
    reviving = undefined;
    if (state === undefined) {
      const what = "create shared array";
      const info = typeInfo(what, type);
      let length: number;
      if (typeof lengthOrValues === "number") {
        if (!Number.isSafeInteger(lengthOrValues) || lengthOrValues < 0) {
          throw new RangeError(
            `Cannot ${what}: 'length' must be a non-negative integer, received ${lengthOrValues}`,
          );
        }
        length = lengthOrValues;
      } else if (
        typeof lengthOrValues === "object" && lengthOrValues !== null &&
        typeof (lengthOrValues as Iterable<unknown>)[Symbol.iterator] === "function"
      ) {
        initial = Array.from(
          lengthOrValues as Iterable<unknown>,
          (x) => checkNumber(what, info, x),
        );
        length = initial.length;
      } else {
        throw new TypeError(
          `Cannot ${what}: 'lengthOrValues' must be a length or an iterable of numbers, ` +
            `received ${describe(lengthOrValues)}`,
        );
      }
      const lock = lockOf(what, options);
      const words = allocate(TAG.Array, K.bytes(length, info.atomic.BYTES_PER_ELEMENT));
      REAL.store(words, K.TYPE, info.code.charCodeAt(0));
      REAL.store(words, K.LENGTH, length);
      state = { words, type: info, length, lock };
    }
    this.buffer = state.words.buffer as SharedArrayBuffer;
    this.byteOffset = state.words.byteOffset;
    this.lock = state.lock;
    this.#type = state.type;
    this.#length = state.length;
    this.#v = slot(state.type.code, this.buffer, this.byteOffset + K.DATA_BYTE, state.length);
    // A fresh array is not shared yet, so these stores race with nobody.
    if (initial !== undefined) {
      for (let i = 0; i < initial.length; i++) {
        K.set(REAL, this.#v, i, state.type.kind, initial[i]!);
      }
    }
  }

  /**
   * Returns a working `SharedArray` over the memory of `value`, a `SharedArray` or its structured
   * clone (what a worker receives from `postMessage(array)`), with the lock the clone carries.
   *
   * @typeParam T The element type the caller expects (not checked: the stored typecode rules).
   * @throws {TypeError} if `value` is not a `SharedArray` or a clone of one.
   *
   * @example
   * ```ts
   * import { SharedArray } from "@interlock/interlock";
   * import assert from "node:assert/strict";
   *
   * const a = new SharedArray("i", [1, 2, 3]);
   * const inWorker = SharedArray.from<"i">(structuredClone(a));
   * inWorker.set(0, 10);
   * assert.equal(a.get(0), 10);
   * assert.throws(() => SharedArray.from({}), TypeError);
   * ```
   */
  static from<T extends ElementType = ElementType>(value: unknown): SharedArray<T> {
    if (value instanceof SharedArray) return value;
    const header = attach("SharedArray", TAG.Array, value, K.DATA_BYTE);
    const type = typeOfCode(REAL.load(header, K.TYPE));
    const length = REAL.load(header, K.LENGTH);
    const bytes = type === undefined ? 0 : K.bytes(length, type.atomic.BYTES_PER_ELEMENT);
    if (type === undefined || length < 0 || header.byteOffset + bytes > header.buffer.byteLength) {
      throw new TypeError("Cannot revive SharedArray: its memory holds no valid array header");
    }
    const lock = reviveLock(value as object);
    reviving = { words: header, type, length, lock };
    return new SharedArray(type.code as T, 0);
  }

  /**
   * The number of elements (fixed at creation).
   *
   * @example
   * ```ts
   * import { SharedArray } from "@interlock/interlock";
   * import assert from "node:assert/strict";
   *
   * assert.equal(new SharedArray("i", 5).length, 5);
   * ```
   */
  get length(): number {
    return this.#length;
  }

  /**
   * The Python typecode of the elements.
   *
   * @example
   * ```ts
   * import { SharedArray } from "@interlock/interlock";
   * import assert from "node:assert/strict";
   *
   * assert.equal(new SharedArray(Uint8Array, 1).typecode, "B");
   * ```
   */
  get typecode(): Typecode {
    return this.#type.code;
  }

  /**
   * Reads element `index` with one atomic load.
   *
   * @param index From `-length` to `length - 1`; negative indices count from the end.
   * @returns The element.
   * @throws {RangeError} if `index` is not an integer in range.
   *
   * @example
   * ```ts
   * import { SharedArray } from "@interlock/interlock";
   * import assert from "node:assert/strict";
   *
   * const a = new SharedArray("i", [1, 2, 3]);
   * assert.equal(a.get(0), 1);
   * assert.equal(a.get(-1), 3);
   * assert.throws(() => a.get(3), RangeError);
   * ```
   */
  get(index: number): NumberOf<T> {
    return K.get(REAL, this.#v, this.#index("get", index), this.#type.kind) as NumberOf<T>;
  }

  /**
   * Writes element `index` with one atomic store.
   *
   * @param index From `-length` to `length - 1`; negative indices count from the end.
   * @param value The new element.
   * @throws {RangeError} if `index` is out of range, or `value` does not fit an integer type.
   * @throws {TypeError} if `value` is a number of the wrong kind (`number` vs `bigint`).
   *
   * @example
   * ```ts
   * import { SharedArray } from "@interlock/interlock";
   * import assert from "node:assert/strict";
   *
   * const a = new SharedArray("d", 2);
   * a.set(-1, 2.5);
   * assert.deepEqual(a.toArray(), [0, 2.5]);
   * ```
   */
  set(index: number, value: NumberOf<T>): void {
    const i = this.#index("set", index);
    const type = this.#type;
    K.set(REAL, this.#v, i, type.kind, checkNumber("set element", type, value));
  }

  /**
   * A copy of the elements as a plain array (each element read atomically; the copy as a whole is
   * a snapshot only under the lock).
   *
   * @example
   * ```ts
   * import { SharedArray } from "@interlock/interlock";
   * import assert from "node:assert/strict";
   *
   * assert.deepEqual(new SharedArray("f", [0.5, 1.5]).toArray(), [0.5, 1.5]);
   * ```
   */
  toArray(): NumberOf<T>[] {
    const out: NumberOf<T>[] = [];
    const { kind } = this.#type;
    for (let i = 0; i < this.#length; i++) out.push(K.get(REAL, this.#v, i, kind) as NumberOf<T>);
    return out;
  }

  /**
   * Yields the elements in order, each read atomically when reached.
   *
   * @example
   * ```ts
   * import { SharedArray } from "@interlock/interlock";
   * import assert from "node:assert/strict";
   *
   * let sum = 0;
   * for (const x of new SharedArray("i", [1, 2, 3])) sum += x;
   * assert.equal(sum, 6);
   * ```
   */
  *[Symbol.iterator](): IterableIterator<NumberOf<T>> {
    const { kind } = this.#type;
    for (let i = 0; i < this.#length; i++) yield K.get(REAL, this.#v, i, kind) as NumberOf<T>;
  }

  /**
   * The elements as a typed array over the shared data (`Float64Array` for `'d'`, …), for bulk
   * work. Its accesses are plain (not atomic): use it under the lock, or when no other thread
   * writes. A new view each call; it shares memory with the array.
   *
   * @example
   * ```ts
   * import { SharedArray } from "@interlock/interlock";
   * import assert from "node:assert/strict";
   *
   * const a = new SharedArray("d", [1, 2, 3]);
   * {
   *   using _ = a.getLock().acquireSync();
   *   a.view.set(a.view.map((x) => x * 10));
   * }
   * assert.deepEqual(a.toArray(), [10, 20, 30]);
   * ```
   */
  get view(): ViewOf<T> {
    const View = this.#type.array as unknown as new (
      buffer: SharedArrayBuffer,
      byteOffset: number,
      length: number,
    ) => ViewOf<T>;
    return new View(this.buffer, this.byteOffset + K.DATA_BYTE, this.#length);
  }

  /**
   * The lock that protects multi-element updates, as Python's `get_lock()`.
   *
   * @returns The array's {@linkcode Lock}.
   * @throws {RuntimeError} if the array was created with `lock: false`.
   *
   * @example
   * ```ts
   * import { RuntimeError, SharedArray } from "@interlock/interlock";
   * import assert from "node:assert/strict";
   *
   * assert.equal(new SharedArray("i", 1).getLock().locked(), false);
   * assert.throws(() => new SharedArray("i", 1, { lock: false }).getLock(), RuntimeError);
   * ```
   */
  getLock(): Lock {
    if (this.lock === undefined) {
      throw new RuntimeError("Cannot get the lock of a SharedArray created with 'lock: false'");
    }
    return this.lock;
  }

  /** Shows the typecode and elements in `console.log` and `util.inspect`, on every runtime. */
  [Symbol.for("nodejs.util.inspect.custom")](): string {
    const items = this.toArray().map((x) => typeof x === "bigint" ? `${x}n` : String(x));
    return `SharedArray('${this.#type.code}', [${items.join(", ")}])`;
  }

  #index(what: string, index: number): number {
    const n = this.#length;
    if (Number.isInteger(index) && index < n && index >= -n) return index < 0 ? index + n : index;
    throw new RangeError(
      `Cannot ${what} element: 'index' must be an integer from ${-n} to ${n - 1}, ` +
        `received ${typeof index === "number" ? index : describe(index)}`,
    );
  }
}

registerClass(TAG.Array, SharedArray, SharedArray.from);
