/**
 * Pipe round-trip latency between two workers.
 *
 * Situation modelled: request/reply between two workers (Go's ping-pong benchmarks): worker A
 * sends a small number, worker B receives it and sends it back, M times; one round trip is two
 * hand-offs. Baseline in the same run: the same ping-pong with `postMessage` over a
 * `MessageChannel` between the two workers. Reference: a raw `Atomics.wait`/`Atomics.notify`
 * ping-pong on one shared word (the floor for a sleeping hand-off). Each figure is the median of
 * `--runs` rounds that interleave the variants; each ratio the median of per-round ratios. Peer:
 * Python's `multiprocessing.Pipe` (`bench/peers/python_queue.py --round-trips`, when `python3`
 * exists).
 *
 * Run: `deno run --allow-read --allow-env --allow-sys --allow-run bench/pipe_bench.ts [--trips 20000] [--runs 5]`
 * (under `deno bench` this module does nothing). This module is also the workers' entry point.
 *
 * @module
 */
import { type Connection, Pipe } from "../mod.ts";
import { benchEntry, runOn, startWorkers } from "./_self_worker.ts";
import { loadAverage, median, parseFlags, printRatios, spread } from "./_stats.ts";

/** A job for a bench worker. */
type Job =
  | { kind: "pipe"; conn: Connection<number>; ping: boolean; async: boolean; n: number }
  | { kind: "port"; port: MessagePort; ping: boolean; n: number }
  | { kind: "raw"; word: Int32Array; ping: boolean; n: number };

/** Runs one side; the pinging side returns µs per round trip (after one warm-up trip). */
async function runJob(job: Job): Promise<number> {
  const { n, ping } = job;
  switch (job.kind) {
    case "pipe": {
      const c = job.conn;
      if (!ping) {
        for (let k = 0; k < n; k++) c.send(job.async ? await c.recv() : c.recvSync());
        return 0;
      }
      c.send(-1);
      job.async ? await c.recv() : c.recvSync();
      const t = performance.now();
      for (let k = 1; k < n; k++) {
        c.send(k);
        if ((job.async ? await c.recv() : c.recvSync()) !== k) throw new Error("Out of order");
      }
      return (performance.now() - t) * 1000 / (n - 1);
    }
    case "port": {
      const port = job.port;
      const done = Promise.withResolvers<number>();
      let k = 0;
      let t = 0;
      port.onmessage = (e: MessageEvent<number>) => {
        if (!ping) {
          port.postMessage(e.data);
          if (++k === n) done.resolve(0);
          return;
        }
        if (++k === 1) t = performance.now();
        if (k === n) done.resolve((performance.now() - t) * 1000 / (n - 1));
        else port.postMessage(k);
      };
      if (ping) port.postMessage(0);
      const result = await done.promise;
      port.close();
      return result;
    }
    case "raw": {
      // word[0] is the turn: odd = the pinger's message is waiting for the echo side.
      const w = job.word;
      const t = performance.now();
      for (let k = 0; k < n; k++) {
        if (ping) {
          Atomics.store(w, 0, 2 * k + 1);
          Atomics.notify(w, 0);
          while (Atomics.load(w, 0) === 2 * k + 1) Atomics.wait(w, 0, 2 * k + 1);
        } else {
          while (Atomics.load(w, 0) !== 2 * k + 1) Atomics.wait(w, 0, 2 * k);
          Atomics.store(w, 0, 2 * k + 2);
          Atomics.notify(w, 0);
        }
      }
      return (performance.now() - t) * 1000 / n;
    }
  }
}

const WORKER = new URL(import.meta.url);

async function pair(jobs: [Job, Job], transfer: Transferable[][]): Promise<number> {
  const workers = await startWorkers(WORKER, 2);
  try {
    const results = await Promise.all(
      workers.map((w, k) => runOn<number>(w, jobs[k], transfer[k]!)),
    );
    return results[0]!;
  } finally {
    for (const w of workers) w.terminate();
  }
}

