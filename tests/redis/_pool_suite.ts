/**
 * The distributed pool (`ctx.Pool`, `serve`) against one throwaway server, served in this
 * process (`stream_fault_test.ts` kills worker processes). `cluster_test.ts` runs the same steps
 * on a 3-master cluster.
 */
import assert from "node:assert/strict";
import { WorkerCrashedError } from "../../mod.ts";
import { connect, CorruptPayloadError, serve } from "../../src/redis/mod.ts";
import * as tasks from "./_tasks.ts";
import { type RawRouted, rawRouted, until } from "./_server.ts";

type Tasks = typeof import("./_tasks.ts");
const MODULE = new URL("./_tasks.ts", import.meta.url);

/** How many deliveries of `stream`'s group are pending. */
async function pending(raw: RawRouted, stream: string): Promise<number> {
  return (await raw.send(stream, ["XPENDING", stream, "g"]) as [number])[0];
}

/** The entries of a stream, as `[id, fields]`. */
async function range(raw: RawRouted, key: string) {
  return (await raw.send(key, ["XRANGE", key, "-", "+"]) as [string, string[]][]).map((
    [id, flat],
  ) =>
    [id, Object.fromEntries(flat.flatMap((_, i) => i % 2 ? [] : [[flat[i], flat[i + 1]]]))] as [
      string,
      Record<string, string>,
    ]
  );
}

