/**
 * `SimRLock`: an `RLock` under the explorer.
 *
 * @module
 */
import * as K from "../../kernel/rlock.ts";
import * as G from "../../kernel_gen/rlock.ts";
import { ownerDiedError } from "../../sync/_robust.ts";
import { ACQUIRE, releaseError, RLock } from "../../sync/rlock.ts";
import { SIM } from "../_engine.ts";
import { registerLayout, wordLayout } from "../_scenario.ts";
import {
  acquireRobustly,
  me,
  presenceRegistry,
  type SimAcquireOptions,
  type SimRobust,
  type Step,
  words,
} from "./_common.ts";

/**
 * An `RLock` under the explorer: `RLock`'s kernel with the glue of `acquireSync`,
 * `release`, `owned` and `recursionCount`, robust as the class is (see {@linkcode SimLock}). Virtual
 * thread `Tk` is agent `k + 1`, and that is its presence id too.
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
  readonly #s: Int32Array;

  /** Wraps `rlock` (normally through {@linkcode sim}). */
  constructor(rlock: RLock) {
    this.#s = words(rlock, K.BYTES);
  }

  /**
   * Takes the lock (one more level if this thread holds it).
   *
   * @throws {DOMException} named `TimeoutError` if a finite `timeout` fires first.
   */
  *acquire(options?: SimAcquireOptions): Step<void> {
    yield* acquireRobustly(ACQUIRE, options, this.#robust());
  }

  /**
   * Takes the lock if it is free or held by this thread; returns whether it did.
   *
   * @throws {OwnerDiedError} if the lock is abandoned.
   */
  *tryAcquire(): Step<boolean> {
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
    const id = me();
    let status = yield* G.release(SIM, this.#s, id, id);
    if (status === K.RELEASED) return;
    // As RLock.release: "held by another agent" only if that agent lives.
    if (status === K.NOT_OWNER && (yield* G.probeHolder(SIM, this.#s, presenceRegistry()))) {
      status = K.OWNER_GONE;
    }
    throw releaseError(status);
  }

  /** Whether any thread holds the lock. */
  *locked(): Step<boolean> {
    return yield* G.locked(SIM, this.#s);
  }

  /** Whether this thread holds the lock. */
  *owned(): Step<boolean> {
    return yield* G.owned(SIM, this.#s, me());
  }

  /** This thread's recursion count (0 unless it holds the lock). */
  *recursionCount(): Step<number> {
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
