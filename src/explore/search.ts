/**
 * {@linkcode search}: fast-check over schedules (and generated scenarios), shrinking a failure.
 *
 * @module
 */
import fc, { type Arbitrary } from "fast-check";
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
import { scheduleChooser } from "./_sample.ts";
import type { Ready, Scenario } from "./_scenario.ts";
import type { ExplorationFailure } from "./_trace.ts";

/**
 * A fast-check arbitrary of scenarios, as `fc.record(...).map(toScenario)` returns: the shape
 * {@linkcode search} needs (any `fc.Arbitrary<Scenario<S>>` fits).
 */
export interface ScenarioArbitrary<S> {
  /** fast-check's generator. */
  generate(...args: never[]): unknown;
  /** fast-check's shrinker. */
  shrink(...args: never[]): unknown;
  /** fast-check's context-free shrink check; its type guard carries the scenario type. */
  canShrinkWithoutContext(value: unknown): value is Scenario<S>;
}

/** Options of {@linkcode search}. */
export interface SearchOptions extends RunOptions {
  /**
   * fast-check runs (generated scenario and schedule pairs) before shrinking.
   * @default {1000}
   */
  numRuns?: number;
  /**
   * fast-check seed; printed with every failure. Random when not given.
   * @default {undefined}
   */
  seed?: number;
  /**
   * fast-check path, to replay a counterexample printed earlier (with its `seed`).
   * @default {undefined}
   */
  path?: string;
  /**
   * Longest schedule generated: how many scheduling decisions (steps where ≥ 2 threads can move)
   * a schedule controls; later decisions keep the running thread.
   * @default {200}
   */
  maxChoices?: number;
}

function isArbitrary(x: unknown): x is Arbitrary<unknown> {
  return x instanceof fc.Arbitrary ||
    typeof (x as { generate?: unknown })?.generate === "function" &&
      typeof (x as { shrink?: unknown })?.shrink === "function";
}

/**
 * Searches schedules with fast-check: the schedule is a plain, shrinkable array of numbers (at each
 * step where at least two threads can move, 0 keeps the running thread and c switches to the c-th
 * other one), and the scenario may be an arbitrary too, so a failure shrinks to few threads, few
 * steps and few context switches.
 *
 * - `scenarios` is a scenario or a fast-check `Arbitrary` of scenarios (e.g. `fc.record(...)` of
 *   thread counts and transactions, `.map`ped to a scenario).
 * - The failure carries fast-check's seed and path (`failure.seed`, `failure.path`), the shrunk
 *   scenario (`failure.scenario`) and schedule (`failure.schedule`), and a replay token.
 *
 * @param scenarios A scenario or an arbitrary of scenarios.
 * @param options fast-check runs, seed, path; schedule length.
 * @returns The report; `executions` counts every run, shrinking included.
 * @throws {TypeError | RangeError} for a malformed scenario or options.
 *
 * @example Find and shrink a lost update in generated banks
 * ```ts
 * import fc, { type Arbitrary } from "fast-check";
 * import { search, sim, type Scenario } from "@interlock/interlock/explore";
 * import assert from "node:assert/strict";
 *
 * type Bank = { balance: Int32Array };
 * const bank = (deltas: number[]): Scenario<Bank> => ({
 *   setup: () => ({ balance: new Int32Array(new SharedArrayBuffer(4)).fill(100) }),
 *   threads: deltas.map((delta) =>
 *     function* teller({ balance }: Bank) {
 *       const v = yield* sim(balance).load(0);
 *       yield* sim(balance).store(0, v + delta);
 *     }
 *   ),
 *   invariant: ({ balance }) =>
 *     balance[0] === 100 + deltas.reduce((a, b) => a + b, 0),
 * });
 *
 * const report = search(
 *   fc.array(fc.constantFrom(-1, 1), { minLength: 1, maxLength: 4 }).map(bank),
 *   { seed: 1 },
 * );
 * assert.equal(report.failure?.threads, 2);
 * assert.equal(report.failure?.seed, 1);
 * ```
 */
export function search<S>(
  scenarios: Scenario<S> | ScenarioArbitrary<S>,
  options?: SearchOptions,
): Report {
  const c = common("search", options);
  const numRuns = natural("search", "numRuns", options?.numRuns, 1000);
  const maxChoices = natural("search", "maxChoices", options?.maxChoices, 200);
  const seed = options?.seed;
  if (seed !== undefined && !Number.isInteger(seed)) {
    throw new RangeError(`Cannot search: 'seed' must be an integer, received ${seed}`);
  }
  const path = options?.path;
  if (path !== undefined && typeof path !== "string") {
    throw new TypeError(`Cannot search: 'path' must be a string, received ${typeof path}`);
  }
  const arb = (isArbitrary(scenarios) ? scenarios : fc.constant(scenarios)) as Arbitrary<
    Scenario<S>
  >;
  return within(c, () => {
    const start = performance.now();
    const prepared = new WeakMap<Scenario<S>, Ready>();
    const readyOf = (s: Scenario<S>) => {
      let p = prepared.get(s);
      if (!p) {
        p = ready(s, c);
        prepared.set(s, p);
      }
      return p;
    };
    const states = new Set<string>();
    const progress = new Progress(c.progress);
    let executions = 0;
    let steps = 0;
    const schedule = fc.array(fc.nat({ max: 15 }), { maxLength: maxChoices, size: "max" });
    const property = fc.property(arb, schedule, (s, choices) => {
      const p = readyOf(s);
      const ex = execute(p, scheduleChooser(choices), false);
      executions++;
      steps += ex.steps;
      if (ex.ending !== "ok") return false;
      states.add(finalState(p, ex));
      progress.tick(executions, states.size, "");
      return true;
    });
    const details = fc.check(property, {
      numRuns,
      ...(seed === undefined ? {} : { seed }),
      ...(path === undefined ? {} : { path }),
    });
    progress.done();
    let failure: ExplorationFailure | undefined;
    if (details.failed) {
      if (details.counterexample === null) throw details.errorInstance;
      const [s, choices] = details.counterexample;
      const p = readyOf(s);
      const ex = execute(p, scheduleChooser(choices), false);
      if (ex.ending === "ok") {
        throw details.errorInstance ?? new Error("Cannot reproduce the counterexample");
      }
      failure = failureOf(p, ex, {
        strategy: `fast-check after ${details.numRuns} runs and ${details.numShrinks} shrinks`,
        seed: details.seed,
        path: details.counterexamplePath ?? undefined,
        schedule: choices,
        scenario: s,
      });
    }
    return report("fast-check", {
      failure,
      executions,
      steps,
      distinctStates: states.size,
      elapsedMs: performance.now() - start,
    });
  });
}
