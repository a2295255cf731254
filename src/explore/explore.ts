/**
 * {@linkcode explore}: exhaustive search with optimal dynamic partial-order reduction, optionally
 * under iterative preemption bounding.
 *
 * @module
 */
import type { Execution } from "./_engine.ts";
import { dfs } from "./_dfs.ts";
import { stateful } from "./_stateful.ts";
import {
  type BoundReport,
  common,
  failureOf,
  finalState,
  natural,
  Progress,
  ready,
  type Report,
  report,
  type RunOptions,
  within,
} from "./_run.ts";
import type { Scenario } from "./_scenario.ts";
import type { ExplorationFailure } from "./_trace.ts";

/** Options of {@linkcode explore}. */
export interface ExploreOptions extends RunOptions {
  /**
   * Iterative preemption bounding: search with at most 0, then 1, … up to this many preemptions per
   * execution, stopping early once a pass covered everything. `Infinity`: one unbounded pass.
   * @default {Infinity}
   */
  preemptionBound?: number;
  /**
   * Dynamic partial-order reduction: explore one schedule per class of equivalent ones (schedules
   * that differ only in the order of independent steps). `false` runs plain depth-first search
   * over every schedule (for small cases and cross-checks).
   * @default {true}
   */
  dpor?: boolean;
  /**
   * What the search identifies to avoid repeating work:
   *
   * - `"traces"`: optimal dynamic partial-order reduction (with `dpor: true`): one execution per
   *   class of equivalent schedules (Mazurkiewicz trace); stateless.
   * - `"states"`: state caching: every reachable state (shared memory, waiter lists, and each
   *   thread's local state, identified by the results its steps returned) is explored once, so
   *   schedules that reach one state by different paths (not just by swapping independent steps)
   *   are explored once from there. Covers the same final states and checks `always` at the same
   *   states; `executions` then counts runs up to a state seen before or to the end. Kernel level
   *   only (a specification-level step throws a `RangeError`), no preemption bound, and it keeps
   *   every state in memory. It assumes thread bodies share nothing but what the explorer sees.
   *   Each thread's local state is the history of results its code got (a completed `sim()` call
   *   counts as its return value), except that at a kernel's marked loop head (`Seam.at`: the
   *   `Lock` and `Semaphore` kernels mark their sleep loops) it is where the loop started plus the
   *   loop's live values, so a retry loop that ran more often is the same state: the locked bank
   *   at 2 threads x 3 transfers takes 52 runs instead of ~180,000 traces, and 3 x 2 completes
   *   (see bench/RESULTS.md).
   * @default {"traces"}
   *
   * @example Prove the locked bank visiting each state once
   * ```ts
   * import { Lock, Value } from "@interlock/interlock";
   * import { explore, sim } from "@interlock/interlock/explore";
   * import assert from "node:assert/strict";
   *
   * type Bank = { lock: Lock; balance: Value<"i"> };
   * const scenario = {
   *   setup: (): Bank => ({ lock: new Lock(), balance: new Value("i", 100, { lock: false }) }),
   *   threads: [-1, 1].map((delta) =>
   *     function* teller({ lock, balance }: Bank) {
   *       for (let n = 0; n < 2; n++) {
   *         yield* sim(lock).acquire();
   *         yield* sim(balance).set((yield* sim(balance).get()) + delta);
   *         yield* sim(lock).release();
   *       }
   *     }
   *   ),
   *   invariant: ({ balance }: Bank) => balance.value === 100,
   * };
   * const byStates = explore(scenario, { reduce: "states" });
   * const byTraces = explore(scenario);
   * assert.ok(byStates.ok && byStates.complete);
   * assert.ok(byStates.executions < byTraces.executions / 10);
   * ```
   */
  reduce?: "traces" | "states";
  /**
   * Stop after this many executions (the report then says the search is incomplete).
   * @default {1000000}
   */
  maxExecutions?: number;
}

