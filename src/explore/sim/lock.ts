/**
 * `SimLock`: a `Lock` under the explorer.
 *
 * @module
 */
import { REAL } from "../../_atomics.ts";
import * as K from "../../kernel/lock.ts";
import * as G from "../../kernel_gen/lock.ts";
import { ownerDiedError } from "../../sync/_robust.ts";
import { ACQUIRE, Lock, releaseError } from "../../sync/lock.ts";
import { SIM } from "../_engine.ts";
import { registerLayout, wordLayout } from "../_scenario.ts";
import { atSpecLevel, type Parts, type SpecTarget, TIMED_OUT } from "../_spec_step.ts";
import { LockSpec } from "../spec/lock.ts";
import {
  acquireRobustly,
  failed,
  me,
  presenceRegistry,
  type SimAcquireOptions,
  type SimRobust,
  specOp,
  type Step,
  timed,
  words,
} from "./_common.ts";

/**
 * A `Lock` under the explorer: `Lock`'s own kernel (`src/kernel/lock.ts`, derived) with
 * the blocking glue of `acquireSync`/`release`, robust as the class is: virtual thread `Tk` holds
 * it under its presence id {@linkcode agentOf}`(k)`, and a sleeper whose patience runs out (once a
 * thread was terminated, see `terminate`) probes the holder. At the specification level, each
 * operation is one step of {@linkcode LockSpec}, which does not model a holder that dies: a
 * thread terminated holding the lock keeps it held (its waiters then deadlock, reported as such);
 * explore robust scenarios at the kernel level.
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
  *acquire(options?: SimAcquireOptions): Step<void> {
    if (atSpecLevel(this.#lock)) {
      const r = yield* specOp(this.#spec, "acquire", P.acquire, [], timed(ACQUIRE, options));
      if (r === TIMED_OUT) throw failed(ACQUIRE, options);
      return;
    }
    yield* acquireRobustly(ACQUIRE, options, this.#robust());
  }

  /**
   * Takes the lock if it is free; returns whether it did.
   *
   * @throws {OwnerDiedError} if the lock is abandoned.
   */
  *tryAcquire(): Step<boolean> {
    if (atSpecLevel(this.#lock)) {
      return (yield* specOp(this.#spec, "tryAcquire", P.tryAcquire, [])) as boolean;
    }
    if (yield* G.tryAcquire(SIM, this.#s, me())) return true;
    if (yield* G.abandoned(SIM, this.#s)) throw ownerDiedError(ACQUIRE);
    return false;
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
    if (!(yield* G.release(SIM, this.#s, me()))) throw releaseError();
  }

  /** Whether any thread holds the lock. */
  *locked(): Step<boolean> {
    if (atSpecLevel(this.#lock)) {
      return (yield* specOp(this.#spec, "locked", P.locked, [])) as boolean;
    }
    return yield* G.locked(SIM, this.#s);
  }

  /** The running thread's view of the lock for the robust glue (as `Lock`'s private `#slow`). */
  #robust(): SimRobust {
    const s = this.#s;
    const who = me();
    return {
      ready: () => G.tryAcquire(SIM, s, who),
      acquire: (deadline) => G.acquire(SIM, s, who, deadline),
      probe: () => G.probeHolder(SIM, s, presenceRegistry()),
      takeOver: () => G.takeOver(SIM, s, who),
      *giveUp() {
        yield* G.giveUp(SIM, s, who);
      },
    };
  }
}
registerLayout(Lock, () => wordLayout(K.FIELDS, K.BYTES));

const P = LockSpec.prototype;

/**
 * The state word of a lock held at the specification level, which names no holder: HELD by the id
 * just below ABANDONED, which no thread has (only `locked()` and the kernel-level views read it).
 */
const SPEC_HELD = (K.ABANDONED - 1) << 1;

/**
 * The specification-level state of `lock` (words `s`): part `lock`, a {@linkcode LockSpec}, kept in
 * step with the `state` word (SPEC_HELD while held). A condition over the lock shares it.
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
      REAL.store(s, K.STATE, (parts.lock as LockSpec).held ? SPEC_HELD : K.UNLOCKED);
    },
  };
}
