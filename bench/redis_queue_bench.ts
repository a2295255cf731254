/**
 * The Redis queue against its limit and against BullMQ, on a throwaway `redis-server` on
 * loopback. A `deno run` script; `deno task bench` runs it.
 *
 * Situation modelled: one producer and one consumer (each with its own connection, in one
 * process, running at once) move `--items` small objects (`{ i, name }`) through a queue; the
 * consumer processes each (a no-op) and acknowledges it. Items/s = items / time until the last is
 * acknowledged. Variants, interleaved in every round (the machine is shared: a slow moment hits
 * each variant alike):
 *
 * - `raw` (the limit): `XADD`, then `XREADGROUP COUNT 1 BLOCK` + `XACK` per item, JSON payload,
 *   on bare node-redis connections: what a stream consumer group costs with nothing on top.
 * - `rawCheckedAck`: the same, acknowledging with the queue's own acknowledgement script
 *   (`QUEUE_ACK`: check that this consumer still holds the item, `XACK`, `XDEL`, wake waiters)
 *   sent bare: what the queue's guarantees cost the server, without any client code.
 * - `queue`: `RedisQueue.put` / `get` / `taskDone`, one item at a time (same three round trips,
 *   plus encoding, the visibility watchdog and the ownership check of the acknowledgement).
 * - `queueBatch`: `putMany(100)` / `getMany(100)` / `taskDone(n)`.
 * - `bullmq`: BullMQ (`Queue.add` one at a time, `Worker` with concurrency 1) over ioredis, and
 *   `bullmqBulk`: `addBulk(100)`, `Worker` with concurrency 100 (BullMQ's fastest here). Both
 *   remove completed jobs, as a work queue would.
 *
 * Ratios (median of the per-round ratios): `queue / raw` (target >= 0.8) and `queueBatch / best
 * BullMQ` (target >= 3).
 *
 * Run: `deno run --allow-net=127.0.0.1 --allow-env --allow-read --allow-sys --allow-run
 *       --allow-write bench/redis_queue_bench.ts [--items 4000] [--runs 7]`
 *
 * @module
 */
import { Buffer } from "node:buffer";
import { createClient, RESP_TYPES } from "@redis/client";
import { Queue as BullQueue, Worker as BullWorker } from "bench-bullmq";
import { Redis as IORedis } from "bench-ioredis";
import { connect } from "../src/redis/mod.ts";
import { QUEUE_ACK } from "../src/redis/_lua_stream.ts";
import { startRedisServer } from "../src/redis/testing.ts";
import { median, parseFlags, spread } from "./_stats.ts";

const BINARY = { typeMapping: { [RESP_TYPES.BLOB_STRING]: Buffer, [RESP_TYPES.MAP]: Array } };
const BATCH = 100;
const SLICES = 20;

const item = (i: number) => ({ i, name: `item-${i}` });

