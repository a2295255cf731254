/**
 * `Pool.terminate()` and abort-replacement with workers stuck in a busy loop or a synchronous native
 * call, which Deno 2.9 cannot interrupt and Node and Bun stop at once. Stuck tasks signal through
 * shared memory right before they get stuck; the test releases them once the pool has answered, so
 * every thread ends and nothing relies on timing.
 */
import assert from "node:assert/strict";
import { Pool } from "../../mod.ts";
import { until as waitUntil } from "../sync/_until.ts";
import { release, shared, tasks, until, within } from "./_helpers.ts";
import { test } from "../_portable/test.ts";

const GRACE = 2000;
const isAbort = (e: unknown) => e instanceof DOMException && e.name === "AbortError";

for (const interrupts of [false, true]) {
  test({
    name: interrupts
      ? "Pool.terminate() stops a worker blocked in a synchronous call at once where the runtime interrupts threads, and rejects every pending task"
      : "Pool.terminate() resolves 'unresponsive' when a worker is blocked in a synchronous call, and rejects every pending task",
    runtimes: interrupts ? ["node", "bun"] : ["deno"],
    fn: async () => {
      const pool = new Pool(tasks, { size: 2 });
      const flags = shared(2);
      const log = shared(1);
      const blocked = pool.apply("blockUntilReleased", [flags]);
      const waiting = pool.apply("waitForAbort", [log]);
      await until(flags, 0, 1);
      await until(log, 0, 1);
      const queued = Array.from({ length: 20 }, (_, i) => pool.apply("square", [i]));
      const all = Promise.allSettled([blocked, waiting, ...queued]);
      const start = performance.now();
      const status = await within(pool.terminate(), 3 * GRACE, "terminate");
      if (interrupts) assert.equal(status, "terminated");
      else {
        assert.equal(status, "unresponsive");
        assert.ok(performance.now() - start >= GRACE - 50);
      }
      for (const s of await all) {
        assert.equal(s.status, "rejected");
        assert.ok(isAbort(s.reason), String(s.reason));
      }
      await within(pool.join(), 3 * GRACE, "join");
      release(flags);
      assert.equal(await pool.terminate(), "not-running");
    },
  });
}

test("a running task stuck in a busy loop is aborted: its worker is replaced, the tasks behind it run exactly once, all promises settle", async () => {
  // One worker: the tasks submitted in one burst go to it in one batch, behind the stuck task.
  const pool = new Pool(tasks, { size: 1, abortGrace: 50 });
  const flags = shared(2);
  const n = 40;
  const counters = shared(n);
  try {
    const controller = new AbortController();
    const stuck = pool.apply("spinUntilReleased", [flags], { signal: controller.signal });
    const behind = Array.from({ length: n }, (_, i) => pool.apply("bumpAt", [counters, i]));
    await until(flags, 0, 1);
    const [stuckWorker] = pool.workerIds();
    controller.abort(new Error("give up"));
    await assert.rejects(stuck, /give up/);
    // Killed after abortGrace; its tasks run on the replacement.
    assert.deepEqual(
      await within(Promise.all(behind), 6 * GRACE, "tasks behind the stuck one"),
      Array.from({ length: n }, (_, i) => i),
    );
    assert.notDeepEqual(pool.workerIds(), [stuckWorker]);
    // The abandoned thread runs on until its loop returns: it must not start the tasks it had.
    Atomics.store(flags, 1, 1);
    // The kill still waits for that thread (2 s), so terminate() waits for it to end.
    assert.equal(await within(pool.terminate(), 3 * GRACE, "terminate"), "terminated");
    assert.deepEqual(Array.from(counters), new Array(n).fill(1), "each task ran exactly once");
  } finally {
    Atomics.store(flags, 1, 1);
    await pool.terminate();
  }
});

test({
  name:
    "aborting a task blocked in a synchronous call replaces its worker while other tasks keep completing",
  fn: async () => {
    const pool = new Pool(tasks, { size: 2, abortGrace: 50 });
    const flags = shared(2);
    try {
      const controller = new AbortController();
      const blocked = pool.apply("blockUntilReleased", [flags], { signal: controller.signal });
      await until(flags, 0, 1);
      const before = pool.workerIds();
      const first = Array.from({ length: 100 }, (_, i) => pool.apply("square", [i]));
      controller.abort(new Error("stop reading"));
      const second = pool.map("square", Array.from({ length: 1000 }, (_, i) => i));
      await assert.rejects(blocked, /stop reading/);
      const values = await within(Promise.all(first), 6 * GRACE, "squares");
      assert.deepEqual(values, Array.from({ length: 100 }, (_, i) => i * i));
      const mapped = await within(second, 6 * GRACE, "map");
      assert.equal(mapped[999], 999 * 999);
      // The blocked worker is replaced once its abort grace has passed (the other tasks may all be
      // done before that), and the other worker is kept; its successor starts in the background.
      // Where the runtime stops the thread at once (Node, Bun), the old worker leaves the list
      // before its replacement has joined it.
      const kept = () => pool.workerIds().filter((id) => before.includes(id));
      await waitUntil(() => kept().length === 1, "the blocked worker to be replaced");
      await within(pool.ready(), 6 * GRACE, "the replacement");
      assert.equal(pool.workerIds().length, 2);
      assert.equal(kept().length, 1, "the other worker was kept");
    } finally {
      release(flags);
      await pool.terminate();
    }
  },
});
