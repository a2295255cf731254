/**
 * `SimSemaphore`: a `Semaphore` or `BoundedSemaphore` under the explorer.
 *
 * @module
 */
import * as K from "../../kernel/semaphore.ts";
import * as G from "../../kernel_gen/semaphore.ts";
import {
  ACQUIRE,
  BoundedSemaphore,
  checkReleaseCount,
  releaseError,
  Semaphore,
} from "../../sync/semaphore.ts";
import { SIM } from "../_engine.ts";
import { registerLayout, wordLayout } from "../_scenario.ts";
import { acquireWith, type SimWaitOptions, type Step, words } from "./_common.ts";

/**
 * A {@linkcode Semaphore} or {@linkcode BoundedSemaphore} under the explorer: the semaphore kernel
 * with the glue of `acquireSync`, `tryAcquire`, `release(n)` and `value`.
 *
 * @example
 * ```ts
 * import { Semaphore } from "@interlock/interlock";
 * import { explore, sim } from "@interlock/interlock/explore";
 * import assert from "node:assert/strict";
 *
 * const report = explore({
 *   setup: () => ({ sem: new Semaphore(0) }),
 *   threads: [
 *     function* consumer({ sem }: { sem: Semaphore }) { yield* sim(sem).acquire(); },
 *     function* producer({ sem }: { sem: Semaphore }) { yield* sim(sem).release(); },
 *   ],
 *   invariant: ({ sem }) => sem.value === 0,
 * });
 * assert.ok(report.ok && report.complete);
 * ```
 */
export class SimSemaphore {
  readonly #s: Int32Array;
  readonly #bounded: boolean;

  /** Wraps `semaphore` (normally through {@linkcode sim}). */
  constructor(semaphore: Semaphore) {
    this.#s = words(semaphore, K.BYTES);
    this.#bounded = semaphore instanceof BoundedSemaphore;
  }

  /**
   * Takes one permit, sleeping while there is none.
   *
   * @throws {DOMException} named `TimeoutError` if a finite `timeout` fires first.
   */
  *acquire(options?: SimWaitOptions): Step<void> {
    yield* acquireWith(ACQUIRE, options, G, this.#s);
  }

  /** Takes one permit if there is one; returns whether it did. */
  *tryAcquire(): Step<boolean> {
    return yield* G.tryAcquire(SIM, this.#s);
  }

  /**
   * Gives back `n` permits and wakes up to `n` sleepers.
   *
   * @throws {RuntimeError} if a `BoundedSemaphore` would rise above its initial value.
   */
  *release(n: number = 1): Step<void> {
    checkReleaseCount(this.#bounded, n);
    if ((yield* G.release(SIM, this.#s, n)) === K.RELEASED) return;
    throw releaseError(n, this.#bounded ? yield* G.bound(SIM, this.#s) : undefined);
  }

  /** The number of available permits. */
  *value(): Step<number> {
    return yield* G.value(SIM, this.#s);
  }
}
registerLayout(Semaphore, () => wordLayout(K.FIELDS, K.BYTES));
registerLayout(BoundedSemaphore, () => wordLayout(K.FIELDS, K.BYTES));
