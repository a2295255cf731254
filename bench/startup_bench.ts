/**
 * Start-up time and idle memory: `Process`, `Pool(2)` and piscina against bare worker threads.
 *
 * A `deno run` script. Every measurement runs in a fresh child process (this script with
 * `--child CASE`), so each one pays the whole cold start (module loading, compiling, thread
 * creation) and its memory is its own; the rounds interleave the cases, each figure is the median
 * (min-max) of `--runs` rounds and each ratio the median of the per-round ratios.
 *
 * Situations modelled:
 * 1. **Process start to join**: `new Process(tasks, "nothing")`, `start()`, `await join()`, against
 *    a bare `node:worker_threads` worker on the same module that exits at once (`'exit'` event).
 * 2. **Pool(2) to first result**: `new Pool(tasks, { size: 2 })` then `await pool.apply("square",
 *    [3])`, against piscina (2 threads, its own task module) running the same task; both from the
 *    constructor to the first result.
 * 3. **Idle RSS above base**: the child's resident set after the pool (or the 2 bare workers, or
 *    piscina) answered a task on every worker and sat idle for 300 ms, minus its resident set
 *    before starting any worker.
 *
 * Each child runs its case four times: the first run gives the cold figures, the median of the
 * other three the warm time (module graph cached, code compiled once).
 *
 * All of them load `bench/_workers/tiny_tasks.ts` (piscina: `bench/peers/piscina_worker.mjs`), so
 * the figures are the libraries' own costs. Each table gives the load average.
 *
 * Run: `deno run --allow-read --allow-env --allow-sys --allow-run bench/startup_bench.ts [--runs 7]`
 *
 * @module
 */
import { Piscina } from "piscina";
import { Worker } from "node:worker_threads";
import { Pool, Process, taskModule } from "../mod.ts";
import { loadAverage, median, parseFlags, printRatios, spread } from "./_stats.ts";

const TASKS_URL = new URL("./_workers/tiny_tasks.ts", import.meta.url);
const tasks = taskModule<typeof import("./_workers/tiny_tasks.ts")>(TASKS_URL);
const PISCINA_WORKER = new URL("./peers/piscina_worker.mjs", import.meta.url);

/** What one child measures: milliseconds to the event, and resident MB above its base. */
interface Figures {
  ms: number;
  rssMb: number;
}

/** What a child reports: its first (cold) run, and the median of three more (warm) runs' ms. */
interface ChildFigures extends Figures {
  warmMs: number;
}

const CASES = {
  /** A bare worker that loads the module and exits: start to 'exit'. */
  "worker-join": async (): Promise<Figures> => {
    const t0 = performance.now();
    const w = new Worker(TASKS_URL, { workerData: "exit" });
    await new Promise((resolve) => w.once("exit", resolve));
    return { ms: performance.now() - t0, rssMb: 0 };
  },
  "process-join": async (): Promise<Figures> => {
    const t0 = performance.now();
    const p = new Process(tasks, "nothing");
    p.start();
    await p.join();
    if (p.exitCode !== 0) throw new Error(`Process exit code ${p.exitCode}`);
    return { ms: performance.now() - t0, rssMb: 0 };
  },
  /** Two bare workers: start to the first answer; then idle memory once both answered. */
  "workers-2": async (): Promise<Figures> => {
    const base = Deno.memoryUsage().rss;
    const t0 = performance.now();
    const ws = [0, 1].map(() => new Worker(TASKS_URL, { workerData: "bare" }));
    const ask = (w: Worker) =>
      new Promise<number>((resolve) => {
        w.once("message", resolve);
        w.postMessage(3);
      });
    await Promise.race(ws.map(ask));
    const ms = performance.now() - t0;
    await Promise.all(ws.map(ask));
    const rssMb = await idleRss(base);
    await Promise.all(ws.map((w) => w.terminate()));
    return { ms, rssMb };
  },
  "pool-2": async (): Promise<Figures> => {
    const base = Deno.memoryUsage().rss;
    const t0 = performance.now();
    await using pool = new Pool(tasks, { size: 2 });
    if (await pool.apply("square", [3]) !== 9) throw new Error("wrong result");
    const ms = performance.now() - t0;
    // A task on each worker (two held at once make sure both are up).
    await Promise.all([pool.apply("square", [1]), pool.apply("square", [2])]);
    return { ms, rssMb: await idleRss(base) };
  },
  "piscina-2": async (): Promise<Figures> => {
    const base = Deno.memoryUsage().rss;
    const t0 = performance.now();
    const piscina = new Piscina({ filename: PISCINA_WORKER.href, minThreads: 2, maxThreads: 2 });
    if (await piscina.run({ op: "square", x: 3 }) !== 9) throw new Error("wrong result");
    const ms = performance.now() - t0;
    await Promise.all([piscina.run({ op: "square", x: 1 }), piscina.run({ op: "square", x: 2 })]);
    const rssMb = await idleRss(base);
    await piscina.destroy();
    return { ms, rssMb };
  },
};

