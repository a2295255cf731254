/**
 * `SimValue`: a shared `Value` under the explorer.
 *
 * @module
 */
import type { AtomicArray } from "../../_atomics.ts";
import { RuntimeError } from "../../errors.ts";
import * as K from "../../kernel/value.ts";
import * as G from "../../kernel_gen/value.ts";
import { checkNumber, type ElementType, type NumberOf } from "../../shared/_type.ts";
import { Value } from "../../shared/value.ts";
import type { Lock } from "../../sync/lock.ts";
import { registerLayout, wordLayout } from "../_scenario.ts";
import { SIM } from "../_engine.ts";
import { type Step, wrapperOf } from "./_common.ts";
import { SimLock } from "./lock.ts";

/**
 * A `Value` under the explorer: `get()` and `set(x)` are the value kernel's single atomic
 * load and store (so `set((yield* v.get()) - 1)` is the seed's racy read-modify-write), and
 * `getLock()` is the wrapper of its lock.
 *
 * @example
 * ```ts
 * import { Value } from "@interlock/interlock";
 * import { search, sim } from "@interlock/interlock/explore";
 * import assert from "node:assert/strict";
 *
 * const report = search({
 *   setup: () => ({ balance: new Value("i", 100) }),
 *   threads: [-1, 1].map((delta) =>
 *     function* teller({ balance }: { balance: Value<"i"> }) {
 *       const b = sim(balance);
 *       yield* b.set((yield* b.get()) + delta);
 *     }
 *   ),
 *   invariant: ({ balance }) => balance.value === 100,
 * }, { seed: 1 });
 * assert.match(report.failure!.message, /read balance\.value → 100/);
 * ```
 */
export class SimValue<T extends ElementType = ElementType> {
  readonly #v: AtomicArray;
  readonly #type: K.TypeInfo;
  readonly #lock: Lock | undefined;

  /** Wraps `value` (normally through {@linkcode sim}). */
  constructor(value: Value<T>) {
    this.#type = K.TYPES[value.typecode];
    this.#v = K.slot(value.typecode, value.buffer, value.byteOffset + K.VALUE_BYTE, 1);
    this.#lock = value.lock;
  }

  /** Reads the value (one atomic load). */
  *get(): Step<NumberOf<T>> {
    return (yield* G.get(SIM, this.#v, 0, this.#type.kind)) as NumberOf<T>;
  }

  /**
   * Writes the value (one atomic store).
   *
   * @throws {TypeError | RangeError} if `x` does not fit the type (as `value.value = x`).
   */
  *set(x: NumberOf<T>): Step<void> {
    const type = this.#type;
    yield* G.set(SIM, this.#v, 0, type.kind, checkNumber("set value", type, x));
  }

  /**
   * The wrapper of the value's lock.
   *
   * @throws {RuntimeError} if the value was created with `lock: false`.
   */
  getLock(): SimLock {
    const lock = this.#lock;
    if (lock === undefined) {
      throw new RuntimeError("Cannot get the lock of a Value created with 'lock: false'");
    }
    return wrapperOf(lock, (l) => new SimLock(l));
  }
}
registerLayout(Value, () => wordLayout(K.FIELDS, K.BYTES));
