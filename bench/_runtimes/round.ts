/**
 * One round of `bench/runtimes_bench.ts` on the runtime that runs this file (Deno, Node or Bun: it
 * uses only `node:` modules and Interlock), printing one JSON line: for Lock, Queue and Pool, the
 * Interlock figure and the raw baseline's, measured one after the other in this process, on this
 * runtime. The driver turns each pair into a ratio, so every ratio compares a runtime with itself.
 *
 * - **Lock**: 2 workers loop on `acquire; data[0] = data[0] + 1; release` for `--seconds`;
 *   transactions/s. Baseline: Drepper's futex mutex #2 written by hand (no spinning), as in
 *   `bench/lock_bench.ts`.
 * - **Queue**: a producer worker puts `--items` short strings, a consumer worker gets them
 *   (`putSync`/`getSync`); items/s. Baseline: a `MessageChannel` relay between the same two
 *   workers, as in `bench/queue_bench.ts`.
 * - **Pool**: `--tasks` calls of `square(i)` submitted at once to a `Pool` of 2 workers (started
 *   and warmed up before the clock starts), all awaited; tasks/s. Baseline: the same calls posted
 *   round-robin, one message each, to 2 bare `node:worker_threads` workers over a `MessagePort`
 *   each (faster than `Worker.postMessage`), which answer each with its square in call order.
 *
 * Run by the driver as `<runtime> bench/_runtimes/round.ts [--seconds 0.3] [--items 100000]
 * [--tasks 20000]`; this module is also the workers' entry point (see the bottom).
 *
 * @module
 */
import process from "node:process";
import { isMainThread, parentPort, Worker } from "node:worker_threads";
import { Lock, Pool, Queue, revive, taskModule } from "../../mod.ts";
import { futexLock, futexUnlock } from "../_futex_lock.ts";

const SELF = new URL(import.meta.url);
const TASKS = new URL("./tasks.ts", import.meta.url);

/** Word of the control array each worker increments when ready; the round starts at 2. */
const READY = 0;
/** Word the main thread sets to end a timed run. */
const STOP = 16;
/** Word of `data` the hand-written lock uses (its own cache line). */
const RAW = 16;

/** What a worker is asked to do. */
type Job =
  | { kind: "lock-raw" | "lock-interlock"; ctl: Int32Array; data: Int32Array; lock: unknown }
  | { kind: "queue-produce" | "queue-consume"; queue: unknown; n: number; ctl: Int32Array }
  | { kind: "port-produce" | "port-consume"; port: MessagePort; n: number; ctl: Int32Array };

/** One round's figures: operations per second, Interlock's and the baseline's. */
export interface RoundFigures {
  runtime: string;
  lock: { interlock: number; raw: number };
  queue: { interlock: number; raw: number };
  pool: { interlock: number; raw: number };
}

// ---------------------------------------------------------------------------------------------
// Worker side

function ready(ctl: Int32Array): void {
  Atomics.add(ctl, READY, 1);
  while (Atomics.load(ctl, READY) < 2) {
    // spin (Node 22 has no Atomics.pause)
  }
}

/** Locked increments until `ctl[STOP]`: how many this worker did. */
function lockLoop(job: Extract<Job, { kind: "lock-raw" | "lock-interlock" }>): number {
  const { ctl, data } = job;
  const lock = job.kind === "lock-interlock" ? revive(job.lock) as Lock : undefined;
  ready(ctl);
  let n = 0;
  do {
    for (let k = 0; k < 64; k++) {
      if (lock) lock.acquireSync();
      else futexLock(data, RAW);
      data[0] = data[0]! + 1;
      if (lock) lock.release();
      else futexUnlock(data, RAW);
    }
    n += 64;
  } while (Atomics.load(ctl, STOP) === 0);
  return n;
}

function work(job: Job, reply: (value: unknown) => void): void {
  switch (job.kind) {
    case "lock-raw":
    case "lock-interlock":
      return reply(lockLoop(job));
    case "queue-produce": {
      const queue = revive(job.queue) as Queue<string>;
      ready(job.ctl);
      for (let k = 0; k < job.n; k++) queue.putSync(`item-${k}`);
      return reply(job.n);
    }
    case "queue-consume": {
      const queue = revive(job.queue) as Queue<string>;
      ready(job.ctl);
      let length = 0;
      for (let k = 0; k < job.n; k++) length += queue.getSync().length;
      return reply(length);
    }
    case "port-produce":
      ready(job.ctl);
      for (let k = 0; k < job.n; k++) job.port.postMessage(`item-${k}`);
      return reply(job.n);
    case "port-consume": {
      let left = job.n;
      let length = 0;
      job.port.onmessage = (e: MessageEvent<string>) => {
        length += e.data.length;
        if (--left === 0) {
          job.port.close();
          reply(length);
        }
      };
      ready(job.ctl);
      return;
    }
  }
}

if (!isMainThread) {
  const port = parentPort!;
  port.on("message", (message: Job | { squares: MessagePort }) => {
    if ("squares" in message) {
      const squares = message.squares;
      squares.onmessage = (e: MessageEvent<number>) => squares.postMessage(e.data * e.data);
    } else work(message, (value) => port.postMessage(value));
  });
}

// ---------------------------------------------------------------------------------------------
// Main side

function now(): number {
  return performance.now();
}

/** Starts a worker of this module and resolves once it is online. */
async function startWorker(): Promise<Worker> {
  const worker = new Worker(SELF);
  await new Promise<void>((resolve, reject) => {
    worker.once("online", () => resolve());
    worker.once("error", reject);
  });
  return worker;
}

