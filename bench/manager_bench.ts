/**
 * Manager call throughput and Executor overhead.
 *
 * A `deno run` script (calls across worker threads do not fit `Deno.bench`'s one-function-per-sample
 * model). Rounds interleave the variants; each figure is the median over `--runs` rounds, each ratio
 * the median of per-round ratios.
 *
 * Situations modelled:
 * 1. **Sequential calls** from the main thread: `--calls` awaited `dict.get(key)` on a managed dict.
 *    Baseline: the same call through comlink over a worker's own `postMessage` port (what comlink
 *    gives without proxies that can travel to other workers). Peer: Python's `Manager().dict()`
 *    proxy (`bench/peers/python_manager.py`, when `python3` exists).
 * 2. **Two workers** sharing one managed dict: both make atomic `update("count", "add", 1)` calls
 *    for the same fixed time (0.3 s, from a start barrier to a stop flag); calls per second over
 *    both, with the workers' measured overlap. Peer: two Python processes calling the same proxy.
 * 3. **Executor overhead**: `--tasks` tiny `submit("square", i)` at once on 2 workers, all awaited.
 *    Baseline: `pool.applyAsync` on a pool of 2 (the Executor's substrate). Peer: Python's
 *    `ProcessPoolExecutor(2)`.
 *
 * Run: `deno run --allow-read --allow-env --allow-sys --allow-run bench/manager_bench.ts [--runs 5]
 * [--calls 5000] [--tasks 20000]`
 *
 * @module
 */
import * as Comlink from "comlink";
import { Executor, Pool, taskModule } from "../mod.ts";
import { Manager } from "../src/manager/mod.ts";
import type { api } from "./_workers/manager_bench_worker.ts";
import {
  loadAverage,
  median,
  overlap,
  parseFlags,
  printRatios,
  type Span,
  spread,
} from "./_stats.ts";

const WORKER = new URL("./_workers/manager_bench_worker.ts", import.meta.url);
const tasks = taskModule<typeof import("../tests/_workers/pool_tasks.ts")>(
  new URL("../tests/_workers/pool_tasks.ts", import.meta.url),
);

interface Options {
  runs: number;
  calls: number;
  tasks: number;
}

function parseOptions(args: string[]): Options {
  return parseFlags<Options>(args, { runs: 5, calls: 5000, tasks: 20_000 });
}

function fmt(x: number, digits = 0): string {
  return x.toLocaleString("en-US", {
    maximumFractionDigits: digits,
    minimumFractionDigits: digits,
  });
}

function startWorker(): Worker {
  return new Worker(WORKER, { type: "module" });
}

/** Calls per second of `n` sequential awaited calls of `call`. */
async function rate(n: number, call: () => Promise<unknown>): Promise<number> {
  for (let i = 0; i < 200; i++) await call();
  const t0 = performance.now();
  for (let i = 0; i < n; i++) await call();
  return n / ((performance.now() - t0) / 1000);
}

