/**
 * `Value`: one number in shared memory, as Python's `multiprocessing.Value`.
 * The algorithm and its shared layout live in `src/kernel/value.ts`.
 *
 * @module
 */
import { type AtomicArray, REAL } from "../_atomics.ts";
import { allocate, attach, registerClass, TAG } from "../_region.ts";
import { RuntimeError } from "../errors.ts";
import * as K from "../kernel/value.ts";
import type { Lock } from "../sync/lock.ts";
import {
  checkNumber,
  type ElementType,
  lockOf,
  type NumberOf,
  reviveLock,
  type SharedOptions,
  type Typecode,
  typeInfo,
  typeOfCode,
} from "./_type.ts";
import type { TypeInfo } from "../kernel/value.ts";

let reviving: { words: Int32Array; type: TypeInfo; lock: Lock | undefined } | undefined;

/**
 * One number in shared memory that the main thread and any number of workers read and write, as
 * Python's `multiprocessing.Value`.
 *
 * - `type` is a Python typecode (`'i'`, `'d'`, …) or a TypedArray constructor (`Int32Array`, …);
 *   64-bit integer types (`'q'`, `'Q'`, `'l'`, `'L'`, `BigInt64Array`, `BigUint64Array`) hold
 *   bigints, the others numbers (see {@linkcode ElementType} for the table).
 * - Every read and write of {@linkcode Value.value} is one atomic operation: integers with
 *   `Atomics.load`/`store`; floats store their bits atomically (a `'d'` through a 64-bit atomic
 *   store of its bits), so no thread ever sees a torn value. Unlike Python, reads and writes do not
 *   take the lock: they are atomic without it.
 * - A read-modify-write such as `v.value = v.value - 1` is *not* atomic (the seed's race): hold the
 *   value's lock around it: `using _ = v.getLock().acquireSync();`.
 * - `lock` defaults to `true` (a fresh `Lock`, carried as the own property {@linkcode Value.lock},
 *   so clones carry it); `lock: false` gives a raw value without a lock; `lock: someLock` shares one.
 * - Numbers never wrap silently: an integer type rejects non-integers and out-of-range values with
 *   a `RangeError`.
 * - Send it to a worker with `postMessage(value)` and call `Value.from(data)` there (or pass it to a
 *   `Process`/`Pool` task, which revives it for you).
 *
 * @typeParam T The element type given to the constructor; it decides `number` vs `bigint`.
 *
 * @example The seed's bank balance, safe under the value's lock
 * ```ts
 * import { Value } from "@interlock/interlock";
 * import assert from "node:assert/strict";
 *
 * const balance = new Value("i", 100);
 * for (let k = 0; k < 10; k++) {
 *   using _ = balance.getLock().acquireSync();
 *   balance.value = balance.value - 1;
 * }
 * assert.equal(balance.value, 90);
 * ```
 */
export class Value<T extends ElementType = ElementType> {
  /** The shared memory this value lives in; shared, not copied, by `postMessage`. */
  readonly buffer: SharedArrayBuffer;
  /** Where the value's region starts in {@linkcode Value.buffer}. */
  readonly byteOffset: number;
  /** The lock this value carries (`undefined` when created with `lock: false`). */
  readonly lock: Lock | undefined;
  readonly #type: TypeInfo;
  readonly #v: AtomicArray;

