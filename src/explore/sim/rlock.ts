/**
 * `SimRLock`: an `RLock` under the explorer.
 *
 * @module
 */
import * as K from "../../kernel/rlock.ts";
import * as G from "../../kernel_gen/rlock.ts";
import { ACQUIRE, releaseError, RLock } from "../../sync/rlock.ts";
import { SIM } from "../_engine.ts";
import { registerLayout, wordLayout } from "../_scenario.ts";
import { me, type SimWaitOptions, type Step, waitOrThrow, words } from "./_common.ts";

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
  *acquire(options?: SimWaitOptions): Step<void> {
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
    return yield* G.tryAcquire(SIM, this.#s, me());
  }

  /**
   * Releases one level of this thread's hold.
   *
   * @throws {RuntimeError} if the lock is unheld or held by another thread.
   */
  *release(): Step<void> {
    const status = yield* G.release(SIM, this.#s, me());
    if (status !== K.RELEASED) throw releaseError(status);
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
}
registerLayout(RLock, () => wordLayout(K.FIELDS, K.BYTES));
