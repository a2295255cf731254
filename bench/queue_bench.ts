/**
 * Queue throughput between workers, and the cost of each record encoding.
 *
 * Two parts:
 * 1. `Deno.bench` groups (run by `deno bench`): one put + get of one item on the same thread, per
 *    item shape, with Interlock's type-tagged records vs `node:v8` `serialize`/`deserialize` (the
 *    structured-clone wire format every other value takes) vs `structuredClone`. Situation: the
 *    per-item CPU cost of a queue with no contention; this is what chose the fast record kinds.
 * 2. A `deno run` script (multi-worker throughput does not fit `Deno.bench`): one producer worker
 *    puts N small items, one consumer worker gets them, both started together behind a shared
 *    flag; items/s = N / (last get - start). Baseline in the same run: a `MessageChannel` relay
 *    (the producer posts each item on a port, the consumer's `onmessage` takes it), the way workers
 *    talk without shared memory. Each figure is the median of `--runs` rounds that interleave the
 *    variants, and each ratio the median of per-round ratios. Peer: Python's
 *    `multiprocessing.Queue` (`bench/peers/python_queue.py`, run when `python3` exists).
 *
 *    Each table is run twice: cold (a fresh pair of workers every round, which also compiles the
 *    code every round) and warm (the same two workers for every round, after a warm-up round).
 *
 * 3. The chart: k producer workers and k consumer workers (k = 1, 2, 4) on one `Queue` (and one
 *    `SimpleQueue`), each producer putting and each consumer taking 1/k of the items, against k
 *    independent `MessageChannel` relays moving the same items, warm workers:
 *    `bench/charts/queue_workers.svg` (+ `.json`). On this 2-vCPU machine k = 2 and 4
 *    oversubscribe the cores (4 producers + 4 consumers: 8 workers on 2 cores).
 *
 * The last line printed is one JSON object of named ratios (`printRatios`).
 *
 * Run: `deno bench --allow-read --allow-env --allow-sys bench/queue_bench.ts` and
 * `deno run --allow-read --allow-env --allow-sys --allow-run --allow-write bench/queue_bench.ts
 * [--items 500000] [--runs 5] [--chart-only] [--charts DIR]`
 *
 * This module is also the workers' entry point (see the bottom).
 *
 * @module
 */
import { deserialize, serialize } from "node:v8";
import { Queue, SimpleQueue } from "../mod.ts";
import { benchEntry, runOn, startWorkers } from "./_self_worker.ts";
import { chartsDir, takeFlag, writeChart } from "./_chart.ts";
import { loadAverage, median, parseFlags, printRatios, spread } from "./_stats.ts";

/** The named same-run ratios; printed as the script's last line. */
const RATIOS: Record<string, number> = {};

// ---------------------------------------------------------------------------------------------
// Part 1: per-item cost on one thread

const SHAPES: Record<string, unknown> = {
  number: 12345.5,
  "short string": "item-12345",
  "small object": { id: 7, name: "widget", tags: ["a", "b"] },
};

for (const [shape, value] of Object.entries(SHAPES)) {
  const queue = new Queue<unknown>();
  Deno.bench({
    name: `Queue putNowait + getNowait (${shape})`,
    group: `one item, ${shape}`,
    fn: () => {
      queue.putNowait(value);
      queue.getNowait();
    },
  });
  Deno.bench({
    name: `node:v8 serialize + deserialize (${shape})`,
    group: `one item, ${shape}`,
    baseline: true,
    fn: () => {
      deserialize(serialize(value));
    },
  });
  Deno.bench({
    name: `structuredClone (${shape})`,
    group: `one item, ${shape}`,
    fn: () => {
      structuredClone(value);
    },
  });
}

// ---------------------------------------------------------------------------------------------
// Part 2: worker to worker

