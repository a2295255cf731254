/**
 * `SimSemaphore`: a `Semaphore` or `BoundedSemaphore` under the explorer.
 *
 * @module
 */
import { REAL } from "../../_atomics.ts";
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
import { atSpecLevel, type Parts, type SpecTarget, TIMED_OUT } from "../_spec_step.ts";
import { SemaphoreSpec } from "../spec/semaphore.ts";
import {
  acquireWith,
  failed,
  type SimWaitOptions,
  specOp,
  type Step,
  timed,
  words,
} from "./_common.ts";

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
  readonly #sem: Semaphore;
  readonly #s: Int32Array;
  readonly #bounded: boolean;
  readonly #spec: SpecTarget;

  /** Wraps `semaphore` (normally through {@linkcode sim}). */
  constructor(semaphore: Semaphore) {
    this.#sem = semaphore;
    this.#s = words(semaphore, K.BYTES);
    this.#bounded = semaphore instanceof BoundedSemaphore;
    this.#spec = semaphoreTarget(semaphore, this.#s, this.#bounded);
  }

  /**
   * Takes one permit, sleeping while there is none.
   *
   * @throws {DOMException} named `TimeoutError` if a finite `timeout` fires first.
   */
  *acquire(options?: SimWaitOptions): Step<void> {
    if (atSpecLevel(this.#sem)) {
      const r = yield* specOp(this.#spec, "acquire", P.acquire, [], timed(ACQUIRE, options));
      if (r === TIMED_OUT) throw failed(ACQUIRE, options);
      return;
    }
    yield* acquireWith(ACQUIRE, options, G, this.#s);
  }

  /** Takes one permit if there is one; returns whether it did. */
  *tryAcquire(): Step<boolean> {
    if (atSpecLevel(this.#sem)) {
      return (yield* specOp(this.#spec, "tryAcquire", P.tryAcquire, [])) as boolean;
    }
    return yield* G.tryAcquire(SIM, this.#s);
  }

  /**
   * Gives back `n` permits and wakes up to `n` sleepers.
   *
   * @throws {RuntimeError} if a `BoundedSemaphore` would rise above its initial value.
   */
  *release(n: number = 1): Step<void> {
    checkReleaseCount(this.#bounded, n);
    if (atSpecLevel(this.#sem)) {
      yield* specOp(this.#spec, "release", P.release, [n]);
      return;
    }
    if ((yield* G.release(SIM, this.#s, n)) === K.RELEASED) return;
    throw releaseError(n, this.#bounded ? yield* G.bound(SIM, this.#s) : undefined);
  }

  /** The number of available permits. */
  *value(): Step<number> {
    if (atSpecLevel(this.#sem)) return (yield* specOp(this.#spec, "value", P.value, [])) as number;
    return yield* G.value(SIM, this.#s);
  }
}

const P = SemaphoreSpec.prototype;

/** The specification-level state of `semaphore` (words `s`): part `sem`, kept in the `value` word. */
function semaphoreTarget(semaphore: Semaphore, s: Int32Array, bounded: boolean): SpecTarget {
  const open = (was: SemaphoreSpec) => {
    const m = new SemaphoreSpec(was.permits, { bounded });
    m.bound = was.bound;
    return m;
  };
  return {
    object: semaphore,
    unit: s,
    index: K.VALUE,
    watchable: true,
    load: () => {
      const m = new SemaphoreSpec(REAL.load(s, K.VALUE), { bounded });
      m.bound = REAL.load(s, K.BOUND);
      return { sem: m };
    },
    open: (parts) => open(parts.sem as SemaphoreSpec),
    close: (parts, m) =>
      (m as SemaphoreSpec).permits === (parts.sem as SemaphoreSpec).permits
        ? parts
        : { ...parts, sem: m },
    mirror: (parts: Parts) => REAL.store(s, K.VALUE, (parts.sem as SemaphoreSpec).permits),
  };
}
registerLayout(Semaphore, () => wordLayout(K.FIELDS, K.BYTES));
registerLayout(BoundedSemaphore, () => wordLayout(K.FIELDS, K.BYTES));
