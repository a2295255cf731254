/**
 * Optimal DPOR runs exactly one complete execution per Mazurkiewicz trace: on every scenario here,
 * the classes of a brute-force search over every schedule (`_traces.ts`, independent of the search
 * code) equal the classes of the executions the reduced search runs, one execution each, and both
 * reach the same outcomes.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import { type Condition, Event } from "../../mod.ts";
import { type Scenario, sim } from "../../src/explore/mod.ts";
import { program, programs } from "./_programs.ts";
import { bank, tellers } from "./_bank.ts";
import { acquireAgainstHolder, guardedAdds, handOffState, writesUnderAlways } from "./_cases.ts";
import { optimalOn } from "./_traces.ts";

Deno.test("optimal DPOR runs one execution per Mazurkiewicz trace of random programs with waits, timeouts, aborts, CAS failures and spins", () => {
  let schedules = 0;
  let traces = 0;
  fc.assert(
    fc.property(programs(), (threads) => {
      const r = optimalOn(JSON.stringify(threads), program(threads), 120);
      schedules += r.schedules;
      traces += r.traces;
    }),
    { numRuns: 300, seed: 4242 },
  );
  console.log(`  ${schedules} schedules fall into ${traces} traces, each explored once`);
  assert.ok(traces < schedules / 3, `${traces} traces of ${schedules} schedules`);
});

Deno.test("optimal DPOR runs one execution per Mazurkiewicz trace of the real primitives' kernels", () => {
  type C = { cond: Condition; items: Int32Array };
  type Ev = { ev: Event; n: Int32Array };
  const cases: [string, Scenario<unknown>][] = [
    ["locked bank 2x1", bank(tellers(2, 1), true) as Scenario<unknown>],
    ["unlocked bank 3x1", bank(tellers(3, 1), false) as Scenario<unknown>],
    ["semaphore(1), 2 threads", guardedAdds() as Scenario<unknown>],
    [
      "lock acquire with a timeout against a holder",
      acquireAgainstHolder("timeout") as Scenario<unknown>,
    ],
    ["an aborted lock acquire", acquireAgainstHolder("abort") as Scenario<unknown>],
    ["event set against a waiter", {
      setup: () => ({ ev: new Event(), n: new Int32Array(new SharedArrayBuffer(4)) }),
      threads: [function* waiter({ ev }: Ev) {
        yield* sim(ev).wait();
      }, function* setter({ ev }: Ev) {
        yield* sim(ev).set();
      }],
    } as Scenario<unknown>],
    ["condition wait with a timeout, against a store that does not notify", {
      setup: handOffState,
      threads: [
        function* consumer({ cond, items }: C) {
          yield* sim(cond).acquire();
          let waited = "no";
          if ((yield* sim(items).load(0)) === 0) {
            try {
              yield* sim(cond).wait({ timeout: 1 });
              waited = "notified";
            } catch {
              waited = "timed out";
            }
          }
          yield* sim(cond).release();
          return waited;
        },
        function* producer({ items }: C) {
          yield* sim(items).store(0, 1);
        },
      ],
    } as Scenario<unknown>],
  ];
  cases.push(["state rebuilt by setup() for every execution", {
    setup: () => ({ n: new Int32Array(new SharedArrayBuffer(8)), log: [] as number[] }),
    threads: [0, 1, 1].map((c) =>
      function* t({ n, log }: { n: Int32Array; log: number[] }) {
        log.push(yield* sim(n).add(c, 1));
        log.push(yield* sim(n).load(1 - c));
      }
    ),
  } as Scenario<unknown>]);
  for (const [name, scenario] of cases) {
    const r = optimalOn(name, scenario);
    console.log(`  ${name}: ${r.schedules} schedules, ${r.traces} traces, ${r.pruned} pruned`);
  }
});

Deno.test("optimal DPOR with an always-check explores every order of writes the check can see", () => {
  const r = optimalOn("two independent writes under always", writesUnderAlways());
  assert.equal(r.traces, 2);
});
