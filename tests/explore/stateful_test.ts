/**
 * State caching (`explore(..., { reduce: "states" })`) is sound: on random programs and on the real
 * primitives' kernels it reaches exactly the final states plain depth-first search over every
 * schedule reaches, it kills every seeded mutant, it sees every state an `always` check can see, and
 * it covers the locked bank with far fewer executions than there are Mazurkiewicz traces.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import { type Condition, Event } from "../../mod.ts";
import { explore, type Scenario, sim } from "../../src/explore/mod.ts";
import { program, programs } from "./_programs.ts";
import { bank, tellers } from "./_bank.ts";
import { acquireAgainstHolder, guardedAdds, handOffState, writesUnderAlways } from "./_cases.ts";
import { MUTANTS } from "./_mutants.ts";

/**
 * What a search finds: the kind of its failure, or the final states (shared memory words and
 * thread results) it reaches, sorted. `"plain"`: every schedule; `"traces"`: optimal DPOR (itself
 * checked against brute force in `optimal_test.ts`); `"states"`: state caching.
 */
function finals<S>(
  scenario: Scenario<S>,
  reduce: "states" | "traces" | "plain",
  always = false,
): string[] {
  const seen = new Set<string>();
  const report = explore({
    ...scenario,
    invariant: (shared: S, results: unknown[]) => {
      seen.add(JSON.stringify({ shared: memory(shared), results }));
      return true;
    },
    // Every intermediate state too (a check after every step sees them all).
    ...always
      ? {
        always: (shared: S) => {
          seen.add(JSON.stringify(memory(shared)));
          return true;
        },
      }
      : {},
  }, reduce === "plain" ? { dpor: false } : { reduce });
  if (report.failure) return [`fails: ${report.failure.kind}`];
  assert.ok(report.complete, report.summary);
  return [...seen].sort();
}

/** The words of every shared buffer reachable from `shared` (one level deep is enough here). */
function memory(shared: unknown): number[][] {
  const out: number[][] = [];
  for (const v of Object.values(shared as Record<string, unknown>)) {
    const b = (v as { buffer?: unknown })?.buffer;
    if (b instanceof SharedArrayBuffer) out.push([...new Int32Array(b, 0, b.byteLength >> 2)]);
  }
  return out;
}

Deno.test("state caching reaches every state plain search reaches on random programs with waits, timeouts, aborts, CAS failures and spins", () => {
  let outcomes = 0;
  fc.assert(
    fc.property(programs(), (threads) => {
      const plain = finals(program(threads), "plain");
      assert.deepEqual(finals(program(threads), "states"), plain, JSON.stringify(threads));
      outcomes += plain.length;
      const every = finals(program(threads), "plain", true);
      assert.deepEqual(finals(program(threads), "states", true), every, JSON.stringify(threads));
    }),
    { numRuns: 200, seed: 1313 },
  );
  assert.ok(outcomes > 200, `only ${outcomes} outcomes`);
});

Deno.test("state caching reaches every final state optimal DPOR reaches on the real primitives' kernels", () => {
  type Ev = { ev: Event };
  type C = { cond: Condition; items: Int32Array };
  const cases: [string, Scenario<unknown>][] = [
    ["locked bank 2x1", bank(tellers(2, 1), true) as Scenario<unknown>],
    ["unlocked bank 3x1", bank(tellers(3, 1), false) as Scenario<unknown>],
    ["semaphore(1), 2 threads", guardedAdds() as Scenario<unknown>],
    ["an aborted lock acquire", acquireAgainstHolder("abort") as Scenario<unknown>],
    [
      "lock acquire with a timeout against a holder",
      acquireAgainstHolder("timeout") as Scenario<unknown>,
    ],
    ["event set against two waiters", {
      setup: () => ({ ev: new Event() }),
      threads: [function* waiter({ ev }: Ev) {
        yield* sim(ev).wait();
      }, function* impatient({ ev }: Ev) {
        try {
          yield* sim(ev).wait({ timeout: 1 });
          return "set";
        } catch {
          return "timed out";
        }
      }, function* setter({ ev }: Ev) {
        yield* sim(ev).set();
      }],
    } as Scenario<unknown>],
    ["condition notify against a consumer", {
      setup: handOffState,
      threads: [function* consumer({ cond, items }: C) {
        yield* sim(cond).acquire();
        while ((yield* sim(items).load(0)) === 0) yield* sim(cond).wait();
        yield* sim(items).sub(0, 1);
        yield* sim(cond).release();
      }, function* producer({ cond, items }: C) {
        yield* sim(cond).acquire();
        yield* sim(items).add(0, 1);
        yield* sim(cond).notify();
        yield* sim(cond).release();
      }],
    } as Scenario<unknown>],
  ];
  for (const [name, scenario] of cases) {
    const reference = finals(scenario, "traces");
    assert.deepEqual(finals(scenario, "states"), reference, name);
    assert.ok(!reference[0]!.startsWith("fails"), `${name}: ${reference[0]}`);
  }
});

