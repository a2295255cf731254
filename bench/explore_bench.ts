/**
 * The interleaving explorer's speed: what one simulated step and one execution cost against the
 * same work done by production code, how fast the strategies cover the seed's bank, and how long the
 * lost update takes to find and shrink.
 *
 * Situations modelled:
 * - "step": one shared access under the simulator (a thread doing 1,000 `add`s, one execution) against
 *   the same 1,000 `Atomics.add` calls in production: the price of making every access a scheduling
 *   point.
 * - "locked bank execution": one complete execution of the seed's locked bank, 2 threads x 2
 *   transactions (`Lock` and `Value` kernels through the simulated seam, random schedule), against
 *   the same 4 transactions run by production code on one thread.
 * - "exhaustive 2x2": proving every interleaving of the locked 2x2 bank with partial-order
 *   reduction, against plain depth-first search cut off at the same number of executions (which
 *   covers only a sliver of the schedules).
 * - "lost update": fast-check finding and shrinking the unlocked bank's race (generated scenario),
 *   against a random walk that only finds it (no shrinking).
 *
 * - "derived user code": the same locked bank as the functions its workers run
 *   (`examples/bank/accounts.ts`' `withdrawLocked`/`depositLocked`, derived at load time by
 *   `loadModule`), against the hand-written generator scenario above (random walk); the report
 *   adds a plain-memory program (a spinlock around a plain counter, `tests/explore/user_programs/`)
 *   against its hand-written `sim()` form, and gives steps/s side by side with their ratio.
 *
 * - "executions vs scenario size" (the report's chart): executions needed to cover every
 *   interleaving of the locked bank, 2 threads x 1, 2, 3 transactions, with partial-order reduction,
 *   with plain depth-first search, and with DPOR up to 2 preemptions (counts, capped at `--cap`).
 *
 * Run: `deno bench --allow-read --allow-env --allow-sys bench/explore_bench.ts` for the groups, and
 * `deno run --allow-read --allow-env --allow-sys --allow-write bench/explore_bench.ts [--cap 50000]
 * [--charts DIR]` for the report behind `bench/RESULTS.md` (## Explorer): steps/s, executions/s,
 * distinct interleavings/s, time to the first counterexample including shrinking, coverage counts
 * and bounds completed, and `bench/charts/explore_size.svg` (+ `.json`). Figures use process CPU
 * time (`process.cpuUsage`), which a machine shared with other jobs disturbs less than wall time.
 *
 * @module
 */
import process from "node:process";
import fc from "fast-check";
import { Lock, Value } from "../mod.ts";
import { execute } from "../src/explore/_engine.ts";
import { prng, randomWalk } from "../src/explore/_sample.ts";
import { prepare } from "../src/explore/_scenario.ts";
import {
  explore,
  loadModule,
  type Report,
  sample,
  type Scenario,
  search,
  sim,
} from "../src/explore/mod.ts";
import { chartsDir, writeChart } from "./_chart.ts";
import { spread } from "./_stats.ts";

interface Bank {
  balance: Value<"i">;
  lock: Lock;
}

/** The seed's bank: `threads` tellers alternately withdrawing and depositing 1. */
function bank(locked: boolean, threads: number, transactions: number): Scenario<Bank> {
  return {
    setup: () => ({ balance: new Value("i", 100, { lock: false }), lock: new Lock() }),
    threads: Array.from({ length: threads }, (_, k) => {
      const delta = k % 2 === 0 ? -1 : 1;
      return function* teller({ balance, lock }: Bank) {
        for (let n = 0; n < transactions; n++) {
          if (locked) yield* sim(lock).acquire();
          yield* sim(balance).set((yield* sim(balance).get()) + delta);
          if (locked) yield* sim(lock).release();
        }
      };
    }),
    invariant: ({ balance }) => balance.value === 100 - (threads % 2) * transactions,
  };
}

/** Generated unlocked banks (1-4 tellers of 1-3 transactions each), for fast-check to shrink. */
const unlockedBanks = fc.array(
  fc.record({ delta: fc.constantFrom(-1, 1), transactions: fc.integer({ min: 1, max: 3 }) }),
  { minLength: 1, maxLength: 4 },
).map((tellers): Scenario<Bank> => ({
  setup: () => ({ balance: new Value("i", 100, { lock: false }), lock: new Lock() }),
  threads: tellers.map(({ delta, transactions }) =>
    function* teller({ balance }: Bank) {
      for (let n = 0; n < transactions; n++) {
        yield* sim(balance).set((yield* sim(balance).get()) + delta);
      }
    }
  ),
  invariant: ({ balance }) =>
    balance.value === 100 + tellers.reduce((s, t) => s + t.delta * t.transactions, 0),
}));

