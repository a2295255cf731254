/**
 * Lock under contention and hand-off latency, across two real workers.
 *
 * A `deno run` script (multi-worker throughput does not fit `Deno.bench`'s one-function-per-sample
 * model); `deno task bench` runs it after the `Deno.bench` files. Under `deno bench` this module
 * does nothing. Every table compares with a hand-written baseline measured in the same run: the
 * rounds interleave the variants, each figure is the median over `--runs` rounds, and each ratio is
 * the median of the per-round ratios (so a slow moment of the shared machine hits both sides).
 *
 * Situations modelled:
 * 1. **Contended** (Go's `mutex_test.go` "Contended" with no work outside the lock): two workers
 *    loop on `acquire; data[0] = data[0] + 1; release` (a non-atomic read-modify-write, checked
 *    exactly at the end) for a fixed time. Reports transactions/s and each worker's share: a lock
 *    that lets its releaser re-take it at once gets throughput by starving the other worker.
 *    Baseline: a raw futex lock written by hand (Drepper's mutex #2, no spinning). Peers: the npm
 *    `multithreading` package's `Mutex` (same loop, same workers) and Python's
 *    `multiprocessing.Lock` (`bench/peers/python_lock.py`, run when `python3` exists).
 * 2. **Hand-off** (ping-pong): two workers pass the turn back and forth; one round trip is two
 *    hand-offs. Baseline: raw `Atomics.wait`/`Atomics.notify` ping-pong; references: a raw spinning
 *    ping-pong (the floor) and raw spin-then-wait (what a spin-ready waiter can do at best).
 *    Interlock: two `Lock`s passed back and forth, two `Event`s, and one `Condition` (wait until
 *    my turn, notify). The raw spinning ping-pong also tells each round's regime (both workers on
 *    a core, or sharing one: `./_regime.ts`); the Condition / Event ratio is printed over all
 *    rounds and per regime, as `lock_ab_bench.ts` prints it (the same ping-pongs,
 *    `./_workers/pings.ts`).
 *
 * 3. **Scaling** (the chart): the contended loop on 1, 2, 4 and 8 workers, `Lock` and
 *    `Semaphore(1)` against the raw futex lock, rounds interleaved, with each worker's share
 *    (fairness): `bench/charts/lock_workers.svg` (+ `.json`). With 2 vCPUs, 4 and 8 workers
 *    oversubscribe the cores (a holder can be descheduled with the lock held). `--costs` adds
 *    what each class adds to its kernel, one cost at a time: the Lock kernel with its sleeps timed
 *    as the class's robust path times them, the Lock kernel plus the class's guard allocated per
 *    acquire, and the Semaphore kernel without its class.
 *
 * Every contended run is timed (all workers loop until one stop flag), and reports the workers'
 * measured overlap (the share of the run during which all of them were running) and the load
 * average. The last line printed is one JSON object of named ratios (`printRatios`).
 *
 * Run: `deno run --allow-read --allow-run --allow-write bench/lock_bench.ts [--seconds 0.2]
 * [--runs 9] [--chart-only | --handoff-only | --contended-only] [--costs] [--charts DIR]`
 *
 * @module
 */
import { Condition, Event, Lock, Semaphore } from "../mod.ts";
import {
  type ContendedJob,
  CTL_WORDS,
  type JobResult,
  type LockKind,
  type PingJob,
  type PingKind,
  STOP,
} from "./_workers/lock_jobs.ts";
import { chartsDir, takeFlag, writeChart } from "./_chart.ts";
import { overRounds, PARALLEL_SPIN_MICROS, parallelRounds, ratioOver } from "./_regime.ts";
import { loadAverage, median, overlap, printRatios, spread as spreadOf } from "./_stats.ts";

/** The named same-run ratios every part adds to; printed as the script's last line. */
const RATIOS: Record<string, number> = {};

const WORKER = new URL("./_workers/lock_worker.ts", import.meta.url);

