/**
 * `SimCondition`: a `Condition` under the explorer.
 *
 * @module
 */
import * as K from "../../kernel/condition.ts";
import * as KLock from "../../kernel/lock.ts";
import * as KRLock from "../../kernel/rlock.ts";
import * as G from "../../kernel_gen/condition.ts";
import * as GLock from "../../kernel_gen/lock.ts";
import {
  checkBegin,
  checkNotifyCount,
  checkPredicate,
  Condition,
  notOwnerError,
  retookError,
  WAIT,
} from "../../sync/condition.ts";
import { RLock } from "../../sync/rlock.ts";
import { deadlineOf } from "../../options.ts";
import { currentThread, SIM } from "../_engine.ts";
import { registerLayout, wordLayout } from "../_scenario.ts";
import { atSpecLevel, type Parts, type SpecTarget } from "../_spec_step.ts";
import { ConditionSpec } from "../spec/condition.ts";
import type { LockSpec, RLockSpec } from "../spec/lock.ts";
import {
  abortably,
  acquireRobustly,
  failed,
  isGenerator,
  me,
  patient,
  presenceRegistry,
  type SimAcquireOptions,
  type SimRobust,
  type SimWaitOptions,
  specOp,
  type Step,
  words,
  wrapperOf,
} from "./_common.ts";
import { lockTarget, SimLock } from "./lock.ts";
import { oweWakes, owingWakes, payWakes, rlockTarget, SimRLock } from "./rlock.ts";

/**
 * A `Condition` under the explorer: the condition kernel with the glue of `waitSync`,
 * `waitForSync`, `notify` and `notifyAll`, over a {@linkcode SimLock} or {@linkcode SimRLock} of its
 * lock. A `waitFor` predicate may be a plain function or a generator function (to read shared state
 * with `sim(...)` steps).
 *
 * @example
 * ```ts
 * import { Condition, Lock } from "@interlock/interlock";
 * import { explore, sim } from "@interlock/interlock/explore";
 * import assert from "node:assert/strict";
 *
 * type S = { cond: Condition; box: Int32Array };
 * const report = explore({
 *   setup: (): S => ({ cond: new Condition(new Lock()), box: new Int32Array(new SharedArrayBuffer(4)) }),
 *   threads: [
 *     function* consumer({ cond, box }: S) {
 *       const c = sim(cond);
 *       yield* c.acquire();
 *       yield* c.waitFor(function* () { return (yield* sim(box).load(0)) === 1; });
 *       yield* c.release();
 *     },
 *     function* producer({ cond, box }: S) {
 *       const c = sim(cond);
 *       yield* c.acquire();
 *       yield* sim(box).store(0, 1);
 *       yield* c.notify();
 *       yield* c.release();
 *     },
 *   ],
 * });
 * assert.ok(report.ok && report.complete);
 * ```
 */
export class SimCondition {
  readonly #condition: Condition;
  readonly #c: Int32Array;
  readonly #lk: Int32Array;
  readonly #reentrant: boolean;
  readonly #lock: SimLock | SimRLock;
  readonly #spec: SpecTarget;

  /** Wraps `condition` (normally through {@linkcode sim}). */
  constructor(condition: Condition) {
    const lock = condition.lock;
    this.#condition = condition;
    this.#c = words(condition, K.BYTES);
    this.#reentrant = lock instanceof RLock;
    this.#lk = words(lock, this.#reentrant ? KRLock.BYTES : KLock.BYTES);
    this.#lock = lock instanceof RLock
      ? wrapperOf(lock, (l) => new SimRLock(l))
      : wrapperOf(lock, (l) => new SimLock(l));
    this.#spec = conditionTarget(
      condition,
      lock instanceof RLock ? rlockTarget(lock, this.#lk) : lockTarget(lock, this.#lk),
    );
  }

  /** Whether this condition (that is, its lock) runs at the specification level. */
  #atSpec(): boolean {
    return atSpecLevel(this.#condition.lock);
  }

  /** Takes the condition's lock (see {@linkcode SimLock.acquire}). */
  *acquire(options?: SimAcquireOptions): Step<void> {
    yield* this.#lock.acquire(options);
  }

  /** Releases the condition's lock. */
  *release(): Step<void> {
    yield* this.#lock.release();
  }