const adder: Scenario<{ m: Int32Array }> = {
  setup: () => ({ m: new Int32Array(new SharedArrayBuffer(64)) }),
  threads: [function* adder({ m }) {
    const s = sim(m);
    for (let k = 0; k < 1000; k++) yield* s.add(0, 1);
  }],
};

// --- deno bench groups ---------------------------------------------------------------------------

const words = new Int32Array(new SharedArrayBuffer(64));

Deno.bench({
  name: "1,000 Atomics.add (production)",
  group: "step",
  baseline: true,
  fn: () => {
    for (let k = 0; k < 1000; k++) Atomics.add(words, 0, 1);
  },
});

Deno.bench({
  name: "1,000 simulated add steps (one execution)",
  group: "step",
  fn: () => {
    sample(adder, { runs: 1, seed: 1, strategy: "random" });
  },
});

const real = { balance: new Value("i", 100, { lock: false }), lock: new Lock() };

Deno.bench({
  name: "4 locked transactions, production (Lock + Value)",
  group: "locked bank execution",
  baseline: true,
  fn: () => {
    for (const delta of [-1, 1, -1, 1]) {
      real.lock.acquireSync();
      real.balance.value = real.balance.value + delta;
      real.lock.release();
    }
  },
});

const locked2x2 = bank(true, 2, 2);

Deno.bench({
  name: "100 explorer executions of the 2x2 locked bank (random walk)",
  group: "locked bank execution",
  fn: () => {
    sample(locked2x2, { runs: 100, seed: 1, strategy: "random" });
  },
});

Deno.bench({
  name: "every interleaving of the 2x2 locked bank (DPOR)",
  group: "exhaustive 2x2",
  baseline: true,
  n: 10,
  fn: () => {
    const r = explore(locked2x2);
    if (!r.complete) throw new Error(r.summary);
  },
});

Deno.bench({
  name: "plain DFS, same number of executions (incomplete)",
  group: "exhaustive 2x2",
  n: 10,
  fn: () => {
    explore(locked2x2, { dpor: false, maxExecutions: 3680 });
  },
});

let seed = 0;

Deno.bench({
  name: "fast-check: find and shrink (generated scenario)",
  group: "lost update",
  baseline: true,
  fn: () => {
    if (!search(unlockedBanks, { seed: ++seed }).failure) throw new Error("not found");
  },
});

Deno.bench({
  name: "random walk: find only (2x1)",
  group: "lost update",
  fn: () => {
    if (!sample(bank(false, 2, 1), { seed: ++seed, strategy: "random" }).failure) {
      throw new Error("not found");
    }
  },
});

// --- Derived user code --------------------------------------------------------------------------

const accounts = await loadModule<typeof import("../examples/bank/accounts.ts")>(
  new URL("../examples/bank/accounts.ts", import.meta.url),
);

/** The locked bank as the workers' own functions run it: 2 threads x `transactions`. */
function derivedBank(transactions: number): Scenario<Bank> {
  return accounts.scenario({
    setup: () => ({ balance: new Value("i", 100, { lock: false }), lock: new Lock() }),
    threads: [
      ["withdrawLocked", ({ balance, lock }) => [balance, lock, transactions]],
      ["depositLocked", ({ balance, lock }) => [balance, lock, transactions]],
    ],
    invariant: ({ balance }) => balance.value === 100,
  });
}

const derived2x2 = derivedBank(2);

Deno.bench({
  name: "100 executions of the 2x2 locked bank, hand-written sim() scenario (random walk)",
  group: "derived user code",
  baseline: true,
  fn: () => {
    sample(locked2x2, { runs: 100, seed: 1, strategy: "random" });
  },
});

Deno.bench({
  name: "100 executions of the 2x2 locked bank, the workers' own functions (random walk)",
  group: "derived user code",
  fn: () => {
    sample(derived2x2, { runs: 100, seed: 1, strategy: "random" });
  },
});

type Spin = { lock: Int32Array; counter: Int32Array };
const spinSetup = (): Spin => ({
  lock: new Int32Array(new SharedArrayBuffer(4)),
  counter: new Int32Array(new SharedArrayBuffer(4)),
});

/**
 * A spinlock around a plain counter, by hand, shaped as `tests/explore/user_programs/spinlock.ts`
 * (its `acquire` and `release` helpers are generators here too): compare-exchange, load, store,
 * store.
 */
