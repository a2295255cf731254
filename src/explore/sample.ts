/**
 * {@linkcode sample}: random executions (a portfolio of random walks and PCT, or one of them) from
 * a seed.
 *
 * @module
 */
import { execute } from "./_engine.ts";
import {
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
import { prng, sampler } from "./_sample.ts";
import type { Scenario } from "./_scenario.ts";
import type { ExplorationFailure } from "./_trace.ts";

/** Options of {@linkcode sample}. */
export interface SampleOptions extends RunOptions {
  /**
   * `"pct"`: probabilistic concurrency testing (random priorities, `depth - 1` priority change
   * points); `"random"`: a uniformly random enabled thread at every step; `"portfolio"`: runs take
   * turns between a random walk and PCT at each depth from 2 to `depth`, so bugs that need 2 or 3
   * ordering constraints are found with the defaults.
   * @default {"portfolio"}
   */
  strategy?: "portfolio" | "pct" | "random";
  /**
   * Executions to run.
   * @default {1000}
   */
  runs?: number;
  /**
   * PCT's bug depth d (how many ordering constraints the bug needs); 2 or 3 find most bugs. For
   * `"portfolio"`, the deepest PCT depth in its rotation (3 unless given); for `"pct"`, 2 unless
   * given.
   * @default {3}
   */
  depth?: number;
  /**
   * Seed of the random choices; printed with every failure. Random when not given.
   * @default {undefined}
   */
  seed?: number;
}

/**
 * Samples schedules of `scenario` at random: PCT with depth d (a bug of depth d is found with
 * probability at least 1/(n·k^(d−1)) per run, for n threads and k steps), a random walk, or (the
 * default) both in turn: a random walk, PCT depth 2, PCT depth 3, a random walk, …
 *
 * - Deterministic given `seed`; the seed, the run and its strategy, and a replay token are printed
 *   with every failure.
 * - Stops at the first failure.
 *
 * @param scenario Shared state, threads and invariants.
 * @param options Strategy, runs, depth, seed.
 * @returns The report.
 * @throws {TypeError | RangeError} for a malformed scenario or options.
 *
 * @example
 * ```ts
 * import { sample, sim } from "@interlock/interlock/explore";
 * import assert from "node:assert/strict";
 *
 * const report = sample({
 *   setup: () => ({ n: new Int32Array(new SharedArrayBuffer(4)) }),
 *   threads: [0, 1, 2].map(() =>
 *     function* inc({ n }: { n: Int32Array }) {
 *       yield* sim(n).add(0, 1);
 *     }
 *   ),
 *   invariant: ({ n }) => n[0] === 3,
 * }, { strategy: "pct", depth: 3, runs: 200, seed: 7 });
 * assert.ok(report.ok);
 * assert.equal(report.executions, 200);
 * ```
 */
export function sample<S>(scenario: Scenario<S>, options?: SampleOptions): Report {
  const c = common("sample", options);
  const strategy = options?.strategy ?? "portfolio";
  if (strategy !== "portfolio" && strategy !== "pct" && strategy !== "random") {
    throw new TypeError(
      `Cannot sample: 'strategy' must be "portfolio", "pct" or "random", received ${
        String(strategy)
      }`,
    );
  }
  const runs = natural("sample", "runs", options?.runs, 1000);
  const depth = natural("sample", "depth", options?.depth, strategy === "pct" ? 2 : 3);
  if (depth < 1) throw new RangeError("Cannot sample: 'depth' must be at least 1, received 0");
  const seed = options?.seed ?? Math.floor(Math.random() * 2 ** 31);
  if (!Number.isInteger(seed)) {
    throw new RangeError(`Cannot sample: 'seed' must be an integer, received ${seed}`);
  }
  return within(c, () => {
    const p = ready(scenario, c);
    const start = performance.now();
    const random = prng(seed);
    const states = new Set<string>();
    const progress = new Progress(c.progress);
    const n = p.bodies.length;
    let k = 16;
    let steps = 0;
    let executions = 0;
    let failure: ExplorationFailure | undefined;
    for (let run = 0; run < runs; run++) {
      const { choose, label } = sampler(strategy, depth, run, random, n, k);
      const ex = execute(p, choose, false);
      executions++;
      steps += ex.steps;
      if (ex.steps > k) k = ex.steps;
      if (ex.ending !== "ok") {
        failure = failureOf(p, ex, { strategy: label, seed, scenario });
        break;
      }
      states.add(finalState(p, ex));
      progress.tick(executions, states.size, "");
    }
    progress.done();
    return report(strategy, {
      failure,
      executions,
      steps,
      distinctStates: states.size,
      elapsedMs: performance.now() - start,
    });
  });
}