const VARIANTS: { label: string; run: (n: number) => Promise<number> }[] = [
  {
    label: "postMessage over a MessageChannel (baseline)",
    run: (n) => {
      const { port1, port2 } = new MessageChannel();
      return pair([
        { kind: "port", port: port1, ping: true, n },
        { kind: "port", port: port2, ping: false, n },
      ], [[port1], [port2]]);
    },
  },
  {
    label: "Pipe send / recvSync",
    run: (n) => {
      const [a, b] = Pipe<number>();
      return pair([
        { kind: "pipe", conn: a, ping: true, async: false, n },
        { kind: "pipe", conn: b, ping: false, async: false, n },
      ], [[], []]);
    },
  },
  {
    label: "Pipe send / await recv",
    run: (n) => {
      const [a, b] = Pipe<number>();
      return pair([
        { kind: "pipe", conn: a, ping: true, async: true, n },
        { kind: "pipe", conn: b, ping: false, async: true, n },
      ], [[], []]);
    },
  },
  {
    label: "raw Atomics.wait/notify (reference)",
    run: (n) => {
      const word = new Int32Array(new SharedArrayBuffer(4));
      return pair([
        { kind: "raw", word, ping: true, n },
        { kind: "raw", word, ping: false, n },
      ], [[], []]);
    },
  },
];

function fmt(x: number, digits = 2): string {
  return x.toFixed(digits);
}

function parseOptions(args: string[]): { trips: number; runs: number } {
  const options = parseFlags(args, { trips: 20_000, runs: 5 });
  if (options.trips < 2) throw new RangeError(`Bad option --trips ${options.trips}: at least 2`);
  return options;
}

async function python(trips: number, runs: number): Promise<number[]> {
  let out: Deno.CommandOutput;
  try {
    out = await new Deno.Command("python3", {
      args: [
        new URL("./peers/python_queue.py", import.meta.url).pathname,
        "--round-trips",
        String(trips),
        "--runs",
        String(runs),
      ],
      stdout: "piped",
      stderr: "inherit",
    }).output();
  } catch {
    console.log("\nPeer: python3 not found, Python multiprocessing.Pipe skipped");
    return [];
  }
  if (!out.success) {
    console.log("\nPeer: python_queue.py failed");
    return [];
  }
  const xs = new TextDecoder().decode(out.stdout).trim().split("\n").map((l) =>
    JSON.parse(l).pipe_round_trip_us as number
  );
  console.log("\nPeer: Python multiprocessing.Pipe, 2 processes, same ping-pong");
  console.log("| variant | us per round trip, median (min-max) |");
  console.log("| --- | --- |");
  console.log(
    `| Python Pipe send/recv | ${spread(xs, fmt)} |`,
  );
  return xs;
}

async function main(): Promise<void> {
  const { trips, runs } = parseOptions(Deno.args);
  console.log(
    `Interlock pipe_bench: Deno ${Deno.version.deno}, V8 ${Deno.version.v8}, ` +
      `${navigator.hardwareConcurrency} cores, ${trips} round trips per round, ${runs} rounds`,
  );
  const results = VARIANTS.map(() => [] as number[]);
  for (let r = 0; r < runs; r++) {
    for (let v = 0; v < VARIANTS.length; v++) results[v]!.push(await VARIANTS[v]!.run(trips));
  }
  console.log(`\nRound trip between two workers (small number; ${loadAverage()})`);
  console.log("| variant | us per round trip, median (min-max) | x postMessage |");
  console.log("| --- | --- | --- |");
  const base = results[0]!;
  const ratios: Record<string, number> = {};
  VARIANTS.forEach((variant, v) => {
    const xs = results[v]!;
    const ratio = median(xs.map((x, r) => x / base[r]!));
    if (v > 0) {
      const name = variant.label.toLowerCase().replace(/[^a-z0-9]+/g, "_").replace(/^_|_$/g, "");
      ratios[`${name}_vs_postmessage_time`] = ratio;
    }
    console.log(
      `| ${variant.label} | ${spread(xs, fmt)} | ${fmt(ratio)} |`,
    );
  });
  const py = await python(trips, runs);
  if (py.length > 0) ratios.python_pipe_vs_postmessage_time = median(py) / median(base);
  printRatios("pipe", ratios);
}

await benchEntry(runJob, main, import.meta.main);