function* spinAcquire(lock: Int32Array) {
  while ((yield* sim(lock).compareExchange(0, 0, 1)) !== 0) yield* sim(lock).pause();
}
function* spinRelease(lock: Int32Array) {
  yield* sim(lock).store(0, 0);
}
const spinHand: Scenario<Spin> = {
  setup: spinSetup,
  threads: [0, 1].map(() =>
    function* increment({ lock, counter }: Spin) {
      for (let k = 0; k < 2; k++) {
        yield* spinAcquire(lock);
        yield* sim(counter).store(0, (yield* sim(counter).load(0)) + 1);
        yield* spinRelease(lock);
      }
    }
  ),
  invariant: ({ counter }) => counter[0] === 4,
};

/**
 * Steps/s of derived user code against the same program written by hand, side by side: rounds
 * alternate between the two, each the CPU time of one strategy run; the ratio of each round pair.
 */
async function derivedReport(): Promise<Record<string, number>> {
  const spin = await loadModule<typeof import("../tests/explore/user_programs/spinlock.ts")>(
    new URL("../tests/explore/user_programs/spinlock.ts", import.meta.url),
  );
  const spinDerived = spin.scenario({
    setup: spinSetup,
    threads: [
      ["increment", ({ lock, counter }) => [lock, counter, 2]],
      ["increment", ({ lock, counter }) => [lock, counter, 2]],
    ],
    invariant: ({ counter }) => counter[0] === 4,
  });
  const pairs: [string, Scenario<never>, Scenario<never>][] = [
    ["2x2 locked bank (Lock, Value)", locked2x2 as never, derived2x2 as never],
    ["2x2 spinlock, plain counter (Atomics, Int32Array)", spinHand as never, spinDerived as never],
  ];
  const strategies: [string, (s: Scenario<never>) => Report][] = [
    ["random walk, 5,000 runs", (s) => sample(s, { runs: 5000, seed: 1, strategy: "random" })],
    ["exhaustive DPOR", (s) => explore(s)],
  ];
  console.log(
    "\n| program | strategy | hand-written M steps/s | derived M steps/s | hand/derived steps/s |",
  );
  console.log("| --- | --- | ---: | ---: | ---: |");
  const ratios: Record<string, number> = {};
  for (const [program, hand, derived] of pairs) {
    for (const [strategy, run] of strategies) {
      const rate = (s: Scenario<never>) => {
        const { ms, result } = cpu(() => run(s), 1);
        return result.steps / ms / 1000;
      };
      for (let k = 0; k < 2; k++) rate(hand), rate(derived); // warm-up
      const hands: number[] = [];
      const deriveds: number[] = [];
      for (let k = 0; k < 11; k++) {
        hands.push(rate(hand));
        deriveds.push(rate(derived));
      }
      const r = hands.map((h, k) => h / deriveds[k]!);
      const f2 = (x: number) => fmt(x, 2);
      console.log(
        `| ${program} | ${strategy} | ${spread(hands, f2)} | ${spread(deriveds, f2)} | ${
          spread(r, f2)
        } |`,
      );
      ratios[`hand/derived steps/s, ${program}, ${strategy}`] = Number(median(r).toFixed(2));
    }
  }
  return ratios;
}

// --- The report (deno run) -----------------------------------------------------------------------

