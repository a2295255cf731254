/**
 * `SimLock`: a `Lock` under the explorer.
 *
 * @module
 */
import * as K from "../../kernel/lock.ts";
import * as G from "../../kernel_gen/lock.ts";
import { ownerDiedError } from "../../sync/_robust.ts";
import { ACQUIRE, Lock, releaseError } from "../../sync/lock.ts";
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
 * A `Lock` under the explorer: `Lock`'s own kernel (`src/kernel/lock.ts`, derived) with
 * the blocking glue of `acquireSync`/`release`, robust as the class is: virtual thread `Tk` holds
 * it under its presence id {@linkcode agentOf}`(k)`, and a sleeper whose patience runs out (once a
 * thread was terminated, see `terminate`) probes the holder.
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
  readonly #s: Int32Array;

  /** Wraps `lock` (normally through {@linkcode sim}). */
  constructor(lock: Lock) {
    this.#s = words(lock, K.BYTES);
  }

  /**
   * Takes the lock, sleeping while it is held (as `acquireSync`, or as `acquire({ signal })` when
   * `abortable`).
   *
   * @throws {DOMException} named `TimeoutError` if a finite `timeout` fires first, `AbortError` if
   * the signal of an `abortable` call fires.
   */
  *acquire(options?: SimAcquireOptions): Step<void> {
    yield* acquireRobustly(ACQUIRE, options, this.#robust());
  }

  /**
   * Takes the lock if it is free; returns whether it did.
   *
   * @throws {OwnerDiedError} if the lock is abandoned.
   */
  *tryAcquire(): Step<boolean> {
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
    if (!(yield* G.release(SIM, this.#s, me()))) throw releaseError();
  }

  /** Whether any thread holds the lock. */
  *locked(): Step<boolean> {
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
