/**
 * Differential tests of the exhaustive search: partial-order reduction (with and without a
 * preemption bound) must reach exactly the outcomes that plain depth-first search over every
 * schedule reaches.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import type { Condition } from "../../mod.ts";
import { dfs } from "../../src/explore/_dfs.ts";
import { finalState } from "../../src/explore/_run.ts";
import { prepare } from "../../src/explore/_scenario.ts";
import { type Scenario, sim } from "../../src/explore/mod.ts";
import { bank, tellers } from "./_bank.ts";
import { guardedAdds, handOffState } from "./_cases.ts";
import { KINDS, program, programs as randomPrograms } from "./_programs.ts";
import { test } from "../_portable/test.ts";

/** Random programs without spin loops (`optimal_test.ts` has those). */
const programs = randomPrograms(KINDS.filter((k) => k !== "spin" && k !== "rewait"));

/** Every outcome (ending, final memory, thread results, who still sleeps) and the executions run. */
function outcomes<S>(scenario: Scenario<S>, dpor: boolean, bound: number) {
  const p = prepare(scenario, { maxSteps: 1000, reset: "auto" });
  const seen = new Set<string>();
  let executions = 0;
  dfs(p, {
    bound,
    dpor,
    maxExecutions: 1e6,
    onExecution: (ex) => {
      if (ex.ending === "pruned") return false;
      executions++;
      seen.add(`${ex.ending}:${finalState(p, ex)}:${ex.threads.map((t) => t.status).join("")}`);
      return false;
    },
  });
  return { seen: [...seen].sort(), executions };
}

test("DPOR reaches exactly the outcomes of plain DFS on random programs, with and without a preemption bound", () => {
  let plain = 0;
  let reduced = 0;
  fc.assert(
    fc.property(programs, (threads) => {
      for (const bound of [Infinity, 0, 1, 2]) {
        const a = outcomes(program(threads), false, bound);
        const b = outcomes(program(threads), true, bound);
        assert.deepEqual(b.seen, a.seen, `bound ${bound}`);
        assert.ok(b.executions <= a.executions, `bound ${bound}`);
        if (bound === Infinity) {
          plain += a.executions;
          reduced += b.executions;
        }
      }
    }),
    { numRuns: 250, seed: 42 },
  );
  console.log(
    `  plain DFS ${plain} executions, DPOR ${reduced} (${(plain / reduced).toFixed(1)}x fewer)`,
  );
  assert.ok(reduced < plain / 2);
});

test("DPOR reaches exactly the outcomes of plain DFS on the real primitives' kernels", () => {
  type C = { cond: Condition; items: Int32Array };
  // [name, scenario, bounds]: unbounded plain DFS of the condition runs ~280,000 executions (7 s),
  // so it is compared up to 2 preemptions.
  const cases: [string, Scenario<unknown>, number[]?][] = [
    ["locked bank 2x1", bank(tellers(2, 1), true) as Scenario<unknown>],
    ["unlocked bank 3x1", bank(tellers(3, 1), false) as Scenario<unknown>],
    ["semaphore(1), 2 threads", guardedAdds() as Scenario<unknown>],
    ["condition, 1 consumer 1 producer", {
      setup: handOffState,
      threads: [
        function* consumer({ cond, items }: C) {
          yield* sim(cond).acquire();
          while ((yield* sim(items).load(0)) === 0) yield* sim(cond).wait();
          yield* sim(cond).release();
        },
        function* producer({ cond, items }: C) {
          yield* sim(cond).acquire();
          yield* sim(items).store(0, 1);
          yield* sim(cond).notify();
          yield* sim(cond).release();
        },
      ],
    } as Scenario<unknown>, [1, 2]],
  ];
  for (const [name, scenario, bounds = [Infinity, 1]] of cases) {
    for (const bound of bounds) {
      const a = outcomes(scenario, false, bound);
      const b = outcomes(scenario, true, bound);
      assert.deepEqual(b.seen, a.seen, `${name}, bound ${bound}`);
      assert.ok(b.executions <= a.executions, `${name}, bound ${bound}`);
    }
  }
});