/** Runs one job on each of two fresh workers; resolves with their replies and the elapsed ms. */
async function pair(
  jobs: [Job, Job],
  transfer: [Transferable[], Transferable[]],
  stopAfterMs?: number,
): Promise<{ replies: unknown[]; ms: number }> {
  const workers = await Promise.all([startWorker(), startWorker()]);
  try {
    const ctl = (jobs[0] as { ctl: Int32Array }).ctl;
    const replies = workers.map((worker, k) =>
      new Promise<unknown>((resolve, reject) => {
        worker.once("message", resolve);
        worker.once("error", reject);
        // deno-lint-ignore no-explicit-any
        worker.postMessage(jobs[k], transfer[k] as any);
      })
    );
    // The clock starts when both workers are ready to go.
    while (Atomics.load(ctl, READY) < 2) await new Promise((r) => setTimeout(r, 0));
    const start = now();
    if (stopAfterMs !== undefined) {
      await new Promise((r) => setTimeout(r, stopAfterMs));
      Atomics.store(ctl, STOP, 1);
    }
    const values = await Promise.all(replies);
    return { replies: values, ms: now() - start };
  } finally {
    await Promise.all(workers.map((worker) => worker.terminate()));
  }
}

function control(): Int32Array {
  return new Int32Array(new SharedArrayBuffer(32 * 4));
}

async function lockFigure(kind: "lock-raw" | "lock-interlock", seconds: number): Promise<number> {
  const data = new Int32Array(new SharedArrayBuffer(32 * 4));
  const ctl = control();
  const lock = new Lock();
  const job = { kind, ctl, data, lock };
  const { replies, ms } = await pair([job, job], [[], []], seconds * 1000);
  const total = (replies as number[]).reduce((a, b) => a + b, 0);
  if (data[0] !== total) throw new Error(`Lost updates: ${data[0]} of ${total}`);
  return total / (ms / 1000);
}

async function queueFigure(interlock: boolean, n: number): Promise<number> {
  const ctl = control();
  let result: { replies: unknown[]; ms: number };
  if (interlock) {
    const queue = new Queue<string>();
    result = await pair([
      { kind: "queue-produce", queue, n, ctl },
      { kind: "queue-consume", queue, n, ctl },
    ], [[], []]);
  } else {
    const { port1, port2 } = new MessageChannel();
    result = await pair([
      { kind: "port-produce", port: port1, n, ctl },
      { kind: "port-consume", port: port2, n, ctl },
    ], [[port1], [port2]]);
  }
  return n / (result.ms / 1000);
}

async function poolFigure(interlock: boolean, n: number): Promise<number> {
  const inputs = Array.from({ length: n }, (_, i) => i);
  if (interlock) {
    const tasks = taskModule<typeof import("./tasks.ts")>(TASKS);
    const pool = new Pool(tasks, { size: 2 });
    try {
      await Promise.all(inputs.slice(0, 200).map((i) => pool.apply("square", [i])));
      const start = now();
      await Promise.all(inputs.map((i) => pool.apply("square", [i])));
      return n / ((now() - start) / 1000);
    } finally {
      await pool.close();
      await pool.join();
    }
  }
  const workers = await Promise.all([startWorker(), startWorker()]);
  try {
    // Each worker answers in the order it was asked: a FIFO of resolvers per port.
    const ports = workers.map((worker) => {
      const { port1, port2 } = new MessageChannel();
      // deno-lint-ignore no-explicit-any
      worker.postMessage({ squares: port2 }, [port2] as any);
      const waiting: ((value: number) => void)[] = [];
      let next = 0;
      port1.onmessage = (e: MessageEvent<number>) => waiting[next++]!(e.data);
      return { port: port1, waiting };
    });
    const call = (i: number) =>
      new Promise<number>((resolve) => {
        const { port, waiting } = ports[i % 2]!;
        waiting.push(resolve);
        port.postMessage(i);
      });
    await Promise.all(inputs.slice(0, 200).map(call));
    const start = now();
    await Promise.all(inputs.map(call));
    const elapsed = now() - start;
    for (const { port } of ports) port.close();
    return n / (elapsed / 1000);
  } finally {
    await Promise.all(workers.map((worker) => worker.terminate()));
  }
}

function option(args: readonly string[], flag: string, fallback: number): number {
  const k = args.indexOf(flag);
  if (k < 0) return fallback;
  const value = Number(args[k + 1]);
  if (!(value > 0)) throw new TypeError(`Cannot run the round: ${flag} must be positive`);
  return value;
}

/** The runtime running this file, by the name the driver gave it (`--runtime`). */
function runtimeName(args: readonly string[]): string {
  const k = args.indexOf("--runtime");
  return k < 0 ? "unknown" : args[k + 1]!;
}

if (isMainThread) {
  const args = process.argv.slice(2);
  const seconds = option(args, "--seconds", 0.3);
  const items = option(args, "--items", 100_000);
  const tasks = option(args, "--tasks", 20_000);
  // Interlock and its baseline alternate within the round, baseline first.
  const figures: RoundFigures = {
    runtime: runtimeName(args),
    lock: { raw: await lockFigure("lock-raw", seconds), interlock: 0 },
    queue: { raw: 0, interlock: 0 },
    pool: { raw: 0, interlock: 0 },
  };
  figures.lock.interlock = await lockFigure("lock-interlock", seconds);
  figures.queue.raw = await queueFigure(false, items);
  figures.queue.interlock = await queueFigure(true, items);
  figures.pool.raw = await poolFigure(false, tasks);
  figures.pool.interlock = await poolFigure(true, tasks);
  console.log(JSON.stringify(figures));
  process.exit(0);
}
