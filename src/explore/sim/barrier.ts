/**
 * `SimBarrier`: a `Barrier` under the explorer.
 *
 * @module
 */
import { REAL } from "../../_atomics.ts";
import { BrokenBarrierError } from "../../errors.ts";
import * as K from "../../kernel/barrier.ts";
import * as G from "../../kernel_gen/barrier.ts";
import { deadlineOf } from "../../options.ts";
import { Barrier, WAIT, waitError } from "../../sync/barrier.ts";
import { SIM } from "../_engine.ts";
import { registerLayout, wordLayout } from "../_scenario.ts";
import {
  abortably,
  aborted,
  failed,
  isGenerator,
  type SimWaitOptions,
  type Step,
  words,
} from "./_common.ts";

/** Options of {@linkcode SimBarrier.wait}. */
export interface SimBarrierWaitOptions extends SimWaitOptions {
  /**
   * The barrier's action, run by the last party of each generation before the others are released
   * (the class keeps its own action private, so pass it here). May be a generator function.
   * @default {undefined}
   */
  action?: () => void | Generator<unknown, void, unknown>;
}

/**
 * A `Barrier` under the explorer: the barrier kernel with the glue of `waitSync`,
 * `abort`, `reset`, `broken` and `nWaiting`.
 *
 * @example
 * ```ts
 * import { Barrier } from "@interlock/interlock";
 * import { explore, sim } from "@interlock/interlock/explore";
 * import assert from "node:assert/strict";
 *
 * const report = explore({
 *   setup: () => ({ gate: new Barrier(2) }),
 *   threads: [0, 1].map(() =>
 *     function* party({ gate }: { gate: Barrier }) { return yield* sim(gate).wait(); }
 *   ),
 *   invariant: (_, indexes) => [...indexes].sort().join() === "0,1",
 * });
 * assert.ok(report.ok && report.complete);
 * ```
 */
export class SimBarrier {
  readonly #b: Int32Array;
  readonly #parties: number;
  /** The default timeout stored with the barrier (written once, before it is shared). */
  readonly #timeout: number;

  /** Wraps `barrier` (normally through {@linkcode sim}). */
  constructor(barrier: Barrier) {
    this.#b = words(barrier, K.BYTES);
    this.#parties = barrier.parties;
    this.#timeout = K.timeout(REAL, this.#b);
  }

  /**
   * Waits until all parties arrived; returns this party's index (0 … parties − 1). Without a
   * `timeout`, the default stored with the barrier applies (as in `waitSync`): a finite one makes
   * "the timeout fires" a scheduling choice.
   *
   * @throws {BrokenBarrierError} if the barrier is or gets broken or reset.
   * @throws {DOMException} named `TimeoutError` if the timeout fires before this party entered.
   */
  *wait(options?: SimBarrierWaitOptions): Step<number> {
    if (options?.timeout === undefined && this.#timeout !== Infinity) {
      options = { ...options, timeout: this.#timeout };
    }
    const deadline = deadlineOf(WAIT, options);
    const ticket = yield* abortably(G.arrive(SIM, this.#b, this.#parties, deadline), options);
    if (ticket < 0) throw failure(ticket, options);
    const index = ticket % K.TICKET_GEN;
    if (index === this.#parties - 1) {
      let actionFailed = false;
      let error: unknown;
      const action = options?.action;
      if (action) {
        try {
          const r = action();
          if (isGenerator(r)) yield* r;
        } catch (e) {
          actionFailed = true;
          error = e;
        }
      }
      const result = yield* G.complete(SIM, this.#b, ticket, !actionFailed);
      if (actionFailed) throw error;
      if (result !== K.RELEASED) throw new BrokenBarrierError();
      return index;
    }
    const result = yield* abortably(G.awaitRelease(SIM, this.#b, ticket, deadline), options);
    if (result !== K.RELEASED) throw failure(result, options);
    return index;
  }

  /** Breaks the barrier. */
  *abort(): Step<void> {
    yield* G.abort(SIM, this.#b);
  }

  /** Returns the barrier to a fresh generation. */
  *reset(): Step<void> {
    yield* G.reset(SIM, this.#b);
  }

  /** Whether the barrier is broken. */
  *broken(): Step<boolean> {
    return yield* G.broken(SIM, this.#b);
  }

  /** How many parties wait in the current generation. */
  *nWaiting(): Step<number> {
    return yield* G.nWaiting(SIM, this.#b);
  }
}
registerLayout(Barrier, () => wordLayout(K.FIELDS, K.BYTES));

/** The error of a failed wait: `Barrier`'s own, or an `AbortError` if the signal fired. */
function failure(code: number, options: SimBarrierWaitOptions | undefined): unknown {
  return aborted(options) ? failed(WAIT, options) : waitError(code, options);
}
