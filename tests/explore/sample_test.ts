/**
 * `sample()` with its defaults finds the classic bugs: the mutants of `_mutants.ts` (among them the
 * check-then-set lock, whose lost update needs three ordering constraints) and the unlocked bank's
 * lost update, on every seed tried.
 */
import assert from "node:assert/strict";
import { sample } from "../../src/explore/mod.ts";
import { bank, tellers } from "./_bank.ts";
import { MUTANTS } from "./_mutants.ts";

const SEEDS = Array.from({ length: 10 }, (_, k) => k + 1);

Deno.test("sample() with its defaults finds every mutant's bug on every seed, at the smallest size and one size up", () => {
  const runs: number[] = [];
  for (const mutant of MUTANTS) {
    for (const size of [mutant.minimal, { threads: 2, rounds: 2 }]) {
      for (const seed of SEEDS) {
        const report = sample(mutant.scenario(size, false), { seed });
        assert.equal(
          report.failure?.kind,
          mutant.kind,
          `${mutant.name}, ${JSON.stringify(size)}, seed ${seed}: ${report.summary}`,
        );
        assert.match(
          report.failure!.message,
          /portfolio run \d+: (random walk|PCT \(depth [23]\))/,
        );
        runs.push(report.executions);
      }
    }
  }
  runs.sort((a, b) => a - b);
  console.log(
    `  runs to the first failure: median ${runs[runs.length >> 1]}, max ${runs.at(-1)} (of 1,000)`,
  );
});

Deno.test("sample() with its defaults finds the unlocked bank's lost update on every seed", () => {
  for (const seed of SEEDS) {
    const report = sample(bank(tellers(2, 1), false), { seed });
    assert.equal(report.failure?.kind, "invariant", `seed ${seed}: ${report.summary}`);
  }
});

Deno.test("PCT at depth 2 alone misses the check-then-set lock's lost update, which is why the default is a portfolio", () => {
  const checkThenSet = MUTANTS.find((m) => m.name === "a lock that checks then sets without CAS")!;
  const scenario = checkThenSet.scenario(checkThenSet.minimal, false);
  for (const seed of SEEDS.slice(0, 5)) {
    const shallow = sample(scenario, { strategy: "pct", depth: 2, runs: 2000, seed });
    assert.ok(shallow.ok, `seed ${seed}: PCT depth 2 found it after all (${shallow.summary})`);
    const deep = sample(scenario, { strategy: "pct", depth: 3, runs: 2000, seed });
    assert.equal(deep.failure?.kind, "invariant", `seed ${seed}: ${deep.summary}`);
  }
});
