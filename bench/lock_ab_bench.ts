/**
 * A/B of the contended `Lock` and `Semaphore(1)` and of the Lock, Event and Condition hand-offs
 * between two copies of Interlock, in one run: this tree's (B) against another copy's (A,
 * typically main), with the raw futex lock and the raw wait/notify ping-pong as baselines. Rounds
 * interleave every variant, so the shared machine's load weighs on all alike; each ratio is the
 * median of the per-round ratios.
 *
 * Situations (those of `bench/lock_bench.ts`): 2, 4 and 8 workers looping on locked non-atomic
 * increments for `--ms` milliseconds (checked exactly at the end), with fairness (the smallest
 * worker's share times the number of workers; 1 = even); and ping-pongs between 2 workers, one round
 * trip being two hand-offs. The machine's cores and load are printed with the tables.
 *
 * The hand-offs are `lock_bench.ts`'s, from the same ping-pong bodies (`./_workers/pings.ts`), with
 * the raw spinning ping-pong beside them to tell each round's regime (`./_regime.ts`): the
 * Condition / Event ratio is printed over all rounds, over the rounds in which both workers held
 * a core and over the others. The two benches measure the same thing; what they do not share:
 * here one function runs both copies' classes (its calls see two classes each: a few ns), each
 * copy has its own spin budgets (in `lock_bench.ts` the Event's run inherits the budgets the
 * Condition's run left, and the other way round), and a run happens when it happens: the
 * ratio is a different figure in each regime, so compare runs by the per-regime ratios, never an
 * idle `lock_bench.ts` with a busy `lock_ab_bench.ts` (bench/RESULTS.md, "Condition hand-off, why
 * the two benches disagreed").
 *
 * Run (A is a copy of main's files, so that each side loads its own workers' modules):
 *
 * ```sh
 * mkdir -p /tmp/base && git archive main mod.ts src | tar -x -C /tmp/base
 * deno run -A bench/lock_ab_bench.ts --base /tmp/base/mod.ts [--runs 7] [--ms 200] [--handoff-only]
 * ```
 *
 * The last line printed is one JSON object of named ratios (`printRatios`).
 *
 * @module
 */
import { type AbJob, STOP } from "./_workers/lock_ab_jobs.ts";
import { overRounds, PARALLEL_SPIN_MICROS, parallelRounds, ratioOver } from "./_regime.ts";
import { loadAverage, median, printRatios, spread } from "./_stats.ts";

const WORKER = new URL("./_workers/lock_ab_worker.ts", import.meta.url);
const COUNTS = [2, 4, 8];

interface Options {
  base: string;
  runs: number;
  ms: number;
  handoffOnly: boolean;
}

function parseOptions(args: string[]): Options {
  const options: Options = { base: "", runs: 7, ms: 200, handoffOnly: false };
  for (let k = 0; k < args.length; k += 2) {
    const [flag, value] = [args[k], args[k + 1] ?? ""];
    const n = Number(value);
    if (flag === "--handoff-only") {
      options.handoffOnly = true;
      k--;
    } else if (flag === "--base") options.base = new URL(value, `file://${Deno.cwd()}/`).href;
    else if (flag === "--runs" && Number.isInteger(n) && n > 0) options.runs = n;
    else if (flag === "--ms" && Number.isInteger(n) && n > 0) options.ms = n;
    else throw new RangeError(`Bad option ${flag} ${value}`);
  }
  if (options.base === "") throw new RangeError("Missing --base <other copy's mod.ts>");
  return options;
}

interface Result {
  count: number;
  start: number;
  end: number;
}

/** Workers that stay up for the whole script. */
class Crew implements Disposable {
  readonly workers = Array.from(
    { length: Math.max(...COUNTS) },
    () => new Worker(WORKER, { type: "module" }),
  );

  run(jobs: AbJob[]): Promise<Result[]> {
    return Promise.all(jobs.map((job, k) =>
      new Promise<Result>((resolve, reject) => {
        const worker = this.workers[k]!;
        worker.onmessage = (e: MessageEvent<Result & { ok: boolean; error: string }>) =>
          e.data.ok ? resolve(e.data) : reject(new Error(e.data.error));
        worker.postMessage(job);
      })
    ));
  }

  [Symbol.dispose](): void {
    for (const worker of this.workers) worker.terminate();
  }
}

function shared(words: number): Int32Array {
  return new Int32Array(new SharedArrayBuffer(words * 4));
}

// deno-lint-ignore no-explicit-any
type Copy = any;

interface Variant {
  name: string;
  copy: Copy | null;
  mod: string | null;
  kind: string;
}

interface Sample {
  tx: number;
  fairness: number;
}

