/** The same primitives on a 3-master Redis Cluster on loopback. */
import assert from "node:assert/strict";
import { createCluster } from "@redis/client";
import { BrokenBarrierError } from "../../mod.ts";
import { connect, fromClient } from "../../src/redis/mod.ts";
import { poolSuite } from "./_pool_suite.ts";
import { queueSuite } from "./_queue_suite.ts";
import { rawClient, startRedisServer } from "./_server.ts";

Deno.test("Every primitive works on a 3-master Redis Cluster (through connect and fromClient), each primitive's keys in one slot", async (t) => {
  await using cluster = await startRedisServer({ cluster: true });
  await t.step("the queue's tests pass on the cluster", (t) => queueSuite(t, cluster.url, true));
  await t.step("the pool's tests pass on the cluster", (t) => poolSuite(t, cluster.url, true));
  assert.equal(cluster.ports.length, 3);
  await using a = await connect(cluster.url, { cluster: true, lease: 2_000 });
  await using b = await connect(cluster.url, { cluster: true, lease: 2_000 });
  assert.ok(a.cluster);
  // Names spread over the masters; waits block on the node that owns each name's slot.
  const names = Array.from({ length: 6 }, (_, i) => `lock-${i}`);
  for (const name of names) {
    const hold = await a.Lock(name).acquire();
    const waiting = b.Lock(name).acquire({ timeout: 5_000 });
    await hold.release();
    const next = await waiting;
    assert.ok(next.token > hold.token);
    await next.release();
  }
  const ready = b.Event("ready").wait({ timeout: 5_000 });
  await a.Event("ready").set();
  await ready;
  const cond = a.Condition("c");
  {
    await using _ = await cond.acquire();
    const waiter = (async () => {
      const theirs = b.Condition("c");
      await using _ = await theirs.acquire({ timeout: 5_000 });
      await theirs.notify();
    })();
    await cond.wait({ timeout: 5_000 });
    await waiter;
  }
  assert.deepEqual(
    (await Promise.all([
      a.Barrier("bar", 2).wait({ timeout: 5_000 }),
      b.Barrier("bar", 2).wait({ timeout: 5_000 }),
    ])).sort(),
    [0, 1],
  );
  await assert.rejects(a.Barrier("lonely", 2).wait({ timeout: 20 }), BrokenBarrierError);
  await Promise.all([a, b].map(async (ctx) => {
    for (let i = 0; i < 10; i++) await ctx.Value("n", 0).update((n) => n + 1);
  }));
  assert.equal(await a.Value("n", 0).get(), 20);
  assert.ok(await a.Semaphore("s", 2).tryAcquire());
  // Keys: each primitive's keys share one slot; the primitives use more than one node.
  const slots = new Map<string, Set<number>>();
  const nodes = new Set<number>();
  for (const port of cluster.ports) {
    await using raw = await rawClient(`redis://127.0.0.1:${port}`);
    for (const key of (await raw.keys("*")).map(String)) {
      const tag = key.slice(0, key.indexOf("}") + 1);
      const slot = Number(await raw.sendCommand(["CLUSTER", "KEYSLOT", key]));
      slots.set(tag, (slots.get(tag) ?? new Set()).add(slot));
      nodes.add(port);
    }
  }
  assert.ok(slots.size >= 10);
  for (const [tag, set] of slots) assert.equal(set.size, 1, tag);
  assert.ok(nodes.size >= 2, "the names spread over the masters");
  // fromClient() takes a node-redis cluster client of yours, and leaves it open.
  const client = createCluster({ rootNodes: [{ url: cluster.url }] });
  await client.connect();
  try {
    await using ctx = fromClient(client, { lease: 2_000 });
    assert.ok(ctx.cluster);
    const hold = await ctx.Lock("x").acquire();
    const waiting = ctx.Lock("x").acquire({ timeout: 5_000 });
    await hold.release();
    await (await waiting).release();
  } finally {
    client.destroy();
  }
});
