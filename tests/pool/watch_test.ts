/**
 * What a piscina user looks for in `Pool`: a per-task `timeout`, statistics (queued, running,
 * completed, utilization) and a `drain` notification.
 *
 * @module
 */
import assert from "node:assert/strict";
import { Pool } from "../../mod.ts";
import { faults, shared, until, withFaultPool, within } from "./_helpers.ts";

function release(flags: Int32Array): void {
  Atomics.store(flags, 1, 1);
  Atomics.notify(flags, 1);
}

Deno.test("timeout aborts a task that runs too long with a TimeoutError; other tasks are untouched", async () => {
  await withFaultPool({ size: 1, abortGrace: 60_000 }, async (pool) => {
    const flags = shared(2);
    // Runs until released: it ignores its signal, so the timeout rejects it and aborts it.
    const held = pool.apply("holdUntilReleased", [flags], { timeout: 50 });
    await assert.rejects(within(held, 60_000, "held"), (e: unknown) => {
      assert.ok(e instanceof DOMException);
      assert.equal(e.name, "TimeoutError");
      assert.equal(e.message, "The task timed out after 50 ms");
      return true;
    });
    release(flags);
    // A task waiting behind a running one times out too, and never runs.
    const flags2 = shared(2);
    const blocker = pool.apply("holdUntilReleased", [flags2]);
    await until(flags2, 0, 1);
    const queued = pool.apply("id", [1], { timeout: 20 });
    await assert.rejects(within(queued, 60_000, "queued"), { name: "TimeoutError" });
    release(flags2);
    assert.equal(await blocker, "released");
    assert.equal(await pool.apply("sleep", [1], { timeout: 60_000 }), 1, "in time: its result");
    const both = AbortSignal.abort(new Error("mine"));
    await assert.rejects(pool.apply("id", [1], { timeout: 60_000, signal: both }), /mine/);
  });
});

Deno.test("timeout on map and imap bounds the whole call", async () => {
  await withFaultPool({ size: 2 }, async (pool) => {
    await assert.rejects(
      within(pool.map("sleep", [5, 60_000, 5], { chunksize: 1, timeout: 100 }), 60_000, "map"),
      { name: "TimeoutError" },
    );
    const seen: number[] = [];
    await assert.rejects(
      within(
        (async () => {
          for await (const ms of pool.imap("sleep", [1, 60_000], { timeout: 100 })) seen.push(ms);
        })(),
        60_000,
        "imap",
      ),
      { name: "TimeoutError" },
    );
    assert.ok(seen.length <= 1, "the long item never came");
    assert.deepEqual(await pool.map("id", [1, 2], { timeout: 60_000 }), [1, 2]);
  });
});

Deno.test("bad timeouts throw TypeError or RangeError", async () => {
  await withFaultPool({ size: 1 }, async (pool) => {
    await assert.rejects(
      pool.apply("id", [1], { timeout: -1 }),
      /^RangeError: Cannot apply: 'timeout' must be a non-negative number of milliseconds, received -1$/,
    );
    await assert.rejects(pool.apply("id", [1], { timeout: NaN }), RangeError);
    await assert.rejects(pool.apply("id", [1], { timeout: "5" as unknown as number }), TypeError);
    await assert.rejects(pool.map("id", [1], { timeout: -5 }), RangeError);
  });
});

Deno.test("stats() counts queued, sent, running and completed tasks, and utilization", async () => {
  await withFaultPool({ size: 1 }, async (pool) => {
    await pool.ready();
    const idle = pool.stats();
    assert.deepEqual(
      { ...idle, utilization: 0 },
      { workers: 1, queued: 0, sent: 0, running: 0, completed: 0, utilization: 0 },
    );
    const flags = shared(2);
    const held = pool.apply("holdUntilReleased", [flags]);
    const behind = Array.from({ length: 3 }, (_, i) => pool.apply("id", [i]));
    await until(flags, 0, 1);
    const busy = pool.stats();
    assert.equal(busy.running, 1, "the held task runs");
    assert.equal(busy.queued + busy.sent, 3, "the three behind it wait");
    release(flags);
    await held;
    await Promise.all(behind);
    const done = pool.stats();
    assert.equal(done.completed, 4);
    assert.equal(done.queued + done.sent + done.running, 0);
    assert.ok(done.utilization > 0 && done.utilization <= 1, `utilization ${done.utilization}`);
  });
});

Deno.test("onDrain fires once the queue that held tasks back has emptied", async () => {
  let drains = 0;
  const flags = shared(2);
  let drained!: () => void;
  const onDrain = new Promise<void>((resolve) => drained = resolve);
  await withFaultPool({
    size: 1,
    onDrain: () => {
      drains++;
      drained();
    },
  }, async (pool) => {
    await pool.ready();
    // A worker holds at most 128 tasks: 300 submitted at once leave a backlog in the pool.
    const held = pool.apply("holdUntilReleased", [flags]);
    const rest = Array.from({ length: 300 }, (_, i) => pool.apply("id", [i]));
    await until(flags, 0, 1);
    assert.ok(pool.stats().queued > 0, "a backlog");
    assert.equal(drains, 0);
    release(flags);
    await within(onDrain, 60_000, "drain");
    assert.equal(pool.stats().queued, 0);
    await Promise.all([held, ...rest]);
    assert.equal(drains, 1, "once per backlog");
    // Tasks that all find room at once make no backlog, so no drain.
    await Promise.all(Array.from({ length: 10 }, (_, i) => pool.apply("id", [i])));
    assert.equal(drains, 1);
  });
  assert.throws(() => new Pool(faults, { onDrain: 1 as unknown as () => void }), TypeError);
});