/** Command-line options. */
interface Options {
  seconds: number;
  runs: number;
}

function parseOptions(args: string[]): Options {
  const options: Options = { seconds: 0.2, runs: 9 };
  for (let k = 0; k < args.length; k += 2) {
    const [flag, value] = [args[k], Number(args[k + 1])];
    if (flag === "--seconds" && value > 0) options.seconds = value;
    else if (flag === "--runs" && Number.isInteger(value) && value > 0) options.runs = value;
    else throw new TypeError(`Unknown or invalid option: ${flag} ${args[k + 1]}`);
  }
  return options;
}

/** Workers that stay up for the whole script (two for most runs; more for the scaling chart). */
class Crew implements Disposable {
  readonly workers: Worker[];

  constructor(size = 2) {
    this.workers = Array.from({ length: size }, () => new Worker(WORKER, { type: "module" }));
  }

  /** Posts job k to worker k and resolves with their results. */
  run(jobs: (ContendedJob | PingJob)[]): Promise<JobResult[]> {
    return Promise.all(
      this.workers.slice(0, jobs.length).map((worker, k) =>
        new Promise<JobResult>((resolve, reject) => {
          worker.onmessage = (
            e: MessageEvent<{ ok: boolean; result: JobResult; error: unknown }>,
          ) => e.data.ok ? resolve(e.data.result) : reject(e.data.error);
          worker.onerror = (e) => {
            e.preventDefault();
            reject(new Error(`Worker failed: ${e.message}`));
          };
          worker.postMessage(jobs[k]);
        })
      ),
    );
  }

  [Symbol.dispose](): void {
    for (const worker of this.workers) worker.terminate();
  }
}

function shared(words: number): Int32Array {
  return new Int32Array(new SharedArrayBuffer(words * 4));
}

function fmt(x: number, digits = 2): string {
  return x.toFixed(digits);
}

// --- Contended. --------------------------------------------------------------------------------

interface ContendedSample {
  txPerSecond: number;
  /** The smaller worker's share of all transactions (0.5 = perfectly even). */
  minShare: number;
  /**
   * Mean time one worker keeps the lock to itself before the other gets it (a turn). Tens of µs or
   * less: the workers ran in parallel; ~4 ms (a scheduler time slice): they took turns on one core
   * because other processes held the other core, and the lock was hardly contended at all.
   */
  turnMicros: number;
  /** Each worker's share of all transactions, in worker order (1 / workers each = perfectly fair). */
  shares: number[];
  /** The workers' measured overlap (`overlap` in `_stats.ts`): 1 = all ran the whole time. */
  overlap: number;
}

async function contendedRun(
  crew: Crew,
  kind: LockKind,
  seconds: number,
  parties = 2,
): Promise<ContendedSample> {
  const ctl = shared(CTL_WORDS);
  const data = shared(32);
  const lock = new Lock();
  const sem = new Semaphore(1);
  const peer = new SharedArrayBuffer(64);
  const jobs = Array.from({ length: parties }, (_, k): ContendedJob => ({
    job: "contended",
    kind,
    ctl,
    data,
    lock,
    sem,
    peer,
    me: k + 1,
    parties,
  }));
  const running = crew.run(jobs);
  await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
  Atomics.store(ctl, STOP, 1);
  const results = await running;
  const total = results.reduce((sum, r) => sum + r.count, 0);
  if (data[0] !== total) {
    throw new Error(`Lost updates under ${kind}: counter ${data[0]}, transactions ${total}`);
  }
  const elapsed = (Math.max(...results.map((r) => r.end)) -
    Math.min(...results.map((r) => r.start))) / 1000;
  return {
    txPerSecond: total / elapsed,
    minShare: Math.min(...results.map((r) => r.count)) / total,
    turnMicros: elapsed * 1e6 / Math.max(1, data[2]!),
    shares: results.map((r) => r.count / total),
    overlap: overlap(results),
  };
}

