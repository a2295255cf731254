import assert from "node:assert/strict";
import { RuntimeError } from "../../mod.ts";
import { connect, LeaseLostError, RedisConnectionError } from "../../src/redis/mod.ts";
import { allKeys, flush, rawClient, startRedisServer } from "./_server.ts";

Deno.test("RedisLock and its holds (one server, emptied before each step)", async (t) => {
  await using server = await startRedisServer();

  await t.step(
    "RedisLock excludes: 3 contexts x 30 non-atomic read-then-write increments lose none",
    async () => {
      await flush(server);
      const contexts = await Promise.all([1, 2, 3].map(() => connect(server.url)));
      try {
        await using raw = await rawClient(server.url);
        await Promise.all(contexts.map(async (ctx) => {
          const lock = ctx.Lock("counter");
          for (let i = 0; i < 30; i++) {
            await using _ = await lock.acquire({ timeout: 10_000 });
            const n = Number(await raw.get("plain-counter") ?? "0");
            await new Promise((resolve) => setTimeout(resolve, 0)); // let others run in between
            await raw.set("plain-counter", String(n + 1));
          }
        }));
        assert.equal(await raw.get("plain-counter"), "90");
        assert.equal(await contexts[0]!.Lock("counter").locked(), false);
      } finally {
        await Promise.all(contexts.map((ctx) => ctx.close()));
      }
    },
  );

  await t.step(
    "RedisLock hands the lock to waiters in the order they queued, with growing tokens",
    async () => {
      await flush(server);
      await using holder = await connect(server.url);
      const waiters = await Promise.all([1, 2, 3].map(() => connect(server.url)));
      try {
        const first = await holder.Lock("fifo").acquire();
        const order: number[] = [];
        const tokens: bigint[] = [first.token];
        const pending: Promise<void>[] = [];
        for (const [i, ctx] of waiters.entries()) {
          pending.push(
            ctx.Lock("fifo").acquire({ timeout: 10_000 }).then(async (hold) => {
              order.push(i);
              tokens.push(hold.token);
              await hold.release();
            }),
          );
          // Queue them one after the other: wait until Redis lists this waiter.
          await using raw = await rawClient(server.url);
          const deadline = performance.now() + 5_000;
          while (await raw.lLen("{interlock:fifo}:lock:q") < i + 1) {
            assert.ok(performance.now() < deadline, "the waiter never queued");
            await new Promise((resolve) => setTimeout(resolve, 5));
          }
        }
        // A newcomer does not overtake the queue.
        assert.equal(await holder.Lock("fifo").tryAcquire(), false);
        await first.release();
        await Promise.all(pending);
        assert.deepEqual(order, [0, 1, 2]);
        assert.deepEqual(tokens, [...tokens].sort((a, b) => (a < b ? -1 : 1)));
        assert.equal(new Set(tokens).size, 4);
      } finally {
        await Promise.all(waiters.map((ctx) => ctx.close()));
      }
    },
  );

  await t.step(
    "RedisLock.acquire() timeout and abort leave no hold and no waiter behind",
    async () => {
      await flush(server);
      await using a = await connect(server.url);
      await using b = await connect(server.url);
      const hold = await a.Lock("t").acquire();
      await assert.rejects(b.Lock("t").acquire({ timeout: 30 }), (e: unknown) => {
        assert.ok(e instanceof DOMException && e.name === "TimeoutError");
        return true;
      });
      const controller = new AbortController();
      const reason = new Error("stop waiting");
      const aborted = b.Lock("t").acquire({ signal: controller.signal });
      setTimeout(() => controller.abort(reason), 30);
      await assert.rejects(aborted, (e) => e === reason);
      await assert.rejects(
        b.Lock("t").acquire({ signal: AbortSignal.abort(reason) }),
        (e) => e === reason,
      );
      await hold.release();
      assert.equal(await a.Lock("t").locked(), false);
      // Only the fencing counter remains: no holder, no queue, no registration, no token list.
      assert.deepEqual(await allKeys(server.url), ["{interlock:t}:lock:f"]);
    },
  );

  await t.step(
    "RedisLock.release() without a hold throws RuntimeError and a double release through the guard does nothing",
    async () => {
      await flush(server);
      await using ctx = await connect(server.url);
      const lock = ctx.Lock("r");
      await assert.rejects(lock.release(), RuntimeError);
      const hold = await lock.acquire();
      await lock.release();
      await hold.release(); // already released: no error, nothing changes
      await hold[Symbol.asyncDispose]();
      assert.equal(await lock.locked(), false);
      assert.ok(await lock.tryAcquire());
      await assert.rejects(ctx.Lock("r").release(), RuntimeError); // another object: not its hold
      assert.ok(await lock.locked());
    },
  );

  await t.step(
    "A hold whose lease is lost fires its signal, and its release throws LeaseLostError",
    async () => {
      await flush(server);
      await using ctx = await connect(server.url, { lease: 300 });
      await using other = await connect(server.url, { lease: 300 });
      const hold = await ctx.Lock("l").acquire();
      const lost = new Promise<unknown>((resolve) => {
        hold.signal.addEventListener("abort", () => resolve(hold.signal.reason), { once: true });
      });
      // A failover that lost the hold, as the holder sees it: the hold vanishes from Redis.
      await using raw = await rawClient(server.url);
      await raw.del("{interlock:l}:lock:h");
      const reason = await lost; // the watchdog's next renewal (100 ms) is refused
      assert.ok(reason instanceof LeaseLostError);
      assert.equal(reason.token, hold.token);
      const next = await other.Lock("l").acquire({ timeout: 5_000 });
      assert.ok(next.token > hold.token);
      await assert.rejects(hold.release(), LeaseLostError);
      assert.ok(await other.Lock("l").locked(), "the stale release freed nothing");
      await next.release();
    },
  );

  await t.step("The watchdog keeps a hold alive for several leases", async () => {
    await flush(server);
    await using a = await connect(server.url, { lease: 300 });
    await using b = await connect(server.url, { lease: 300 });
    const hold = await a.Lock("w").acquire();
    // 4 leases long, b waits in vain: the holder's watchdog renews every 100 ms.
    await assert.rejects(b.Lock("w").acquire({ timeout: 1_200 }), { name: "TimeoutError" });
    assert.equal(hold.signal.aborted, false);
    await hold.release();
  });

  await t.step(
    "An acquire with { replicas } waits for WAIT: it fails without a replica and succeeds with one",
    async () => {
      await flush(server);
      await using ctx = await connect(server.url);
      await assert.rejects(
        ctx.Lock("rep").acquire({ replicas: 1, replicaTimeout: 50 }),
        (e: unknown) => e instanceof DOMException && e.name === "TimeoutError",
      );
      assert.equal(await ctx.Lock("rep").locked(), false, "the unreplicated hold was given back");
      await using replica = await startRedisServer({ replicaOf: server });
      const hold = await ctx.Lock("rep").acquire({ replicas: 1, replicaTimeout: 5_000 });
      await using raw = await rawClient(replica.url);
      assert.equal(await raw.zCard("{interlock:rep}:lock:h"), 1, "the replica has the hold");
      await hold.release();
      await assert.rejects(ctx.Lock("rep").acquire({ replicas: -1 }), RangeError);
    },
  );

  await t.step(
    "A closed context refuses calls with RedisConnectionError and released its holds",
    async () => {
      await flush(server);
      const ctx = await connect(server.url);
      const lock = ctx.Lock("c");
      await lock.acquire();
      await ctx.close();
      await ctx.close(); // idempotent
      await assert.rejects(lock.acquire(), RedisConnectionError);
      await assert.rejects(lock.tryAcquire(), RedisConnectionError);
      await using other = await connect(server.url);
      assert.equal(await other.Lock("c").locked(), false);
    },
  );

  await t.step(
    "A sync `using` starts the release at block end; another context then gets the lock",
    async () => {
      await flush(server);
      await using ctx = await connect(server.url);
      await using other = await connect(server.url);
      {
        using _ = await ctx.Lock("u").acquire();
        assert.equal(await other.Lock("u").tryAcquire(), false);
      }
      // Not awaited by `using`: the other context waits for it, by hand-off, well within its lease.
      const hold = await other.Lock("u").acquire({ timeout: 5_000 });
      await hold.release();
    },
  );

  await t.step(
    "Closing a context rejects its pending waits with RedisConnectionError",
    async () => {
      await flush(server);
      await using holder = await connect(server.url);
      const ctx = await connect(server.url);
      const hold = await holder.Lock("p").acquire();
      const waiting = assert.rejects(
        ctx.Lock("p").acquire({ timeout: 10_000 }),
        RedisConnectionError,
      );
      await using raw = await rawClient(server.url);
      const deadline = performance.now() + 5_000;
      while (await raw.lLen("{interlock:p}:lock:q") < 1) {
        assert.ok(performance.now() < deadline, "the waiter never queued");
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      const closing = performance.now();
      await ctx.close();
      await waiting;
      // At once, not when its 10 s timeout (or its BLPOP slice) ends.
      assert.ok(performance.now() - closing < 5_000, `${performance.now() - closing} ms`);
      await hold.release();
    },
  );
});
