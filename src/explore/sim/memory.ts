/**
 * `SimArray`: raw shared memory (an integer typed array) under the explorer.
 *
 * @module
 */
import type { AtomicArray, ElementOf, WaitResult } from "../../_atomics.ts";
import { deadlineOf, type SyncWaitOptions } from "../../options.ts";
import { SIM } from "../_engine.ts";
import type { Step } from "./_common.ts";

/**
 * Raw shared memory under the explorer: each method is one `Atomics` operation, one step.
 *
 * @example
 * ```ts
 * import { explore, sim } from "@interlock/interlock/explore";
 * import assert from "node:assert/strict";
 *
 * const report = explore({
 *   setup: () => ({ hits: new Int32Array(new SharedArrayBuffer(4)) }),
 *   threads: [
 *     function* a({ hits }) { yield* sim(hits).add(0, 1); },
 *     function* b({ hits }) { yield* sim(hits).add(0, 1); },
 *   ],
 *   invariant: ({ hits }) => hits[0] === 2,
 * });
 * assert.ok(report.ok);
 * ```
 */
export class SimArray<T extends AtomicArray> {
  /** The array the operations act on. */
  readonly array: T;

  /** Wraps `array` (normally through {@linkcode sim}). */
  constructor(array: T) {
    this.array = array;
  }

  /** `Atomics.load(array, i)`. */
  *load(i: number): Step<ElementOf<T>> {
    return yield* SIM.load(this.array, i);
  }

  /** `Atomics.store(array, i, v)`; returns the stored value. */
  *store(i: number, v: ElementOf<T>): Step<ElementOf<T>> {
    return yield* SIM.store(this.array, i, v);
  }

  /** `Atomics.add(array, i, v)`; returns the previous value. */
  *add(i: number, v: ElementOf<T>): Step<ElementOf<T>> {
    return yield* SIM.add(this.array, i, v);
  }

  /** `Atomics.sub(array, i, v)`; returns the previous value. */
  *sub(i: number, v: ElementOf<T>): Step<ElementOf<T>> {
    return yield* SIM.sub(this.array, i, v);
  }

  /** `Atomics.exchange(array, i, v)`; returns the previous value. */
  *exchange(i: number, v: ElementOf<T>): Step<ElementOf<T>> {
    return yield* SIM.exchange(this.array, i, v);
  }

  /** `Atomics.compareExchange(array, i, expected, replacement)`; returns the previous value. */
  *compareExchange(
    i: number,
    expected: ElementOf<T>,
    replacement: ElementOf<T>,
  ): Step<ElementOf<T>> {
    return yield* SIM.compareExchange(this.array, i, expected, replacement);
  }

  /**
   * `Atomics.wait(array, i, expected, timeout)` on an `Int32Array`: sleeps while the value is
   * `expected`, until notified, or (with a finite `timeout`) until the explorer lets the timeout
   * fire. The timeout's length does not matter: firing is a scheduling choice.
   */
  *wait(i: number, expected: number, options?: SyncWaitOptions): Step<WaitResult> {
    const deadline = deadlineOf("wait", options);
    return yield* SIM.wait(this.array as unknown as Int32Array, i, expected, deadline);
  }

  /** `Atomics.notify(array, i, count)`: wakes up to `count` sleepers in arrival order. */
  *notify(i: number, count?: number): Step<number> {
    if (count === undefined) count = Infinity;
    return yield* SIM.notify(this.array as unknown as Int32Array, i, count);
  }

  /**
   * `Atomics.pause()`: a spin-wait hint; under the explorer, once a loop repeated an iteration of
   * reads with no write, it waits until another thread changes what was read (`_await.ts`).
   */
  *pause(): Step<void> {
    yield* SIM.pause();
  }
}
