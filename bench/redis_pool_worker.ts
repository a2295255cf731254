/**
 * One worker process of `bench/redis_pool_bench.ts`:
 * `deno run bench/redis_pool_worker.ts <url> <interlock|bullmq> <concurrency>`. Serves the pool
 * "bench" (Interlock: `serve()` with `bench/redis_tasks.ts`; BullMQ: a `Worker` of the queue
 * "bench" running the same function), prints `ready`, and runs until stdin closes.
 *
 * @module
 */
import { square } from "./redis_tasks.ts";

// Each worker loads only its own system (dynamic imports), so neither pays for the other.

const [url, system, concurrency] = Deno.args;
let stop: () => Promise<void>;
if (system === "interlock") {
  const { connect, serve } = await import("../src/redis/mod.ts");
  const ctx = await connect(url!);
  const server = await serve(ctx, "bench", {
    module: new URL("./redis_tasks.ts", import.meta.url),
    concurrency: Number(concurrency),
  });
  stop = async () => {
    await server.close();
    await ctx.close();
  };
} else {
  const { Worker } = await import("bench-bullmq");
  const { Redis: IORedis } = await import("bench-ioredis");
  const { hostname, port } = new URL(url!);
  const connection = new IORedis({
    host: hostname,
    port: Number(port),
    maxRetriesPerRequest: null,
  });
  const worker = new Worker("bench", (job) => Promise.resolve(square(job.data.x)), {
    connection,
    concurrency: Number(concurrency),
  });
  await worker.waitUntilReady();
  stop = async () => {
    await worker.close();
    connection.disconnect();
  };
}
console.log("ready");
for await (const _ of Deno.stdin.readable) {
  // any input, or the end of stdin: stop
}
await stop();
Deno.exit(0);
