/**
 * The distributed pool against BullMQ: tiny tasks through 2 worker processes, on a throwaway
 * `redis-server` on loopback. A `deno run` script; `deno task bench` runs it.
 *
 * Situation modelled: a caller (this process) submits `--tasks` tiny tasks (`square(x)`) and waits
 * for every result; two worker processes (`bench/redis_pool_worker.ts`, concurrency 64 each) run
 * them. Tasks/s = tasks / time until the caller has the last result. Variants, interleaved in 10
 * slices per round (the machine is shared: a slow moment hits both alike):
 *
 * - `pool`: `ctx.Pool("bench").apply("square", [x])` for every task at once (each an `XADD`,
 *   pipelined by node-redis), results through the caller's result stream; workers `serve()`.
 * - `bullmq`: `Queue.addBulk` in batches of 100 (BullMQ's fastest submission), results through
 *   `QueueEvents` (`completed` carries the return value); workers are BullMQ `Worker`s with the
 *   same concurrency, running the same function. Completed jobs are removed, as a pool would.
 *
 * Ratio: `pool / bullmq` (median of the per-round ratios; target >= 3).
 *
 * Run: `deno run --allow-net=127.0.0.1 --allow-env --allow-read --allow-sys --allow-run
 *       --allow-write bench/redis_pool_bench.ts [--tasks 4000] [--runs 5]`
 *
 * @module
 */
import { Queue as BullQueue, QueueEvents } from "bench-bullmq";
import { Redis as IORedis } from "bench-ioredis";
import { connect } from "../src/redis/mod.ts";
import { startRedisServer } from "../src/redis/testing.ts";
import { median, parseFlags, spread } from "./_stats.ts";

const CONCURRENCY = 64;
const SLICES = 10;
type Tasks = typeof import("./redis_tasks.ts");

/** A worker process, stopped by closing its stdin. */
function worker(url: string, system: string) {
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-net=127.0.0.1",
      "--allow-env",
      "--allow-read",
      "--allow-sys",
      new URL("./redis_pool_worker.ts", import.meta.url).pathname,
      url,
      system,
      String(CONCURRENCY),
    ],
    stdin: "piped",
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const ready = (async () => {
    const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
    let text = "";
    while (!text.includes("ready")) {
      const { value, done } = await reader.read();
      if (done) throw new Error(`A ${system} worker exited before it was ready`);
      text += value;
    }
    reader.releaseLock();
  })();
  return {
    ready,
    async stop() {
      await child.stdin.close();
      await child.status;
    },
  };
}

if (import.meta.main) {
  const { tasks, runs } = parseFlags(Deno.args, { tasks: 4_000, runs: 5 });
  await using server = await startRedisServer();
  const workers = [
    worker(server.url, "interlock"),
    worker(server.url, "interlock"),
    worker(server.url, "bullmq"),
    worker(server.url, "bullmq"),
  ];
  await Promise.all(workers.map((w) => w.ready));
  await using ctx = await connect(server.url);
  const pool = ctx.Pool<Tasks>("bench");
  const io = () =>
    new IORedis({ host: "127.0.0.1", port: server.port, maxRetriesPerRequest: null });
  const connections = [io(), io()];
  const queue = new BullQueue("bench", { connection: connections[0]! });
  const events = new QueueEvents("bench", { connection: connections[1]! });
  await events.waitUntilReady();
  let completed = 0;
  let target = Infinity;
  let finished: () => void = () => {};
  events.on("completed", () => {
    if (++completed === target) finished();
  });

  const variants: Record<string, (n: number) => Promise<void>> = {
    pool: async (n) => {
      const results = await Promise.all(
        Array.from({ length: n }, (_, x) => pool.apply("square", [x])),
      );
      if (results[n - 1] !== (n - 1) ** 2) throw new Error("Wrong result");
    },
    bullmq: async (n) => {
      completed = 0;
      target = n;
      const done = new Promise<void>((resolve) => finished = resolve);
      for (let i = 0; i < n; i += 100) {
        await queue.addBulk(Array.from({ length: Math.min(100, n - i) }, (_, k) => ({
          name: "square",
          data: { x: i + k },
          opts: { removeOnComplete: true },
        })));
      }
      await done;
    },
  };
  const rate = async (n: number, run: (n: number) => Promise<void>) => {
    const start = performance.now();
    await run(n);
    return n / ((performance.now() - start) / 1000);
  };
  for (const run of Object.values(variants)) await rate(500, run); // warm-up
  const rates: Record<string, number[]> = { pool: [], bullmq: [] };
  const ratio: number[] = [];
  for (let r = 0; r < runs; r++) {
    const seconds: Record<string, number> = { pool: 0, bullmq: 0 };
    const order = Object.entries(variants);
    const slice = Math.max(100, Math.floor(tasks / SLICES));
    for (let s = 0; s < SLICES; s++) {
      for (let i = 0; i < order.length; i++) {
        const [name, run] = order[(i + s + r) % order.length]!;
        seconds[name]! += slice / await rate(slice, run);
      }
    }
    for (const name of Object.keys(rates)) rates[name]!.push((slice * SLICES) / seconds[name]!);
    ratio.push(rates.pool!.at(-1)! / rates.bullmq!.at(-1)!);
  }
  const k = (x: number) => `${(x / 1000).toFixed(2)} k/s`;
  const x = (v: number) => `${v.toFixed(2)}x`;
  console.log(
    `Tiny tasks through 2 worker processes (concurrency ${CONCURRENCY} each), ${tasks} tasks x ${runs} rounds (median (min-max)):`,
  );
  console.log(`  RedisPool (serve)     ${spread(rates.pool!, k)}`);
  console.log(`  BullMQ (addBulk)      ${spread(rates.bullmq!, k)}`);
  console.log(`  RedisPool / BullMQ    ${spread(ratio, x)} (target >= 3)`);
  await events.close();
  await queue.close();
  for (const c of connections) c.disconnect();
  await Promise.all(workers.map((w) => w.stop()));
  console.log(JSON.stringify({
    bench: "redis_pool",
    ratios: { pool_vs_bullmq_tiny_tasks: Number(median(ratio).toFixed(3)) },
  }));
}
