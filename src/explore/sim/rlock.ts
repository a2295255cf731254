/**
 * `SimRLock`: an `RLock` under the explorer.
 *
 * @module
 */
import { REAL } from "../../_atomics.ts";
import * as KL from "../../kernel/lock.ts";
import * as K from "../../kernel/rlock.ts";
import * as G from "../../kernel_gen/rlock.ts";
import * as GC from "../../kernel_gen/condition.ts";
import { ownerDiedError } from "../../sync/_robust.ts";
import { ACQUIRE, releaseError, RLock } from "../../sync/rlock.ts";
import { currentThread, SIM } from "../_engine.ts";
import { registerLayout, wordLayout } from "../_scenario.ts";
import { atSpecLevel, type Parts, type SpecTarget, TIMED_OUT } from "../_spec_step.ts";
import { RLockSpec } from "../spec/lock.ts";
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
 * An `RLock` under the explorer: `RLock`'s kernel with the glue of `acquireSync`,
 * `release`, `owned` and `recursionCount`, robust as the class is (see {@linkcode SimLock}). Virtual
 * thread `Tk` is agent `k + 1`, and that is its presence id too. At the specification level, each
 * operation is one step of {@linkcode RLockSpec} (a holder that dies is not modelled there).
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
  *acquire(options?: SimAcquireOptions): Step<void> {
    if (atSpecLevel(this.#r)) {
      const r = yield* specOp(this.#spec, "acquire", P.acquire, [me()], timed(ACQUIRE, options));
      if (r === TIMED_OUT) throw failed(ACQUIRE, options);
      return;
    }
    yield* acquireRobustly(ACQUIRE, options, this.#robust());
  }

  /**
   * Takes the lock if it is free or held by this thread; returns whether it did.
   *
   * @throws {OwnerDiedError} if the lock is abandoned.
   */
  *tryAcquire(): Step<boolean> {
    if (atSpecLevel(this.#r)) return (yield* this.#op("tryAcquire", P.tryAcquire)) as boolean;
    const id = me();
    if (yield* G.tryAcquire(SIM, this.#s, id, id)) return true;
    if (yield* G.abandoned(SIM, this.#s)) throw ownerDiedError(ACQUIRE);
    return false;
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
    const id = me();
    let status = yield* G.release(SIM, this.#s, id, id);
    if (status === K.RELEASED) {
      // Wait morphing, as RLock.release: pay the wake-ups a notify owes once the lock is let go.
      if (owingWakes() && (yield* G.recursionCount(SIM, this.#s, id)) === 0) yield* payWakes();
      return;
    }
    // As RLock.release: "held by another agent" only if that agent lives.
    if (status === K.NOT_OWNER && (yield* G.probeHolder(SIM, this.#s, presenceRegistry()))) {
      status = K.OWNER_GONE;
    }
    throw releaseError(status);
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

  /** The running thread's view of the lock for the robust glue (as `RLock`'s private `#slow`). */
  #robust(): SimRobust {
    const s = this.#s;
    const id = me();
    return {
      ready: () => G.tryAcquire(SIM, s, id, id),
      acquire: (deadline) => G.acquire(SIM, s, id, id, deadline),
      probe: () => G.probeHolder(SIM, s, presenceRegistry()),
      takeOver: () => G.takeOver(SIM, s, id, id, 1),
      *giveUp() {
        yield* G.giveUp(SIM, s, id, id);
      },
    };
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
      // Held under the owner's presence id (the explorer's Tk has agent and presence id k + 1).
      REAL.store(s, K.STATE, m.owner !== 0 ? m.owner << 1 : KL.UNLOCKED);
      REAL.store(s, K.OWNER, m.owner);
      REAL.store(s, K.COUNT, m.count);
    },
  };
}

/** The wake-ups each virtual thread owes (`src/sync/_owed_wakes.ts`), per execution's threads. */
const owed = new WeakMap<object, { c: Int32Array; k: number }[]>();

/** Records that this thread owes `k` wake-ups on the condition words `c` (a `notify` later). */
export function oweWakes(c: Int32Array, k: number): void {
  const t = currentThread();
  const list = owed.get(t);
  if (list === undefined) owed.set(t, [{ c, k }]);
  else list.push({ c, k });
}

/** Whether this thread owes wake-ups (no step: the record is the thread's own). */
export function owingWakes(): boolean {
  return owed.has(currentThread());
}

/** Pays every wake-up this thread owes: one notify step each. */
export function* payWakes(): Step<void> {
  const t = currentThread();
  const list = owed.get(t);
  if (list === undefined) return;
  owed.delete(t);
  for (const { c, k } of list) yield* GC.wake(SIM, c, k);
}
