/**
 * {@linkcode replay}: re-runs a failure's replay token.
 *
 * @module
 */
import { execute, type Execution } from "./_engine.ts";
import {
  common,
  failureOf,
  namesOf,
  ready,
  type Report,
  report,
  type RunOptions,
  within,
} from "./_run.ts";
import { Diverged, replayChooser } from "./_sample.ts";
import type { Scenario } from "./_scenario.ts";
import { decodeToken, ExplorationFailure } from "./_trace.ts";

/**
 * Re-runs the schedule of a replay token (from `failure.token`) on `scenario`.
 *
 * - The run is recorded twice and must agree with itself (else the failure is a divergence).
 * - If the token's recorded fingerprint differs from this run's, the thread bodies or the scenario
 *   changed since the token was made; the report's failure (if any) is still this run's.
 *
 * @param scenario The scenario the token came from.
 * @param token `failure.token`, e.g. `ix1:2:0.1.0.1:5f3a9c01`.
 * @param options Step bound, spin, reset.
 * @returns A report of one execution: `ok`, or the failure with its trace.
 * @throws {TypeError} if the token is malformed, of another version, or for another thread count.
 *
 * @example
 * ```ts
 * import { explore, replay, sim } from "@interlock/interlock/explore";
 * import assert from "node:assert/strict";
 *
 * const scenario = {
 *   setup: () => ({ n: new Int32Array(new SharedArrayBuffer(4)) }),
 *   threads: [0, 1].map(() =>
 *     function* inc({ n }: { n: Int32Array }) {
 *       yield* sim(n).store(0, (yield* sim(n).load(0)) + 1);
 *     }
 *   ),
 *   invariant: ({ n }: { n: Int32Array }) => n[0] === 2,
 * };
 * const found = explore(scenario).failure!;
 * const again = replay(scenario, found.token);
 * assert.equal(again.failure?.token, found.token);
 * assert.deepEqual(again.failure?.trace, found.trace);
 * ```
 */
export function replay<S>(scenario: Scenario<S>, token: string, options?: RunOptions): Report {
  const c = common("replay", options);
  const t = decodeToken(token);
  return within(c, () => {
    const p = ready(scenario, c);
    if (t.threads !== p.bodies.length) {
      throw new TypeError(
        `Cannot replay: the token is for ${t.threads} threads, the scenario has ${p.bodies.length}`,
      );
    }
    const start = performance.now();
    let ex: Execution;
    let failure: ExplorationFailure | undefined;
    try {
      ex = execute(p, replayChooser(t.choices), false);
      if (ex.ending !== "ok") failure = failureOf(p, ex, { strategy: "replay", scenario });
    } catch (e) {
      if (!(e instanceof Diverged)) throw e;
      ex = execute(p, replayChooser(t.choices.slice(0, e.step - 1)), true);
      failure = new ExplorationFailure("divergence", `the token ${e.message}`, ex, namesOf(ex), {
        strategy: "replay",
        scenario,
      });
    }
    return report("replay", {
      failure,
      executions: 1,
      steps: ex.steps,
      distinctStates: ex.ending === "ok" ? 1 : 0,
      elapsedMs: performance.now() - start,
    });
  });
}
