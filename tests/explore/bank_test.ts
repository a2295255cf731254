import assert from "node:assert/strict";
import fc from "fast-check";
import { Value } from "../../mod.ts";
import {
  explore,
  replay,
  sample,
  type Scenario,
  search,
  sim,
  type TraceStep,
} from "../../src/explore/mod.ts";
import { type Bank, bank, type Teller, tellers } from "./_bank.ts";
import { optimalOn } from "./_traces.ts";
import { assertComplete } from "./_complete.ts";
import { test } from "../_portable/test.ts";

/** Generated unlocked banks: 1 to 4 tellers, 1 to 3 transactions each. */
const unlockedBanks = fc.array(
  fc.record({
    kind: fc.constantFrom<Teller["kind"]>("withdraw", "deposit"),
    transactions: fc.integer({ min: 1, max: 3 }),
  }),
  { minLength: 1, maxLength: 4 },
).map((ts) => bank(ts, false));

/** Thread switches between consecutive steps of a trace. */
function switches(trace: readonly TraceStep[]): number {
  let n = 0;
  for (let k = 1; k < trace.length; k++) if (trace[k]!.thread !== trace[k - 1]!.thread) n++;
  return n;
}

test("the unlocked bank's lost update is found and shrunk to 2 threads x 1 transaction in 100 of 100 seeds", () => {
  let found = 0;
  for (let seed = 1; seed <= 100; seed++) {
    const report = search(unlockedBanks, { seed, numRuns: 200 });
    const failure = report.failure;
    assert.ok(failure, `seed ${seed}: no failure found (${report.summary})`);
    found++;
    const scenario = failure.scenario as ReturnType<typeof bank>;
    assert.equal(failure.kind, "invariant", `seed ${seed}`);
    assert.equal(failure.seed, seed);
    assert.equal(typeof failure.path, "string");
    assert.equal(scenario.tellers.length, 2, `seed ${seed}: ${failure.message}`);
    assert.deepEqual(scenario.tellers.map((t) => t.transactions), [1, 1], `seed ${seed}`);
    assert.ok(switches(failure.trace) <= 2, `seed ${seed}: ${failure.message}`);
    assert.ok(failure.preemptions <= 2, `seed ${seed}`);
    // Both threads read the same balance: the lost update.
    assert.ok(losesUpdate(failure.trace, "balance.value"), failure.message);
    const reads = failure.trace.filter((s) => s.op === "load" && s.address === "balance.value");
    assert.equal(reads.length, 2, failure.message);
    assert.notEqual(reads[0]!.thread, reads[1]!.thread);
    assert.equal(reads[0]!.read, reads[1]!.read);
    assert.match(failure.message, /read balance\.value → 100[\s\S]*read balance\.value → 100/);
    assert.match(failure.message, /replay token: ix1:2:/);
    assert.match(failure.message, new RegExp(`fast-check: \\{ seed: ${seed}, path: "`));
    // The token replays the same interleaving.
    assert.deepEqual(replay(scenario, failure.token).failure?.trace, failure.trace);
  }
  assert.equal(found, 100);
});

test("the locked bank keeps its balance in every interleaving of 2 threads x 2 transactions", () => {
  const report = explore(bank(tellers(2, 2), true));
  console.log(`  ${report.summary}`);
  assert.ok(report.ok, report.failure?.message);
  assert.equal(report.complete, true);
  assert.equal(report.boundCompleted, Infinity);
  assert.ok(report.executions > 100, report.summary);
  assert.match(report.summary, /every interleaving covered/);
  assert.match(
    report.summary,
    new RegExp(`after ${report.executions.toLocaleString("en")} executions`),
  );
});

test("the locked bank's proof is checked against plain search: at 2 threads x 1 transaction, one execution per class of its 1,620 schedules", () => {
  const scenario = bank(tellers(2, 1), true);
  const report = explore(scenario);
  assert.ok(report.ok && report.complete, report.summary);
  const r = optimalOn("locked bank 2x1", scenario);
  assert.equal(r.schedules, 1620);
  assert.equal(r.traces, report.executions);
});

type Slow = { balance: Value<"i">; scratch: Int32Array };

test("the search is complete: for tellers whose read and write are 5 steps apart, DPOR reaches every outcome plain DFS reaches", () => {
  // Each teller reads the balance, makes 4 accesses of its own, then writes, and returns what it
  // read: which write each read saw hinges on races between steps far apart, which a reduction
  // that reversed only nearby races would miss while still reporting every interleaving covered.
  const slow: Scenario<Slow> = {
    setup: () => ({
      balance: new Value("i", 100),
      scratch: new Int32Array(new SharedArrayBuffer(8)),
    }),
    threads: [-1, +1].map((delta, k) =>
      function* teller({ balance, scratch }: Slow) {
        const b = sim(balance);
        const v = yield* b.get();
        for (let i = 0; i < 4; i++) yield* sim(scratch).load(k);
        yield* b.set(v + delta);
        return v;
      }
    ),
  };
  // [final balance, what the withdrawer read, what the depositor read]: one read the other's
  // write, or both read 100 and the last write wins (an update lost).
  const seen = assertComplete(slow, ({ balance }, read) => [balance.value, ...read]);
  assert.deepEqual(seen, ["[100,100,99]", "[100,101,100]", "[101,100,100]", "[99,100,100]"]);
});

