/**
 * RedisQueue and RedisJoinableQueue against one throwaway server (one per file: each step uses
 * its own queue names). `cluster_test.ts` runs the same steps on a 3-master cluster.
 */
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { serialize } from "node:v8";
import { RuntimeError } from "../../mod.ts";
import { connect, CorruptPayloadError, RedisConnectionError } from "../../src/redis/mod.ts";
import { rawRouted, until } from "./_server.ts";

/** The queue's steps, against a server or a cluster at `url` (`cluster_test.ts` runs them too). */
export async function queueSuite(t: Deno.TestContext, url: string, cluster: boolean) {
  const options = { lease: 2_000, cluster };
  await using a = await connect(url, options);
  await using b = await connect(url, options);
  await using raw = await rawRouted(url, cluster);

  await t.step(
    "items travel FIFO between contexts as structured clones, each acknowledged once",
    async () => {
      const items = [
        1,
        "two",
        { three: [3, { deep: null }] },
        new Map<unknown, unknown>([[1, 2n]]),
        new Date(0),
        [undefined, -0, NaN],
        new Uint8Array([1, 2, 3]),
        new Error("four", { cause: 4 }),
      ];
      for (const item of items) await a.Queue("fifo").put(item);
      const q = b.Queue("fifo");
      const got: unknown[] = [];
      for (let i = 0; i < items.length; i++) {
        got.push(await q.get({ timeout: 5_000 }));
        await q.taskDone();
      }
      assert.deepEqual(got.slice(0, 7), items.slice(0, 7));
      assert.ok(got[7] instanceof Error && got[7].message === "four" && got[7].cause === 4);
      assert.equal(await raw.xLen("{interlock:fifo}:queue:s"), 0, "acknowledged items leave");
      await assert.rejects(q.get({ timeout: 0 }), { name: "TimeoutError" });
    },
  );

  await t.step(
    "an item that cannot be cloned is refused with TypeError, and nothing is written",
    async () => {
      const q = a.Queue("refuse");
      await assert.rejects(q.put(() => 1), TypeError);
      await assert.rejects(q.putMany([1, Symbol("x")]), TypeError);
      await assert.rejects(q.put({ memory: new SharedArrayBuffer(8) }), TypeError);
      assert.equal(await raw.xLen("{interlock:refuse}:queue:s"), 0);
    },
  );

  await t.step(
    "an item got and not acknowledged goes back when its object closes, with its delivery counted",
    async () => {
      await a.Queue("again").put("job");
      const first = b.Queue("again");
      assert.equal(await first.get({ timeout: 5_000 }), "job");
      await first.close(); // not acknowledged: back to the queue
      const second = a.Queue("again");
      assert.equal(await second.get({ timeout: 5_000 }), "job");
      await second.taskDone();
      await assert.rejects(first.get(), /closed/);
    },
  );

  await t.step(
    "taskDone() acknowledges the oldest items got, and refuses more than were got",
    async () => {
      const q = a.Queue<number>("batch");
      await q.putMany([1, 2, 3, 4, 5]);
      assert.equal(await q.qsize(), 5);
      assert.deepEqual(await q.getMany(3), [1, 2, 3]);
      assert.equal(await q.qsize(), 2);
      await q.taskDone(2);
      await assert.rejects(q.taskDone(2), RuntimeError);
      await q.taskDone();
      assert.deepEqual(await q.getMany(10), [4, 5]);
      await q.taskDone(2);
      assert.equal(await raw.xLen("{interlock:batch}:queue:s"), 0);
    },
  );

  await t.step(
    "an item delivered maxDeliveries times without acknowledgement goes to the dead letters",
    async () => {
      const name = "capped";
      await a.Queue(name, 0, { maxDeliveries: 2 }).put("poison");
      for (let i = 0; i < 2; i++) {
        const q = b.Queue(name);
        assert.equal(await q.get({ timeout: 5_000 }), "poison");
        await q.close(); // as if its consumer crashed each time
      }
      const q = b.Queue(name);
      await assert.rejects(q.get({ timeout: 50 }), { name: "TimeoutError" });
      const [letter, ...rest] = await q.deadLetters();
      assert.deepEqual(rest, []);
      assert.equal(letter!.reason, "deliveries");
      assert.equal(letter!.item, "poison");
      assert.equal(letter!.deliveries, 3);
      await assert.rejects(
        a.Queue(name, 0, { maxDeliveries: 9 }).put("x"),
        RangeError,
        "another delivery cap than the stored one",
      );
    },
  );

  await t.step(
    "hostile payloads: each yields CorruptPayloadError for its item and a dead letter; good items go on",
    async () => {
      const stream = "{interlock:hostile}:queue:s";
      const q = b.Queue<unknown>("hostile");
      await q.put("first");
      const v8 = Buffer.from(serialize({ ok: 1 }));
      const payloads: (string | Buffer)[] = [
        "J{not json",
        Buffer.from([0xff, 0x0f, 0x6f, 0x22, 0xff, 0xff, 0xff, 0xff, 0x0f]), // v8, a lying length
        v8.subarray(0, v8.length - 3), // truncated
        Buffer.from([0x00, 0x01, 0x02]), // no known tag
        "",
        Buffer.from(crypto.getRandomValues(new Uint8Array(64))),
      ];
      for (const payload of payloads) await raw.send(stream, ["XADD", stream, "*", "d", payload]);
      await raw.send(stream, ["XADD", stream, "*", "other", "field"]); // no payload at all
      await raw.send(stream, ["XADD", stream, "*", "d", 'J{"__proto__":{"polluted":true}}']);
      await q.put("last");
      const outcomes: unknown[] = [];
      for (let i = 0; i < payloads.length + 4; i++) {
        try {
          outcomes.push(await q.get({ timeout: 5_000 }));
          await q.taskDone();
        } catch (error) {
          assert.ok(error instanceof CorruptPayloadError, String(error));
          assert.match(error.id, /^\d+-\d+$/);
          outcomes.push("corrupt");
        }
      }
      assert.equal(outcomes[0], "first");
      assert.deepEqual(
        outcomes.slice(1, payloads.length + 2),
        Array(payloads.length + 1).fill("corrupt"),
      );
      const proto = outcomes.at(-2) as Record<string, unknown>;
      assert.equal(Object.getPrototypeOf(proto), Object.prototype, "no prototype was set");
      assert.equal(({} as Record<string, unknown>).polluted, undefined);
      assert.equal(outcomes.at(-1), "last");
      const letters = await q.deadLetters();
      assert.equal(letters.length, payloads.length + 1);
      for (const letter of letters) {
        assert.match(letter.reason, /^corrupt: Cannot read item/);
        assert.ok(letter.error instanceof CorruptPayloadError);
      }
      assert.equal(await raw.xLen(stream), 0);
    },
  );

  await t.step(
    "a bounded queue holds maxsize unacknowledged items: put waits for room, in time or not",
    async () => {
      const q = a.JoinableQueue<number>("bounded", 2);
      await q.putMany([1, 2]);
      assert.ok(await q.full());
      await assert.rejects(q.put(3, { timeout: 30 }), { name: "TimeoutError" });
      await assert.rejects(q.putMany([3, 4, 5]), RangeError);
      const waiting = q.put(3, { timeout: 5_000 });
      const consumer = b.Queue<number>("bounded");
      assert.equal(await consumer.get({ timeout: 5_000 }), 1);
      assert.equal(
        await raw.xLen("{interlock:bounded}:queue:s"),
        2,
        "got, not acknowledged: no room",
      );
      await consumer.taskDone(); // room: the waiting put goes in
      await waiting;
      assert.deepEqual(await consumer.getMany(5), [2, 3]);
      await consumer.taskDone(2);
      assert.equal(await q.full(), false);
      assert.equal(await a.Queue("bounded").maxsize(), 2, "stored in Redis");
      await assert.rejects(a.Queue("bounded", 3).put(1), RangeError);
    },
  );

  await t.step(
    "join() waits until every item is acknowledged, and times out otherwise",
    async () => {
      const q = a.JoinableQueue<string>("chores");
      await q.join({ timeout: 1_000 }); // nothing unfinished
      await q.putMany(["wash", "dry"]);
      await assert.rejects(q.join({ timeout: 30 }), { name: "TimeoutError" });
      const worker = b.JoinableQueue<string>("chores");
      const joined = q.join({ timeout: 5_000 });
      let done = 0;
      for (let i = 0; i < 2; i++) {
        await worker.get({ timeout: 5_000 });
        await new Promise((resolve) => setTimeout(resolve, 10));
        done++;
        await worker.taskDone();
      }
      await joined;
      assert.equal(done, 2);
    },
  );

  await t.step("an aborted get() rejects with the signal's reason and loses no item", async () => {
    const q = b.Queue<string>("abort");
    const controller = new AbortController();
    const reason = new Error("stop");
    const getting = q.get({ signal: controller.signal });
    setTimeout(() => controller.abort(reason), 30);
    await assert.rejects(getting, (e) => e === reason);
    await a.Queue("abort").put("kept");
    assert.equal(await q.get({ timeout: 5_000 }), "kept");
    await q.taskDone();
  });

  await t.step(
    "closing a queue object ends its pending get() with RedisConnectionError, and its for await loop quietly",
    async () => {
      const waiting = b.Queue<string>("closing");
      const pending = waiting.get(); // no timeout: only the close ends it
      await new Promise((resolve) => setTimeout(resolve, 20));
      await waiting.close();
      await assert.rejects(pending, RedisConnectionError);
      const looped = a.Queue<string>("closing");
      const seen: string[] = [];
      const loop = (async () => {
        for await (const item of looped) {
          seen.push(item);
          await looped.taskDone();
        }
      })();
      await b.Queue("closing").put("one");
      await until("the loop got the item", () => seen.length > 0);
      await looped.close();
      await loop;
      assert.deepEqual(seen, ["one"]);
    },
  );

  await t.step(
    "qsize(), empty() and iteration see what waits; for await hands out items until its object closes",
    async () => {
      const q = a.Queue<number>("iter");
      assert.ok(await q.empty());
      await q.putMany([1, 2, 3]);
      assert.equal(await q.qsize(), 3);
      const seen: number[] = [];
      const consumer = b.Queue<number>("iter");
      for await (const n of consumer) {
        seen.push(n);
        await consumer.taskDone();
        if (seen.length === 3) break;
      }
      assert.deepEqual(seen, [1, 2, 3]);
    },
  );
}
