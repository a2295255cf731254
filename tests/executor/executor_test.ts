import assert from "node:assert/strict";
import fc from "fast-check";
import {
  ALL_COMPLETED,
  asCompleted,
  CancelledError,
  Event,
  Executor,
  FIRST_COMPLETED,
  FIRST_EXCEPTION,
  type Future,
  Process,
  RuntimeError,
  taskModule,
  wait,
  WorkerCrashedError,
} from "../../mod.ts";
import { Manager } from "../../src/manager/mod.ts";
import type * as Tasks from "../_workers/executor_tasks.ts";
import { assertSeeded, boundedTest } from "../_helpers.ts";

const TASKS = taskModule<typeof Tasks>(new URL("../_workers/executor_tasks.ts", import.meta.url));

/** Flags that tasks raise when they start (see `hold` in the task module). */
function flags(n: number): Int32Array {
  return new Int32Array(new SharedArrayBuffer(4 * n));
}

/** Resolves once `started[i]` has been raised by a task. */
async function started(flag: Int32Array, i: number): Promise<void> {
  await Atomics.waitAsync(flag, i, 0).value;
}

boundedTest("submit() returns a Future: a Promise with the task's id and state", async () => {
  await using executor = new Executor(TASKS, { maxWorkers: 1 });
  const flag = flags(1);
  const release = new Event();
  const held = executor.submit("hold", flag, 0, release);
  const queued = executor.submit("square", 3);
  assert.ok(held instanceof Promise);
  assert.equal(typeof held.id, "number");
  assert.notEqual(held.id, queued.id);
  await started(flag, 0);
  assert.equal(held.state, "running");
  assert.ok(held.running() && !held.done());
  assert.equal(queued.state, "pending");
  release.set();
  assert.equal(await held, 0);
  assert.equal(await queued.result({ timeout: 30_000 }), 9);
  assert.equal(held.state, "fulfilled");
  assert.ok(held.done() && !held.running() && !held.cancelled());
});

boundedTest("cancel() withdraws a task that has not started, and no other", async () => {
  await using executor = new Executor(TASKS, { maxWorkers: 1 });
  const flag = flags(2);
  const release = new Event();
  const running = executor.submit("hold", flag, 0, release);
  const waiting = executor.submit("hold", flag, 1, release);
  await started(flag, 0);
  assert.equal(running.cancel(), false);
  assert.equal(waiting.cancel(), true);
  assert.equal(waiting.cancel(), true);
  assert.equal(waiting.state, "cancelled");
  assert.ok(waiting.cancelled() && waiting.done());
  await assert.rejects(waiting, CancelledError);
  await assert.rejects(waiting.exception(), CancelledError);
  const order: string[] = [];
  waiting.addDoneCallback((f) => order.push(`callback:${f.state}`));
  release.set();
  assert.equal(await running, 0);
  assert.equal(running.cancel(), false);
  await executor.shutdown();
  assert.equal(flag[1], 0, "the cancelled task never ran");
  assert.deepEqual(order, ["callback:cancelled"]);
});

boundedTest("A task's error rejects only its future, with its class and cause", async () => {
  await using executor = new Executor(TASKS, { maxWorkers: 2 });
  const bad = executor.submit("squareUnless", 13);
  const good = executor.submit("squareUnless", 4);
  // Never observed: a failed future is not an unhandled rejection.
  executor.submit("squareUnless", 13);
  const error = await bad.exception() as RangeError;
  assert.ok(error instanceof RangeError);
  assert.equal(error.message, "bad item 13");
  assert.equal((error.cause as Error).message, "inner");
  await assert.rejects(bad.result(), RangeError);
  assert.equal(bad.state, "rejected");
  assert.equal(await good, 16);
  assert.equal(await good.exception(), undefined);
});

boundedTest("map() yields every result in order for any items and chunksize", async () => {
  await using executor = new Executor(TASKS, { maxWorkers: 2 });
  await assertSeeded(
    fc.asyncProperty(
      fc.array(fc.integer({ min: -1000, max: 1000 }).filter((x) => x !== 13), { maxLength: 30 }),
      fc.integer({ min: 1, max: 7 }),
      async (items, chunksize) => {
        const out: number[] = [];
        for await (const r of executor.map("squareUnless", items, { chunksize })) out.push(r);
        assert.deepEqual(out, items.map((x) => x * x));
      },
    ),
    { numRuns: 12 },
  );
});