test("the locked bank keeps its balance for 3 threads x 1 transaction up to preemption bound 3", () => {
  const report = explore(bank(tellers(3, 1), true), { preemptionBound: 3 });
  console.log(`  ${report.summary}`);
  assert.ok(report.ok, report.failure?.message);
  assert.equal(report.boundCompleted, 3);
  assert.deepEqual(report.bounds.map((b) => b.bound), [0, 1, 2, 3]);
  assert.ok(report.bounds.every((b) => b.finished));
  // Each bound admits strictly more schedules than the one before.
  for (let k = 1; k < 4; k++) {
    assert.ok(report.bounds[k]!.executions > report.bounds[k - 1]!.executions);
  }
});

test("the locked bank keeps its balance over 10,000 sampled schedules of 3 threads x 5 transactions each with PCT d=2, PCT d=3 and random walk", () => {
  const scenario = bank(tellers(3, 5), true);
  for (
    const options of [
      { strategy: "pct", depth: 2 },
      { strategy: "pct", depth: 3 },
      { strategy: "random" },
    ] as const
  ) {
    const report = sample(scenario, { ...options, runs: 10_000, seed: 2024 });
    assert.ok(report.ok, report.failure?.message);
    assert.equal(report.executions, 10_000);
    assert.ok(report.steps >= 10_000 * 3 * 5 * 4, report.summary);
  }
});

/** The stronger check: whenever the lock is free, the balance equals 100 + the committed deltas. */
function balancedWhileFree({ balance, lock, committed }: Bank): true | string {
  return lock.locked() || balance.value === 100 + committed[0]! ||
    `lock free but balance.value is ${balance.value}, expected ${100 + committed[0]!}`;
}

test("while the lock is free the balance equals its expected value after every step of 2 threads x 2 transactions", () => {
  const report = explore({ ...bank(tellers(2, 2), true), always: balancedWhileFree });
  assert.ok(report.ok, report.failure?.message);
  assert.equal(report.complete, true);
  // The same check catches the unlocked bank in the middle of a run, where the lock sits free.
  const broken = explore({ ...bank(tellers(2, 1), false), always: balancedWhileFree });
  assert.equal(broken.failure?.kind, "invariant");
  assert.match(broken.failure!.reason, /after step \d+: lock free but balance\.value is/);
});

/** Whether a trace loses an update: A reads x, B writes x, then A writes x. */
function losesUpdate(trace: readonly TraceStep[], address: string): boolean {
  for (const [k, read] of trace.entries()) {
    if (read.op !== "load" || read.address !== address) continue;
    const own = trace.findIndex((s, j) =>
      j > k && s.thread === read.thread && s.address === address && s.op === "store"
    );
    if (own < 0) continue;
    if (
      trace.slice(k + 1, own).some((s) =>
        s.thread !== read.thread && s.op === "store" && s.address === address
      )
    ) {
      return true;
    }
  }
  return false;
}

/** Two tellers of 11 transactions; withdraw's 6th one skips the lock (the needle). */
function needle() {
  return bank([
    { kind: "withdraw", transactions: 11, unlocked: [5] },
    { kind: "deposit", transactions: 11 },
  ], true);
}

test("a needle, one unlocked transaction among 10 locked ones, is found by preemption-bound-1 search", () => {
  const report = explore(needle(), { preemptionBound: 1 });
  const failure = report.failure;
  assert.ok(failure, report.summary);
  assert.equal(failure.kind, "invariant");
  assert.equal(failure.preemptions, 1);
  assert.deepEqual(report.bounds.map((b) => [b.bound, b.finished]), [[0, true], [1, false]]);
  assert.equal(report.boundCompleted, 0);
  assert.ok(losesUpdate(failure.trace, "balance.value"), failure.message);
  assert.deepEqual(replay(needle(), failure.token).failure?.trace, failure.trace);
});

test("a needle, one unlocked transaction among 10 locked ones, is found by the fast-check strategy", () => {
  for (const seed of [1, 2, 3, 4, 5]) {
    const report = search(needle(), { seed, numRuns: 2000 });
    assert.equal(report.failure?.kind, "invariant", `seed ${seed}: ${report.summary}`);
    assert.equal(report.failure!.seed, seed);
    assert.ok(losesUpdate(report.failure!.trace, "balance.value"), report.failure!.message);
  }
});