Deno.test("state caching kills every seeded mutant while the real primitive passes", () => {
  for (const mutant of MUTANTS) {
    const real = explore(mutant.scenario(mutant.minimal, true), { reduce: "states" });
    assert.ok(real.ok && real.complete, `${mutant.name}: ${real.summary}`);
    const report = explore(mutant.scenario(mutant.minimal, false), { reduce: "states" });
    assert.equal(report.failure?.kind, mutant.kind, `${mutant.name}: ${report.summary}`);
  }
});

Deno.test("state caching reaches every state an always-check can see", () => {
  const report = explore(writesUnderAlways(), { reduce: "states" });
  assert.equal(report.failure?.kind, "invariant");
});

Deno.test("state caching proves the locked bank with fewer executions than it has Mazurkiewicz traces", () => {
  const scenario = bank(tellers(2, 2), true);
  const traces = explore(scenario);
  const states = explore(scenario, { reduce: "states" });
  assert.ok(traces.ok && traces.complete && states.ok && states.complete);
  assert.equal(states.distinctStates, traces.distinctStates);
  assert.ok(
    states.executions * 10 < traces.executions,
    `${states.executions} executions with state caching, ${traces.executions} traces`,
  );
});

Deno.test("state caching tells apart states that differ only in a buffer's odd last byte", () => {
  // Two stores of different values in either order reach states the threads' histories do not
  // tell apart: only the last byte of a 5-byte buffer (beyond its last whole 16-bit unit) does,
  // and the first thread's load afterwards sees which one it is.
  const scenario: Scenario<{ bytes: Uint8Array }> = {
    setup: () => ({ bytes: new Uint8Array(new SharedArrayBuffer(5)) }),
    threads: [
      function* one({ bytes }) {
        yield* sim(bytes).store(4, 1);
        return yield* sim(bytes).load(4);
      },
      function* two({ bytes }) {
        yield* sim(bytes).store(4, 2);
      },
    ],
  };
  const outcomes = (reduce: "states" | "plain") => {
    const seen = new Set<string>();
    const report = explore(
      {
        ...scenario,
        invariant: ({ bytes }, results) => (seen.add(`${bytes[4]}:${results[0]}`), true),
      },
      reduce === "plain" ? { dpor: false } : { reduce },
    );
    assert.ok(report.ok && report.complete, report.summary);
    return [...seen].sort();
  };
  assert.deepEqual(outcomes("plain"), ["1:1", "2:1", "2:2"]);
  assert.deepEqual(outcomes("states"), ["1:1", "2:1", "2:2"]);
});

Deno.test("state caching refuses what it cannot do soundly", () => {
  const scenario = bank(tellers(2, 1), true);
  assert.throws(
    () => explore(scenario, { reduce: "states", preemptionBound: 1 }),
    (e) => e instanceof RangeError && /preemption bound/.test(e.message),
  );
  assert.throws(
    () => explore(scenario, { reduce: "states", level: "spec" }),
    (e) => e instanceof RangeError && /kernel level/.test(e.message),
  );
  assert.throws(
    () => explore(scenario, { reduce: "sets" as "states" }),
    (e) => e instanceof RangeError && /'reduce'/.test(e.message),
  );
});
