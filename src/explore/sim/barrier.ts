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
import { atSpecLevel, type Parts, type SpecTarget, TIMED_OUT } from "../_spec_step.ts";
import { BarrierSpec } from "../spec/barrier.ts";
import {
  abortably,
  aborted,
  failed,
  isGenerator,
  type SimWaitOptions,
  specOp,
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
  readonly #barrier: Barrier;
  readonly #b: Int32Array;
  readonly #parties: number;
  readonly #spec: SpecTarget;
  /** The default timeout stored with the barrier (written once, before it is shared). */
  readonly #timeout: number;

  /** Wraps `barrier` (normally through {@linkcode sim}). */
  constructor(barrier: Barrier) {
    this.#barrier = barrier;
    this.#b = words(barrier, K.BYTES);
    this.#parties = barrier.parties;
    this.#spec = barrierTarget(barrier, this.#b);
    this.#timeout = K.timeout(REAL, this.#b);
  }

  /** The barrier's own steps: kernel functions, or at the specification level `BarrierSpec`'s. */
  #arrive(deadline: number, options: SimBarrierWaitOptions | undefined): Step<number> {
    if (!atSpecLevel(this.#barrier)) {
      return abortably(G.arrive(SIM, this.#b, this.#parties, deadline), options);
    }
    return this.#specWait(P.arrive, [], deadline, options, K.TIMED_OUT_ENTERING);
  }

  #complete(ticket: number, ok: boolean): Step<number> {
    if (!atSpecLevel(this.#barrier)) return G.complete(SIM, this.#b, ticket, ok);
    return specOp(this.#spec, "wait", P.complete, [ticket, ok]) as Step<number>;
  }

  #awaitRelease(
    ticket: number,
    deadline: number,
    options: SimBarrierWaitOptions | undefined,
  ): Step<number> {
    if (!atSpecLevel(this.#barrier)) {
      return abortably(G.awaitRelease(SIM, this.#b, ticket, deadline), options);
    }
    return this.#specWait(P.released, [ticket], deadline, options, -1, ticket);
  }

  /**
   * A specification-level wait: `fn` with `args`; on timeout, `timedOut` (the status a timeout
   * gives before entering) or, for a party inside (`ticket`), `BarrierSpec.timedOut`.
   */
  *#specWait(
    fn: (this: BarrierSpec, ...args: never[]) => unknown,
    args: unknown[],
    deadline: number,
    options: SimBarrierWaitOptions | undefined,
    timedOut: number,
    ticket?: number,
  ): Step<number> {
    const limited = deadline !== Infinity || options?.abortable === true;
    const r = yield* specOp(this.#spec, "wait", fn, args, limited);
    if (r !== TIMED_OUT) return r as number;
    if (ticket === undefined) return timedOut;
    return (yield* specOp(this.#spec, "wait", P.timedOut, [ticket])) as number;
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
    const ticket = yield* this.#arrive(deadline, options);
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
      const result = yield* this.#complete(ticket, !actionFailed);
      if (actionFailed) throw error;
      if (result !== K.RELEASED) throw new BrokenBarrierError();
      return index;
    }
    const result = yield* this.#awaitRelease(ticket, deadline, options);
    if (result !== K.RELEASED) throw failure(result, options);
    return index;
  }

  /** Breaks the barrier. */
  *abort(): Step<void> {
    if (atSpecLevel(this.#barrier)) yield* specOp(this.#spec, "abort", P.abort, []);
    else yield* G.abort(SIM, this.#b);
  }

  /** Returns the barrier to a fresh generation. */
  *reset(): Step<void> {
    if (atSpecLevel(this.#barrier)) yield* specOp(this.#spec, "reset", P.reset, []);
    else yield* G.reset(SIM, this.#b);
  }

  /** Whether the barrier is broken. */
  *broken(): Step<boolean> {
    if (atSpecLevel(this.#barrier)) {
      return (yield* specOp(this.#spec, "broken", P.broken, [])) as boolean;
    }
    return yield* G.broken(SIM, this.#b);
  }

  /** How many parties wait in the current generation. */
  *nWaiting(): Step<number> {
    if (atSpecLevel(this.#barrier)) {
      return (yield* specOp(this.#spec, "nWaiting", P.nWaiting, [])) as number;
    }
    return yield* G.nWaiting(SIM, this.#b);
  }
}

const P = BarrierSpec.prototype;

/** The specification-level state of `barrier` (words `b`): part `barrier`, kept in `state`. */
function barrierTarget(barrier: Barrier, b: Int32Array): SpecTarget {
  const copy = (was: BarrierSpec) => {
    const m = new BarrierSpec(was.parties);
    m.phase = was.phase;
    m.count = was.count;
    m.generation = was.generation;
    return m;
  };
  return {
    object: barrier,
    unit: b,
    index: K.STATE,
    watchable: true,
    load: () => {
      const v = REAL.load(b, K.STATE);
      const m = new BarrierSpec(REAL.load(b, K.PARTIES));
      m.phase = K.phaseOf(v);
      m.count = K.countOf(v);
      m.generation = K.generationOf(v);
      return { barrier: m };
    },
    open: (parts) => copy(parts.barrier as BarrierSpec),
    close: (parts, m) => {
      const was = parts.barrier as BarrierSpec;
      const now = m as BarrierSpec;
      return now.phase === was.phase && now.count === was.count &&
          now.generation === was.generation
        ? parts
        : { ...parts, barrier: m };
    },
    mirror: (parts: Parts) => {
      const m = parts.barrier as BarrierSpec;
      REAL.store(b, K.STATE, K.pack(m.generation, m.count, m.phase));
    },
  };
}
registerLayout(Barrier, () => wordLayout(K.FIELDS, K.BYTES));

/** The error of a failed wait: `Barrier`'s own, or an `AbortError` if the signal fired. */
function failure(code: number, options: SimBarrierWaitOptions | undefined): unknown {
  return aborted(options) ? failed(WAIT, options) : waitError(code, options);
}