/** The pool's steps, against a server or a cluster at `url` (`cluster_test.ts` runs them too). */
export async function poolSuite(t: Deno.TestContext, url: string, cluster: boolean) {
  await using worker = await connect(url, { cluster });
  await using ctx = await connect(url, { cluster });
  await using raw = await rawRouted(url, cluster);
  const stream = "{interlock:math}:pool:s";

  await t.step("tasks submitted before any server runs wait in Redis, then run", async () => {
    const early = ctx.Pool<Tasks>("math").apply("square", [9]);
    await until("the task is in Redis", async () => await raw.xLen(stream) === 1);
    await using _ = await serve<Tasks>(worker, "math", { module: MODULE, concurrency: 4 });
    assert.equal(await early, 81);
  });

  await using _ = await serve<Tasks>(worker, "math", { module: MODULE, concurrency: 4 });
  const pool = ctx.Pool<Tasks>("math");

  await t.step("apply, map and starmap resolve with the results, in order", async () => {
    assert.equal(await pool.apply("add", [2, 3]), 5);
    assert.deepEqual(await pool.map("square", [1, 2, 3, 4, 5], { chunksize: 2 }), [
      1,
      4,
      9,
      16,
      25,
    ]);
    assert.deepEqual(await pool.starmap("add", [[1, 2], [3, 4]]), [3, 7]);
    assert.deepEqual(await pool.map("square", []), []);
    const many = await Promise.all(
      Array.from({ length: 200 }, (_, i) => pool.apply("square", [i])),
    );
    assert.deepEqual(many, Array.from({ length: 200 }, (_, i) => i * i));
    assert.equal(await raw.xLen(stream), 0, "every task acknowledged and removed");
  });

  await t.step(
    "a task's error comes back with its class, message, stack, cause and properties",
    async () => {
      const range = await pool.apply("fail", ["range"]).catch((e) => e);
      assert.ok(range instanceof RangeError);
      assert.equal(range.message, "out of range");
      assert.ok(range.cause instanceof TypeError && range.cause.message === "inner");
      assert.match(String(range.stack), /_tasks\.ts/);
      const ledger = await pool.apply("fail", ["ledger"]).catch((e) => e);
      assert.ok(ledger instanceof Error);
      assert.equal(ledger.name, "LedgerError");
      assert.equal((ledger as { account?: string }).account, "acc-7");
    },
  );

  await t.step(
    "bad tasks fail with TypeError: unknown export, uncloneable argument (nothing sent) or result",
    async () => {
      await assert.rejects(pool.apply("nope" as "square", [1]), TypeError);
      const before = await raw.xLen(stream);
      await assert.rejects(pool.apply("add", [1, (() => 2) as unknown as number]), TypeError);
      assert.equal(await raw.xLen(stream), before);
      await assert.rejects(pool.apply("uncloneable", []), /cannot be cloned/);
    },
  );

  await t.step(
    "aborting a task no worker took removes it; aborting a running one fires its taskSignal()",
    async () => {
      const reason = new Error("no longer needed");
      // Nobody serves "idle": the task waits in Redis until the abort removes it.
      const idle = ctx.Pool<Tasks>("idle");
      const controller = new AbortController();
      const waiting = idle.apply("square", [1], { signal: controller.signal });
      await until(
        "the task is in Redis",
        async () => await raw.xLen("{interlock:idle}:pool:s") > 0,
      );
      controller.abort(reason);
      await assert.rejects(waiting, (e) => e === reason);
      await until(
        "the task is removed",
        async () => await raw.xLen("{interlock:idle}:pool:s") === 0,
      );
      // A running task: its worker (this process) sees the caller's reason.
      tasks.aborts.length = 0;
      const running = new AbortController();
      const slow = pool.apply("wait", [10_000], { signal: running.signal });
      await until("a worker holds the task", async () => await pending(raw, stream) > 0);
      running.abort(reason);
      await assert.rejects(slow, (e) => e === reason);
      await until("the task sees the abort", () => tasks.aborts.length > 0);
      assert.equal(tasks.aborts.length, 1);
      assert.equal((tasks.aborts[0] as Error).message, "no longer needed");
      assert.equal(await pool.apply("add", [1, 1]), 2, "the pool goes on");
    },
  );

  await t.step(
    "hostile task entries fail for their caller and go to the dead letters; the server goes on",
    async () => {
      const results = "{interlock:math}:pool:r:intruder";
      const shapes: (string[])[] = [
        ["d", "J{broken"],
        ["d", "J[1]", "k", "7"], // unknown shape
        ["d", 'J{"not":"a list"}', "k", "0"],
        ["d", "J[1]", "k", "2"], // starmap of a non-list
      ];
      for (const [k, fields] of shapes.entries()) {
        await raw.send(stream, [
          "XADD",
          stream,
          "*",
          "c",
          "intruder",
          "i",
          `t${k}`,
          "x",
          "square",
          ...fields,
        ]);
      }
      await raw.send(stream, ["XADD", stream, "*", "x", "square", "d", "J[2]"]); // no caller: dropped
      assert.equal(await pool.apply("square", [3]), 9);
      for (let i = 0; i < 200 && await raw.xLen(results) < shapes.length; i++) {
        await new Promise((r) => setTimeout(r, 10));
      }
      const answers = await range(raw, results);
      assert.deepEqual(
        answers.map(([, f]) => [f.i, f.s]).sort(),
        shapes.map((_, k) => [`t${k}`, "err"]),
      );
      const letters = await range(raw, "{interlock:math}:pool:d");
      assert.equal(letters.length, shapes.length);
      for (const [, f] of letters) assert.match(f.reason!, /^corrupt: /);
      assert.equal(await raw.xLen(stream), 0);
    },
  );

  await t.step(
    "a hostile result for a pending task rejects it with CorruptPayloadError, nothing else",
    async () => {
      const idle = ctx.Pool<Tasks>("unserved");
      const pending = idle.apply("square", [5]);
      pending.catch(() => {});
      let entries: [string, Record<string, string>][] = [];
      await until("the task is in Redis", async () => {
        entries = await range(raw, "{interlock:unserved}:pool:s");
        return entries.length > 0;
      });
      const { c, i } = entries[0]![1];
      const results = `{interlock:unserved}:pool:r:${c}`;
      await raw.send(results, ["XADD", results, "*", "i", "nobody", "s", "ok", "d", "J1"]);
      await raw.send(results, [
        "XADD",
        results,
        "*",
        "i",
        i!,
        "s",
        "err",
        "d",
        'J{"kind":"error"}',
      ]);
      const error = await pending.catch((e) => e);
      assert.ok(error instanceof CorruptPayloadError, String(error));
      const again = idle.apply("square", [6]);
      again.catch(() => {}); // it may reject before assert.rejects below attaches its handler
      await until("the second task is in Redis", async () => {
        entries = (await range(raw, "{interlock:unserved}:pool:s")).slice(1);
        return entries.length > 0;
      });
      await raw.send(results, [
        "XADD",
        results,
        "*",
        "i",
        entries[0]![1].i!,
        "s",
        "ok",
        "d",
        "\xff\x0fgarbage",
      ]);
      await assert.rejects(again, CorruptPayloadError);
    },
  );

  await t.step("a task given up after maxDeliveries rejects with WorkerCrashedError", async () => {
    // A worker that takes tasks and never finishes them (its process "dies": visibility lapses).
    await using lost = await connect(url, { cluster });
    await using _ = await serve<Tasks>(lost, "crashy", {
      module: MODULE,
      visibility: 100,
      maxDeliveries: 1,
    });
    const doomed = ctx.Pool<Tasks>("crashy");
    const started = doomed.apply("wait", [60_000]);
    await until(
      "a worker holds the task",
      async () => await pending(raw, "{interlock:crashy}:pool:s") > 0,
    );
    await lost.close(); // its watchdog stops; the task stays pending for it
    await using rescuer = await connect(url, { cluster });
    await using _r = await serve<Tasks>(rescuer, "crashy", { module: MODULE });
    const error = await started.catch((e) => e);
    assert.ok(error instanceof WorkerCrashedError, String(error));
    assert.match(error.message, /delivered 1 time,/);
  });

  await t.step(
    "close() of a server lets its running tasks finish and store their results",
    async () => {
      await using own = await connect(url, { cluster });
      const s = await serve<Tasks>(own, "graceful", { module: MODULE, concurrency: 2 });
      const p = ctx.Pool<Tasks>("graceful");
      const results = Promise.all([p.apply("wait", [200, "a"]), p.apply("wait", [200, "b"])]);
      await until("both tasks run", () => s.running === 2);
      await s.close();
      assert.deepEqual((await results).map((r) => r.tag), ["a", "b"]);
      assert.equal(s.served, 2);
    },
  );
}
