/**
 * `SimSemaphore`: a `Semaphore` or `BoundedSemaphore` under the explorer.
 *
 * @module
 */
import { REAL } from "../../_atomics.ts";
import * as KL from "../../kernel/lock.ts";
import * as K from "../../kernel/semaphore.ts";
import * as G from "../../kernel_gen/semaphore.ts";
import { ownerDiedHandler } from "../../options.ts";
import { ownerDiedError, tookOverError } from "../../sync/_robust.ts";
import {
  ACQUIRE,
  BoundedSemaphore,
  checkReleaseCount,
  releaseError,
  Semaphore,
} from "../../sync/semaphore.ts";
import { currentExecution, SIM } from "../_engine.ts";
import { registerLayout, wordLayout } from "../_scenario.ts";
import { atSpecLevel, type Parts, type SpecTarget, TIMED_OUT } from "../_spec_step.ts";
import { SemaphoreSpec } from "../spec/semaphore.ts";
import {
  acquireRobustly,
  failed,
  isGenerator,
  me,
  presenceRegistry,
  type SimAcquireOptions,
  specOp,
  type Step,
  timed,
  waitOrThrow,
  words,
} from "./_common.ts";

/**
 * A `Semaphore` or `BoundedSemaphore` under the explorer: the semaphore kernel
 * with the glue of `acquireSync`, `tryAcquire`, `release(n)` and `value`; for a robust one, the
 * holder table and the reclaiming of the permits of terminated threads, as the class does.
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
  readonly #robust: boolean;
  /** The bound and the fast paths' guesses, as the class reads them once. */
  readonly #bound: number;
  readonly #take: number;
  readonly #give: number;
  /** Each thread's holder-table entry, per execution (as the class caches it per thread). */
  readonly #entries = new WeakMap<object, Map<number, number>>();

  /** Wraps `semaphore` (normally through {@linkcode sim}). */
  constructor(semaphore: Semaphore) {
    this.#sem = semaphore;
    this.#s = words(semaphore, bytesOf(semaphore));
    this.#bounded = semaphore instanceof BoundedSemaphore;
    this.#robust = K.holders(REAL, this.#s) > 0;
    this.#bound = K.bound(REAL, this.#s);
    const initial = K.initial(REAL, this.#s);
    this.#take = K.takeGuess(initial);
    this.#give = K.giveGuess(initial);
    this.#spec = semaphoreTarget(semaphore, this.#s, this.#bounded);
  }

  /**
   * Takes one permit, sleeping while there is none.
   *
   * @throws {DOMException} named `TimeoutError` if a finite `timeout` fires first.
   * @throws {OwnerDiedError} (robust) if the permit was reclaimed from a terminated thread and
   *   there is no `onOwnerDied`.
   */
  *acquire(options?: SimAcquireOptions): Step<void> {
    if (atSpecLevel(this.#sem)) {
      const r = yield* specOp(this.#spec, "acquire", P.acquire, [], timed(ACQUIRE, options));
      if (r === TIMED_OUT) throw failed(ACQUIRE, options);
      return;
    }
    const s = this.#s;
    const take = this.#take;
    if (!this.#robust) {
      yield* waitOrThrow(
        ACQUIRE,
        options,
        () => G.tryAcquire(SIM, s, take),
        (d) => G.acquire(SIM, s, take, d),
      );
      return;
    }
    const handler = options === undefined ? undefined : ownerDiedHandler(ACQUIRE, options);
    yield* acquireRobustly(ACQUIRE, options, {
      ready: () => G.tryAcquire(SIM, s, take),
      *acquire(deadline) {
        return (yield* G.acquire(SIM, s, take, deadline)) ? KL.ACQUIRED : KL.TIMED_OUT;
      },
      *probe() {
        return (yield* G.reclaim(SIM, s, presenceRegistry())) > 0;
      },
      *takeOver() {
        return false; // the acquire never reports OWNER_DIED: taints are seen after taking
      },
      *giveUp() {},
    });
    yield* this.#took(handler);
  }

  /**
   * Takes one permit if there is one; returns whether it did.
   *
   * @throws {OwnerDiedError} (robust) if the permit was reclaimed from a terminated thread.
   */
  *tryAcquire(): Step<boolean> {
    if (atSpecLevel(this.#sem)) {
      return (yield* specOp(this.#spec, "tryAcquire", P.tryAcquire, [])) as boolean;
    }
    if (!(yield* G.tryAcquire(SIM, this.#s, this.#take))) return false;
    if (this.#robust) yield* this.#took(undefined);
    return true;
  }

  /** This thread's holder-table entry, looked up once per execution (the class's `#ownEntry`). */
  *#entryOf(): Step<number> {
    const ex = currentExecution();
    let mine = this.#entries.get(ex);
    if (mine === undefined) this.#entries.set(ex, mine = new Map());
    const known = mine.get(me());
    if (known !== undefined) return known;
    const j = yield* G.entryOf(SIM, this.#s, me());
    if (j >= 0) mine.set(me(), j);
    return j;
  }

  /** As the class's private `#took`: records the permit, and owns up to a taint or gives it back. */
  *#took(handler: SimAcquireOptions["onOwnerDied"]): Step<void> {
    const s = this.#s;
    const j = yield* this.#entryOf();
    if (j >= 0) yield* G.hold(SIM, s, j, 1);
    if ((yield* G.tainted(SIM, s)) === 0) return;
    if (handler !== undefined && !(yield* G.untaint(SIM, s))) return;
    try {
      if (handler === undefined) throw ownerDiedError(ACQUIRE);
      const repair = handler(tookOverError(ACQUIRE));
      if (isGenerator(repair)) yield* repair;
    } catch (error) {
      if (handler !== undefined) yield* G.retaint(SIM, s);
      yield* this.release();
      throw error;
    }
  }

  /**
   * Gives back `n` permits and wakes up to `n` sleepers.
   *
   * @throws {RuntimeError} if a `BoundedSemaphore` would rise above its initial value.
   */
  *release(n?: number): Step<void> {
    if (n === undefined) n = 1;
    checkReleaseCount(this.#bounded, n);
    if (atSpecLevel(this.#sem)) {
      yield* specOp(this.#spec, "release", P.release, [n]);
      return;
    }
    const s = this.#s;
    const j = this.#robust ? yield* this.#entryOf() : -1;
    const own = j < 0 ? 0 : yield* G.unhold(SIM, s, j, n);
    if ((yield* G.release(SIM, s, n, this.#bound, this.#give)) === K.RELEASED) return;
    if (own > 0) yield* G.hold(SIM, s, j, own);
    throw releaseError(n, this.#bounded ? this.#bound : undefined);
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
      const m = new SemaphoreSpec(K.value(REAL, s), { bounded });
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

/** The bytes of a semaphore's region: with its holder table if it is robust. */
function bytesOf(semaphore: Semaphore): number {
  const holders = K.holders(REAL, words(semaphore, K.BYTES));
  return holders === 0 ? K.BYTES : K.robustBytes(holders);
}

registerLayout(Semaphore, (x) => wordLayout(K.FIELDS, bytesOf(x)));
registerLayout(BoundedSemaphore, (x) => wordLayout(K.FIELDS, bytesOf(x)));