/**
 * Explores every interleaving of `scenario` (up to a preemption bound if one is given) and reports
 * the first failure, or full coverage.
 *
 * - Exhaustive: with no bound and no failure, `report.complete` means every schedule was covered
 *   (up to equivalence: swapping independent steps changes nothing).
 * - With `preemptionBound: k`, passes run for bound 0, 1, …, k; `report.boundCompleted` is the
 *   highest bound searched in full, `report.bounds` lists each pass, and a failure is found with as
 *   few preemptions as possible.
 * - Stops at the first failure; `report.failure` holds its trace and replay token.
 *
 * @param scenario Shared state, threads and invariants.
 * @param options Bound, reduction, limits.
 * @returns The report.
 * @throws {TypeError | RangeError} for a malformed scenario or options.
 *
 * @example Prove a locked counter and break an unlocked one
 * ```ts
 * import { Lock } from "@interlock/interlock";
 * import { explore, sim } from "@interlock/interlock/explore";
 * import assert from "node:assert/strict";
 *
 * const counter = (locked: boolean) => ({
 *   setup: () => ({ lock: new Lock(), n: new Int32Array(new SharedArrayBuffer(4)) }),
 *   threads: [0, 1].map(() =>
 *     function* inc({ lock, n }: { lock: Lock; n: Int32Array }) {
 *       if (locked) yield* sim(lock).acquire();
 *       const v = yield* sim(n).load(0);
 *       yield* sim(n).store(0, v + 1);
 *       if (locked) yield* sim(lock).release();
 *     }
 *   ),
 *   invariant: ({ n }: { n: Int32Array }) => n[0] === 2,
 * });
 *
 * const proof = explore(counter(true));
 * assert.ok(proof.ok && proof.complete);
 * const bug = explore(counter(false), { preemptionBound: 2 });
 * assert.equal(bug.failure?.kind, "invariant");
 * assert.equal(bug.failure?.preemptions, 1);
 * ```
 */
export function explore<S>(scenario: Scenario<S>, options?: ExploreOptions): Report {
  const c = common("explore", options);
  const bound = natural("explore", "preemptionBound", options?.preemptionBound, Infinity, true);
  const maxExecutions = natural("explore", "maxExecutions", options?.maxExecutions, 1_000_000);
  const dpor = options?.dpor ?? true;
  if (typeof dpor !== "boolean") {
    throw new TypeError(`Cannot explore: 'dpor' must be a boolean, received ${typeof dpor}`);
  }
  const reduce = options?.reduce ?? "traces";
  if (reduce !== "traces" && reduce !== "states") {
    throw new RangeError(
      `Cannot explore: 'reduce' must be "traces" or "states", received ${String(reduce)}`,
    );
  }
  if (reduce === "states" && bound !== Infinity) {
    throw new RangeError(
      'Cannot explore: reduce: "states" searches without a preemption bound (drop one of them)',
    );
  }
  const pass = reduce === "states" ? stateful : dfs;
  return within(c, () => {
    const p = ready(scenario, c);
    const start = performance.now();
    const states = new Set<string>();
    const progress = new Progress(c.progress);
    const bounds: BoundReport[] = [];
    let failure: ExplorationFailure | undefined;
    let executions = 0;
    let steps = 0;
    let complete = false;
    let boundCompleted: number | undefined;
    const passes = bound === Infinity ? [Infinity] : Array.from({ length: bound + 1 }, (_, k) => k);
    for (const b of passes) {
      let failed: Execution | undefined;
      let ran = 0;
      const r = pass(p, {
        bound: b,
        dpor,
        maxExecutions: Math.max(1, maxExecutions - executions),
        onExecution: (ex) => {
          steps += ex.steps;
          if (ex.ending === "pruned") return false;
          ran++;
          if (ex.ending !== "ok") {
            failed = ex;
            return true;
          }
          states.add(finalState(p, ex));
          progress.tick(executions + ran, states.size, b === Infinity ? "" : `, bound ${b}`);
          return false;
        },
      });
      executions += ran;
      if (failed) {
        bounds.push({ bound: b, executions: ran, finished: false, complete: false });
        failure = failureOf(p, failed, {
          strategy: b === Infinity
            ? "exhaustive search"
            : `exhaustive search, preemption bound ${b}`,
          scenario,
        });
        break;
      }
      bounds.push({
        bound: b,
        executions: ran,
        finished: !r.limited,
        complete: !r.limited && !r.cut,
      });
      if (r.limited) break;
      boundCompleted = b;
      if (!r.cut) {
        complete = true;
        break;
      }
    }
    progress.done();
    return report("exhaustive", {
      failure,
      executions,
      steps,
      distinctStates: states.size,
      complete,
      boundCompleted,
      bounds,
      elapsedMs: performance.now() - start,
    });
  });
}