async function main(): Promise<void> {
  const options = parseOptions(Deno.args);
  const rows = {
    seqManager: [] as number[],
    seqComlink: [] as number[],
    twoWorkers: [] as number[],
    twoOverlap: [] as number[],
    executor: [] as number[],
    pool: [] as number[],
  };
  const ratios = { seq: [] as number[], executor: [] as number[] };

  await using manager = await Manager.start();
  const dict = await manager.dict<string, number>([["key", 1]]);
  const baselineWorker = startWorker();
  await new Promise((resolve) => {
    baselineWorker.onmessage = resolve;
    baselineWorker.postMessage({ role: "comlink" });
  });
  const remote = Comlink.wrap<typeof api>(baselineWorker);
  await using executor = new Executor(tasks, { maxWorkers: 2 });
  await using pool = new Pool(tasks, { size: 2 });

  try {
    for (let run = 0; run < options.runs; run++) {
      // 1. Sequential calls.
      const m = await rate(options.calls, () => dict.get("key"));
      const c = await rate(options.calls, () => remote.get("key"));
      rows.seqManager.push(m);
      rows.seqComlink.push(c);
      ratios.seq.push(m / c);

      // 2. Two workers on one dict, for a fixed time from the moment both have started.
      const clients = [startWorker(), startWorker()];
      const ctl = new Int32Array(new SharedArrayBuffer(8));
      const before = await dict.get("count") ?? 0;
      const spans = clients.map((w) =>
        new Promise<Span & { count: number }>((resolve) => {
          w.onmessage = (e) => resolve(e.data);
          w.postMessage({ role: "client", dict, ctl, parties: clients.length });
        })
      );
      while (Atomics.load(ctl, 1) < clients.length) {
        await new Promise((resolve) => setTimeout(resolve, 1));
      }
      await new Promise((resolve) => setTimeout(resolve, 300));
      Atomics.store(ctl, 0, 1);
      const done = await Promise.all(spans);
      for (const w of clients) w.terminate();
      const total = done.reduce((sum, x) => sum + x.count, 0);
      if (await dict.get("count") !== before + total) throw new Error("Lost dict updates");
      const elapsed = Math.max(...done.map((x) => x.end)) - Math.min(...done.map((x) => x.start));
      rows.twoWorkers.push(total / (elapsed / 1000));
      rows.twoOverlap.push(overlap(done));

      // 3. Executor vs the pool it runs on, in alternating order (the second of two batches pays
      // for the first one's garbage).
      let e = 0;
      let p = 0;
      for (const which of run % 2 ? ["executor", "pool"] : ["pool", "executor"]) {
        const t0 = performance.now();
        if (which === "executor") {
          await Promise.all(
            Array.from({ length: options.tasks }, (_, i) => executor.submit("square", i)),
          );
          e = options.tasks / ((performance.now() - t0) / 1000);
        } else {
          await Promise.all(
            Array.from({ length: options.tasks }, (_, i) => pool.applyAsync("square", [i])),
          );
          p = options.tasks / ((performance.now() - t0) / 1000);
        }
      }
      rows.executor.push(e);
      rows.pool.push(p);
      ratios.executor.push(e / p);
    }
  } finally {
    remote[Comlink.releaseProxy]();
    baselineWorker.terminate();
  }

  const s = (xs: number[], digits = 0) => spread(xs, (x) => fmt(x, digits));
  console.log(
    `Manager and Executor, ${options.runs} rounds, median (min-max) (${loadAverage()})`,
  );
  console.log(
    `1. sequential calls from the main thread: manager ${s(rows.seqManager)}/s, ` +
      `comlink over postMessage ${s(rows.seqComlink)}/s, ratio ${s(ratios.seq, 2)}`,
  );
  console.log(
    `2. two workers, one managed dict, 0.3 s: ${s(rows.twoWorkers)} calls/s, overlap ${
      s(rows.twoOverlap.map((x) => x * 100))
    }%`,
  );
  console.log(
    `3. tiny tasks: executor.submit ${s(rows.executor)}/s, pool.applyAsync ${s(rows.pool)}/s, ` +
      `ratio ${s(ratios.executor, 2)}`,
  );
  const named: Record<string, number> = {
    manager_vs_comlink_sequential: median(ratios.seq),
    executor_vs_pool_tiny_tasks: median(ratios.executor),
  };

  try {
    const out = await new Deno.Command("python3", {
      args: [
        new URL("./peers/python_manager.py", import.meta.url).pathname,
        String(options.calls),
        String(options.tasks),
      ],
      stdout: "piped",
      stderr: "inherit",
    }).output();
    if (out.code === 0) {
      const py = JSON.parse(new TextDecoder().decode(out.stdout));
      named.manager_vs_python_sequential = median(rows.seqManager) / py.sequential_calls_per_s;
      named.executor_vs_python_tiny_tasks = median(rows.executor) / py.executor_tasks_per_s;
      console.log(
        `Python peer (run after): Manager sequential ${fmt(py.sequential_calls_per_s)}/s, ` +
          `two processes ${fmt(py.two_process_calls_per_s)} calls/s, ProcessPoolExecutor ` +
          `${fmt(py.executor_tasks_per_s)} tasks/s`,
      );
    }
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
    console.log("Python peer skipped: python3 not found");
  }
  printRatios("manager", named);
}

if (import.meta.main) await main();