/** A job for a bench worker. */
type Job =
  | { kind: "queue-produce"; queue: Queue<unknown>; items: Items; n: number; go: Int32Array }
  | { kind: "queue-consume"; queue: Queue<unknown>; n: number; go: Int32Array; async: boolean }
  | { kind: "simple-produce"; queue: SimpleQueue<unknown>; items: Items; n: number; go: Int32Array }
  | { kind: "simple-consume"; queue: SimpleQueue<unknown>; n: number; go: Int32Array }
  | { kind: "port-produce"; port: MessagePort; items: Items; n: number; go: Int32Array }
  | { kind: "port-consume"; port: MessagePort; n: number; go: Int32Array };

/** Which small items a producer sends. */
type Items = "numbers" | "strings";

/** What a worker reports: wall-clock ms (timeOrigin-based) of its first and last item. */
interface Report {
  start: number;
  end: number;
  check: number;
}

const STRINGS = Array.from({ length: 1024 }, (_, k) => `item-${k}`);

function now(): number {
  return performance.timeOrigin + performance.now();
}

/** Announces arrival at the start gate (word 1), then waits for the go (word 0). */
function waitGo(go: Int32Array): number {
  Atomics.add(go, 1, 1);
  Atomics.notify(go, 1);
  while (Atomics.load(go, 0) === 0) Atomics.wait(go, 0, 0);
  return now();
}

async function runJob(job: Job): Promise<Report> {
  switch (job.kind) {
    case "queue-produce":
    case "simple-produce": {
      const { n, items } = job;
      const start = waitGo(job.go);
      if (job.kind === "queue-produce") {
        const q = job.queue;
        if (items === "numbers") { for (let k = 0; k < n; k++) q.putSync(k); }
        else for (let k = 0; k < n; k++) q.putSync(STRINGS[k & 1023]);
      } else {
        const q = job.queue;
        if (items === "numbers") { for (let k = 0; k < n; k++) q.put(k); }
        else for (let k = 0; k < n; k++) q.put(STRINGS[k & 1023]);
      }
      return { start, end: now(), check: n };
    }
    case "queue-consume":
    case "simple-consume": {
      const { n } = job;
      let check = 0;
      const start = waitGo(job.go);
      if (job.kind === "simple-consume") {
        for (let k = 0; k < n; k++) check += sizeOf(job.queue.getSync());
      } else if (job.async) {
        for (let k = 0; k < n; k++) check += sizeOf(await job.queue.get());
      } else {
        for (let k = 0; k < n; k++) check += sizeOf(job.queue.getSync());
      }
      return { start, end: now(), check };
    }
    case "port-produce": {
      const { n, items, port } = job;
      const start = waitGo(job.go);
      if (items === "numbers") { for (let k = 0; k < n; k++) port.postMessage(k); }
      else for (let k = 0; k < n; k++) port.postMessage(STRINGS[k & 1023]);
      return { start, end: now(), check: n };
    }
    case "port-consume": {
      const { n, port } = job;
      let check = 0;
      let k = 0;
      const done = Promise.withResolvers<number>();
      port.onmessage = (e) => {
        check += sizeOf(e.data);
        if (++k === n) done.resolve(now());
      };
      const start = waitGo(job.go);
      const end = await done.promise;
      port.close();
      return { start, end, check };
    }
  }
}

function sizeOf(x: unknown): number {
  return typeof x === "string" ? x.length : (x as number) & 1;
}

const WORKER = new URL(import.meta.url);

/** Whether a job puts items (else it takes them). */
const produces = (job: Job) => job.kind.endsWith("-produce");

/**
 * Workers kept up from one round to the next (warm rounds: code already compiled, as in a
 * long-running program); `undefined`: every round starts a fresh worker per job (cold rounds).
 */
let warmCrew: Worker[] | undefined;

/** Runs `body` with `n` warm workers (every round reuses them), then stops them. */
async function warm<T>(n: number, body: () => Promise<T>): Promise<T> {
  warmCrew = await startWorkers(WORKER, n);
  try {
    return await body();
  } finally {
    for (const w of warmCrew) w.terminate();
    warmCrew = undefined;
  }
}

/**
 * One round of one variant: a worker per job (producers and consumers; fresh ones unless warm),
 * all started together behind the gate; items/s = items taken / (last take - first start).
 */
