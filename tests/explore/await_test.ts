/**
 * Spin loops under the await rule (`src/explore/_await.ts`): a `pause` after a stretch of reads
 * with no side effect waits for another thread to change what was read. Spinning then multiplies
 * no schedules, and the bugs of spin loops are still found.
 */
import assert from "node:assert/strict";
import { explore, sample, type Scenario, sim } from "../../src/explore/mod.ts";
import { MUTANTS } from "./_mutants.ts";

type Words = { lock: Int32Array; n: Int32Array };

function words(n: number): Int32Array {
  return new Int32Array(new SharedArrayBuffer(4 * n));
}

/** A spin lock in user code around a read-modify-write of `n`; `broken` tests, then sets. */
function spinBank(threads: number, transfers: number, broken: boolean): Scenario<Words> {
  return {
    setup: () => ({ lock: words(1), n: words(1) }),
    threads: Array.from({ length: threads }, () =>
      function* teller({ lock, n }: Words) {
        for (let k = 0; k < transfers; k++) {
          if (broken) {
            while ((yield* sim(lock).load(0)) !== 0) yield* sim(lock).pause();
            yield* sim(lock).store(0, 1); // another thread may have taken it since the load
          } else {
            while ((yield* sim(lock).exchange(0, 1)) !== 0) yield* sim(lock).pause();
          }
          yield* sim(n).store(0, (yield* sim(n).load(0)) + 1);
          yield* sim(lock).store(0, 0);
        }
      }),
    invariant: ({ n }) => n[0] === threads * transfers || `n is ${n[0]}`,
  };
}

Deno.test("a spin-wait on a flag costs a few executions per write, however long it could spin", () => {
  const flag = (writes: number): Scenario<{ m: Int32Array }> => ({
    setup: () => ({ m: words(2) }),
    threads: [function* spinner({ m }) {
      while ((yield* sim(m).load(0)) < writes) yield* sim(m).pause();
    }, function* writer({ m }) {
      for (let k = 0; k < writes; k++) yield* sim(m).add(0, 1);
    }],
  });
  // The spinner looks once more before it awaits (an iteration must repeat before it counts as
  // a spin), then waits for the next write: the orders are bounded by the writes, not by the step
  // bound. Plain search also runs the looks' order against independent pauses.
  const cases = [[1, 3, 4], [2, 10, 18], [3, 34, 82]] as const;
  for (const [writes, reduced, plain] of cases) {
    for (const maxSteps of [30, 100_000]) {
      const report = explore(flag(writes), { maxSteps });
      assert.ok(report.ok && report.complete, report.summary);
      assert.equal(report.executions, reduced, `${writes} writes, maxSteps ${maxSteps}`);
      assert.equal(explore(flag(writes), { maxSteps, dpor: false }).executions, plain);
    }
  }
});

Deno.test("a test-and-set spin lock keeps its counter exact in every interleaving, with few executions", () => {
  for (const [threads, transfers] of [[2, 2], [3, 1]] as const) {
    const report = explore(spinBank(threads, transfers, false));
    assert.ok(report.ok, report.failure?.message);
    assert.equal(report.complete, true);
    assert.ok(report.executions < 200, report.summary);
  }
});

Deno.test("a spin lock that tests, then sets, loses an update, and every strategy still finds it", () => {
  const scenario = spinBank(2, 1, true);
  assert.equal(explore(scenario).failure?.kind, "invariant");
  assert.equal(explore(scenario, { preemptionBound: 2 }).failure?.kind, "invariant");
  for (const seed of [1, 2, 3]) {
    assert.equal(sample(scenario, { seed }).failure?.kind, "invariant", `seed ${seed}`);
  }
});

Deno.test("with the kernels' spin phases on (spin: 2) the real primitives pass and the mutants outside the sleeping path are still killed", () => {
  for (const mutant of MUTANTS) {
    const size = { threads: 2, rounds: 2 };
    const real = explore(mutant.scenario(size, true), { spin: 2, preemptionBound: 2 });
    assert.ok(real.ok, `${mutant.name}: ${real.failure?.message}`);
  }
  // The mutants whose bug does not need a thread to go to sleep while its rival still runs (the
  // others are found at the default spin: 0, see mutants_test.ts and _await.ts).
  for (const name of ["checks then sets", "sleeps on a word", "forgets its generation"]) {
    const mutant = MUTANTS.find((m) => m.name.includes(name))!;
    const report = explore(mutant.scenario({ threads: 2, rounds: 2 }, false), {
      spin: 2,
      preemptionBound: 2,
    });
    assert.equal(report.failure?.kind, mutant.kind, `${mutant.name}: ${report.summary}`);
  }
});

Deno.test("a pause that is not in a loop holds nobody: a thread awaits only once an iteration repeated", () => {
  // T0 reads x, pauses once, then writes y; T1 reads y. Nobody writes x, and still both orders of
  // T0's write and T1's read are explored.
  const report = explore<{ m: Int32Array }>({
    setup: () => ({ m: words(2) }),
    threads: [function* once({ m }) {
      yield* sim(m).load(0);
      yield* sim(m).pause();
      yield* sim(m).store(1, 1);
    }, function* reader({ m }) {
      return yield* sim(m).load(1);
    }],
  });
  assert.ok(report.ok && report.complete, report.summary);
  assert.equal(report.distinctStates, 2);
});
