import assert from "node:assert/strict";
import { BrokenBarrierError, RuntimeError } from "../../mod.ts";
import { connect, type RedisContext, RedisRLock } from "../../src/redis/mod.ts";
import { flush, rawClient, startRedisServer } from "./_server.ts";

async function contexts(url: string, n: number): Promise<RedisContext[] & AsyncDisposable> {
  const list = await Promise.all(Array.from({ length: n }, () => connect(url, { lease: 2_000 })));
  return Object.assign(list, {
    [Symbol.asyncDispose]: async () => void await Promise.all(list.map((c) => c.close())),
  });
}

Deno.test("RLock, Semaphore, Event, Condition, Barrier and Value (one server, emptied before each step)", async (t) => {
  await using server = await startRedisServer();

  await t.step(
    "RedisRLock is reentrant for its context, shares one token, and refuses other contexts",
    async () => {
      await flush(server);
      await using ctxs = await contexts(server.url, 2);
      const [a, b] = [ctxs[0]!.RLock("r"), ctxs[1]!.RLock("r")];
      const outer = await a.acquire();
      const inner = await a.acquire();
      assert.ok(await a.tryAcquire());
      assert.equal(a.recursionCount(), 3);
      assert.equal(inner.token, outer.token);
      assert.equal(await b.tryAcquire(), false);
      await assert.rejects(b.release(), RuntimeError);
      const waiting = b.acquire({ timeout: 5_000 });
      await a.release();
      await inner.release();
      assert.ok(a.owned());
      await outer.release(); // the last level: handed to b
      const next = await waiting;
      assert.ok(next.token > outer.token);
      assert.equal(a.owned(), false);
      assert.equal(b.recursionCount(), 1);
      await next.release();
      assert.equal(await a.locked(), false);
    },
  );

  await t.step(
    "Two async functions of one context share a RedisRLock hold, as the local RLock's agent does",
    async () => {
      await flush(server);
      await using ctxs = await contexts(server.url, 2);
      const [mine, theirs] = [ctxs[0]!.RLock("shared"), ctxs[1]!.RLock("shared")];
      const held = await theirs.acquire();
      const both = Promise.all([
        mine.acquire({ timeout: 5_000 }),
        mine.acquire({ timeout: 5_000 }),
      ]);
      await held.release();
      const [h1, h2] = await both;
      assert.equal(mine.recursionCount(), 2);
      await h1.release();
      await h2.release();
      assert.equal(await mine.locked(), false);
    },
  );

  await t.step(
    "RedisSemaphore never admits more than its value: 4 contexts x 15 holds, at most 2 at once",
    async () => {
      await flush(server);
      await using ctxs = await contexts(server.url, 4);
      await using raw = await rawClient(server.url);
      let inside = 0;
      let most = 0;
      await Promise.all(ctxs.map(async (ctx) => {
        const sem = ctx.Semaphore("pool", 2);
        for (let i = 0; i < 15; i++) {
          await using _ = await sem.acquire({ timeout: 10_000 });
          inside++;
          most = Math.max(most, inside);
          await raw.incr("work"); // a round trip inside the hold
          inside--;
        }
      }));
      assert.equal(most, 2);
      assert.equal(await raw.get("work"), "60");
      assert.equal(await ctxs[0]!.Semaphore("pool", 2).value(), 2);
    },
  );

  await t.step(
    "RedisSemaphore.release() beyond its holds adds permits; RedisBoundedSemaphore refuses, changing nothing",
    async () => {
      await flush(server);
      await using ctxs = await contexts(server.url, 1);
      const ctx = ctxs[0]!;
      const sem = ctx.Semaphore("grow", 1);
      await sem.acquire();
      await sem.release(2); // one hold + one new permit
      assert.equal(await sem.value(), 2);
      const bounded = ctx.BoundedSemaphore("bound", 2);
      await bounded.acquire();
      await assert.rejects(bounded.release(2), RuntimeError);
      assert.equal(await bounded.value(), 1, "the refused release gave nothing back");
      await bounded.release();
      await assert.rejects(bounded.release(), RuntimeError);
      assert.equal(await bounded.value(), 2);
      await assert.rejects(sem.release(0), RangeError);
      await assert.rejects(ctx.Semaphore("grow", 5).value(), RangeError); // Redis holds it with 1
    },
  );

  await t.step(
    "RedisEvent wakes every waiter of every context, and clear() makes waits sleep again",
    async () => {
      await flush(server);
      await using ctxs = await contexts(server.url, 3);
      const waits = ctxs.flatMap((
        ctx,
      ) => [ctx.Event("go").wait({ timeout: 5_000 }), ctx.Event("go").wait({ timeout: 5_000 })]);
      await ctxs[0]!.Event("go").set();
      await Promise.all(waits);
      await ctxs[1]!.Event("go").wait({ timeout: 0 });
      await ctxs[2]!.Event("go").clear();
      assert.equal(await ctxs[0]!.Event("go").isSet(), false);
      await assert.rejects(ctxs[0]!.Event("go").wait({ timeout: 20 }), { name: "TimeoutError" });
    },
  );

  await t.step(
    "RedisCondition: notify(1) wakes the longest waiter, notifyAll the rest, each re-holding the lock",
    async () => {
      await flush(server);
      await using ctxs = await contexts(server.url, 4);
      const [producer, ...consumers] = ctxs;
      const woken: number[] = [];
      const raw = await rawClient(server.url);
      try {
        const waiting = consumers.map(async (ctx, i) => {
          const cond = ctx.Condition("c");
          await using _ = await cond.acquire({ timeout: 5_000 });
          await raw.rPush("arrived", String(i));
          await cond.wait({ timeout: 5_000 });
          assert.ok(
            cond.lock instanceof RedisRLock && cond.lock.owned(),
            "held again after the wait",
          );
          woken.push(i);
        });
        // Wait until all three wait (each registered, then released the lock).
        const deadline = performance.now() + 5_000;
        while (await raw.lLen("{interlock:c}:cond:q") < 3) {
          assert.ok(performance.now() < deadline, "consumers never waited");
          await new Promise((resolve) => setTimeout(resolve, 5));
        }
        const order = (await raw.lRange("arrived", 0, -1)).map(Number);
        const cond = producer!.Condition("c");
        {
          await using _ = await cond.acquire({ timeout: 5_000 });
          await cond.notify(1);
        }
        while (woken.length < 1) {
          assert.ok(performance.now() < deadline + 5_000, "notify(1) woke nobody");
          await new Promise((resolve) => setTimeout(resolve, 5));
        }
        assert.deepEqual(woken, [order[0]]);
        {
          await using _ = await cond.acquire({ timeout: 5_000 });
          await cond.notifyAll();
        }
        await Promise.all(waiting);
        assert.deepEqual(woken.sort(), [0, 1, 2]);
        await assert.rejects(cond.notify(), RuntimeError);
        await assert.rejects(cond.wait(), RuntimeError);
      } finally {
        await raw.close();
      }
    },
  );

  await t.step(
    "RedisCondition with a RedisLock: a timed-out wait holds the lock again and its guard still releases it",
    async () => {
      await flush(server);
      await using ctxs = await contexts(server.url, 2);
      const cond = ctxs[0]!.Condition("c", { lock: ctxs[0]!.Lock("m") });
      {
        await using hold = await cond.acquire();
        const before = hold.token;
        await assert.rejects(cond.wait({ timeout: 20 }), { name: "TimeoutError" });
        assert.ok(hold.token > before, "the lock was released and taken again");
        assert.equal(await ctxs[1]!.Lock("m").tryAcquire(), false);
      }
      assert.equal(await ctxs[1]!.Lock("m").locked(), false);
      assert.throws(() => ctxs[0]!.Condition("c", { lock: {} as never }), TypeError);
    },
  );

  await t.step(
    "RedisBarrier releases each generation together, runs its action once, and breaks on a timeout",
    async () => {
      await flush(server);
      await using ctxs = await contexts(server.url, 3);
      let actions = 0;
      for (let round = 0; round < 2; round++) {
        const indexes = await Promise.all(
          ctxs.map((ctx) =>
            ctx.Barrier("b", 3, { action: () => void actions++ }).wait({ timeout: 5_000 })
          ),
        );
        assert.deepEqual(indexes.sort(), [0, 1, 2]);
      }
      assert.equal(actions, 2);
      const lone = assert.rejects(
        ctxs[0]!.Barrier("b", 3).wait({ timeout: 5_000 }),
        BrokenBarrierError,
      );
      const timedOut = await ctxs[1]!.Barrier("b", 3).wait({ timeout: 30 }).catch((e) => e);
      assert.ok(timedOut instanceof BrokenBarrierError);
      assert.equal((timedOut.cause as DOMException).name, "TimeoutError");
      await lone;
      assert.ok(await ctxs[2]!.Barrier("b", 3).broken());
      await ctxs[2]!.Barrier("b", 3).reset();
      assert.equal(await ctxs[2]!.Barrier("b", 3).broken(), false);
      await assert.rejects(ctxs[2]!.Barrier("b", 4).wait(), RangeError);
    },
  );

  await t.step("RedisBarrier: an action that throws breaks the barrier for everybody", async () => {
    await flush(server);
    await using ctxs = await contexts(server.url, 2);
    const boom = new Error("boom");
    const results = await Promise.allSettled([
      ctxs[0]!.Barrier("a", 2, {
        action: () => {
          throw boom;
        },
      }).wait({ timeout: 5_000 }),
      ctxs[1]!.Barrier("a", 2, {
        action: () => {
          throw boom;
        },
      }).wait({ timeout: 5_000 }),
    ]);
    const reasons = results.map((r) => (r as PromiseRejectedResult).reason);
    assert.ok(reasons.includes(boom));
    assert.ok(reasons.some((r) => r instanceof BrokenBarrierError));
  });

  await t.step(
    "RedisValue: numbers and bigints round-trip exactly, and concurrent updates lose nothing",
    async () => {
      await flush(server);
      await using ctxs = await contexts(server.url, 3);
      const v = ctxs[0]!.Value("f", 0);
      for (const x of [0.1 + 0.2, -0, 1e300, -5e-324, Infinity, NaN]) {
        await v.set(x);
        assert.ok(Object.is(await v.get(), x), String(x));
      }
      const big = ctxs[0]!.Value("big", 0n);
      await big.set(-(2n ** 100n));
      assert.equal(await ctxs[1]!.Value("big", 0n).get(), -(2n ** 100n));
      await Promise.all(ctxs.map(async (ctx) => {
        for (let i = 0; i < 20; i++) await ctx.Value("n", 0n).update((n) => n + 1n);
      }));
      assert.equal(await big.get(), -(2n ** 100n));
      assert.equal(await ctxs[2]!.Value("n", 0n).get(), 60n);
      await assert.rejects(ctxs[0]!.Value("big", 0).get(), TypeError); // a bigint in Redis
      await assert.rejects(v.set("x" as unknown as number), TypeError);
    },
  );

  await t.step(
    "RedisValue fenced writes: an older token is refused and nothing is written",
    async () => {
      await flush(server);
      await using ctxs = await contexts(server.url, 2);
      const [a, b] = ctxs;
      const first = await a!.Lock("acct").acquire();
      await first.release();
      const second = await b!.Lock("acct").acquire();
      await b!.Value("acct", 100).update((x) => x - 10, { fence: second.token });
      await assert.rejects(a!.Value("acct", 100).set(0, { fence: first.token }), (e: unknown) => {
        assert.ok(e instanceof Error && e.name === "StaleTokenError");
        return true;
      });
      await assert.rejects(a!.Value("acct", 100).update((x) => x - 1, { fence: first.token }), {
        name: "StaleTokenError",
      });
      assert.equal(await a!.Value("acct", 100).get(), 90);
      await second.release();
    },
  );
});