const LOCK_KINDS: { kind: LockKind; label: string }[] = [
  { kind: "raw-futex", label: "raw futex lock, hand-written (baseline)" },
  { kind: "raw-spin", label: "raw TTAS spin lock, hand-written" },
  { kind: "futex-linear-spin", label: "futex lock + 64 linear spins (Lock before tuning)" },
  { kind: "kernel", label: "Interlock Lock kernel through REAL, no class (no guard)" },
  { kind: "interlock", label: "Interlock Lock: acquireSync() ... release()" },
  { kind: "interlock-using", label: "Interlock Lock: using _ = acquireSync()" },
  { kind: "semaphore", label: "Interlock Semaphore(1): acquireSync() ... release()" },
  { kind: "multithreading", label: "npm multithreading Mutex: blockingLock() ... dispose()" },
];

/** Short names of the kinds in the JSON ratios. */
const SHORT: Record<LockKind, string> = {
  "raw-futex": "futex",
  "raw-spin": "raw_spin",
  "futex-linear-spin": "linear_spin",
  "kernel": "kernel",
  "interlock": "contended",
  "interlock-using": "using",
  "semaphore": "semaphore",
  "multithreading": "multithreading",
  "semaphore-kernel": "semaphore_kernel",
  "kernel-nap": "kernel_nap",
  "kernel-alloc": "kernel_alloc",
};

/** A run counts as parallel when the lock changed hands at least every 100 µs on average. */
const PARALLEL_TURN_MICROS = 100;

async function contended(pair: Crew, options: Options): Promise<void> {
  const samples = new Map<LockKind, ContendedSample[]>(LOCK_KINDS.map(({ kind }) => [kind, []]));
  for (const { kind } of LOCK_KINDS) await contendedRun(pair, kind, 0.05); // warm-up
  for (let r = 0; r < options.runs; r++) {
    for (const { kind } of LOCK_KINDS) {
      samples.get(kind)!.push(await contendedRun(pair, kind, options.seconds));
    }
  }
  const base = samples.get("raw-futex")!;
  console.log(
    `\nContended: 2 workers, locked non-atomic increments, ${options.seconds} s x ${options.runs} ` +
      `runs (${loadAverage()})`,
  );
  console.log(
    "| variant | M tx/s median (min-max) | x raw futex | smaller worker's share % | µs per turn " +
      "| overlap % |",
  );
  console.log("| --- | --- | --- | --- | --- | --- |");
  for (const { kind, label } of LOCK_KINDS) {
    const xs = samples.get(kind)!;
    const ratio = median(xs.map((x, r) => x.txPerSecond / base[r]!.txPerSecond));
    if (kind !== "raw-futex") RATIOS[`${SHORT[kind]}_vs_futex_2w`] = ratio;
    console.log(
      `| ${label} | ${spread(xs.map((x) => x.txPerSecond / 1e6))} | ${fmt(ratio)} | ` +
        `${spread(xs.map((x) => x.minShare * 100), 1)} | ${
          spread(xs.map((x) => x.turnMicros), 1)
        } | ${spread(xs.map((x) => x.overlap * 100), 0)} |`,
    );
  }
  // The same runs, keeping only those in which both workers really ran at once.
  const parallel = (kind: LockKind) =>
    samples.get(kind)!.filter((x) => x.turnMicros < PARALLEL_TURN_MICROS);
  const baseRuns = parallel("raw-futex");
  // No parallel baseline run, no ratio ("-", never NaN).
  const baseParallel = baseRuns.length > 0 ? median(baseRuns.map((x) => x.txPerSecond)) : NaN;
  console.log(
    `\nThe runs above in which both workers ran in parallel (turns < ` +
      `${PARALLEL_TURN_MICROS} µs); ratio = ratio of medians`,
  );
  console.log(
    "| variant | runs | M tx/s median (min-max) | x raw futex | smaller worker's share |",
  );
  console.log("| --- | --- | --- | --- | --- |");
  for (const { kind, label } of LOCK_KINDS) {
    const xs = parallel(kind);
    if (xs.length === 0) {
      console.log(`| ${label} | 0 | - | - | - |`);
      continue;
    }
    const tx = xs.map((x) => x.txPerSecond);
    const ratio = median(tx) / baseParallel;
    if (kind !== "raw-futex") RATIOS[`${SHORT[kind]}_vs_futex_2w_parallel_runs`] = ratio;
    console.log(
      `| ${label} | ${xs.length} | ${spread(tx.map((x) => x / 1e6))} | ` +
        `${Number.isFinite(ratio) ? fmt(ratio) : "-"} | ${
          spread(xs.map((x) => x.minShare * 100), 1)
        } |`,
    );
  }
}