async function crew(jobs: Job[], transfer: Transferable[][]): Promise<number> {
  const fresh = warmCrew === undefined;
  const workers = fresh ? await startWorkers(WORKER, jobs.length) : warmCrew!.slice(0, jobs.length);
  if (workers.length < jobs.length) throw new RangeError("Too few warm workers");
  try {
    const results = workers.map((w, k) => runOn<Report>(w, jobs[k], transfer[k] ?? []));
    // Wait until every worker stands at the start gate, then start them together.
    const go = jobs[0]!.go;
    for (let arrived = Atomics.load(go, 1); arrived < jobs.length; arrived = Atomics.load(go, 1)) {
      await Atomics.waitAsync(go, 1, arrived, 1000).value;
    }
    const t0 = now();
    Atomics.store(go, 0, 1);
    Atomics.notify(go, 0);
    const reports = await Promise.all(results);
    const put = jobs.reduce((sum, j, k) => sum + (produces(j) ? reports[k]!.check : 0), 0);
    const taken = jobs.reduce((sum, j) => sum + (produces(j) ? 0 : j.n), 0);
    if (put !== taken) throw new Error(`Producers sent ${put} items, consumers took ${taken}`);
    const start = Math.min(t0, ...reports.filter((_, k) => produces(jobs[k]!)).map((r) => r.start));
    const end = Math.max(...reports.filter((_, k) => !produces(jobs[k]!)).map((r) => r.end));
    return taken / ((end - start) / 1000);
  } finally {
    if (fresh) { for (const w of workers) w.terminate(); }
  }
}

/** One round of one variant: one producer worker and one consumer worker. */
function pair(produce: Job, consume: Job, transfer: Transferable[][]): Promise<number> {
  return crew([produce, consume], transfer);
}

type Variant = { label: string; run: (items: Items, n: number) => Promise<number> };

const VARIANTS: Variant[] = [
  {
    label: "MessageChannel relay (baseline)",
    run: (items, n) => {
      const go = new Int32Array(new SharedArrayBuffer(8));
      const { port1, port2 } = new MessageChannel();
      return pair(
        { kind: "port-produce", port: port1, items, n, go },
        { kind: "port-consume", port: port2, n, go },
        [[port1], [port2]],
      );
    },
  },
  {
    label: "Queue putSync / getSync",
    run: (items, n) => {
      const go = new Int32Array(new SharedArrayBuffer(8));
      const queue = new Queue<unknown>();
      return pair(
        { kind: "queue-produce", queue, items, n, go },
        { kind: "queue-consume", queue, n, go, async: false },
        [[], []],
      );
    },
  },
  {
    label: "Queue(1024) putSync / getSync",
    run: (items, n) => {
      const go = new Int32Array(new SharedArrayBuffer(8));
      const queue = new Queue<unknown>(1024);
      return pair(
        { kind: "queue-produce", queue, items, n, go },
        { kind: "queue-consume", queue, n, go, async: false },
        [[], []],
      );
    },
  },
  {
    label: "Queue putSync / await get",
    run: (items, n) => {
      const go = new Int32Array(new SharedArrayBuffer(8));
      const queue = new Queue<unknown>();
      return pair(
        { kind: "queue-produce", queue, items, n, go },
        { kind: "queue-consume", queue, n, go, async: true },
        [[], []],
      );
    },
  },
  {
    label: "SimpleQueue put / getSync",
    run: (items, n) => {
      const go = new Int32Array(new SharedArrayBuffer(8));
      const queue = new SimpleQueue<unknown>();
      return pair(
        { kind: "simple-produce", queue, items, n, go },
        { kind: "simple-consume", queue, n, go },
        [[], []],
      );
    },
  },
];

function fmt(x: number, digits = 2): string {
  return x.toFixed(digits);
}