  /**
   * Releases the lock, sleeps until notified, and takes the lock again (as `waitSync`).
   *
   * @throws {RuntimeError} if this thread does not hold the lock.
   * @throws {DOMException} named `TimeoutError` if a finite `timeout` fires first (the lock is held
   * again).
   */
  *wait(options?: SimWaitOptions): Step<void> {
    const deadline = deadlineOf(WAIT, options);
    if (!(yield* this.#wait(deadline, options))) throw failed(WAIT, options);
  }

  /**
   * One wait, as `Condition`'s private `#waitSync` (or, `abortable`, `#wait`): begin, sleep, then
   * take the lock back robustly (taking it over, and throwing, if its holder died).
   */
  *#wait(deadline: number, options: SimWaitOptions | undefined): Step<boolean> {
    const id = me();
    if (this.#atSpec()) {
      const limited = deadline !== Infinity || options?.abortable === true;
      return (yield* specOp(this.#spec, "wait", P.wait, [id], limited)) as boolean;
    }
    const reentrant = this.#reentrant;
    const ticket = yield* G.begin(SIM, this.#c, this.#lk, reentrant, id, id);
    checkBegin(ticket.status, reentrant);
    if (owingWakes()) yield* payWakes(); // the lock is let go: pay what a notify owes
    // Over an RLock, production sleeps in naps (src/sync/_owed_wakes.ts): here a nap ends only
    // as a patient sleep does, once a thread was terminated (a finite or abortable wait may time
    // out anyway, which covers its naps).
    const napping = reentrant && deadline === Infinity && options?.abortable !== true;
    const notified = napping
      ? yield* this.#naps(ticket.seq)
      : yield* abortably(G.sleep(SIM, this.#c, ticket.seq, deadline, false), options);
    // Without the signal: the lock must be held again even after an abort.
    let died = false;
    const retaking = this.#retaking(id, ticket.saved);
    yield* acquireRobustly(WAIT, { onOwnerDied: () => void (died = true) }, retaking);
    if (died) throw retookError();
    return notified;
  }

  /**
   * The naps of an untimed wait over an RLock, as `napSync` (`src/sync/_owed_wakes.ts`). A nap that
   * runs out of patience probes nobody, so the terminations it noticed stay unprobed for the
   * robust retake that follows (which production also ends by its own patience).
   */
  *#naps(seq: number): Step<boolean> {
    const t = currentThread();
    const probedAt = t.probedAt;
    for (;;) {
      if (yield* patient(G.sleep(SIM, this.#c, seq, Infinity, true))) {
        t.probedAt = probedAt;
        return true;
      }
    }
  }

  /** Taking the lock back after a wait, for the robust glue (as `Condition`'s `#retaking`). */
  #retaking(id: number, saved: number): SimRobust {
    const lk = this.#lk;
    const reentrant = this.#reentrant;
    return {
      acquire: (deadline) => G.end(SIM, lk, reentrant, id, id, saved, deadline),
      probe: () => GLock.probeHolder(SIM, lk, presenceRegistry()),
      takeOver: () => G.takeOver(SIM, lk, reentrant, id, id, saved),
      *giveUp() {}, // its onOwnerDied never throws
    };
  }

  /**
   * Waits until `predicate` is truthy (checked first, then after every wake-up), as
   * `waitForSync`; returns its last value.
   *
   * @throws {RuntimeError} if this thread does not hold the lock.
   * @throws {DOMException} named `TimeoutError` if the timeout fires while the predicate is falsy.
   */
  *waitFor<T>(
    predicate: () => T | Generator<unknown, T, unknown>,
    options?: SimWaitOptions,
  ): Step<T> {
    checkPredicate(WAIT, predicate);
    const deadline = deadlineOf(WAIT, options);
    const owns = this.#atSpec()
      ? (yield* specOp(this.#spec, "owns", P.owns, [me()])) as boolean
      : yield* G.owns(SIM, this.#lk, this.#reentrant, me());
    if (!owns) throw notOwnerError(WAIT, this.#reentrant);
    const test = function* (): Step<T> {
      const r = predicate();
      return isGenerator(r) ? yield* r as Generator<unknown, T, unknown> : r as T;
    };
    let result = yield* test();
    while (!result) {
      const notified = yield* this.#wait(deadline, options);
      result = yield* test();
      if (!notified && !result) throw failed(WAIT, options);
    }
    return result;
  }

  /**
   * Wakes up to `n` waiters. Call with the lock held.
   *
   * @throws {RuntimeError} if this thread does not hold the lock.
   */
  *notify(n?: number): Step<void> {
    if (n === undefined) n = 1;
    checkNotifyCount(n);
    yield* this.#notify(n);
  }

  /** Wakes every waiter. Call with the lock held. */
  *notifyAll(): Step<void> {
    yield* this.#notify(Infinity);
  }

  *#notify(n: number): Step<void> {
    if (this.#atSpec()) {
      yield* specOp(this.#spec, n === Infinity ? "notifyAll" : "notify", P.notify, [me(), n]);
      return;
    }
    // Over an RLock the wake-ups wait for this thread to let the lock go (as `Condition`).
    const later = this.#reentrant;
    const k = yield* G.notify(SIM, this.#c, this.#lk, later, me(), n, later);
    if (k < 0) throw notOwnerError("notify", later);
    if (later && k > 0) oweWakes(this.#c, k);
  }
}
registerLayout(Condition, () => wordLayout(K.FIELDS, K.BYTES));

const P = ConditionSpec.prototype;
const ids = new WeakMap<Condition, string>();
let conditions = 0;

/**
 * The specification-level state of `condition`: it shares its lock's unit (`lock`, the lock's
 * part), and adds its own part (registered waiters and unclaimed tokens), which starts empty in
 * every execution (no thread waits before the threads start).
 */
function conditionTarget(condition: Condition, lock: SpecTarget): SpecTarget {
  let part = ids.get(condition);
  if (part === undefined) {
    part = `condition${++conditions}`;
    ids.set(condition, part);
  }
  return {
    object: condition,
    unit: lock.unit,
    index: lock.index,
    watchable: false,
    load: lock.load,
    open: (parts) => {
      const m = new ConditionSpec(lock.open(parts) as LockSpec | RLockSpec);
      const mine = parts[part] as { waiting: number; tokens: number } | undefined;
      if (mine !== undefined) {
        m.waiting = mine.waiting;
        m.tokens = mine.tokens;
      }
      return m;
    },
    close: (parts, m) => {
      const c = m as ConditionSpec;
      const withLock = lock.close(parts, c.lock);
      const mine = parts[part] as { waiting: number; tokens: number } | undefined;
      if (mine?.waiting === c.waiting && mine.tokens === c.tokens) return withLock;
      if (mine === undefined && c.waiting === 0 && c.tokens === 0) return withLock;
      return { ...withLock, [part]: { waiting: c.waiting, tokens: c.tokens } };
    },
    mirror: (parts: Parts) => lock.mirror!(parts),
  };
}