boundedTest(
  "map() throws a failing item's error at its turn, after the results before it",
  async () => {
    await using executor = new Executor(TASKS, { maxWorkers: 2 });
    const out: number[] = [];
    await assert.rejects(async () => {
      for await (const r of executor.map("squareUnless", [1, 2, 13, 4], { chunksize: 1 })) {
        out.push(r);
      }
    }, RangeError);
    assert.deepEqual(out, [1, 4]);
  },
);

boundedTest(
  "map() times out when a result is not ready and cancels the tasks not started",
  async () => {
    await using executor = new Executor(TASKS, { maxWorkers: 1 });
    const flag = flags(3);
    const release = new Event();
    const items = [0, 1, 2].map((index) => ({ started: flag, index, release }));
    const results = executor.map("holdItem", items, { timeout: 50 });
    await started(flag, 0); // item 0 runs (and blocks); items 1 and 2 wait behind it
    await assert.rejects(results.next(), { name: "TimeoutError" });
    release.set();
    await executor.shutdown();
    assert.deepEqual([...flag], [1, 0, 0]);
  },
);

boundedTest("Leaving a map() loop early cancels the tasks not started", async () => {
  await using executor = new Executor(TASKS, { maxWorkers: 1 });
  const flag = flags(3);
  const go = new Event();
  go.set();
  const later = new Event();
  const items = [
    { started: flag, index: 0, release: go },
    { started: flag, index: 1, release: later },
    { started: flag, index: 2, release: later },
  ];
  for await (const first of executor.map("holdItem", items)) {
    assert.equal(first, 0);
    break;
  }
  later.set();
  await executor.shutdown();
  assert.equal(flag[2], 0, "the third item never ran");
});

boundedTest(
  "asCompleted() yields outcomes in the order futures settle, each future once",
  async () => {
    await using executor = new Executor(TASKS, { maxWorkers: 2 });
    const flag = flags(1);
    const release = new Event();
    const slow = executor.submit("hold", flag, 0, release);
    const failing = executor.submit("squareUnless", 13);
    const order: Future<number>[] = [];
    const outcomes: unknown[] = [];
    for await (const done of asCompleted([slow, failing, failing])) {
      order.push(done.future);
      outcomes.push(done.status === "fulfilled" ? done.value : (done.reason as Error).name);
      if (done.future === failing) release.set(); // the slow one cannot settle before this
    }
    assert.deepEqual(order, [failing, slow]);
    assert.deepEqual(outcomes, ["RangeError", 0]);
  },
);

boundedTest("asCompleted() yields settled futures first and times out from the call", async () => {
  await using executor = new Executor(TASKS, { maxWorkers: 2 });
  const done = executor.submit("square", 2);
  await done;
  const flag = flags(1);
  const release = new Event();
  const held = executor.submit("hold", flag, 0, release);
  const iterator = asCompleted([held, done], { timeout: 50 });
  const first = await iterator.next();
  assert.equal(first.done, false);
  assert.equal(first.value?.future, done);
  await assert.rejects(iterator.next(), { name: "TimeoutError" });
  release.set();
  await held;
});

boundedTest("wait() returns on the first completion, the first exception, or all", async () => {
  await using executor = new Executor(TASKS, { maxWorkers: 2 });
  const flag = flags(1);
  const release = new Event();
  const held = executor.submit("hold", flag, 0, release);
  const quick = executor.submit("square", 6);
  let r = await wait([held, quick], { returnWhen: FIRST_COMPLETED });
  assert.deepEqual([...r.done], [quick]);
  assert.deepEqual([...r.notDone], [held]);

  const failing = executor.submit("squareUnless", 13);
  r = await wait([held, failing, quick], { returnWhen: FIRST_EXCEPTION });
  assert.deepEqual(new Set(r.done), new Set([failing, quick]));
  assert.deepEqual([...r.notDone], [held]);

  r = await wait([quick, executor.submit("square", 1)], { returnWhen: FIRST_EXCEPTION });
  assert.equal(r.done.size, 2);

  r = await wait([held, quick], { timeout: 20 });
  assert.deepEqual([...r.done], [quick]);
  assert.deepEqual([...r.notDone], [held]);

  release.set();
  r = await wait([held, quick, failing], { returnWhen: ALL_COMPLETED });
  assert.equal(r.done.size, 3);
  assert.equal(r.notDone.size, 0);
  await assert.rejects(
    wait([quick], { returnWhen: "SOMETIMES" as typeof ALL_COMPLETED }),
    RangeError,
  );
});

