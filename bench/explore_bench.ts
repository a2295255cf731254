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
 * The report (`deno run`) first proves the specification-level targets (`level: "spec"`: each
 * primitive call one atomic step; the locked bank up to 3 x 3, 4 x 2 and 8 x 1; `--spec` stops
 * there), then adds the proofs of issue 13's table, at kernel level (the library's own
 * `Lock`, `Value`, `Semaphore` and `Condition` kernels, every shared access a scheduling point,
 * default options, so `spin: 0`): the locked bank (one acquire / get / set / release per transfer)
 * at 2x2, 3x1, 2x3 and 3x2 threads x transfers, `Semaphore(2)` with 3 threads (acquire / add / sub /
 * release), and the `Condition` hand-off (a producer puts 2 items, each with `notifyAll`, a consumer
 * takes them, waiting while there are none); then the same proofs with state caching
 * (`reduce: "states"`, each state explored once, kernels' loop marks applied; `--states` runs only
 * these), spin loops under the
 * await rule, sampling, and time to the first counterexample.
 *
 * - "derived user code": the same locked bank as the functions its workers run
 *   (`examples/bank/accounts.ts`' `withdrawLocked`/`depositLocked`, derived at load time by
 *   `loadModule`), against the hand-written generator scenario above (random walk); the report
 *   adds a plain-memory program (a spinlock around a plain counter, `tests/explore/user_programs/`)
 *   against its hand-written `sim()` form, and gives steps/s side by side with their ratio.
 *
 * - "executions vs scenario size" (the report's chart): executions needed to cover every
 *   interleaving of the locked bank, 2 threads x 1, 2, 3 transactions, with partial-order reduction,
 *   with plain depth-first search, and with DPOR up to 2 preemptions (counts, capped at
 *   `--chartCap`).
 *
 * Run: `deno bench --allow-read --allow-env --allow-sys bench/explore_bench.ts` for the groups, and
 * `deno run --allow-read --allow-env --allow-sys --allow-write bench/explore_bench.ts [--runs 3]
 * [--cap 200000] [--chartCap 50000] [--charts DIR] [--spec] [--states]` for the report behind `bench/RESULTS.md`
 * (## Explorer) and `bench/charts/explore_size.svg` (+ `.json`). Every figure is wall time, median
 * (min-max) of `--runs` runs; the machine is shared, so read counts as exact and times together
 * with the load average printed first. The last line is JSON (`{"bench":"explore",…}`).
 *
 * @module
 */
import { Lock, Value } from "../mod.ts";
import {
  explore,
  loadModule,
  type Report,
  sample,
  type Scenario,
  search,
  sim,
} from "../src/explore/mod.ts";
import {
  type Bank,
  bank,
  handOff,
  semaphore,
  spinBank,
  unlockedBanks,
} from "./_explore_scenarios.ts";
import { chartsDir, writeChart } from "./_chart.ts";
import { median, parseFlags, spread } from "./_stats.ts";

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
    explore(locked2x2, { dpor: false, maxExecutions: 298 });
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
 * alternate between the two, each the wall time of one strategy run; the ratio of each round pair.
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
        const { ms, result } = wall(() => run(s), 1);
        return result.steps / ms[0]! / 1000;
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

/** Wall milliseconds of `f` over `runs` runs, and its last result. */
function wall<T>(f: () => T, runs: number): { ms: number[]; result: T } {
  const ms: number[] = [];
  let result!: T;
  for (let k = 0; k < runs; k++) {
    const start = performance.now();
    result = f();
    ms.push(performance.now() - start);
  }
  return { ms, result };
}

const fmt = (x: number, digits = 0) =>
  x.toLocaleString("en", { maximumFractionDigits: digits, minimumFractionDigits: digits });
const ms = (xs: number[]) => spread(xs, (x) => fmt(x));
const rate = (count: number, xs: number[], digits = 0) =>
  spread(xs.map((x) => count / x * 1000), (x) => fmt(x, digits));

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
  const specOnly = args.includes("--spec");
  if (specOnly) args.splice(args.indexOf("--spec"), 1);
  const statesOnly = args.includes("--states");
  if (statesOnly) args.splice(args.indexOf("--states"), 1);
  const dir = chartsDir(args);
  const { runs, cap, chartCap } = parseFlags(args, { runs: 3, cap: 200_000, chartCap: 50_000 });
  const load = () => Deno.loadavg().map((x) => x.toFixed(1)).join(", ");
  console.log(`Explorer report (${runs} runs each, load average ${load()})\n`);
  const json: Record<string, Record<string, number | boolean>> = {
    ratios: {},
    executions: {},
    ms: {},
    complete: {},
  };

  /** Runs each proof `n` times; prints its row and records it in `json`. */
  const prove = (list: [string, string, () => Report, number][]) => {
    for (const [key, name, run, n] of list) {
      const { ms: xs, result: r } = wall(run, n);
      if (!r.ok) throw new Error(r.summary);
      console.log(`| ${name} | ${fmt(r.executions)} | ${ms(xs)} | ${r.complete ? "yes" : "no"} |`);
      json.executions![key] = r.executions;
      json.ms![key] = Math.round(median(xs));
      json.complete![key] = r.complete;
    }
  };

  /** The proofs with state caching (`--states` runs only these). */
  const stateTable = (): void => {
    // The same proofs with state caching (`reduce: "states"`): every state once. "executions" counts
    // runs to the end; the runs cut at a state seen before are in the steps.
    console.log("\n| state caching | executions | steps | wall ms, median (min-max) | complete |");
    console.log("| --- | ---: | ---: | ---: | --- |");
    const states = { reduce: "states" } as const;
    for (
      const [key, name, run, n] of [
        ["states_bank_2x2", "locked bank, 2 x 2", () => explore(bank(true, 2, 2), states), runs],
        ["states_bank_3x1", "locked bank, 3 x 1", () => explore(bank(true, 3, 1), states), runs],
        ["states_bank_2x3", "locked bank, 2 x 3", () => explore(bank(true, 2, 3), states), runs],
        ["states_bank_3x2", "locked bank, 3 x 2", () => explore(bank(true, 3, 2), states), 1],
        ["states_semaphore", "\`Semaphore(2)\`, 3 threads", () => explore(semaphore(), states), 1],
        ["states_condition", "\`Condition\` hand-off", () => explore(handOff(), states), runs],
      ] as [string, string, () => Report, number][]
    ) {
      const { ms: xs, result: r } = wall(run, n);
      if (!r.ok) throw new Error(r.summary);
      console.log(
        `| ${name} | ${fmt(r.executions)} | ${fmt(r.steps)} | ${ms(xs)} | ${
          r.complete ? "yes" : "no"
        } |`,
      );
      json.executions![key] = r.executions;
      json.ms![key] = Math.round(median(xs));
      json.complete![key] = r.complete;
    }
  };

  if (statesOnly) {
    stateTable();
    console.log(JSON.stringify({ bench: "explore", ...json, load: Deno.loadavg()[0] }));
    Deno.exit(0);
  }

  // Proofs at the specification level (issue 13's targets): each primitive call one step.
  console.log("| specification level | executions | wall ms, median (min-max) | complete |");
  console.log("| --- | ---: | ---: | --- |");
  const spec = { level: "spec" } as const;
  const specProofs: [string, string, () => Report, number][] = [
    ...([[2, 2], [3, 1], [2, 3], [3, 2], [3, 3], [4, 2], [8, 1]] as const).map((
      [t, n],
    ): [string, string, () => Report, number] => [
      `spec_bank_${t}x${n}`,
      `locked bank, ${t} x ${n}`,
      () => explore(bank(true, t, n), spec),
      runs,
    ]),
    ["spec_semaphore", "\`Semaphore(2)\`, 3 threads", () => explore(semaphore(), spec), runs],
    ["spec_condition", "\`Condition\` hand-off", () => explore(handOff(), spec), runs],
  ];
  prove(specProofs);
  if (specOnly) Deno.exit(0);

  // Proofs at kernel level (issue 13's table).
  console.log("\n| scenario | executions | wall ms, median (min-max) | complete |");
  console.log("| --- | ---: | ---: | --- |");
  const proofs: [string, string, () => Report, number][] = [
    ["bank_2x2", "locked bank, 2 threads x 2 transfers", () => explore(bank(true, 2, 2)), runs],
    ["bank_3x1", "locked bank, 3 x 1", () => explore(bank(true, 3, 1)), runs],
    ["bank_2x3", "locked bank, 2 x 3", () => explore(bank(true, 2, 3)), runs],
    [
      "bank_3x2",
      `locked bank, 3 x 2 (stopped at ${fmt(cap)} executions)`,
      () => explore(bank(true, 3, 2), { maxExecutions: cap }),
      1,
    ],
    ["semaphore", "\`Semaphore(2)\`, 3 threads", () => explore(semaphore()), 1],
    ["condition", "\`Condition\` hand-off, 2 items, \`notifyAll\`", () => explore(handOff()), runs],
  ];
  prove(proofs);

  stateTable();

  // Spin loops: the await rule against the same scenario with the kernels' spin phase.
  console.log("\n| scenario | executions | wall ms, median (min-max) | complete |");
  console.log("| --- | ---: | ---: | --- |");
  const spins: [string, string, () => Report][] = [
    ["spin_lock_2x2", "test-and-set spin lock, 2 x 2 (user code)", () => explore(spinBank(2, 2))],
    ["spin_lock_3x1", "test-and-set spin lock, 3 x 1 (user code)", () => explore(spinBank(3, 1))],
    [
      "bank_3x1_spin32",
      "locked bank 3 x 1, \`spin: 32\`",
      () => explore(bank(true, 3, 1), { spin: 32 }),
    ],
  ];
  for (const [key, name, run] of spins) {
    const { ms: xs, result: r } = wall(run, runs);
    if (!r.ok) throw new Error(r.summary);
    console.log(`| ${name} | ${fmt(r.executions)} | ${ms(xs)} | ${r.complete ? "yes" : "no"} |`);
    json.executions![key] = r.executions;
    json.ms![key] = Math.round(median(xs));
  }

  // Speed of one step and one execution against production.
  const prod = wall(() => {
    for (let k = 0; k < 1_000_000; k++) Atomics.add(words, 0, 1);
  }, runs);
  const prodBank = wall(() => {
    for (let k = 0; k < 250_000; k++) {
      for (const delta of [-1, 1, -1, 1]) {
        real.lock.acquireSync();
        real.balance.value = real.balance.value + delta;
        real.lock.release();
      }
    }
  }, runs);
  const steps = wall(() => sample(adder, { runs: 200, seed: 1, strategy: "random" }), runs);
  const random = wall(() => sample(locked2x2, { runs: 20_000, seed: 1, strategy: "random" }), runs);
  const portfolio = wall(() => sample(locked2x2, { runs: 20_000, seed: 1 }), runs);
  const dfs = wall(() => explore(locked2x2, { dpor: false, maxExecutions: 50_000 }), runs);
  const stepNs = median(steps.ms) * 1e6 / steps.result.steps;
  const execUs = median(random.ms) * 1000 / random.result.executions;
  const addNs = median(prod.ms);
  const txNs = median(prodBank.ms);
  console.log("\n| run | executions | M steps/s | executions/s |");
  console.log("| --- | ---: | ---: | ---: |");
  const line = (name: string, w: { ms: number[]; result: Report }) =>
    console.log(
      `| ${name} | ${fmt(w.result.executions)} | ${rate(w.result.steps / 1e6, w.ms, 2)} | ${
        rate(w.result.executions, w.ms)
      } |`,
    );
  line("one thread, 1,000 \`add\`s (x200)", steps);
  line("2x2 locked bank, random walk", random);
  line("2x2 locked bank, \`sample()\` defaults (portfolio)", portfolio);
  line("2x2 locked bank, plain DFS (50,000 cap)", dfs);
  console.log(
    `\nproduction: ${fmt(addNs, 1)} ns per Atomics.add, ${fmt(txNs, 1)} ns per 4 locked ` +
      `transactions; simulator: ${fmt(stepNs, 1)} ns per step (${fmt(stepNs / addNs, 0)}x an ` +
      `Atomics.add), ${fmt(execUs, 1)} µs per 2x2 execution (${
        fmt(execUs * 1000 / txNs, 0)
      }x the same 4 transactions in production)`,
  );
  json.ratios!.step_vs_atomics_add = Number((stepNs / addNs).toFixed(1));
  json.ratios!.execution_vs_production_transactions = Number((execUs * 1000 / txNs).toFixed(0));

  // Time to the first counterexample, shrinking included (fresh seeds, 21 of them).
  const times: number[] = [];
  const threads: number[] = [];
  for (let s = 1; s <= 21; s++) {
    const { ms: xs, result } = wall(() => search(unlockedBanks, { seed: s }), 1);
    times.push(xs[0]!);
    threads.push(result.failure!.threads);
  }
  const walk: number[] = [];
  for (let s = 1; s <= 21; s++) {
    walk.push(wall(() => sample(bank(false, 2, 1), { seed: s, strategy: "random" }), 1).ms[0]!);
  }
  console.log(
    `\nlost update found and shrunk (fast-check, generated 1-4 tellers x 1-3 transactions): ${
      ms(times)
    } ms over 21 seeds, shrunk to ${[...new Set(threads)].join("/")} threads; found by a random ` +
      `walk (2x1, no shrinking): ${spread(walk, (x) => fmt(x, 2))} ms`,
  );
  json.ratios!.find_and_shrink_vs_random_walk = Number((median(times) / median(walk)).toFixed(1));
  await sizeChart(chartCap, dir);
  Object.assign(json.ratios!, await derivedReport());
  console.log(`(load average at the end: ${load()})`);
  console.log(JSON.stringify({ bench: "explore", ...json }));
}