async function contendedRun(crew: Crew, v: Variant, parties: number, ms: number): Promise<Sample> {
  const ctl = shared(16);
  const data = shared(32); // the counter's line, then the raw futex lock's (the worker's RAW)
  const object = v.copy === null
    ? null
    : v.kind === "semaphore"
    ? new v.copy.Semaphore(1)
    : new v.copy.Lock();
  const jobs = Array.from({ length: parties }, (): AbJob => ({
    job: "contended",
    mod: v.mod,
    kind: v.kind,
    ctl,
    data,
    parties,
    player: 0,
    rounds: 0,
    objects: [object],
  }));
  const running = crew.run(jobs);
  await new Promise((resolve) => setTimeout(resolve, ms));
  Atomics.store(ctl, STOP, 1);
  const results = await running;
  const total = results.reduce((sum, r) => sum + r.count, 0);
  if (data[0] !== total) throw new Error(`Lost updates under ${v.name}: ${data[0]} of ${total}`);
  const elapsed = Math.max(...results.map((r) => r.end)) - Math.min(...results.map((r) => r.start));
  return {
    tx: total / elapsed / 1e3,
    fairness: Math.min(...results.map((r) => r.count)) / total * parties,
  };
}

function pair(v: Variant): unknown[] {
  const M = v.copy;
  if (M === null) return [];
  if (v.kind === "condition") return [new M.Condition()];
  if (v.kind === "event") return [new M.Event(), new M.Event()];
  const a = new M.Lock();
  const b = new M.Lock();
  a.tryAcquire();
  b.tryAcquire();
  return [a, b];
}

/** Microseconds per round trip. */
async function pingRun(crew: Crew, v: Variant, rounds: number): Promise<number> {
  const ctl = shared(16);
  const turn = shared(16);
  const objects = pair(v);
  const job = (player: number): AbJob => ({
    job: "ping",
    mod: v.mod,
    kind: v.kind,
    ctl,
    data: turn,
    parties: 2,
    player,
    rounds,
    objects,
  });
  const [a, b] = await crew.run([job(0), job(1)]) as [Result, Result];
  return (Math.max(a.end, b.end) - Math.min(a.start, b.start)) * 1000 / rounds;
}

const fmt = (x: number) => x.toFixed(2);

/** What both tables run with: the workers, the two copies (A, B), B's `mod.ts`, and the ratios. */
interface Setup {
  crew: Crew;
  copies: [Copy, Copy];
  mine: string;
  options: Options;
  ratios: Record<string, number>;
}

/** The contended table: 2, 4 and 8 workers, each variant against the raw futex lock. */
async function contendedPart(
  { crew, copies: [A, B], mine, options, ratios }: Setup,
): Promise<void> {
  const contendedVariants: Variant[] = [
    { name: "raw futex lock (baseline)", copy: null, mod: null, kind: "lock" },
    { name: "A Lock", copy: A, mod: options.base, kind: "lock" },
    { name: "B Lock", copy: B, mod: mine, kind: "lock" },
    { name: "A Semaphore(1)", copy: A, mod: options.base, kind: "semaphore" },
    { name: "B Semaphore(1)", copy: B, mod: mine, kind: "semaphore" },
  ];
  for (const n of COUNTS) {
    for (const v of contendedVariants) await contendedRun(crew, v, n, 30); // warm-up
  }
  const before = loadAverage();
  const samples = COUNTS.map(() => contendedVariants.map(() => [] as Sample[]));
  for (let r = 0; r < options.runs; r++) {
    for (const [j, n] of COUNTS.entries()) {
      for (const [k, v] of contendedVariants.entries()) {
        samples[j]![k]!.push(await contendedRun(crew, v, n, options.ms));
      }
    }
  }
  console.log(`\nContended (${before} before, ${loadAverage()} after)`);
  console.log("| workers | variant | M tx/s | x raw futex | x A | fairness |");
  console.log("| ---: | --- | --- | --- | --- | --- |");
  for (const [j, n] of COUNTS.entries()) {
    const base = samples[j]![0]!;
    for (const [k, v] of contendedVariants.entries()) {
      const xs = samples[j]![k]!;
      const toBase = median(xs.map((x, r) => x.tx / base[r]!.tx));
      // B's variants follow their twins in A (same kind): k - 1.
      const twin = k > 0 && k % 2 === 0 ? samples[j]![k - 1]! : undefined;
      const toA = twin === undefined ? NaN : median(xs.map((x, r) => x.tx / twin[r]!.tx));
      const key = v.name.replace(/\W+/g, "_").replace(/_+$/, "").toLowerCase();
      if (k > 0) {
        ratios[`${key}_vs_futex_${n}w`] = toBase;
        ratios[`${key}_fairness_${n}w`] = median(xs.map((x) => x.fairness));
      }
      if (twin !== undefined) ratios[`${key}_vs_a_${n}w`] = toA;
      console.log(
        `| ${n} | ${v.name} | ${spread(xs.map((x) => x.tx), fmt)} | ${fmt(toBase)} | ${
          twin === undefined ? "-" : fmt(toA)
        } | ${spread(xs.map((x) => x.fairness), fmt)} |`,
      );
    }
  }
}

