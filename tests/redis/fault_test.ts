/**
 * Faults with real processes: a holder killed (SIGKILL), a holder paused past its lease
 * (SIGSTOP), the server restarted under a waiter. One server for the file; both holder processes
 * start together (their start-ups overlap), each on a lock of its own.
 */
import assert from "node:assert/strict";
import { connect, RedisConnectionError } from "../../src/redis/mod.ts";
import { rawClient, startRedisServer, Subprocess } from "./_server.ts";

const HOLDER = "./_holder.ts";
/** Ms for a holder process to start and take its lock: both start at once on a shared machine. */
const STARTUP = 30_000;

Deno.test("Lock faults with real processes (one server; the restart comes last)", async (t) => {
  await using server = await startRedisServer();
  const [killedLease, pausedLease] = [800, 400];
  await using killedHolder = new Subprocess(HOLDER, [server.url, String(killedLease), "killed"]);
  await using pausedHolder = new Subprocess(HOLDER, [server.url, String(pausedLease), "paused"]);

  await t.step(
    "A SIGKILLed holder's lock goes to the waiter when its lease ends, and no sooner",
    async () => {
      const [lease, holder] = [killedLease, killedHolder];
      const held = await holder.next(STARTUP);
      assert.equal(held.event, "held");
      await using ctx = await connect(server.url);
      let acquiredAt = 0;
      const waiting = ctx.Lock("killed").acquire({ timeout: 10_000 }).then((hold) => {
        acquiredAt = Date.now();
        return hold;
      });
      await using raw = await rawClient(server.url);
      // The lease end Redis records (server ms); a renewal after this read only moves it later.
      const leaseEnd = Number(
        await raw.zRangeWithScores("{interlock:killed}:lock:h", 0, 0).then((e) => e[0]!.score),
      );
      holder.kill("SIGKILL");
      const killedAt = Date.now();
      const hold = await waiting;
      assert.ok(
        acquiredAt >= leaseEnd,
        `acquired ${leaseEnd - acquiredAt} ms before the lease ended`,
      );
      assert.ok(
        acquiredAt - killedAt <= lease + 1_000,
        `acquired ${acquiredAt - killedAt} ms after the kill`,
      );
      assert.ok(hold.token > BigInt(held.token as string));
      await hold.release();
    },
  );

  await t.step(
    "A SIGSTOPped holder past its lease: its signal fires, its fenced write is refused, the new holder's write stands",
    async () => {
      const holder = pausedHolder;
      const held = await holder.next(STARTUP);
      assert.equal(held.event, "held");
      holder.kill("SIGSTOP");
      try {
        await using ctx = await connect(server.url);
        const hold = await ctx.Lock("paused").acquire({ timeout: 10_000 }); // after the lease
        assert.ok(hold.token > BigInt(held.token as string));
        await ctx.Value("paused", 0).set(42, { fence: hold.token });
        holder.kill("SIGCONT");
        await holder.send("write 13"); // the old holder resumes and writes with its old token
        const write = await holder.next();
        assert.equal(write.ok, false);
        assert.equal(write.error, "StaleTokenError");
        assert.equal(await ctx.Value("paused", 0).get(), 42);
        await holder.send("release");
        const release = await holder.next();
        assert.deepEqual(release, { event: "release", ok: false, error: "LeaseLostError" });
        await holder.send("write 14");
        assert.equal((await holder.next()).lost, true, "the hold's signal fired");
        assert.ok(await ctx.Lock("paused").locked(), "the stale release freed nothing");
        await hold.release();
      } finally {
        holder.kill("SIGCONT");
      }
    },
  );

  await t.step(
    "A server restart mid-wait rejects the waiters with RedisConnectionError, and the context works again after",
    async () => {
      await using a = await connect(server.url);
      await using b = await connect(server.url);
      await a.Lock("x").acquire();
      // Their rejections are expected while the server restarts: handled from the start.
      const lockWait = assert.rejects(
        b.Lock("x").acquire({ timeout: 20_000 }),
        RedisConnectionError,
      );
      const eventWait = assert.rejects(
        b.Event("e").wait({ timeout: 20_000 }),
        RedisConnectionError,
      );
      // Both are queued in Redis (the wait script ran) before the server goes.
      await using raw = await rawClient(server.url);
      const deadline = performance.now() + 5_000;
      while (await raw.exists(["{interlock:x}:lock:q", "{interlock:e}:event:q"]) < 2) {
        assert.ok(performance.now() < deadline, "the waiters never queued");
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      const started = performance.now();
      await server.restart();
      await lockWait;
      await eventWait;
      assert.ok(performance.now() - started < 5_000);
      // node-redis reconnects in the background; the restarted server is empty.
      for (;;) {
        try {
          await using _ = await b.Lock("x").acquire({ timeout: 1_000 });
          break;
        } catch (error) {
          assert.ok(error instanceof RedisConnectionError, String(error));
          assert.ok(performance.now() - started < 10_000, "no reconnection");
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
      }
    },
  );
});