boundedTest("wait() counts a cancelled future as done but not as an exception", async () => {
  await using executor = new Executor(TASKS, { maxWorkers: 1 });
  const flag = flags(2);
  const release = new Event();
  const running = executor.submit("hold", flag, 0, release);
  const cancelled = executor.submit("hold", flag, 1, release);
  await started(flag, 0);
  assert.ok(cancelled.cancel());
  const r = await wait([running, cancelled], { returnWhen: FIRST_EXCEPTION, timeout: 30 });
  assert.deepEqual([...r.done], [cancelled]);
  assert.deepEqual([...r.notDone], [running]);
  release.set();
});

boundedTest("submit() and map() throw RuntimeError after shutdown()", async () => {
  const executor = new Executor(TASKS, { maxWorkers: 1 });
  await executor.shutdown();
  assert.throws(() => executor.submit("square", 2), RuntimeError);
  assert.throws(() => executor.map("square", [1]), RuntimeError);
  await executor.shutdown(); // again: harmless
});

boundedTest(
  "A failing initializer breaks the executor: futures and later submits fail with WorkerCrashedError",
  async () => {
    await using executor = new Executor(TASKS, { maxWorkers: 1, initializer: "failingInit" });
    const future = executor.submit("square", 2);
    await assert.rejects(future, WorkerCrashedError);
    assert.equal(future.state, "rejected");
    assert.throws(() => executor.submit("square", 3), WorkerCrashedError);
  },
);

boundedTest("shutdown() waits for every submitted task by default", async () => {
  const executor = new Executor(TASKS, { maxWorkers: 2 });
  const futures = Array.from({ length: 40 }, (_, i) => executor.submit("square", i));
  await executor.shutdown();
  assert.ok(futures.every((f) => f.state === "fulfilled"));
  assert.equal(await futures[39], 39 * 39);
});

boundedTest(
  "shutdown({ wait: false, cancelFutures: true }) returns at once and cancels what has not started",
  async () => {
    const executor = new Executor(TASKS, { maxWorkers: 1 });
    const flag = flags(3);
    const release = new Event();
    const running = executor.submit("hold", flag, 0, release);
    const queued = [1, 2].map((i) => executor.submit("hold", flag, i, release));
    await started(flag, 0);
    await executor.shutdown({ wait: false, cancelFutures: true });
    assert.equal(running.state, "running");
    for (const f of queued) {
      assert.equal(f.state, "cancelled");
      await assert.rejects(f, CancelledError);
    }
    release.set();
    assert.equal(await running, 0);
    await executor.shutdown();
    assert.deepEqual([...flag], [1, 0, 0]);
  },
);

boundedTest("Executor is typed by its task module and validates its arguments", async () => {
  await using executor = new Executor(TASKS, { maxWorkers: 1 });
  const typed: Future<number> = executor.submit("square", 2);
  assert.equal(await typed, 4);
  const typeChecks = () => {
    // @ts-expect-error: the module has no such export
    executor.submit("cube", 2);
    // @ts-expect-error: square takes a number
    executor.submit("square", "2");
  };
  void typeChecks; // type-checked by `deno test`, never run
  await assert.rejects(executor.submit("cube" as "square", 2));
  assert.throws(() => new Executor(TASKS, { maxWorkers: 0 }), RangeError);
  assert.throws(() => executor.map("square", [1], { chunksize: 0 }), RangeError);
  assert.throws(() => executor.map("square", [1], { timeout: -1 }), RangeError);
  await assert.rejects(executor.shutdown({ wait: "yes" as unknown as boolean }), TypeError);
});

boundedTest(
  "A manager proxy passed to Executor and Process tasks reaches the same object",
  async () => {
    await using manager = await Manager.start();
    const counts = await manager.dict<string, number>();
    await using executor = new Executor(TASKS, { maxWorkers: 2 });
    const futures = [0, 1, 2].map(() => executor.submit("tally", counts, "pool", 40));
    assert.deepEqual(await Promise.all(futures), [40, 40, 40]);
    const child = new Process(TASKS, "tally", { args: [counts, "process", 25] });
    child.start();
    await child.join();
    assert.equal(child.exitCode, 0);
    assert.deepEqual(await counts.toMap(), new Map([["pool", 120], ["process", 25]]));
  },
);