/** "median (min-max)" with `digits` decimals. */
function spread(xs: number[], digits = 2): string {
  return spreadOf(xs, (x) => fmt(x, digits));
}

// --- Scaling with the number of workers (the chart). -------------------------------------------

/** Worker counts of the scaling runs: 4 and 8 oversubscribe a 2-vCPU machine 2x and 4x. */
const COUNTS = [1, 2, 4, 8];

/**
 * Contended throughput of the raw futex lock, `Lock` and `Semaphore(1)` for 1, 2, 4 and 8
 * workers, rounds interleaved: the chart. Fairness: each worker's share of the transactions.
 */
async function scaling(options: Options, dir: URL, costs: boolean): Promise<void> {
  const counts = COUNTS;
  const kinds: { kind: LockKind; label: string; baseline?: boolean }[] = [
    { kind: "raw-futex", label: "raw futex lock, hand-written (baseline)", baseline: true },
    { kind: "interlock", label: "Interlock Lock: acquireSync() ... release()" },
    { kind: "kernel", label: "Lock kernel through REAL, no class (what the class adds)" },
    { kind: "semaphore", label: "Interlock Semaphore(1): acquireSync() ... release()" },
  ];
  if (costs) {
    // What each class adds to its kernel, one cost at a time (bench/RESULTS.md, first section).
    kinds.push(
      { kind: "kernel-nap", label: "Lock kernel, sleeps capped at 10 ms as the class's (timed)" },
      { kind: "kernel-alloc", label: "Lock kernel + the class's guard allocated per acquire" },
      { kind: "semaphore-kernel", label: "Semaphore kernel through REAL, no class" },
    );
  }
  using crew = new Crew(Math.max(...counts));
  for (const { kind } of kinds) await contendedRun(crew, kind, 0.05, 2); // warm-up
  const samples = kinds.map(() => counts.map(() => [] as ContendedSample[]));
  const load = loadAverage();
  for (let r = 0; r < options.runs; r++) {
    for (const [j, n] of counts.entries()) {
      for (const [k, { kind }] of kinds.entries()) {
        samples[k]![j]!.push(await contendedRun(crew, kind, options.seconds, n));
      }
    }
  }
  console.log(
    `\nContended, ${counts.join(", ")} workers (${navigator.hardwareConcurrency} vCPUs), ` +
      `${options.seconds} s x ${options.runs} interleaved runs; ratio = median of per-round ` +
      `ratios (${load} before, ${loadAverage()} after)`,
  );
  console.log(
    "| workers | variant | M tx/s median (min-max) | x raw futex | fairness: smallest share x " +
      "workers (1 = even) | µs per turn | overlap % |",
  );
  console.log("| ---: | --- | --- | --- | --- | --- | --- |");
  counts.forEach((n, j) => {
    const base = samples[0]![j]!;
    kinds.forEach(({ kind, label }, k) => {
      const xs = samples[k]![j]!;
      const ratio = median(xs.map((x, r) => x.txPerSecond / base[r]!.txPerSecond));
      if (k > 0) RATIOS[`${SHORT[kind]}_vs_futex_${n}w`] = ratio;
      RATIOS[`${SHORT[kind]}_fairness_${n}w`] = median(xs.map((x) => x.minShare * n));
      console.log(
        `| ${n} | ${label} | ${spread(xs.map((x) => x.txPerSecond / 1e6))} | ${
          k > 0 ? fmt(ratio) : "1"
        } | ${spread(xs.map((x) => x.minShare * n))} | ${
          spread(xs.map((x) => x.turnMicros), 1)
        } | ${spread(xs.map((x) => x.overlap * 100), 0)} |`,
      );
    });
  });
  // Each worker's share in the median-throughput run of the largest count, per variant.
  const last = counts.length - 1;
  kinds.forEach(({ label }, k) => {
    const xs = [...samples[k]![last]!].sort((a, b) => a.txPerSecond - b.txPerSecond);
    const mid = xs[xs.length >> 1]!;
    console.log(
      `shares of ${counts[last]} workers, median run, ${label}: ${
        mid.shares.map((x) => (x * 100).toFixed(1) + "%").join(" ")
      }`,
    );
  });
  const ratios: Record<string, number> = {};
  counts.forEach((n, j) => {
    ratios[`interlock/raw-futex@${n}`] = median(
      samples[1]![j]!.map((x, r) => x.txPerSecond / samples[0]![j]![r]!.txPerSecond),
    );
  });
  const path = await writeChart(dir, "lock_workers", {
    bench: "lock",
    ratios,
    chart: {
      title: "Lock: contended locked increments vs workers, against a raw futex lock",
      subtitle:
        `median and min-max of ${options.runs} interleaved runs of ${options.seconds} s; ${navigator.hardwareConcurrency} vCPUs, shared (${load}); Deno ${Deno.version.deno}`,
      x: { label: "workers incrementing under the lock", ticks: counts },
      y: { label: "M transactions/s (all workers)" },
      series: kinds.map(({ label, baseline }, k) => ({
        name: label,
        baseline,
        points: counts.map((n, j) => ({
          x: n,
          ys: samples[k]![j]!.map((x) => x.txPerSecond / 1e6),
        })),
      })),
    },
  });
  console.log(`chart: ${path}`);
}

