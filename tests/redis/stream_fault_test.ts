/**
 * Queue and Pool faults with real processes: a consumer SIGKILLed mid-item, a consumer paused
 * (SIGSTOP) past its visibility timeout, a pool worker SIGKILLed mid-task.
 */
import assert from "node:assert/strict";
import { connect } from "../../src/redis/mod.ts";
import { rawClient, startRedisServer, Subprocess } from "./_server.ts";

type Tasks = typeof import("./_tasks.ts");
/** Ms for a process to start and say it is ready: four start at once on a shared machine. */
const STARTUP = 30_000;

/** The idle time (ms, server clock) of the pending entries of `stream`'s group. */
async function idle(url: string, stream: string): Promise<number[]> {
  await using raw = await rawClient(url);
  const pending = await raw.sendCommand(["XPENDING", stream, "g", "-", "+", "10"]) as [
    string,
    string,
    number,
    number,
  ][];
  return pending.map((p) => Number(p[2]));
}

Deno.test("Queue and Pool faults with real processes", async (t) => {
  await using server = await startRedisServer();
  await using ctx = await connect(server.url);
  // Every process starts now, so their start-ups overlap; each waits for its step.
  const [killedVisibility, pausedVisibility, poolVisibility] = [800, 400, 800];
  await using killedConsumer = new Subprocess("./_consumer.ts", [
    server.url,
    "killed",
    String(killedVisibility),
  ]);
  await using pausedConsumer = new Subprocess("./_consumer.ts", [
    server.url,
    "paused",
    String(pausedVisibility),
  ]);
  const args = (name: string) => [server.url, "faulty", String(poolVisibility), "4", name];
  await using w1 = new Subprocess("./_pool_worker.ts", args("w1"));
  await using w2 = new Subprocess("./_pool_worker.ts", args("w2"));

  await t.step(
    "a consumer SIGKILLed mid-item: its item goes to another consumer after the visibility timeout, and no sooner",
    async () => {
      const [visibility, consumer] = [killedVisibility, killedConsumer];
      await ctx.Queue("killed", 0, { visibility }).put("job-1");
      assert.deepEqual(await consumer.next(STARTUP), { event: "got", item: "job-1" });
      const mine = ctx.Queue<string>("killed");
      const waiting = mine.get({ timeout: 10_000 });
      // Since its last renewal; a renewal after this read only moves the reclaim later.
      const [sinceRenewal] = await idle(server.url, "{interlock:killed}:queue:s");
      consumer.kill("SIGKILL");
      const killedAt = performance.now();
      assert.equal(await waiting, "job-1");
      const after = performance.now() - killedAt;
      assert.ok(after >= visibility - sinceRenewal! - 50, `reclaimed ${after} ms after the kill`);
      assert.ok(after <= visibility + 1_000, `reclaimed only ${after} ms after the kill`);
      await mine.taskDone();
    },
  );

  await t.step(
    "a consumer paused past its visibility timeout: another gets the item, the paused one's taskDone() throws LeaseLostError",
    async () => {
      const [visibility, consumer] = [pausedVisibility, pausedConsumer];
      await ctx.Queue("paused", 0, { visibility }).put("job-2");
      assert.deepEqual(await consumer.next(STARTUP), { event: "got", item: "job-2" });
      consumer.kill("SIGSTOP");
      try {
        const other = ctx.Queue<string>("paused");
        assert.equal(await other.get({ timeout: 10_000 }), "job-2");
        await other.taskDone(); // processed once by the new consumer
      } finally {
        consumer.kill("SIGCONT");
      }
      await consumer.send("done");
      assert.deepEqual(await consumer.next(), {
        event: "done",
        ok: false,
        error: "LeaseLostError",
      });
      await using raw = await rawClient(server.url);
      assert.equal(await raw.xLen("{interlock:paused}:queue:s"), 0);
    },
  );

  await t.step(
    "a pool worker SIGKILLed mid-task: the task runs once more on the other worker, and its caller gets one result",
    async () => {
      assert.equal((await w1.next(STARTUP)).event, "serving");
      assert.equal((await w2.next(STARTUP)).event, "serving");
      const pool = ctx.Pool<Tasks>("faulty");
      const result = pool.apply("wait", [1_500, "t1", true]);
      // Whichever worker took it says so; the other stays silent until it gets the task.
      const lines = new Map([[w1, w1.next(15_000)], [w2, w2.next(15_000)]]);
      const [first, line] = await Promise.race(
        [...lines].map(([w, next]) => next.then((l) => [w, l] as const)),
      );
      assert.equal(line.event, "start");
      assert.equal(line.tag, "t1");
      lines.delete(first);
      first.kill("SIGKILL");
      const [survivor, next] = [...lines][0]!;
      const again = await next;
      assert.deepEqual([again.event, again.tag], ["start", "t1"], "delivered once more");
      const value = await result;
      assert.deepEqual(value, { tag: "t1", pid: survivor.pid });
      await using raw = await rawClient(server.url);
      assert.equal(await raw.xLen("{interlock:faulty}:pool:s"), 0, "acknowledged");
      assert.equal(await raw.xLen("{interlock:faulty}:pool:d"), 0, "not given up");
      // One result only: the dead worker stored none, and the survivor's reached the caller once.
      assert.equal(await pool.apply("square", [4]), 16);
      await assert.rejects(survivor.next(300), /No line/, "it started no third run");
    },
  );
});
