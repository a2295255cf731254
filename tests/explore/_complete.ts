/**
 * A check that a proof searched what it claims to: exhaustive search with partial-order reduction
 * must reach every distinct final state that plain depth-first search over every schedule reaches
 * (on scenarios small enough for the latter). The proofs in this folder print "every interleaving
 * covered"; a reduction that skipped some reversals would print the same, so each proof file also
 * runs this cross-check on a scenario whose outcomes hinge on races between distant steps.
 *
 * @module
 */
import assert from "node:assert/strict";
import { explore, type Level, type Scenario } from "../../src/explore/mod.ts";

/** The distinct final states `scenario` reaches, by `state`, with or without reduction. */
export function outcomes<S>(
  scenario: Scenario<S>,
  state: (shared: S, results: unknown[]) => unknown,
  dpor: boolean,
  level: Level = "kernel",
): string[] {
  const seen = new Set<string>();
  const report = explore({
    ...scenario,
    invariant: (shared: S, results: unknown[]) => {
      seen.add(JSON.stringify(state(shared, results)));
      return true;
    },
  }, { dpor, level });
  assert.ok(report.ok, report.failure?.message);
  assert.ok(report.complete, `${dpor ? "DPOR" : "plain DFS"} did not finish: ${report.summary}`);
  return [...seen].sort();
}

/**
 * Throws unless DPOR reaches exactly the final states plain DFS reaches; returns them (a test
 * also checks they are the ones it expects, so a scenario cannot pass by having one outcome).
 */
export function assertComplete<S>(
  scenario: Scenario<S>,
  state: (shared: S, results: unknown[]) => unknown,
  level: Level = "kernel",
): string[] {
  const plain = outcomes(scenario, state, false, level);
  assert.deepEqual(
    outcomes(scenario, state, true, level),
    plain,
    "DPOR missed outcomes plain DFS reaches",
  );
  return plain;
}

/**
 * The outcomes of `scenario` at the specification level: those plain DFS reaches there, which must
 * be those of the kernel level.
 */
export function sameAtBothLevels<S>(
  scenario: Scenario<S>,
  state: (shared: S, results: unknown[]) => unknown,
): string[] {
  const spec = assertComplete(scenario, state, "spec");
  assert.deepEqual(outcomes(scenario, state, true, "kernel"), spec, "the levels disagree");
  return spec;
}