// --- Hand-off. ---------------------------------------------------------------------------------

function pingPair(kind: PingKind): [unknown, unknown] {
  if (kind === "lock") {
    const a = new Lock();
    const b = new Lock();
    a.tryAcquire();
    b.tryAcquire();
    return [a, b];
  }
  if (kind === "event") return [new Event(), new Event()];
  if (kind === "condition") return [new Condition(), null];
  return [null, null];
}

/** Microseconds per round trip. */
async function pingRun(pair: Crew, kind: PingKind, rounds: number): Promise<number> {
  const ctl = shared(CTL_WORDS);
  const turn = shared(16);
  const objects = pingPair(kind);
  const job = (player: 0 | 1): PingJob => ({
    job: "ping",
    kind,
    player,
    rounds,
    ctl,
    turn,
    pair: objects,
  });
  const [a, b] = await pair.run([job(0), job(1)]) as [JobResult, JobResult];
  return (Math.max(a.end, b.end) - Math.min(a.start, b.start)) * 1000 / rounds;
}

async function handoff(pair: Crew, options: Options): Promise<void> {
  const kinds: { kind: PingKind; label: string }[] = [
    { kind: "raw-wait", label: "raw Atomics.wait/notify ping-pong (baseline)" },
    { kind: "raw-spin", label: "raw spinning ping-pong" },
    { kind: "raw-spin-then-wait", label: "raw spin-then-wait ping-pong" },
    { kind: "lock", label: "Interlock: two Locks passed back and forth" },
    { kind: "event", label: "Interlock: two Events (set, waitSync, clear)" },
    { kind: "condition", label: "Interlock: one Condition (waitSync until my turn, notify)" },
  ];
  // Calibrate the round count of each variant to about `seconds` per run.
  const rounds = new Map<PingKind, number>();
  for (const { kind } of kinds) {
    const us = await pingRun(pair, kind, 200);
    rounds.set(kind, Math.max(200, Math.round(options.seconds * 1e6 / us)));
  }
  const samples = new Map<PingKind, number[]>(kinds.map(({ kind }) => [kind, []]));
  for (let r = 0; r < options.runs; r++) {
    for (const { kind } of kinds) {
      samples.get(kind)!.push(await pingRun(pair, kind, rounds.get(kind)!));
    }
  }
  const base = samples.get("raw-wait")!;
  const spin = samples.get("raw-spin")!;
  console.log(
    `\nHand-off: ping-pong between 2 workers, ~${options.seconds} s x ${options.runs} runs; ` +
      `one round trip is two hand-offs (${loadAverage()})`,
  );
  console.log(
    "| variant | µs per round trip, median (min-max) | x raw wait/notify | x raw spin | " +
      "best run x raw spin's best |",
  );
  console.log("| --- | --- | --- | --- | --- |");
  for (const { kind, label } of kinds) {
    const xs = samples.get(kind)!;
    const toBase = median(xs.map((x, r) => x / base[r]!));
    const toSpin = median(xs.map((x, r) => x / spin[r]!));
    const best = Math.min(...xs) / Math.min(...spin);
    if (kind !== "raw-wait") RATIOS[`handoff_${kind.replaceAll("-", "_")}_vs_wait`] = toBase;
    console.log(
      `| ${label} | ${spread(xs, 3)} | ${fmt(toBase, 3)} | ${fmt(toSpin)} | ${fmt(best)} |`,
    );
  }
  // A spinning ping-pong is fast only while both workers hold a core, so it tells the regime.
  const parallel = parallelRounds(spin);
  const all = spin.map((_, r) => r);
  const busy = all.filter((r) => !parallel.includes(r));
  const event = samples.get("event")!;
  const condition = samples.get("condition")!;
  RATIOS.handoff_condition_vs_event = ratioOver(condition, event, all);
  RATIOS.handoff_condition_vs_event_2_cores = ratioOver(condition, event, parallel);
  RATIOS.handoff_condition_vs_event_1_core = ratioOver(condition, event, busy);
  console.log(
    `\nCondition round trip / Event round trip (median of per-round ratios): ${
      fmt(RATIOS.handoff_condition_vs_event, 2)
    }`,
  );
  console.log(
    `\nThe rounds above in which the raw spinning ping-pong took < ` +
      `${PARALLEL_SPIN_MICROS} µs (both workers on a core): ${parallel.length} of ${options.runs}; ` +
      `Condition / Event over those: ${
        overRounds(RATIOS.handoff_condition_vs_event_2_cores, (x) => fmt(x, 2))
      }, over the others: ${
        overRounds(RATIOS.handoff_condition_vs_event_1_core, (x) => fmt(x, 2))
      }`,
  );
  if (parallel.length === 0) return;
  console.log("| variant | µs per round trip, median (min-max) | x raw wait/notify | x raw spin |");
  console.log("| --- | --- | --- | --- |");
  for (const { kind, label } of kinds) {
    const xs = parallel.map((r) => samples.get(kind)![r]!);
    const toBase = median(parallel.map((r) => samples.get(kind)![r]! / base[r]!));
    const toSpin = median(parallel.map((r) => samples.get(kind)![r]! / spin[r]!));
    console.log(`| ${label} | ${spread(xs, 3)} | ${fmt(toBase, 3)} | ${fmt(toSpin)} |`);
  }
}

