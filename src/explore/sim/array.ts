/**
 * `SimSharedArray`: a `SharedArray` under the explorer.
 *
 * @module
 */
import type { AtomicArray } from "../../_atomics.ts";
import { RuntimeError } from "../../errors.ts";
import * as K from "../../kernel/array.ts";
import * as KValue from "../../kernel/value.ts";
import * as G from "../../kernel_gen/array.ts";
import { checkNumber, type ElementType, type NumberOf } from "../../shared/_type.ts";
import { SharedArray } from "../../shared/array.ts";
import type { Lock } from "../../sync/lock.ts";
import { SIM } from "../_engine.ts";
import { registerLayout } from "../_scenario.ts";
import { type Step, wrapperOf } from "./_common.ts";
import { SimLock } from "./lock.ts";

/**
 * A `SharedArray` under the explorer: `get(i)` and `set(i, x)` are single atomic
 * operations on element `i`; `getLock()` is the wrapper of its lock.
 *
 * @example
 * ```ts
 * import { SharedArray } from "@interlock/interlock";
 * import { explore, sim } from "@interlock/interlock/explore";
 * import assert from "node:assert/strict";
 *
 * const report = explore({
 *   setup: () => ({ a: new SharedArray("i", 2) }),
 *   threads: [0, 1].map((i) =>
 *     function* writer({ a }: { a: SharedArray<"i"> }) { yield* sim(a).set(i, i + 1); }
 *   ),
 *   invariant: ({ a }) => a.toArray().join() === "1,2",
 * });
 * assert.ok(report.ok);
 * ```
 */
export class SimSharedArray<T extends ElementType = ElementType> {
  readonly #v: AtomicArray;
  readonly #type: KValue.TypeInfo;
  readonly #lock: Lock | undefined;
  /** The number of elements. */
  readonly length: number;

  /** Wraps `array` (normally through {@linkcode sim}). */
  constructor(array: SharedArray<T>) {
    this.#type = KValue.TYPES[array.typecode];
    this.length = array.length;
    this.#v = KValue.slot(
      array.typecode,
      array.buffer,
      array.byteOffset + K.DATA_BYTE,
      array.length,
    );
    this.#lock = array.lock;
  }

  /**
   * Reads element `index` (one atomic load).
   *
   * @throws {RangeError} if `index` is out of range.
   */
  *get(index: number): Step<NumberOf<T>> {
    const i = this.#index("get", index);
    return (yield* G.get(SIM, this.#v, i, this.#type.kind)) as NumberOf<T>;
  }

  /**
   * Writes element `index` (one atomic store).
   *
   * @throws {RangeError | TypeError} if `index` is out of range or `x` does not fit the type.
   */
  *set(index: number, x: NumberOf<T>): Step<void> {
    const i = this.#index("set", index);
    const type = this.#type;
    yield* G.set(SIM, this.#v, i, type.kind, checkNumber("set element", type, x));
  }

  /**
   * The wrapper of the array's lock.
   *
   * @throws {RuntimeError} if the array was created with `lock: false`.
   */
  getLock(): SimLock {
    const lock = this.#lock;
    if (lock === undefined) {
      throw new RuntimeError("Cannot get the lock of a SharedArray created with 'lock: false'");
    }
    return wrapperOf(lock, (l) => new SimLock(l));
  }

  // SharedArray's index check, but for a non-number `index` its message prints the value where
  // SharedArray's names the type: kept as it was by the no-behaviour-change split of issue #11.
  #index(what: string, index: number): number {
    const n = this.length;
    if (Number.isInteger(index) && index < n && index >= -n) return index < 0 ? index + n : index;
    throw new RangeError(
      `Cannot ${what} element: 'index' must be an integer from ${-n} to ${
        n - 1
      }, received ${index}`,
    );
  }
}
registerLayout(SharedArray, (a) => {
  const size = KValue.TYPES[a.typecode].atomic.BYTES_PER_ELEMENT;
  return {
    bytes: K.bytes(a.length, size),
    name: (b) =>
      b < K.DATA_BYTE
        ? K.FIELDS[b >> 2] ?? `word${b >> 2}`
        : `[${Math.floor((b - K.DATA_BYTE) / size)}]`,
  };
});