async function python(n: number, runs: number): Promise<void> {
  let out: Deno.CommandOutput;
  try {
    out = await new Deno.Command("python3", {
      args: [
        new URL("./peers/python_queue.py", import.meta.url).pathname,
        "--items",
        String(
          Math.min(n, 200_000),
        ),
        "--runs",
        String(runs),
      ],
      stdout: "piped",
      stderr: "inherit",
    }).output();
  } catch {
    console.log("\nPeer: python3 not found, Python multiprocessing.Queue skipped");
    return;
  }
  if (!out.success) {
    console.log("\nPeer: python_queue.py failed");
    return;
  }
  const rows = new TextDecoder().decode(out.stdout).trim().split("\n").map((l) => JSON.parse(l));
  console.log("\nPeer: Python multiprocessing.Queue, 1 producer process -> 1 consumer process");
  console.log("| items | M items/s median (min-max) |");
  console.log("| --- | --- |");
  for (const items of ["numbers", "strings"]) {
    const xs = rows.filter((r) => r.items === items).map((r) => r.items_per_s / 1e6);
    console.log(
      `| ${items} | ${spread(xs, (x) => fmt(x, 3))} |`,
    );
  }
}

/**
 * k producers and k consumers on one queue, each moving n / k items: `producer(go)` and
 * `consumer(go)` make the jobs (their `n` is replaced by the share).
 */
function oneQueue(
  k: number,
  n: number,
  producer: (go: Int32Array) => Job,
  consumer: (go: Int32Array) => Job,
) {
  const go = new Int32Array(new SharedArrayBuffer(8));
  const share = (job: Job): Job => ({ ...job, n: n / k });
  return crew([
    ...Array.from({ length: k }, () => share(producer(go))),
    ...Array.from({ length: k }, () => share(consumer(go))),
  ], []);
}

/** k producers and k consumers of small numbers, each variant's round: items/s. */
const CREW_VARIANTS: {
  label: string;
  baseline?: boolean;
  run: (k: number, n: number) => Promise<number>;
}[] = [
  {
    label: "MessageChannel relay, k channels (baseline)",
    baseline: true,
    run: (k, n) => {
      const go = new Int32Array(new SharedArrayBuffer(8));
      const channels = Array.from({ length: k }, () => new MessageChannel());
      return crew(
        [
          ...channels.map(({ port1 }): Job => ({
            kind: "port-produce",
            port: port1,
            items: "numbers",
            n: n / k,
            go,
          })),
          ...channels.map(({ port2 }): Job => ({
            kind: "port-consume",
            port: port2,
            n: n / k,
            go,
          })),
        ],
        [...channels.map((c) => [c.port1]), ...channels.map((c) => [c.port2])],
      );
    },
  },
  {
    label: "Queue putSync / getSync, one queue",
    run: (k, n) => {
      const queue = new Queue<unknown>();
      return oneQueue(k, n, (go) => ({ kind: "queue-produce", queue, items: "numbers", n, go }), (
        go,
      ) => ({ kind: "queue-consume", queue, n, go, async: false }));
    },
  },
  {
    label: "SimpleQueue put / getSync, one queue",
    run: (k, n) => {
      const queue = new SimpleQueue<unknown>();
      return oneQueue(k, n, (go) => ({ kind: "simple-produce", queue, items: "numbers", n, go }), (
        go,
      ) => ({ kind: "simple-consume", queue, n, go }));
    },
  },
];