// --- Python peer. ------------------------------------------------------------------------------

async function python(options: Options): Promise<void> {
  const script = new URL("./peers/python_lock.py", import.meta.url);
  let output: Deno.CommandOutput;
  try {
    output = await new Deno.Command("python3", {
      args: [script.pathname, "--seconds", String(options.seconds), "--runs", String(options.runs)],
      stdout: "piped",
      stderr: "inherit",
    }).output();
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) {
      console.log("\nPython peer skipped: python3 not found");
      return;
    }
    throw error;
  }
  if (!output.success) throw new Error("bench/peers/python_lock.py failed");
  const runs = new TextDecoder().decode(output.stdout).trim().split("\n").map((line) =>
    JSON.parse(line) as { tx_per_s: number; min_share: number; overlap: number }
  );
  const tx = runs.map((r) => r.tx_per_s / 1e6);
  const share = runs.map((r) => r.min_share * 100);
  console.log(
    `\nPeer: Python multiprocessing.Lock, 2 processes, same loop (bench/peers/python_lock.py; ` +
      `${loadAverage()})`,
  );
  console.log("| variant | M tx/s median (min-max) | smaller worker's share % | overlap % |");
  console.log("| --- | --- | --- | --- |");
  console.log(
    `| Python ${runs.length} runs | ${spread(tx, 3)} | ${spread(share, 1)} | ${
      spread(runs.map((r) => r.overlap * 100), 0)
    } |`,
  );
}

