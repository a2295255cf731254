/**
 * The Redis lock against its limits, on a throwaway `redis-server` on loopback.
 *
 * A `deno run` script (a contended bench needs two processes); `deno task bench` runs it after
 * the `Deno.bench` files. Rounds interleave the variants; each figure is the median over `--runs`
 * rounds with its min-max, and each ratio the median of the per-round ratios.
 *
 * Situations modelled:
 * 1. **Uncontended round trip**: one context, `acquire()` + `release()` of a `RedisLock`, over
 *    and over. Limit: the same two Lua scripts (`ACQUIRE`, `RELEASE` of `src/redis/_lua.ts`) sent
 *    bare with `EVALSHA` on the same connection, with none of the client's work (guards, lease
 *    watchdog timers, bookkeeping). Reference: the smallest lock scripts there are (`SET NX PX` +
 *    `INCR` for a fence; compare-and-delete), to show what the hold-set scripts cost the server.
 * 2. **Contended hand-off**: two processes loop on acquire + release of one lock for `--seconds`.
 *    Hand-off = the fraction of consecutive acquisitions (in fencing-token order) made by
 *    different processes: 1 is strict alternation, 0 is one process starving the other. Peer in
 *    the same run: a 10 ms polling retry loop (how `redlock` / `redis-semaphore` wait).
 *
 * Run: `deno run --allow-net=127.0.0.1 --allow-env --allow-read --allow-sys --allow-run
 *       --allow-write bench/redis_bench.ts [--ops 2000] [--runs 7] [--seconds 2]`
 *
 * @module
 */
import { createClient } from "@redis/client";
import { fromClient } from "../src/redis/mod.ts";
import { ACQUIRE, RELEASE } from "../src/redis/_lua.ts";
import { startRedisServer } from "../src/redis/testing.ts";
import { median, parseFlags, spread } from "./_stats.ts";

/** Operations per second of `n` runs of `op`. */
async function rate(n: number, op: () => Promise<unknown>): Promise<number> {
  const start = performance.now();
  for (let i = 0; i < n; i++) await op();
  return n / ((performance.now() - start) / 1000);
}

/** Fraction of consecutive acquisitions (by token) made by different processes. */
function alternation(runs: string[][]): { alternation: number; shares: number[]; total: number } {
  const all = runs.flatMap((tokens, who) => tokens.map((t) => ({ token: BigInt(t), who })));
  all.sort((a, b) => (a.token < b.token ? -1 : 1));
  let switches = 0;
  for (let i = 1; i < all.length; i++) if (all[i]!.who !== all[i - 1]!.who) switches++;
  return {
    alternation: all.length > 1 ? switches / (all.length - 1) : 0,
    shares: runs.map((tokens) => tokens.length / Math.max(1, all.length)),
    total: all.length,
  };
}

async function contend(url: string, seconds: number, mode: string, round: number) {
  const name = `${mode}-${round}`;
  const children = [0, 1].map(() =>
    new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--allow-net=127.0.0.1",
        "--allow-env",
        "--allow-read",
        "--allow-sys",
        new URL("./redis_contender.ts", import.meta.url).pathname,
        url,
        String(seconds),
        mode,
        name,
      ],
      stdout: "piped",
      stderr: "inherit",
    }).output()
  );
  const outputs = await Promise.all(children);
  const runs = outputs.map((o) => {
    if (!o.success) throw new Error(`A contender failed (exit ${o.code})`);
    return JSON.parse(new TextDecoder().decode(o.stdout)).tokens as string[];
  });
  return { ...alternation(runs), perSecond: runs.flat().length / seconds };
}

