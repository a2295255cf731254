/**
 * One of the two contending processes of `bench/redis_bench.ts`: takes and releases a lock in a
 * loop for `seconds`, and prints the fencing token of every acquisition as one JSON line, so the
 * parent can put both processes' acquisitions in their global order (tokens grow).
 *
 * `deno run --allow-net=127.0.0.1 --allow-env --allow-read --allow-sys bench/redis_contender.ts
 *  <url> <seconds> <interlock|polling> <name>`
 *
 * - `interlock`: `RedisLock.acquire()` / `release()` (FIFO hand-off, waiters in `BLPOP`).
 * - `polling`: how `redlock` / `redis-semaphore` wait: `SET key id NX PX` and `INCR` a fence, and
 *   on failure sleep 10 ms and try again; release with a compare-and-delete script.
 *
 * @module
 */
import { createClient } from "@redis/client";
import { connect } from "../src/redis/mod.ts";

const [url, seconds, mode, name] = Deno.args;
const ctx = await connect(url!);
const tokens: string[] = [];
await ctx.Barrier(`start-${name}`, 2).wait({ timeout: 60_000 });
const end = performance.now() + Number(seconds) * 1000;
if (mode === "interlock") {
  const lock = ctx.Lock(`contended-${name}`);
  while (performance.now() < end) {
    const hold = await lock.acquire();
    tokens.push(String(hold.token));
    await hold.release();
  }
} else {
  const client = createClient({ url: url! });
  await client.connect();
  const me = crypto.randomUUID();
  const key = `polling-${name}`;
  const release =
    "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0";
  while (performance.now() < end) {
    if (await client.set(key, me, { NX: true, PX: 30_000 }) === null) {
      await new Promise((resolve) => setTimeout(resolve, 10));
      continue;
    }
    tokens.push(String(await client.incr(`${key}:fence`)));
    await client.eval(release, { keys: [key], arguments: [me] });
  }
  client.destroy();
}
await ctx.close();
console.log(JSON.stringify({ tokens }));
