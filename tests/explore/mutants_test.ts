/**
 * The explorer kills every mutant of `_mutants.ts` with a shrunk, replayable counterexample, while
 * the real primitive passes the same scenario.
 */
import assert from "node:assert/strict";
import { explore, replay, search } from "../../src/explore/mod.ts";
import { MUTANTS, type Sized, sizes } from "./_mutants.ts";

Deno.test("every mutant is killed with a shrunk, replayable counterexample while the real primitive passes", async (t) => {
  let killed = 0;
  for (const mutant of MUTANTS) {
    await t.step(mutant.name, () => {
      // The real primitive survives the same scenario at its minimal size and one size up.
      for (const size of [mutant.minimal, { threads: 2, rounds: 2 }]) {
        const real = explore(mutant.scenario(size, true), { preemptionBound: 2 });
        assert.ok(real.ok, `real primitive failed: ${real.failure?.message}`);
      }
      // fast-check finds the mutant's bug and shrinks the scenario and the schedule.
      const report = search(sizes.map((size) => mutant.scenario(size, false)), {
        seed: 1,
        numRuns: 500,
      });
      const failure = report.failure;
      assert.ok(failure, `${mutant.name} survived: ${report.summary}`);
      assert.equal(failure.kind, mutant.kind, failure.message);
      // Shrunk: fewest rounds, and at most one thread more than the smallest exposing size (the
      // shrinker may stop in a local minimum: fewer threads change what the schedule means).
      const size = (failure.scenario as Sized<unknown>).size;
      assert.equal(size.rounds, mutant.minimal.rounds, failure.message);
      assert.ok(size.threads <= Math.max(2, mutant.minimal.threads), failure.message);
      assert.ok(failure.trace.length <= 40, failure.message);
      assert.equal(failure.seed, 1);
      assert.equal(typeof failure.path, "string");
      // Replayable: the token reproduces the same interleaving and failure.
      const again = replay(failure.scenario as Sized<unknown>, failure.token);
      assert.equal(again.failure?.kind, mutant.kind);
      assert.deepEqual(again.failure?.trace, failure.trace);
      // Exhaustive search with iterative preemption bounding kills it too.
      const exhaustive = explore(mutant.scenario(mutant.minimal, false), { preemptionBound: 2 });
      assert.equal(exhaustive.failure?.kind, mutant.kind);
      killed++;
    });
  }
  console.log(`  mutants killed: ${killed}/${MUTANTS.length}`);
  assert.equal(killed, MUTANTS.length);
});