if (import.meta.main) {
  const { items, runs } = parseFlags(Deno.args, { items: 4_000, runs: 7 });
  await using server = await startRedisServer();
  // raw: three bare connections (producer, blocking consumer, acknowledger).
  const producer = createClient({ url: server.url });
  await producer.connect();
  const blocking = producer.duplicate();
  await blocking.connect();
  const acker = producer.duplicate();
  await acker.connect();
  await producer.sendCommand(["XGROUP", "CREATE", "raw", "g", "0", "MKSTREAM"]);
  await producer.sendCommand(["XGROUP", "CREATE", "{raw2}s", "g", "0", "MKSTREAM"]);
  await producer.sendCommand(["SCRIPT", "LOAD", (await QUEUE_ACK.ready()).source]);
  // Interlock: a producer context and a consumer context, each with its queue object.
  await using a = await connect(server.url);
  await using b = await connect(server.url);
  const q = a.Queue<ReturnType<typeof item>>("bench");
  const c = b.Queue<ReturnType<typeof item>>("bench");
  // BullMQ: its own connections (ioredis), as its docs set it up.
  const io = () =>
    new IORedis({ host: "127.0.0.1", port: server.port, maxRetriesPerRequest: null });
  const bullConnections = [io(), io(), io()];
  const bullQueue = new BullQueue("bench", { connection: bullConnections[0]! });
  let bullDone = 0;
  let bullTarget = Infinity;
  let bullFinished: () => void = () => {};
  const makeWorker = (concurrency: number, connection: IORedis) => {
    const worker = new BullWorker("bench", (job) => Promise.resolve(job.data.i), {
      connection,
      concurrency,
      autorun: false,
    });
    worker.on("completed", () => {
      if (++bullDone === bullTarget) bullFinished();
    });
    return worker;
  };
  const bullSingle = makeWorker(1, bullConnections[1]!);
  const bullMany = makeWorker(BATCH, bullConnections[2]!);

  /** Producer -> consumer over bare stream commands on `stream`, acknowledging with `ack(id)`. */
  const rawLoop = async (n: number, stream: string, ack: (id: string) => string[]) => {
    const put = (async () => {
      for (let i = 0; i < n; i++) {
        await producer.sendCommand(["XADD", stream, "*", "d", JSON.stringify(item(i))]);
      }
    })();
    for (let got = 0; got < n;) {
      const reply = await blocking.sendCommand([
        "XREADGROUP",
        "GROUP",
        "g",
        "c",
        "COUNT",
        "1",
        "BLOCK",
        "1000",
        "STREAMS",
        stream,
        ">",
      ], BINARY) as [Buffer, [Buffer, Buffer[]][]] | null; // deno-fmt-ignore
      for (const [id, fields] of reply?.[1] ?? []) {
        JSON.parse(String(fields[1]));
        await acker.sendCommand(ack(String(id)));
        got++;
      }
    }
    await put;
  };

  const variants: Record<string, (n: number) => Promise<void>> = {
    raw: (n) => rawLoop(n, "raw", (id) => ["XACK", "raw", "g", id]),
    rawCheckedAck: (n) =>
      rawLoop(n, "{raw2}s", (id) => ["EVALSHA", QUEUE_ACK.sha, "1", "{raw2}s", "c", "0", id]),
    queue: async (n) => {
      const put = (async () => {
        for (let i = 0; i < n; i++) await q.put(item(i));
      })();
      for (let i = 0; i < n; i++) {
        await c.get({ timeout: 10_000 });
        await c.taskDone();
      }
      await put;
    },
    queueBatch: async (n) => {
      const put = (async () => {
        for (let i = 0; i < n; i += BATCH) {
          await q.putMany(Array.from({ length: Math.min(BATCH, n - i) }, (_, k) => item(i + k)));
        }
      })();
      for (let got = 0; got < n;) {
        const batch = await c.getMany(BATCH, { timeout: 10_000 });
        await c.taskDone(batch.length);
        got += batch.length;
      }
      await put;
    },
    bullmq: async (n) => {
      await bullRun(n, bullSingle, async () => {
        for (let i = 0; i < n; i++) {
          await bullQueue.add("job", item(i), { removeOnComplete: true });
        }
      });
    },
    bullmqBulk: async (n) => {
      await bullRun(n, bullMany, async () => {
        for (let i = 0; i < n; i += BATCH) {
          await bullQueue.addBulk(
            Array.from({ length: Math.min(BATCH, n - i) }, (_, k) => ({
              name: "job",
              data: item(i + k),
              opts: { removeOnComplete: true },
            })),
          );
        }
      });
    },
  };

  const started = new Set<BullWorker>();
  const bullRun = async (n: number, worker: BullWorker, put: () => Promise<void>) => {
    bullDone = 0;
    bullTarget = n;
    const finished = new Promise<void>((resolve) => bullFinished = resolve);
    if (started.has(worker)) worker.resume();
    else {
      started.add(worker);
      worker.run().catch((e) => console.error(e));
    }
    await put();
    await finished;
    await worker.pause(true); // the other BullMQ variant's worker takes the next jobs
  };

  const rate = async (n: number, run: (n: number) => Promise<void>) => {
    const start = performance.now();
    await run(n);
    return n / ((performance.now() - start) / 1000);
  };
  for (const run of Object.values(variants)) await rate(BATCH * 2, run); // warm-up
  const rates: Record<string, number[]> = Object.fromEntries(
    Object.keys(variants).map((k) => [k, []]),
  );
  const queueVsRaw: number[] = [];
  const queueVsChecked: number[] = [];
  const batchVsBull: number[] = [];
  const batchVsBullSingle: number[] = [];
  for (let r = 0; r < runs; r++) {
    // Each round runs every variant on 20 slices of the items, the order rotating, so a slow
    // moment of the shared machine hits every variant alike.
    const seconds: Record<string, number> = Object.fromEntries(
      Object.keys(variants).map((k) => [k, 0]),
    );
    const order = Object.entries(variants);
    const slice = Math.max(BATCH, Math.floor(items / SLICES));
    for (let s = 0; s < SLICES; s++) {
      for (let i = 0; i < order.length; i++) {
        const [name, run] = order[(i + s + r) % order.length]!;
        seconds[name]! += slice / await rate(slice, run);
      }
    }
    for (const name of Object.keys(rates)) rates[name]!.push((slice * SLICES) / seconds[name]!);
    const last = (name: string) => rates[name]!.at(-1)!;
    queueVsRaw.push(last("queue") / last("raw"));
    queueVsChecked.push(last("queue") / last("rawCheckedAck"));
    batchVsBull.push(last("queueBatch") / Math.max(last("bullmq"), last("bullmqBulk")));
    batchVsBullSingle.push(last("queueBatch") / last("bullmq"));
  }
  const k = (x: number) => `${(x / 1000).toFixed(2)} k/s`;
  const x = (v: number) => `${v.toFixed(2)}x`;
  console.log(`Producer -> consumer, ${items} items x ${runs} rounds (median (min-max)):`);
  for (const [name, list] of Object.entries(rates)) {
    console.log(`  ${name.padEnd(28)} ${spread(list, k)}`);
  }
  console.log(`  queue / raw                  ${spread(queueVsRaw, x)} (target >= 0.8)`);
  console.log(`  queue / raw + checked ack    ${spread(queueVsChecked, x)}`);
  console.log(`  queueBatch / best BullMQ     ${spread(batchVsBull, x)} (target >= 3)`);
  console.log(`  queueBatch / BullMQ add      ${spread(batchVsBullSingle, x)}`);
  await bullSingle.close();
  await bullMany.close();
  await bullQueue.close();
  for (const c of bullConnections) c.disconnect();
  for (const c of [producer, blocking, acker]) c.destroy();
  console.log(JSON.stringify({
    bench: "redis_queue",
    ratios: {
      queue_vs_raw_streams: Number(median(queueVsRaw).toFixed(3)),
      queue_vs_raw_with_checked_ack: Number(median(queueVsChecked).toFixed(3)),
      queue_batch_vs_best_bullmq: Number(median(batchVsBull).toFixed(3)),
      queue_batch_vs_bullmq_add: Number(median(batchVsBullSingle).toFixed(3)),
    },
  }));
}