/**
 * Issue 16's targets, read off the ratios of this run (those it measured): `Lock` >= 0.9x the raw
 * futex lock with 2, 4 and 8 workers, fairness beside it; a Condition hand-off <= 1.5x an Event's.
 */
function printTargets(): void {
  const lines: string[] = [];
  for (const n of [2, 4, 8]) {
    const ratio = RATIOS[`contended_vs_futex_${n}w`];
    if (ratio === undefined) continue;
    lines.push(
      `Lock, ${n} workers: ${fmt(ratio)}x the raw futex lock (target >= 0.9: ${
        ratio >= 0.9 ? "met" : "not met"
      }); fairness ${fmt(RATIOS[`contended_fairness_${n}w`]!)} (futex ${
        fmt(RATIOS[`futex_fairness_${n}w`]!)
      }); Semaphore(1) ${fmt(RATIOS[`semaphore_vs_futex_${n}w`]!)}x`,
    );
  }
  const cond = RATIOS.handoff_condition_vs_event;
  if (cond !== undefined) {
    lines.push(
      `Condition hand-off: ${fmt(cond)}x an Event's (target <= 1.5: ${
        cond <= 1.5 ? "met" : "not met"
      })`,
    );
  }
  if (lines.length === 0) return;
  console.log(`\nIssue 16 targets, this run (${loadAverage()}):`);
  for (const line of lines) console.log(`- ${line}`);
}

async function main(): Promise<void> {
  const args = [...Deno.args];
  const dir = chartsDir(args);
  const chartOnly = takeFlag(args, "--chart-only");
  const handoffOnly = takeFlag(args, "--handoff-only");
  const contendedOnly = takeFlag(args, "--contended-only");
  const costs = takeFlag(args, "--costs");
  const options = parseOptions(args);
  console.log(
    `Interlock lock_bench: Deno ${Deno.version.deno}, V8 ${Deno.version.v8}, ` +
      `${navigator.hardwareConcurrency} cores`,
  );
  if (handoffOnly) {
    using pair = new Crew();
    await handoff(pair, options);
    printTargets();
    printRatios("lock", RATIOS);
    return;
  }
  if (contendedOnly) {
    using pair = new Crew();
    await contended(pair, options);
    printTargets();
    printRatios("lock", RATIOS);
    return;
  }
  await scaling(options, dir, costs);
  if (!chartOnly) {
    {
      using pair = new Crew();
      await contended(pair, options);
      await handoff(pair, options);
    }
    await python(options);
  }
  printTargets();
  printRatios("lock", RATIOS);
}

if (import.meta.main) await main();