/** CPU milliseconds of `f`, best of `reps` (with its last result). */
function cpu<T>(f: () => T, reps = 5): { ms: number; result: T } {
  let best = Infinity;
  let result!: T;
  for (let k = 0; k < reps; k++) {
    const start = process.cpuUsage();
    result = f();
    const used = process.cpuUsage(start);
    best = Math.min(best, (used.user + used.system) / 1000);
  }
  return { ms: best, result };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

const fmt = (x: number, digits = 0) =>
  x.toLocaleString("en", { maximumFractionDigits: digits, minimumFractionDigits: digits });

function rates(name: string, ms: number, r: Report): string {
  return `| ${name} | ${fmt(r.executions)} | ${fmt(r.steps)} | ${fmt(ms, 1)} | ${
    fmt(r.executions / ms * 1000)
  } | ${fmt(r.steps / ms / 1000, 2)} |`;
}

/** Executions to cover the locked bank of 2 threads x 1..3 transactions, by strategy: a chart. */
async function sizeChart(cap: number, dir: URL): Promise<void> {
  const strategies = [
    { name: "plain DFS (every schedule)", options: { dpor: false }, baseline: true },
    { name: "DPOR (one schedule per class)", options: {} },
    { name: "DPOR up to 2 preemptions (a bounded search)", options: { preemptionBound: 2 } },
  ];
  const sizes = [1, 2, 3];
  const counts = strategies.map((s) =>
    sizes.map((t) => {
      const r = explore(bank(true, 2, t), { ...s.options, maxExecutions: cap });
      return { x: t, ys: [r.executions], atLeast: r.executions >= cap && !r.complete };
    })
  );
  console.log(`\n| transactions per thread | ${strategies.map((s) => s.name).join(" | ")} |`);
  console.log(`| ---: | ${strategies.map(() => "---:").join(" | ")} |`);
  sizes.forEach((t, k) => {
    const cell = (c: { ys: number[]; atLeast: boolean }) =>
      `${c.atLeast ? ">= " : ""}${fmt(c.ys[0]!)}`;
    console.log(`| ${t} | ${counts.map((c) => cell(c[k]!)).join(" | ")} |`);
  });
  const ratios: Record<string, number> = {};
  sizes.forEach((t, k) => {
    const [dfs, dpor] = [counts[0]![k]!, counts[1]![k]!];
    if (!dfs.atLeast && !dpor.atLeast) {
      ratios[`dpor/dfs executions@2x${t}`] = dpor.ys[0]! / dfs.ys[0]!;
    }
  });
  const path = await writeChart(dir, "explore_size", {
    bench: "explore",
    ratios,
    chart: {
      title: "Explorer: executions to cover every interleaving vs scenario size",
      subtitle:
        `locked bank, 2 threads; counts capped at ${fmt(cap)} (hollow: capped, more needed); ` +
        `Deno ${Deno.version.deno}`,
      x: { label: "transactions per thread", ticks: sizes },
      y: { label: "executions (log)", log: true },
      series: strategies.map((s, k) => ({
        name: s.name,
        baseline: s.baseline,
        points: counts[k]!,
      })),
    },
  });
  console.log(`chart: ${path}`);
}

if (import.meta.main) {
  const args = [...Deno.args];
  const dir = chartsDir(args);
  const capAt = args.indexOf("--cap");
  const cap = capAt < 0 ? 50_000 : Number(args[capAt + 1]);
  if (!Number.isInteger(cap) || cap < 1) {
    throw new RangeError(`Bad option --cap ${args[capAt + 1]}`);
  }
  const load = Deno.loadavg();
  console.log(`Explorer report (load average ${load.map((x) => x.toFixed(1)).join(", ")})\n`);

  // Production cost of the same work, per operation.
  const prod = cpu(() => {
    for (let k = 0; k < 1_000_000; k++) Atomics.add(words, 0, 1);
  });
  const prodBank = cpu(() => {
    for (let k = 0; k < 250_000; k++) {
      for (const delta of [-1, 1, -1, 1]) {
        real.lock.acquireSync();
        real.balance.value = real.balance.value + delta;
        real.lock.release();
      }
    }
  });
  const steps = cpu(() => sample(adder, { runs: 200, seed: 1, strategy: "random" }));
  const random = cpu(() => sample(locked2x2, { runs: 20_000, seed: 1, strategy: "random" }));
  const pct = cpu(() => sample(locked2x2, { runs: 20_000, seed: 1, strategy: "pct" }));
  const dpor = cpu(() => explore(locked2x2), 3);
  const dfs = cpu(() => explore(locked2x2, { dpor: false, maxExecutions: 50_000 }), 3);
  const bounded = cpu(() => explore(bank(true, 3, 1), { preemptionBound: 3 }), 3);
  // Distinct interleavings among random-walk executions (schedules deduplicated by their steps).
  const distinct = cpu(() => {
    const p = prepare(locked2x2, { maxSteps: 10_000, reset: "auto" });
    const random = prng(1);
    const seen = new Set<string>();
    for (let k = 0; k < 20_000; k++) {
      seen.add(execute(p, randomWalk(random), false).choices.join(""));
    }
    return seen.size;
  }, 1);
  const stepNs = steps.ms * 1e6 / steps.result.steps;
  const execUs = random.ms * 1000 / random.result.executions;
  console.log("| run | executions | steps | CPU ms | executions/s | M steps/s |");
  console.log("| --- | ---: | ---: | ---: | ---: | ---: |");
  console.log(rates("one thread, 1,000 `add`s (x200)", steps.ms, steps.result));
  console.log(rates("2x2 locked bank, random walk", random.ms, random.result));
  console.log(rates("2x2 locked bank, PCT d=2", pct.ms, pct.result));
  console.log(rates("2x2 locked bank, exhaustive DPOR (complete)", dpor.ms, dpor.result));
  console.log(rates("2x2 locked bank, plain DFS (50,000 cap)", dfs.ms, dfs.result));
  console.log(rates("3x1 locked bank, bounds 0-3 (DPOR)", bounded.ms, bounded.result));
  console.log(
    `\nrandom walk, 2x2 locked bank: ${fmt(distinct.result)} distinct interleavings in 20,000 ` +
      `executions, ${fmt(distinct.result / distinct.ms * 1000)} distinct interleavings/s ` +
      `(exhaustive DPOR: every execution is a distinct class, ${
        fmt(dpor.result.executions / dpor.ms * 1000)
      }/s; plain DFS: every execution a distinct schedule, ${
        fmt(dfs.result.executions / dfs.ms * 1000)
      }/s)`,
  );
  console.log(
    `production: ${fmt(prod.ms * 1e6 / 1e6, 1)} ns per Atomics.add, ${
      fmt(prodBank.ms * 1e6 / 1e6, 1)
    } ns per 4 locked transactions`,
  );
  console.log(
    `simulator: ${fmt(stepNs, 1)} ns per step (${fmt(stepNs / (prod.ms * 1e6 / 1e6), 0)}x an ` +
      `Atomics.add), ${fmt(execUs, 1)} µs per 2x2 execution (${
        fmt(execUs * 1000 / (prodBank.ms * 1e6 / 1e6), 0)
      }x the same 4 transactions in production)`,
  );

  // Coverage.
  console.log("\n| scenario | strategy | executions | complete | bound completed | ms |");
  console.log("| --- | --- | ---: | --- | ---: | ---: |");
  const coverage: [string, string, () => Report][] = [
    ["locked bank 2x2", "DPOR", () => explore(locked2x2)],
    [
      "locked bank 2x2",
      "plain DFS, 200,000 cap",
      () => explore(locked2x2, { dpor: false, maxExecutions: 200_000 }),
    ],
    [
      "locked bank 3x1",
      "DPOR, bounds 0-3",
      () => explore(bank(true, 3, 1), { preemptionBound: 3 }),
    ],
    [
      "locked bank 3x1",
      "plain DFS, bounds 0-3",
      () => explore(bank(true, 3, 1), { preemptionBound: 3, dpor: false }),
    ],
    ["locked bank 3x1", "DPOR", () => explore(bank(true, 3, 1), { maxExecutions: 1_000_000 })],
    [
      "locked bank 2x3",
      "DPOR, 200,000 cap",
      () => explore(bank(true, 2, 3), { maxExecutions: 200_000 }),
    ],
    [
      "locked bank 2x3",
      "DPOR, bounds 0-2",
      () => explore(bank(true, 2, 3), { preemptionBound: 2 }),
    ],
  ];
  for (const [name, strategy, run] of coverage) {
    const { ms, result: r } = cpu(run, 1);
    console.log(
      `| ${name} | ${strategy} | ${fmt(r.executions)} | ${r.complete ? "yes" : "no"} | ${
        r.boundCompleted ?? "-"
      } | ${fmt(ms)} |`,
    );
  }

  // Time to the first counterexample, shrinking included (fresh seeds, median of 21).
  const times: number[] = [];
  const threads: number[] = [];
  for (let s = 1; s <= 21; s++) {
    const { ms, result } = cpu(() => search(unlockedBanks, { seed: s }), 1);
    times.push(ms);
    threads.push(result.failure!.threads);
  }
  console.log(
    `\nlost update found and shrunk (fast-check, generated 1-4 tellers x 1-3 transactions): median ${
      fmt(median(times), 1)
    } ms, max ${fmt(Math.max(...times), 1)} ms over 21 seeds; shrunk to ${
      [...new Set(threads)].join("/")
    } threads`,
  );
  const walk: number[] = [];
  for (let s = 1; s <= 21; s++) {
    walk.push(cpu(() => sample(bank(false, 2, 1), { seed: s, strategy: "random" }), 1).ms);
  }
  console.log(
    `lost update found by random walk (2x1, no shrinking): median ${fmt(median(walk), 2)} ms`,
  );
  await sizeChart(cap, dir);
  const ratios = await derivedReport();
  console.log(JSON.stringify({ bench: "explore_derived", ratios }));
}
