/**
 * Pool dispatch throughput, `map` over a million integers, and CPU-bound speedup.
 *
 * A `deno run` script (throughput across worker threads does not fit `Deno.bench`'s
 * one-function-per-sample model); under `deno bench` this module does nothing. Rounds interleave the
 * variants; each figure is the median over `--runs` rounds, each ratio the median of per-round ratios.
 *
 * Situations modelled:
 * 1. **Tiny tasks** (the dispatch overhead itself): `--tasks` calls of `square(i)` submitted at once
 *    to a pool of 2 workers, each its own task (`pool.apply`), then all awaited. Baseline: piscina
 *    (`npm:piscina`, under Deno) doing the same with `pool.run`, with its defaults and tuned
 *    (`concurrentTasksPerWorker`, several tasks in flight per worker); both reported. Peer: Python's
 *    `Pool.apply_async` (`bench/peers/python_pool.py`, when `python3` exists).
 * 2. **map** of `square` over 1,000,000 integers with the default chunksize; `echo` of the same
 *    integers and of 1,000,000 short strings (`"s123456"`): the strings' time over the numbers',
 *    per round. Peer:
 *    Python's `Pool.map` on the same machine.
 * 3. **CPU-bound speedup**: 8 calls of `burn(n)` (a pure arithmetic loop, ~0.15 s each) on a pool of
 *    1 worker vs a pool of 2: the speedup the second core gives (2.0 at best). Baseline: the same
 *    work on 1 vs 2 bare worker threads without a pool, i.e. what the machine itself allows at that
 *    moment, measured in the same round.
 *
 * 4. **Task size** (the chart): tasks/s of `burn(n)` for n = 10 ... 10^6 iterations on 2 workers,
 *    Interlock's `pool.apply` against piscina's `run`, rounds interleaved; fewer tasks for larger
 *    sizes (~0.5 s of work per round). Small tasks measure dispatch, large ones the two cores.
 *    Written to `bench/charts/pool_task_size.svg` (+ `.json`).
 *
 * Run: `deno run --allow-read --allow-env --allow-run --allow-write bench/pool_bench.ts [--runs 5]
 * [--tasks 100000] [--chart-only] [--charts DIR]`
 *
 * @module
 */
import { Piscina } from "piscina";
import { Pool, taskModule } from "../mod.ts";
import { burn } from "./_workers/tiny_tasks.ts";
import { chartsDir, takeFlag, writeChart } from "./_chart.ts";
import { loadAverage, median, parseFlags, printRatios, spread } from "./_stats.ts";

/** The named same-run ratios; printed as the script's last line. */
const RATIOS: Record<string, number> = {};

/**
 * piscina's per-worker concurrency when tuned: up to this many tasks in flight per worker (the
 * default is 1, one message round trip per task). 16 was the best of 1, 4, 16, 64 for tiny tasks.
 */
const PISCINA_TUNED = 16;

function piscinaPool(tuned: boolean): Piscina {
  return new Piscina({
    filename: PISCINA_WORKER.href,
    minThreads: 2,
    maxThreads: 2,
    ...(tuned ? { concurrentTasksPerWorker: PISCINA_TUNED } : {}),
  });
}

/**
 * The task module: the same as `pool_ab_bench.ts` and `startup_bench.ts` use. (The tests' module,
 * `tests/_workers/pool_tasks.ts`, imports the whole library: each worker would load it.)
 */
const tasks = taskModule<typeof import("./_workers/tiny_tasks.ts")>(
  new URL("./_workers/tiny_tasks.ts", import.meta.url),
);
const PISCINA_WORKER = new URL("./peers/piscina_worker.mjs", import.meta.url);
/**
 * Iterations per `burn` call: ~0.15 s each here, so that 8 calls (1.2 s on one worker) dwarf the
 * millisecond-scale start-up and scheduling jitter of this VM's vCPUs. With 2,000,000 (~30 ms a
 * call) the jitter alone moved bare threads' speedup between 1.4 and 2.0 from one round to the next.
 */
const BURN_N = 10_000_000;
/** Python's `burn` of this many iterations takes about as long as one of ours of BURN_N. */
const PY_BURN_N = 2_000_000;

interface Options {
  runs: number;
  tasks: number;
}

function parseOptions(args: string[]): Options {
  return parseFlags<Options>(args, { runs: 5, tasks: 100_000 });
}