if (import.meta.main) {
  const { ops, runs, seconds } = parseFlags(Deno.args, { ops: 2_000, runs: 7, seconds: 2 });
  await using server = await startRedisServer();
  const client = createClient({ url: server.url });
  await client.connect();
  await using ctx = fromClient(client);
  const lock = ctx.Lock("bench");
  const head = ["1", "0", "0"];
  const key = "{interlock:bare}:lock:h";
  await ACQUIRE.ready();
  await RELEASE.ready();
  const minimalAcquire = await client.scriptLoad(
    "if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return redis.call('INCR', KEYS[2]) end return 0",
  );
  const minimalRelease = await client.scriptLoad(
    "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0",
  );
  let id = 0;
  const variants: Record<string, () => Promise<unknown>> = {
    lock: async () => {
      const hold = await lock.acquire();
      await hold.release();
    },
    bareScripts: async () => {
      const holder = `bare.${++id}`;
      await client.sendCommand([
        "EVALSHA",
        ACQUIRE.sha,
        "1",
        key,
        ...head,
        holder,
        holder,
        "30000",
        "1",
        "wait",
        "30000",
      ]);
      await client.sendCommand(["EVALSHA", RELEASE.sha, "1", key, ...head, holder, "1"]);
    },
    minimalScripts: async () => {
      const holder = `min.${++id}`;
      await client.sendCommand(["EVALSHA", minimalAcquire, "2", "{m}:l", "{m}:f", holder, "30000"]);
      await client.sendCommand(["EVALSHA", minimalRelease, "1", "{m}:l", holder]);
    },
  };
  for (const op of Object.values(variants)) await rate(200, op); // warm-up
  const rates: Record<string, number[]> = { lock: [], bareScripts: [], minimalScripts: [] };
  const lockVsBare: number[] = [];
  const bareVsMinimal: number[] = [];
  for (let r = 0; r < runs; r++) {
    // Fine interleaving: 20 slices per round, the variants' order rotating, so a slow moment of
    // the shared machine hits every variant alike.
    const seconds: Record<string, number> = { lock: 0, bareScripts: 0, minimalScripts: 0 };
    const order = Object.entries(variants);
    const slice = Math.max(1, Math.floor(ops / 20));
    for (let s = 0; s < 20; s++) {
      for (let i = 0; i < order.length; i++) {
        const [name, op] = order[(i + s + r) % order.length]!;
        seconds[name]! += slice / await rate(slice, op);
      }
    }
    for (const name of Object.keys(rates)) rates[name]!.push((slice * 20) / seconds[name]!);
    lockVsBare.push(rates.lock!.at(-1)! / rates.bareScripts!.at(-1)!);
    bareVsMinimal.push(rates.bareScripts!.at(-1)! / rates.minimalScripts!.at(-1)!);
  }
  const k = (x: number) => `${(x / 1000).toFixed(2)} k/s`;
  const x = (v: number) => `${v.toFixed(2)}x`;
  console.log(`Uncontended acquire + release, ${ops} ops x ${runs} rounds (median (min-max)):`);
  console.log(`  RedisLock                      ${spread(rates.lock!, k)}`);
  console.log(`  bare ACQUIRE+RELEASE scripts   ${spread(rates.bareScripts!, k)}`);
  console.log(`  minimal SET NX / DEL scripts   ${spread(rates.minimalScripts!, k)}`);
  console.log(`  RedisLock / bare scripts       ${spread(lockVsBare, x)} (target >= 0.8)`);
  console.log(`  bare / minimal scripts         ${spread(bareVsMinimal, x)}`);

  const contended: Record<
    string,
    { alternation: number[]; perSecond: number[]; minShare: number[] }
  > = {
    interlock: { alternation: [], perSecond: [], minShare: [] },
    polling: { alternation: [], perSecond: [], minShare: [] },
  };
  const contendedRuns = Math.max(1, Math.min(runs, 3));
  for (let r = 0; r < contendedRuns; r++) {
    for (const mode of ["interlock", "polling"]) {
      const result = await contend(server.url, seconds, mode, r);
      contended[mode]!.alternation.push(result.alternation);
      contended[mode]!.perSecond.push(result.perSecond);
      contended[mode]!.minShare.push(Math.min(...result.shares));
    }
  }
  const f = (v: number) => v.toFixed(2);
  console.log(
    `\n2 processes contending for ${seconds} s x ${contendedRuns} rounds (median (min-max)):`,
  );
  for (const [mode, c] of Object.entries(contended)) {
    console.log(
      `  ${mode.padEnd(10)} hand-off ${spread(c.alternation, f)}, smaller share ${
        spread(c.minShare, f)
      }, ${spread(c.perSecond, k)}`,
    );
  }
  console.log(JSON.stringify({
    bench: "redis_lock",
    ratios: {
      lock_vs_bare_scripts: Number(median(lockVsBare).toFixed(3)),
      bare_vs_minimal_scripts: Number(median(bareVsMinimal).toFixed(3)),
      handoff_interlock: Number(median(contended.interlock!.alternation).toFixed(3)),
      handoff_polling_10ms: Number(median(contended.polling!.alternation).toFixed(3)),
      contended_interlock_vs_polling: Number(
        (median(contended.interlock!.perSecond) / median(contended.polling!.perSecond)).toFixed(3),
      ),
    },
  }));
  await ctx.close();
  client.destroy();
}