/** Items/s against the number of producers and consumers (k of each): the chart. */
async function crewChart(n: number, runs: number, dir: URL): Promise<void> {
  const ks = [1, 2, 4];
  const items = n - (n % 12); // divisible by every 2k
  const results = CREW_VARIANTS.map(() => ks.map(() => [] as number[]));
  const load = loadAverage();
  await warm(2 * Math.max(...ks), async () => {
    for (const variant of CREW_VARIANTS) await variant.run(1, 12_000); // warm-up
    for (let r = 0; r < runs; r++) {
      for (const [j, k] of ks.entries()) {
        for (const [v, variant] of CREW_VARIANTS.entries()) {
          results[v]![j]!.push(await variant.run(k, items));
        }
      }
    }
  });
  console.log(
    `\nk producer workers -> k consumer workers, ${items} small numbers per round, warm workers ` +
      `(${load} before, ${loadAverage()} after)`,
  );
  console.log(`| variant | ${ks.map((k) => `k = ${k}: M items/s`).join(" | ")} |`);
  console.log(`| --- | ${ks.map(() => "---").join(" | ")} |`);
  const ratios: Record<string, number> = {};
  CREW_VARIANTS.forEach((variant, v) => {
    console.log(
      `| ${variant.label} | ${
        ks.map((_, j) => spread(results[v]![j]!.map((x) => x / 1e6), fmt)).join(" | ")
      } |`,
    );
    if (v === 0) return;
    ks.forEach((k, j) => {
      const ratio = median(results[v]![j]!.map((x, r) => x / results[0]![j]![r]!));
      ratios[`${variant.label.split(" ")[0]}/relay@${k}x${k}`] = ratio;
      RATIOS[`${variant.label.split(" ")[0]!.toLowerCase()}_vs_relay_${k}p${k}c`] = ratio;
    });
  });
  const path = await writeChart(dir, "queue_workers", {
    bench: "queue",
    ratios,
    chart: {
      title: "Queue: items/s vs producers and consumers (k of each)",
      subtitle:
        `small numbers, warm workers, median and min-max of ${runs} interleaved rounds; ${navigator.hardwareConcurrency} vCPUs, shared (2k workers on them; ${load}); Deno ${Deno.version.deno}`,
      x: { label: "k producer workers and k consumer workers", ticks: ks },
      y: { label: "M items/s" },
      series: CREW_VARIANTS.map((variant, v) => ({
        name: variant.label,
        baseline: variant.baseline,
        points: ks.map((k, j) => ({ x: k, ys: results[v]![j]!.map((x) => x / 1e6) })),
      })),
    },
  });
  console.log(`chart: ${path}`);
}

async function main(): Promise<void> {
  const args = [...Deno.args];
  const dir = chartsDir(args);
  const chartOnly = takeFlag(args, "--chart-only");
  const { items: n, runs } = parseFlags(args, { items: 500_000, runs: 5 });
  if (!chartOnly) {
    console.log(
      `Interlock queue_bench: Deno ${Deno.version.deno}, V8 ${Deno.version.v8}, ` +
        `${navigator.hardwareConcurrency} cores, ${n} items per round, ${runs} rounds`,
    );
    for (const items of ["numbers", "strings"] as const) {
      await pairTable(items, n, runs, "cold");
      await warm(2, () => pairTable(items, n, runs, "warm"));
    }
    await python(n, runs);
  }
  await crewChart(Math.min(n, 300_000), runs, dir);
  printRatios("queue", RATIOS);
}

/**
 * The 1 producer -> 1 consumer table of one item shape: cold (fresh workers every round, so each
 * round also compiles the code) or warm (the same two workers for every round, after a warm-up).
 */
async function pairTable(
  items: Items,
  n: number,
  runs: number,
  mode: "cold" | "warm",
): Promise<void> {
  const results = VARIANTS.map(() => [] as number[]);
  if (mode === "warm") { for (const variant of VARIANTS) await variant.run(items, 20_000); }
  const load = loadAverage();
  for (let r = 0; r < runs; r++) {
    for (let v = 0; v < VARIANTS.length; v++) results[v]!.push(await VARIANTS[v]!.run(items, n));
  }
  console.log(
    `\n1 producer worker -> 1 consumer worker, small ${items}, ${mode} workers (${load})`,
  );
  console.log("| variant | M items/s median (min-max) | x MessageChannel |");
  console.log("| --- | --- | --- |");
  const base = results[0]!;
  VARIANTS.forEach((variant, v) => {
    const xs = results[v]!.map((x) => x / 1e6);
    const ratio = median(results[v]!.map((x, r) => x / base[r]!));
    if (v > 0) {
      const name = variant.label.toLowerCase().replace(/[^a-z0-9]+/g, "_").replace(/_$/, "");
      RATIOS[`${name}_vs_relay_${items}_${mode}`] = ratio;
    }
    console.log(`| ${variant.label} | ${spread(xs, fmt)} | ${fmt(ratio)} |`);
  });
}

// ---------------------------------------------------------------------------------------------
// Entry points

await benchEntry(runJob, main, import.meta.main);