function fmt(x: number, digits = 0): string {
  return x.toLocaleString("en-US", {
    maximumFractionDigits: digits,
    minimumFractionDigits: digits,
  });
}

async function tinyInterlock(
  pool: Pool<typeof import("./_workers/tiny_tasks.ts")>,
  n: number,
) {
  const start = performance.now();
  const pending = new Array<Promise<number>>(n);
  for (let i = 0; i < n; i++) pending[i] = pool.apply("square", [i]);
  const values = await Promise.all(pending);
  const seconds = (performance.now() - start) / 1000;
  if (values[n - 1] !== (n - 1) * (n - 1)) throw new Error("wrong result");
  return n / seconds;
}

async function tinyPiscina(pool: Piscina, n: number) {
  const start = performance.now();
  const pending = new Array<Promise<number>>(n);
  for (let i = 0; i < n; i++) pending[i] = pool.run({ op: "square", x: i });
  const values = await Promise.all(pending);
  const seconds = (performance.now() - start) / 1000;
  if (values[n - 1] !== (n - 1) * (n - 1)) throw new Error("wrong result");
  return n / seconds;
}

/** Burn iterations per task of the task-size chart, and how many tasks a round runs of each. */
const TASK_SIZES = [10, 1_000, 10_000, 100_000, 1_000_000];
const tasksOfSize = (n: number) => Math.max(60, Math.min(5_000, Math.round(5e7 / n)));

/** Tasks/s of `burn(size)`, `count` tasks submitted at once, through `submit`. */
async function burnRate(
  submit: (size: number) => Promise<number>,
  size: number,
  count: number,
): Promise<number> {
  const expected = burn(size);
  const start = performance.now();
  const results = await Promise.all(Array.from({ length: count }, () => submit(size)));
  const seconds = (performance.now() - start) / 1000;
  if (results.some((r) => r !== expected)) throw new Error(`wrong burn(${size}) result`);
  return count / seconds;
}

/** Tasks/s against task size, Interlock vs piscina, interleaved rounds: the chart. */
async function taskSizeChart(options: Options, dir: URL): Promise<void> {
  const interlock = TASK_SIZES.map(() => [] as number[]);
  const peer = TASK_SIZES.map(() => [] as number[]);
  {
    await using pool = new Pool(tasks, { size: 2 });
    const piscina = piscinaPool(false);
    const viaPool = (n: number) => pool.apply("burn", [n]);
    const viaPiscina = (n: number) => piscina.run({ op: "burn", x: n }) as Promise<number>;
    try {
      for (const size of TASK_SIZES) {
        await burnRate(viaPool, size, 200); // warm-up: threads up, code compiled
        await burnRate(viaPiscina, size, 200);
      }
      for (let r = 0; r < options.runs; r++) {
        for (const [k, size] of TASK_SIZES.entries()) {
          interlock[k]!.push(await burnRate(viaPool, size, tasksOfSize(size)));
          peer[k]!.push(await burnRate(viaPiscina, size, tasksOfSize(size)));
        }
      }
    } finally {
      await piscina.destroy();
    }
  }
  console.log(
    `\nTask size, 2 workers, ${options.runs} interleaved rounds (${loadAverage()})\n` +
      "| burn iterations per task | tasks per round | Interlock tasks/s | piscina tasks/s | ratio |",
  );
  console.log("| ---: | ---: | --- | --- | --- |");
  const ratios: Record<string, number> = {};
  TASK_SIZES.forEach((size, k) => {
    const ratio = median(interlock[k]!.map((x, r) => x / peer[k]![r]!));
    ratios[`interlock/piscina@${size}`] = ratio;
    RATIOS[`burn_${size}_vs_piscina`] = ratio;
    console.log(
      `| ${fmt(size)} | ${fmt(tasksOfSize(size))} | ${spread(interlock[k]!, (x) => fmt(x))} | ${
        spread(peer[k]!, (x) => fmt(x))
      } | ${fmt(ratio, 2)} |`,
    );
  });
  const points = (xs: number[][]) => TASK_SIZES.map((size, k) => ({ x: size, ys: xs[k]! }));
  const path = await writeChart(dir, "pool_task_size", {
    bench: "pool",
    ratios,
    chart: {
      title: "Pool: tasks/s vs task size, 2 workers, against piscina",
      subtitle:
        `median and min-max of ${options.runs} interleaved rounds; ${navigator.hardwareConcurrency} vCPUs, shared; Deno ${Deno.version.deno}`,
      x: { label: "task size: burn iterations per task (log)", log: true },
      y: { label: "tasks/s (log)", log: true },
      series: [
        { name: "piscina run (baseline)", baseline: true, points: points(peer) },
        { name: "Interlock Pool.apply", points: points(interlock) },
      ],
    },
  });
  console.log(`chart: ${path}`);
}