/**
 * The hand-off table: the ping-pongs of `bench/_workers/pings.ts`, as `lock_bench.ts` runs them,
 * with the raw spinning ping-pong to tell in which rounds both workers held a core
 * (`./_regime.ts`); the Condition / Event ratio is given over all rounds and per regime.
 */
async function handoffPart(
  { crew, copies: [A, B], mine, options, ratios }: Setup,
): Promise<void> {
  const pingVariants: Variant[] = [
    { name: "raw wait/notify (baseline)", copy: null, mod: null, kind: "raw" },
    { name: "raw spin", copy: null, mod: null, kind: "raw-spin" },
    ...["lock", "event", "condition"].flatMap((kind) => [
      { name: `A ${kind}`, copy: A, mod: options.base, kind },
      { name: `B ${kind}`, copy: B, mod: mine, kind },
    ]),
  ];
  const rounds = new Map<Variant, number>();
  for (const v of pingVariants) {
    const us = await pingRun(crew, v, 300);
    rounds.set(v, Math.max(300, Math.round(options.ms * 1e3 / us)));
  }
  const pings = pingVariants.map(() => [] as number[]);
  const pingBefore = loadAverage();
  for (let r = 0; r < options.runs; r++) {
    for (const [k, v] of pingVariants.entries()) {
      pings[k]!.push(await pingRun(crew, v, rounds.get(v)!));
    }
  }
  console.log(`\nHand-offs, 2 workers (${pingBefore} before, ${loadAverage()} after)`);
  console.log("| variant | µs per round trip | x raw wait/notify |");
  console.log("| --- | --- | --- |");
  for (const [k, v] of pingVariants.entries()) {
    const toBase = median(pings[k]!.map((x, r) => x / pings[0]![r]!));
    if (k > 0) ratios[`handoff_${v.name.replace(" ", "_").toLowerCase()}_vs_wait`] = toBase;
    console.log(`| ${v.name} | ${spread(pings[k]!, fmt)} | ${fmt(toBase)} |`);
  }
  // Indices: 1 raw spin, 2/3 A/B lock, 4/5 A/B event, 6/7 A/B condition.
  const all = pings[0]!.map((_, r) => r);
  const parallel = parallelRounds(pings[1]!);
  const shared = all.filter((r) => !parallel.includes(r));
  ratios.a_condition_vs_event = ratioOver(pings[6]!, pings[4]!, all);
  ratios.b_condition_vs_event = ratioOver(pings[7]!, pings[5]!, all);
  ratios.b_vs_a_condition = ratioOver(pings[7]!, pings[6]!, all);
  const perRegime = (subset: number[]) =>
    [ratioOver(pings[6]!, pings[4]!, subset), ratioOver(pings[7]!, pings[5]!, subset)] as const;
  const [a2, b2] = perRegime(parallel);
  const [a1, b1] = perRegime(shared);
  Object.assign(ratios, {
    a_condition_vs_event_2_cores: a2,
    b_condition_vs_event_2_cores: b2,
    a_condition_vs_event_1_core: a1,
    b_condition_vs_event_1_core: b1,
  });
  console.log(
    `\nCondition / Event round trip (target <= 1.5): A ${fmt(ratios.a_condition_vs_event)}, ` +
      `B ${fmt(ratios.b_condition_vs_event)}; B's Condition / A's ${fmt(ratios.b_vs_a_condition)}`,
  );
  console.log(
    `Rounds in which the raw spinning ping-pong took < ${PARALLEL_SPIN_MICROS} µs (both workers ` +
      `on a core): ${parallel.length} of ${all.length}; Condition / Event over those: A ${
        overRounds(a2, fmt)
      }, B ${overRounds(b2, fmt)}; over the others: A ${overRounds(a1, fmt)}, B ${
        overRounds(b1, fmt)
      }`,
  );
}

async function main(): Promise<void> {
  const options = parseOptions([...Deno.args]);
  const mine = new URL("../mod.ts", import.meta.url).href;
  const copies = await Promise.all([import(options.base), import(mine)]) as [Copy, Copy];
  const ratios: Record<string, number> = {};
  using crew = new Crew();
  console.log(
    `lock_ab_bench: A = ${options.base}, B = this tree; Deno ${Deno.version.deno}, ` +
      `${navigator.hardwareConcurrency} cores; ${options.runs} interleaved rounds of ${options.ms} ms`,
  );
  const setup: Setup = { crew, copies, mine, options, ratios };
  if (!options.handoffOnly) await contendedPart(setup);
  await handoffPart(setup);
  printRatios("lock_ab", ratios);
}

if (import.meta.main) await main();