type Case = keyof typeof CASES;

/** Resident MB above `base` after 300 ms idle. */
async function idleRss(base: number): Promise<number> {
  await new Promise((resolve) => setTimeout(resolve, 300));
  return (Deno.memoryUsage().rss - base) / 2 ** 20;
}

async function child(name: Case): Promise<ChildFigures> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-read",
      "--allow-env",
      "--allow-sys",
      new URL(import.meta.url).pathname,
      "--child",
      name,
    ],
    stdout: "piped",
    stderr: "inherit",
  }).output();
  if (!out.success) throw new Error(`startup_bench child ${name} failed`);
  return JSON.parse(new TextDecoder().decode(out.stdout).trim().split("\n").at(-1)!);
}

async function main(): Promise<void> {
  const { runs } = parseFlags(Deno.args, { runs: 7 });
  console.log(
    `Interlock startup_bench: Deno ${Deno.version.deno}, ${navigator.hardwareConcurrency} cores, ` +
      `${runs} rounds, each case in a fresh process`,
  );
  const names = Object.keys(CASES) as Case[];
  const got = new Map<Case, ChildFigures[]>(names.map((n) => [n, []]));
  const load = loadAverage();
  for (let r = 0; r < runs; r++) {
    for (const name of names) got.get(name)!.push(await child(name));
  }
  const per = (a: Case, b: Case, key: keyof ChildFigures) =>
    got.get(a)!.map((x, r) => x[key] / got.get(b)![r]![key]);
  const ms = (name: Case, key: "ms" | "warmMs" = "ms") =>
    spread(got.get(name)!.map((x) => x[key]), (x) => x.toFixed(1));
  const mb = (name: Case) => spread(got.get(name)!.map((x) => x.rssMb), (x) => x.toFixed(1));
  const ratio = (xs: number[]) => spread(xs, (x) => x.toFixed(2));
  console.log(`\n(${load} before, ${loadAverage()} after)`);
  console.log("| figure | Interlock | baseline | ratio per round, median (min-max) |");
  console.log("| --- | --- | --- | --- |");
  console.log(
    `| start to join, ms: Process vs bare worker | ${ms("process-join")} | ${ms("worker-join")} | ${
      ratio(per("process-join", "worker-join", "ms"))
    } |`,
  );
  console.log(
    `| warm (4th in the process): Process vs bare worker | ${ms("process-join", "warmMs")} | ${
      ms("worker-join", "warmMs")
    } | ${ratio(per("process-join", "worker-join", "warmMs"))} |`,
  );
  console.log(
    `| warm (4th in the process): Pool(2) vs piscina | ${ms("pool-2", "warmMs")} | ${
      ms("piscina-2", "warmMs")
    } | ${ratio(per("pool-2", "piscina-2", "warmMs"))} |`,
  );
  console.log(
    `| to first result, ms: Pool(2) vs piscina | ${ms("pool-2")} | ${ms("piscina-2")} | ${
      ratio(per("pool-2", "piscina-2", "ms"))
    } |`,
  );
  console.log(
    `| to first result, ms: Pool(2) vs 2 bare workers | ${ms("pool-2")} | ${ms("workers-2")} | ${
      ratio(per("pool-2", "workers-2", "ms"))
    } |`,
  );
  console.log(
    `| idle RSS above base, MB: Pool(2) vs 2 bare workers | ${mb("pool-2")} | ${
      mb("workers-2")
    } | ${ratio(per("pool-2", "workers-2", "rssMb"))} |`,
  );
  console.log(
    `| idle RSS above base, MB: piscina vs 2 bare workers | ${mb("piscina-2")} | ${
      mb("workers-2")
    } | ${ratio(per("piscina-2", "workers-2", "rssMb"))} |`,
  );
  printRatios("startup", {
    process_join_vs_bare_worker: median(per("process-join", "worker-join", "ms")),
    process_join_vs_bare_worker_warm: median(per("process-join", "worker-join", "warmMs")),
    pool2_first_result_vs_piscina: median(per("pool-2", "piscina-2", "ms")),
    pool2_first_result_vs_piscina_warm: median(per("pool-2", "piscina-2", "warmMs")),
    pool2_first_result_vs_bare_workers: median(per("pool-2", "workers-2", "ms")),
    pool2_idle_rss_vs_bare_workers: median(per("pool-2", "workers-2", "rssMb")),
    piscina_idle_rss_vs_bare_workers: median(per("piscina-2", "workers-2", "rssMb")),
  });
}

if (import.meta.main) {
  const k = Deno.args.indexOf("--child");
  if (k >= 0) {
    const name = Deno.args[k + 1] as Case;
    if (!(name in CASES)) throw new RangeError(`Unknown case ${name}`);
    const cold = await CASES[name]();
    const warm: number[] = [];
    for (let r = 0; r < 3; r++) warm.push((await CASES[name]()).ms);
    console.log(JSON.stringify({ ...cold, warmMs: median(warm) }));
  } else {
    await main();
  }
}
