/**
 * `SimLock`: a `Lock` under the explorer.
 *
 * @module
 */
import { REAL } from "../../_atomics.ts";
import * as K from "../../kernel/lock.ts";
import * as G from "../../kernel_gen/lock.ts";
import { ACQUIRE, Lock, releaseError } from "../../sync/lock.ts";
import { SIM } from "../_engine.ts";
import { registerLayout, wordLayout } from "../_scenario.ts";
import { atSpecLevel, type Parts, type SpecTarget, TIMED_OUT } from "../_spec_step.ts";
import { LockSpec } from "../spec/lock.ts";
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
 * A {@linkcode Lock} under the explorer: `Lock`'s own kernel (`src/kernel/lock.ts`, derived) with
 * the blocking glue of `acquireSync`/`release`; at the specification level, each operation is one
 * step of {@linkcode LockSpec}.
 *
 * @example
 * ```ts
 * import { Lock } from "@interlock/interlock";
 * import { explore, sim } from "@interlock/interlock/explore";
 * import assert from "node:assert/strict";
 *
 * const report = explore({
 *   setup: () => ({ lock: new Lock(), inside: new Int32Array(new SharedArrayBuffer(4)) }),
 *   threads: [0, 1].map(() =>
 *     function* worker({ lock, inside }: { lock: Lock; inside: Int32Array }) {
 *       yield* sim(lock).acquire();
 *       const n = yield* sim(inside).add(0, 1);
 *       assert.equal(n, 0, "two threads inside the lock");
 *       yield* sim(inside).sub(0, 1);
 *       yield* sim(lock).release();
 *     }
 *   ),
 * });
 * assert.ok(report.ok && report.complete);
 * ```
 */
export class SimLock {
  readonly #lock: Lock;
  readonly #s: Int32Array;
  readonly #spec: SpecTarget;

  /** Wraps `lock` (normally through {@linkcode sim}). */
  constructor(lock: Lock) {
    this.#lock = lock;
    this.#s = words(lock, K.BYTES);
    this.#spec = lockTarget(lock, this.#s);
  }

  /**
   * Takes the lock, sleeping while it is held (as `acquireSync`, or as `acquire({ signal })` when
   * `abortable`).
   *
   * @throws {DOMException} named `TimeoutError` if a finite `timeout` fires first, `AbortError` if
   * the signal of an `abortable` call fires.
   */
  *acquire(options?: SimWaitOptions): Step<void> {
    if (atSpecLevel(this.#lock)) {
      const r = yield* specOp(this.#spec, "acquire", P.acquire, [], timed(ACQUIRE, options));
      if (r === TIMED_OUT) throw failed(ACQUIRE, options);
      return;
    }
    yield* acquireWith(ACQUIRE, options, G, this.#s);
  }

  /** Takes the lock if it is free; returns whether it did. */
  *tryAcquire(): Step<boolean> {
    if (atSpecLevel(this.#lock)) {
      return (yield* specOp(this.#spec, "tryAcquire", P.tryAcquire, [])) as boolean;
    }
    return yield* G.tryAcquire(SIM, this.#s);
  }

  /**
   * Releases the lock and wakes one sleeper.
   *
   * @throws {RuntimeError} if the lock is not held.
   */
  *release(): Step<void> {
    if (atSpecLevel(this.#lock)) {
      yield* specOp(this.#spec, "release", P.release, []);
      return;
    }
    if (!(yield* G.release(SIM, this.#s))) throw releaseError();
  }

  /** Whether any thread holds the lock. */
  *locked(): Step<boolean> {
    if (atSpecLevel(this.#lock)) {
      return (yield* specOp(this.#spec, "locked", P.locked, [])) as boolean;
    }
    return yield* G.locked(SIM, this.#s);
  }
}
registerLayout(Lock, () => wordLayout(K.FIELDS, K.BYTES));

const P = LockSpec.prototype;

/**
 * The specification-level state of `lock` (words `s`): part `lock`, a {@linkcode LockSpec}, kept in
 * step with the `state` word (LOCKED while held). A condition over the lock shares it.
 */
export function lockTarget(lock: Lock, s: Int32Array): SpecTarget {
  return {
    object: lock,
    unit: s,
    index: K.STATE,
    watchable: true,
    load: () => {
      const m = new LockSpec();
      m.held = REAL.load(s, K.STATE) !== K.UNLOCKED;
      return { lock: m };
    },
    open: (parts) => {
      const m = new LockSpec();
      m.held = (parts.lock as LockSpec).held;
      return m;
    },
    close: (parts, m) =>
      (m as LockSpec).held === (parts.lock as LockSpec).held ? parts : { ...parts, lock: m },
    mirror: (parts: Parts) => {
      REAL.store(s, K.STATE, (parts.lock as LockSpec).held ? K.LOCKED : K.UNLOCKED);
    },
  };
}