async function burnTime(size: number): Promise<number> {
  await using pool = new Pool(tasks, { size });
  // Workers up, and `burn` at V8's steady tier in each: its 3rd and 4th calls run ~1.5x slower
  // (V8 re-tiers it), a cost a pool of 2 would pay once per worker and a pool of 1 only once.
  await pool.map("burn", Array(6 * size).fill(1_000_000), { chunksize: 1 });
  const start = performance.now();
  await pool.map("burn", Array(8).fill(BURN_N), { chunksize: 1 });
  return (performance.now() - start) / 1000;
}

const RAW_BURN = `import { parentPort } from "node:worker_threads";
parentPort.on("message", ({ n, times }) => {
  let total = 0;
  for (let t = 0; t < times; t++) {
    let sum = 0;
    for (let i = 0; i < n; i++) sum += (i * i) % 7;
    total += sum;
  }
  parentPort.postMessage(total);
});`;

/** The machine's own speedup: the same 8 burns on 1 vs 2 bare worker threads, no pool. */
async function rawBurnTime(threads: number): Promise<number> {
  const { Worker } = await import("node:worker_threads");
  const url = new URL(`data:text/javascript,${encodeURIComponent(RAW_BURN)}`);
  const workers = Array.from({ length: threads }, () => new Worker(url));
  const run = (w: InstanceType<typeof Worker>, n: number, times: number) =>
    new Promise<void>((resolve) => {
      w.once("message", () => resolve());
      w.postMessage({ n, times });
    });
  try {
    await Promise.all(workers.map((w) => run(w, 1000, 1)));
    const start = performance.now();
    await Promise.all(workers.map((w) => run(w, BURN_N, 8 / threads)));
    return (performance.now() - start) / 1000;
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
}

interface PythonFigures {
  apply_async_per_s: number;
  map_1m_s: number;
  burn_speedup: number;
}

async function python(options: Options): Promise<PythonFigures[]> {
  const script = new URL("./peers/python_pool.py", import.meta.url).pathname;
  const runs: PythonFigures[] = [];
  for (let r = 0; r < Math.min(options.runs, 3); r++) {
    try {
      const out = await new Deno.Command("python3", {
        args: [script, String(options.tasks), String(PY_BURN_N)],
        stdout: "piped",
        stderr: "inherit",
      }).output();
      if (!out.success) return runs;
      runs.push(JSON.parse(new TextDecoder().decode(out.stdout)));
    } catch {
      return runs; // no python3
    }
  }
  return runs;
}

async function main(): Promise<void> {
  const args = [...Deno.args];
  const dir = chartsDir(args);
  const chartOnly = takeFlag(args, "--chart-only");
  const options = parseOptions(args);
  console.log(
    `Interlock pool_bench: Deno ${Deno.version.deno}, V8 ${Deno.version.v8}, ` +
      `${navigator.hardwareConcurrency} cores, ${options.tasks} tiny tasks, ${options.runs} runs`,
  );
  await taskSizeChart(options, dir);
  if (!chartOnly) await figures(options);
  printRatios("pool", RATIOS);
}

/** Tiny tasks, map of numbers and of strings, CPU-bound speedup, and the Python peer. */
async function figures(options: Options): Promise<void> {
  const items = Array.from({ length: 1_000_000 }, (_, i) => i);
  const strings = items.map((i) => `s${i}`);
  const tiny: number[] = [];
  const peer: number[] = [];
  const tuned: number[] = [];
  const ratios: number[] = [];
  const tunedRatios: number[] = [];
  const maps: number[] = [];
  const echoMaps: number[] = [];
  const stringMaps: number[] = [];
  const load = loadAverage();
  {
    await using pool = new Pool(tasks, { size: 2 });
    const piscina = piscinaPool(false);
    const piscinaTuned = piscinaPool(true);
    try {
      // Warm up all (threads started, code compiled).
      await tinyInterlock(pool, 20_000);
      await tinyPiscina(piscina, 20_000);
      await tinyPiscina(piscinaTuned, 20_000);
      await pool.map("square", items);
      await pool.map("echo", items);
      await pool.map("echo", strings);
      for (let r = 0; r < options.runs; r++) {
        const a = await tinyInterlock(pool, options.tasks);
        const b = await tinyPiscina(piscina, options.tasks);
        const c = await tinyPiscina(piscinaTuned, options.tasks);
        tiny.push(a);
        peer.push(b);
        tuned.push(c);
        ratios.push(a / b);
        tunedRatios.push(a / c);
        let start = performance.now();
        const squares = await pool.map("square", items);
        maps.push((performance.now() - start) / 1000);
        if (squares[999_999] !== 999_999 * 999_999) throw new Error("wrong map result");
        start = performance.now();
        const same = await pool.map("echo", items);
        echoMaps.push((performance.now() - start) / 1000);
        start = performance.now();
        const echoed = await pool.map("echo", strings);
        stringMaps.push((performance.now() - start) / 1000);
        if (same[999_999] !== 999_999 || echoed[999_999] !== "s999999") {
          throw new Error("wrong echo map result");
        }
      }
    } finally {
      await piscina.destroy();
      await piscinaTuned.destroy();
    }
  }
  const speedups: number[] = [];
  const rawSpeedups: number[] = [];
  const relative: number[] = [];
  for (let r = 0; r < options.runs; r++) {
    const one = await burnTime(1);
    const two = await burnTime(2);
    speedups.push(one / two);
    rawSpeedups.push(await rawBurnTime(1) / await rawBurnTime(2));
    relative.push(speedups[r]! / rawSpeedups[r]!);
  }
  const py = await python(options);

  console.log(`\nTiny tasks and map: ${load} before, ${loadAverage()} after`);
  console.log("\n| figure | median (min-max) |");
  console.log("| --- | --- |");
  const row = (label: string, xs: number[], digits = 0) =>
    console.log(`| ${label} | ${spread(xs, (x) => fmt(x, digits))} |`);
  row("Interlock Pool.apply, tiny tasks/s (2 workers)", tiny);
  row("piscina run, tiny tasks/s (2 threads)", peer);
  row(`piscina run, concurrentTasksPerWorker ${PISCINA_TUNED}, tiny tasks/s`, tuned);
  row("ratio Interlock / piscina", ratios, 2);
  row("ratio Interlock / piscina tuned", tunedRatios, 2);
  row("Interlock Pool.map squares of 1,000,000 ints, s", maps, 3);
  row("Interlock Pool.map echo of 1,000,000 ints, s", echoMaps, 3);
  row("Interlock Pool.map echo of 1,000,000 short strings ('s123456'), s", stringMaps, 3);
  const stringsVsNumbers = stringMaps.map((x, r) => x / echoMaps[r]!);
  row("echo map time, strings / numbers, per round", stringsVsNumbers, 2);
  RATIOS.tiny_vs_piscina = median(ratios);
  RATIOS.tiny_vs_piscina_tuned = median(tunedRatios);
  RATIOS.map_strings_vs_numbers_time = median(stringsVsNumbers);
  row("CPU-bound speedup, Pool of 2 vs Pool of 1 (8 × burn)", speedups, 2);
  row("same on 2 vs 1 bare worker threads, no pool (the machine's own)", rawSpeedups, 2);
  row("pool's speedup / bare threads' speedup, per round (1 = no loss)", relative, 2);
  RATIOS.cpu_speedup_vs_bare_threads = median(relative);
  if (py.length > 0) {
    row("Python Pool.apply_async, tiny tasks/s (2 processes)", py.map((p) => p.apply_async_per_s));
    row("Python Pool.map squares of 1,000,000 ints, s", py.map((p) => p.map_1m_s), 3);
    row("Python CPU-bound speedup, 2 processes vs 1", py.map((p) => p.burn_speedup), 2);
    console.log(
      `\nInterlock tiny tasks / Python apply_async: ${
        fmt(median(tiny) / median(py.map((p) => p.apply_async_per_s)), 2)
      }x; Interlock map time / Python map time: ${
        fmt(median(maps) / median(py.map((p) => p.map_1m_s)), 2)
      }`,
    );
    RATIOS.tiny_vs_python = median(tiny) / median(py.map((p) => p.apply_async_per_s));
    RATIOS.map_time_vs_python = median(maps) / median(py.map((p) => p.map_1m_s));
  } else {
    console.log("\n(python3 not found: no Python figures)");
  }
}

if (import.meta.main) await main();
