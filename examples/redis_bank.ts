// Run: deno run --allow-net=127.0.0.1 --allow-env --allow-read --allow-sys --allow-run --allow-write examples/redis_bank.ts
/**
 * The bank race across two processes, fixed with a Redis lock: one process withdraws 1, the other
 * deposits 1, 100 times each, on a balance kept in Redis. Prints "Final balance = 100".
 *
 * - `deno run ... examples/redis_bank.ts` starts a throwaway `redis-server` (the test helper of
 *   `@interlock/interlock/redis/testing`) and two copies of itself as the tellers;
 * - `deno run ... examples/redis_bank.ts redis://host:6379` uses your server instead (the tellers
 *   need only `--allow-net --allow-env --allow-read --allow-sys`).
 *
 * Each transaction is a read-modify-write under the lock, its read and its write fenced with the
 * hold's token: a teller whose lease ended while it was paused cannot overwrite a newer balance
 * (the fenced read matters: see `tests/redis/explore_test.ts`).
 *
 * @module
 */
import { connect } from "@interlock/interlock/redis";
import { startRedisServer } from "@interlock/interlock/redis/testing";

const TRANSACTIONS = 100;

/** One teller: `delta` applied `TRANSACTIONS` times, each under the lock. */
async function teller(url: string, delta: number): Promise<void> {
  await using ctx = await connect(url, { namespace: "bank" });
  const lock = ctx.Lock("balance");
  const balance = ctx.Value("balance", 100);
  await ctx.Barrier("open", 2).wait({ timeout: 30_000 }); // both tellers start together
  for (let i = 0; i < TRANSACTIONS; i++) {
    await using hold = await lock.acquire();
    const b = await balance.get({ fence: hold.token });
    await balance.set(b + delta, { fence: hold.token });
  }
}

/** Starts the two tellers as processes and returns the final balance. */
async function bank(url: string): Promise<number> {
  const flags = ["--allow-net=127.0.0.1", "--allow-env", "--allow-read", "--allow-sys"];
  const tellers = ["-1", "+1"].map((delta) =>
    new Deno.Command(Deno.execPath(), {
      args: ["run", ...flags, new URL(import.meta.url).pathname, url, delta],
      stdout: "inherit",
      stderr: "inherit",
    }).spawn()
  );
  const codes = await Promise.all(tellers.map(async (t) => (await t.status).code));
  if (codes.some((code) => code !== 0)) throw new Error(`A teller failed: exit codes ${codes}`);
  await using ctx = await connect(url, { namespace: "bank" });
  return await ctx.Value("balance", 100).get();
}

if (import.meta.main) {
  const [url, delta] = Deno.args;
  if (delta !== undefined) {
    await teller(url!, Number(delta));
  } else if (url !== undefined) {
    console.log(`Final balance = ${await bank(url)}`);
  } else {
    await using server = await startRedisServer();
    console.log(`Final balance = ${await bank(server.url)}`);
  }
}