  /**
   * Creates a value in fresh shared memory.
   *
   * @param type A typecode (`'i'`) or TypedArray constructor (`Int32Array`).
   * @param initial The initial value (`0`, or `0n` for bigint types, when omitted).
   * @param options `lock`: `true` (default), `false`, or a `Lock` to share.
   * @throws {TypeError} for an unknown type, a number of the wrong kind, or a bad `lock`.
   * @throws {RangeError} for an integer type given a non-integer or out-of-range `initial`.
   *
   * @example
   * ```ts
   * import { Lock, Value } from "@interlock/interlock";
   * import assert from "node:assert/strict";
   *
   * assert.equal(new Value("d", 0.5).value, 0.5);
   * assert.equal(new Value(BigInt64Array, 2n ** 40n).value, 2n ** 40n);
   * assert.equal(new Value("i", 1, { lock: false }).lock, undefined);
   * const shared = new Lock();
   * assert.equal(new Value("i", 0, { lock: shared }).getLock(), shared);
   * assert.throws(() => new Value("i", 2 ** 31), RangeError);
   * ```
   */
  constructor(type: T, initial?: NumberOf<T>, options?: SharedOptions) {
    let state = reviving;
    let x: number | bigint | undefined;
    reviving = undefined;
    if (state === undefined) {
      const info = typeInfo("create value", type);
      x = checkNumber("create value", info, initial ?? (info.bigint ? 0n : 0));
      const lock = lockOf("create value", options);
      const words = allocate(TAG.Value, K.BYTES);
      REAL.store(words, K.TYPE, info.code.charCodeAt(0));
      state = { words, type: info, lock };
    }
    this.buffer = state.words.buffer as SharedArrayBuffer;
    this.byteOffset = state.words.byteOffset;
    this.lock = state.lock;
    this.#type = state.type;
    this.#v = K.slot(state.type.code, this.buffer, this.byteOffset + K.VALUE_BYTE, 1);
    // A fresh value is not shared yet, so its initial store races with nobody.
    if (x !== undefined) K.set(REAL, this.#v, 0, state.type.kind, x);
  }

  /**
   * Returns a working `Value` over the memory of `value`, a `Value` or its structured clone (what a
   * worker receives from `postMessage(value)`), with the lock the clone carries.
   *
   * @typeParam T The element type the caller expects (not checked: the stored typecode rules).
   * @throws {TypeError} if `value` is not a `Value` or a clone of one.
   *
   * @example
   * ```ts
   * import { Value } from "@interlock/interlock";
   * import assert from "node:assert/strict";
   *
   * const v = new Value("i", 7);
   * const inWorker = Value.from<"i">(structuredClone(v));
   * inWorker.value = 8;
   * assert.equal(v.value, 8);
   * assert.ok(inWorker.getLock().tryAcquire());
   * assert.ok(v.getLock().locked());
   * assert.throws(() => Value.from({}), TypeError);
   * ```
   */
  static from<T extends ElementType = ElementType>(value: unknown): Value<T> {
    if (value instanceof Value) return value;
    const words = attach("Value", TAG.Value, value, K.BYTES);
    const type = typeOfCode(REAL.load(words, K.TYPE));
    if (type === undefined) {
      throw new TypeError("Cannot revive Value: its memory holds an unknown typecode");
    }
    const lock = reviveLock(value as object);
    reviving = { words, type, lock };
    return new Value(type.code as T);
  }

  /**
   * The current value; reading and writing are each one atomic operation (never torn).
   *
   * @throws {TypeError} on assignment of a number of the wrong kind (`number` vs `bigint`).
   * @throws {RangeError} on assignment of a non-integer or out-of-range value to an integer type.
   *
   * @example
   * ```ts
   * import { Value } from "@interlock/interlock";
   * import assert from "node:assert/strict";
   *
   * const v = new Value("B", 255);
   * v.value = 0;
   * assert.equal(v.value, 0);
   * assert.throws(() => { v.value = 256; }, RangeError);
   * ```
   */
  get value(): NumberOf<T> {
    return K.get(REAL, this.#v, 0, this.#type.kind) as NumberOf<T>;
  }

  set value(x: NumberOf<T>) {
    const type = this.#type;
    K.set(REAL, this.#v, 0, type.kind, checkNumber("set value", type, x));
  }

  /**
   * The Python typecode of the value (`'i'` for `Int32Array`, `'q'` for `BigInt64Array`, …).
   *
   * @example
   * ```ts
   * import { Value } from "@interlock/interlock";
   * import assert from "node:assert/strict";
   *
   * assert.equal(new Value(Float64Array, 1).typecode, "d");
   * ```
   */
  get typecode(): Typecode {
    return this.#type.code;
  }

  /**
   * The lock that protects read-modify-write sequences on this value, as Python's `get_lock()`.
   *
   * @returns The value's {@linkcode Lock}.
   * @throws {RuntimeError} if the value was created with `lock: false`.
   *
   * @example
   * ```ts
   * import { RuntimeError, Value } from "@interlock/interlock";
   * import assert from "node:assert/strict";
   *
   * const v = new Value("i", 0);
   * {
   *   using _ = await v.getLock().acquire();
   *   v.value += 1;
   * }
   * assert.equal(v.value, 1);
   * assert.throws(() => new Value("i", 0, { lock: false }).getLock(), RuntimeError);
   * ```
   */
  getLock(): Lock {
    if (this.lock === undefined) {
      throw new RuntimeError("Cannot get the lock of a Value created with 'lock: false'");
    }
    return this.lock;
  }

  /** Shows the typecode and value in `console.log` and `util.inspect`, on every runtime. */
  [Symbol.for("nodejs.util.inspect.custom")](): string {
    const x = this.value;
    return `Value('${this.#type.code}', ${typeof x === "bigint" ? `${x}n` : x})`;
  }
}

registerClass(TAG.Value, Value, Value.from);
