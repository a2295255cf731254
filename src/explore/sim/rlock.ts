/**
 * `SimRLock`: an `RLock` under the explorer.
 *
 * @module
 */
import { REAL } from "../../_atomics.ts";
import * as KL from "../../kernel/lock.ts";
import * as K from "../../kernel/rlock.ts";
import * as G from "../../kernel_gen/rlock.ts";
import { ACQUIRE, releaseError, RLock } from "../../sync/rlock.ts";
import { SIM } from "../_engine.ts";
import { registerLayout, wordLayout } from "../_scenario.ts";
import { atSpecLevel, type Parts, type SpecTarget, TIMED_OUT } from "../_spec_step.ts";
import { RLockSpec } from "../spec/lock.ts";
import {
  failed,
  me,
  type SimWaitOptions,
  specOp,
  type Step,
  timed,
  waitOrThrow,
  words,
} from "./_common.ts";

/**
 * An {@linkcode RLock} under the explorer: `RLock`'s kernel with the glue of `acquireSync`,
 * `release`, `owned` and `recursionCount`. Virtual thread `Tk` is agent `k + 1`.
 *
 * @example
 * ```ts
 * import { RLock } from "@interlock/interlock";
 * import { explore, sim } from "@interlock/interlock/explore";
 * import assert from "node:assert/strict";
 *
 * const report = explore({
 *   setup: () => ({ r: new RLock() }),
 *   threads: [0, 1].map(() =>
 *     function* nested({ r }: { r: RLock }) {
 *       yield* sim(r).acquire();
 *       yield* sim(r).acquire();
 *       assert.equal(yield* sim(r).recursionCount(), 2);
 *       yield* sim(r).release();
 *       yield* sim(r).release();
 *     }
 *   ),
 * });
 * assert.ok(report.ok);
 * ```
 */
export class SimRLock {
  readonly #r: RLock;
  readonly #s: Int32Array;
  readonly #spec: SpecTarget;

  /** Wraps `rlock` (normally through {@linkcode sim}). */
  constructor(rlock: RLock) {
    this.#r = rlock;
    this.#s = words(rlock, K.BYTES);
    this.#spec = rlockTarget(rlock, this.#s);
  }

  /** Runs `fn` of {@linkcode RLockSpec} for this thread at the specification level. */
  #op(name: string, fn: (this: RLockSpec, me: number) => unknown): Step<unknown> {
    return specOp(this.#spec, name, fn, [me()]);
  }

  /**
   * Takes the lock (one more level if this thread holds it).
   *
   * @throws {DOMException} named `TimeoutError` if a finite `timeout` fires first.
   */
  *acquire(options?: SimWaitOptions): Step<void> {
    if (atSpecLevel(this.#r)) {
      const r = yield* specOp(this.#spec, "acquire", P.acquire, [me()], timed(ACQUIRE, options));
      if (r === TIMED_OUT) throw failed(ACQUIRE, options);
      return;
    }
    const s = this.#s;
    yield* waitOrThrow(
      ACQUIRE,
      options,
      () => G.tryAcquire(SIM, s, me()),
      (deadline) => G.acquire(SIM, s, me(), deadline),
    );
  }

  /** Takes the lock if it is free or held by this thread; returns whether it did. */
  *tryAcquire(): Step<boolean> {
    if (atSpecLevel(this.#r)) return (yield* this.#op("tryAcquire", P.tryAcquire)) as boolean;
    return yield* G.tryAcquire(SIM, this.#s, me());
  }

  /**
   * Releases one level of this thread's hold.
   *
   * @throws {RuntimeError} if the lock is unheld or held by another thread.
   */
  *release(): Step<void> {
    if (atSpecLevel(this.#r)) {
      yield* this.#op("release", P.release);
      return;
    }
    const status = yield* G.release(SIM, this.#s, me());
    if (status !== K.RELEASED) throw releaseError(status);
  }

  /** Whether any thread holds the lock. */
  *locked(): Step<boolean> {
    if (atSpecLevel(this.#r)) return (yield* this.#op("locked", P.locked)) as boolean;
    return yield* G.locked(SIM, this.#s);
  }

  /** Whether this thread holds the lock. */
  *owned(): Step<boolean> {
    if (atSpecLevel(this.#r)) return (yield* this.#op("owned", P.owned)) as boolean;
    return yield* G.owned(SIM, this.#s, me());
  }

  /** This thread's recursion count (0 unless it holds the lock). */
  *recursionCount(): Step<number> {
    if (atSpecLevel(this.#r)) {
      return (yield* this.#op("recursionCount", P.recursionCount)) as number;
    }
    return yield* G.recursionCount(SIM, this.#s, me());
  }
}
registerLayout(RLock, () => wordLayout(K.FIELDS, K.BYTES));

const P = RLockSpec.prototype;

/**
 * The specification-level state of `rlock` (words `s`): part `lock`, an {@linkcode RLockSpec},
 * kept in step with the `state`, `owner` and `count` words. A condition over it shares it.
 */
export function rlockTarget(rlock: RLock, s: Int32Array): SpecTarget {
  return {
    object: rlock,
    unit: s,
    index: K.STATE,
    watchable: true,
    load: () => {
      const m = new RLockSpec();
      m.owner = REAL.load(s, K.OWNER);
      m.count = REAL.load(s, K.COUNT);
      return { lock: m };
    },
    open: (parts) => {
      const m = new RLockSpec();
      const was = parts.lock as RLockSpec;
      m.owner = was.owner;
      m.count = was.count;
      return m;
    },
    close: (parts, m) => {
      const was = parts.lock as RLockSpec;
      const now = m as RLockSpec;
      return now.owner === was.owner && now.count === was.count ? parts : { ...parts, lock: m };
    },
    mirror: (parts: Parts) => {
      const m = parts.lock as RLockSpec;
      REAL.store(s, K.STATE, m.owner !== 0 ? KL.LOCKED : KL.UNLOCKED);
      REAL.store(s, K.OWNER, m.owner);
      REAL.store(s, K.COUNT, m.count);
    },
  };
}
