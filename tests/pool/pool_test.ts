import assert from "node:assert/strict";
import { AsyncResult, Lock, Pool, RuntimeError, Value, WorkerCrashedError } from "../../mod.ts";
import { results as parentResults } from "../_workers/pool_tasks.ts";
import { DEADLINE_MS, WAKE_MS } from "../_helpers.ts";
import { release, shared, type Tasks, tasks, until, within, withPool } from "./_helpers.ts";
import { test } from "../_portable/test.ts";

test("Pool.map squares 1..5 in order and tells which worker handled each item (seed)", async () => {
  await withPool({ size: 2 }, async (pool) => {
    const out = await pool.map("squareWithWorker", [1, 2, 3, 4, 5], { chunksize: 1 });
    for (const { value, worker, name } of out) console.log(`${name} (id ${worker}) -> ${value}`);
    assert.deepEqual(out.map((r) => r.value), [1, 4, 9, 16, 25]);
    const ids = new Set(pool.workerIds());
    for (const r of out) {
      assert.ok(ids.has(r.worker), `worker ${r.worker} is one of the pool's`);
      assert.match(r.name, /^PoolWorker-\d+$/);
    }
  });
});

test("Pool runs apply, applyAsync, starmap, mapAsync, starmapAsync, imap and imapUnordered", async () => {
  await withPool({ size: 2 }, async (pool) => {
    assert.equal(await pool.apply("square", [9]), 81);
    const handle = pool.applyAsync("pow", [2, 10]);
    assert.ok(handle instanceof AsyncResult);
    assert.equal(await handle, 1024);
    assert.equal(handle.state, "fulfilled");
    assert.deepEqual(await pool.starmap("pow", [[2, 3], [3, 2], [5, 0]]), [8, 9, 1]);
    assert.deepEqual(await pool.mapAsync("square", [1, 2, 3]).get(), [1, 4, 9]);
    assert.deepEqual(await pool.starmapAsync("pow", [[2, 2]]), [4]);
    assert.deepEqual(await pool.map("slowDouble", [1, 2, 3]), [2, 4, 6]);
    const ordered: number[] = [];
    for await (const v of pool.imap("square", [1, 2, 3, 4, 5, 6, 7], { chunksize: 2 })) {
      ordered.push(v);
    }
    assert.deepEqual(ordered, [1, 4, 9, 16, 25, 36, 49]);
    const unordered: number[] = [];
    for await (const v of pool.imapUnordered("square", [1, 2, 3, 4, 5, 6, 7])) unordered.push(v);
    assert.deepEqual(unordered.sort((a, b) => a - b), [1, 4, 9, 16, 25, 36, 49]);
    assert.deepEqual(await pool.map("square", []), []);
  });
});

test("Pool.map keeps order over many items and chunk sizes", async () => {
  await withPool({ size: 2 }, async (pool) => {
    const items = Array.from({ length: 10_001 }, (_, i) => i);
    const expected = items.map((x) => x * x);
    for (const chunksize of [undefined, 1, 7, 10_001, 50_000]) {
      const options = chunksize === undefined ? {} : { chunksize };
      assert.deepEqual(
        await pool.map("square", items, options),
        expected,
        `chunksize ${chunksize}`,
      );
    }
    // A generator works as well as an array (read to the end first).
    function* gen() {
      for (let i = 0; i < 100; i++) yield i;
    }
    assert.deepEqual(await pool.map("square", gen()), expected.slice(0, 100));
  });
});

test("map returns exactly what each call returned, whatever mix of numbers and other values", async () => {
  await withPool({ size: 2 }, async (pool) => {
    const numbers = [0, -0, 1, -1, 2 ** 31 - 1, -(2 ** 31), 2 ** 31, 2 ** 53, 0.5, NaN, Infinity];
    const echoed = await pool.map("echo", numbers, { chunksize: 4 });
    assert.equal(echoed.length, numbers.length);
    numbers.forEach((x, i) =>
      assert.ok(Object.is(echoed[i], x), `item ${i}: ${echoed[i]} is ${x}`)
    );
    assert.deepEqual(await pool.map("half", [2, 4, 5, 6]), [1, 2, 2.5, 3]);
    assert.deepEqual(await pool.map("numberThenString", [1, 2, 3, 4], { chunksize: 4 }), [
      1,
      2,
      "#3",
      "#4",
    ]);
    const mixed: unknown[] = [1, "a", null, { b: 2 }, [3]];
    assert.deepEqual(await pool.map("echo", mixed, { chunksize: 5 }), mixed);
    const imapped: number[] = [];
    for await (const v of pool.imap("half", [1, 2, 3], { chunksize: 3 })) imapped.push(v);
    assert.deepEqual(imapped, [0.5, 1, 1.5]);
  });
});

test("thousands of apply calls, among failures, cancelled applyAsync calls and an imapUnordered, each settle with their own outcome", async () => {
  await withPool({ size: 2 }, async (pool) => {
    const n = 5_000;
    const calls: Promise<number>[] = [];
    const cancelled: AsyncResult<number>[] = [];
    for (let i = 0; i < n; i++) {
      calls.push(i % 97 === 0 ? pool.apply("evenOnly", [1]) : pool.apply("square", [i]));
      if (i % 251 === 0) cancelled.push(pool.applyAsync("square", [i]));
    }
    for (const handle of cancelled) handle.cancel();
    const settling = Promise.allSettled(calls);
    const unordered = await within(
      Array.fromAsync(pool.imapUnordered("square", Array.from({ length: 2_000 }, (_, i) => i))),
      DEADLINE_MS,
      "imapUnordered",
    );
    const outcomes = await within(settling, DEADLINE_MS, "the apply calls");
    for (let i = 0; i < n; i++) {
      const outcome = outcomes[i]!;
      if (i % 97 === 0) assert.equal(outcome.status, "rejected", `call ${i} fails`);
      else assert.deepEqual(outcome, { status: "fulfilled", value: i * i }, `call ${i}`);
    }
    for (const handle of cancelled) {
      const settled = await within(Promise.allSettled([handle]), DEADLINE_MS, "a cancelled call");
      const value = cancelled.indexOf(handle) * 251;
      assert.ok(
        settled[0]!.status === "rejected" ||
          (settled[0]!.status === "fulfilled" && settled[0]!.value === value * value),
        "a cancelled call is rejected, or has its own result if it had started",
      );
    }
    assert.deepEqual(
      unordered.sort((a, b) => a - b),
      Array.from({ length: 2_000 }, (_, i) => i * i),
    );
    assert.equal(
      await within(pool.apply("square", [12]), DEADLINE_MS, "after"),
      144,
      "the pool still works",
    );
  });
});

test("Pool.imap reads its source lazily: an infinite source and an early break are fine", async () => {
  await withPool({ size: 2 }, async (pool) => {
    let produced = 0;
    function* naturals() {
      for (let i = 0;; i++) {
        produced++;
        yield i;
      }
    }
    const seen: number[] = [];
    for await (const v of pool.imap("square", naturals(), { chunksize: 3 })) {
      seen.push(v);
      if (seen.length === 10) break;
    }
    assert.deepEqual(seen, [0, 1, 4, 9, 16, 25, 36, 49, 64, 81]);
    assert.ok(produced < 10_000, `read ${produced} items, not the whole source`);
    async function* slow() {
      for (let i = 1; i <= 4; i++) {
        await Promise.resolve();
        yield i;
      }
    }
    const fromAsync: number[] = [];
    for await (const v of pool.imap("square", slow())) fromAsync.push(v);
    assert.deepEqual(fromAsync, [1, 4, 9, 16]);
    // The pool still works after the early break.
    assert.equal(await pool.apply("square", [3]), 9);
  });
});

test("a task's error rejects only that task, rebuilt with class, message, stack, cause and properties", async () => {
  await withPool({ size: 2 }, async (pool) => {
    const ok = pool.apply("square", [4]);
    const error = await pool.apply("failTyped", ["out of range"]).catch((e) => e);
    assert.equal(await ok, 16);
    assert.ok(error instanceof RangeError, "built-in class kept");
    assert.equal(error.name, "RangeError");
    assert.equal(error.message, "out of range");
    assert.match(error.stack!, /failTyped/, "the worker's stack");
    assert.ok(error.cause instanceof TypeError);
    assert.equal((error.cause as Error).message, "inner cause");
    const props = error as RangeError & { code: string; detail: unknown };
    assert.equal(props.code, "E_RANGE");
    assert.deepEqual(props.detail, { at: 3 });

    await assert.rejects(pool.apply("failLibrary", []), (e) => {
      assert.ok(e instanceof RuntimeError, "library class kept");
      assert.equal((e as Error).message, "library error in worker");
      return true;
    });
    await assert.rejects(pool.apply("failCustom", []), (e) => {
      assert.ok(e instanceof Error);
      assert.equal((e as Error).name, "ValidationError", "unknown class: Error with name set");
      assert.equal((e as Error & { field: string }).field, "email");
      return true;
    });
    await assert.rejects(pool.apply("failValue", []), (e) => {
      assert.deepEqual(e, { code: 42 });
      return true;
    });
    await assert.rejects(pool.apply("failAsync", []), SyntaxError);
    await assert.rejects(pool.map("evenOnly", [2, 4, 5, 6], { chunksize: 1 }), /odd: 5/);
    const missing = "noSuchExport" as "square";
    await assert.rejects(pool.apply(missing, [1]), TypeError);
    assert.equal(await pool.apply("square", [5]), 25, "the pool keeps working");
  });
});

test("a worker that exits mid-task with tasks sent behind it: each of them is sent again and runs exactly once", async () => {
  // One worker, so no other worker can steal the dead one's unstarted tasks before its exit is
  // seen: only the dispatcher's crash recovery can send them again.
  await withPool({ size: 1 }, async (pool) => {
    await within(pool.ready(), 60_000, "the worker");
    const [dead] = pool.workerIds();
    const n = 20;
    const counters = shared(n);
    const crash = pool.apply("exitWorker", [3]);
    const behind = Array.from({ length: n }, (_, i) => pool.apply("bumpAt", [counters, i]));
    await null; // the pump, queued by the first submission, has run
    const held = pool.stats();
    assert.equal(held.queued, 0, "every task was sent");
    assert.equal(held.sent + held.running, n + 1, "the one worker holds them all, none finished");
    const error = await within(crash.catch((e) => e), DEADLINE_MS, "crashed task");
    assert.ok(error instanceof WorkerCrashedError);
    assert.equal(error.workerId, dead);
    // Still in the handling of the exit (no macrotask since): the tasks it held and never started
    // are back in the queue, or already sent to its replacement.
    const after = pool.stats();
    assert.equal(
      after.queued + after.sent + after.running + after.completed,
      n,
      "the dead worker's unstarted tasks are sent again",
    );
    const values = await within(Promise.all(behind), WAKE_MS, "the tasks behind the crash");
    assert.deepEqual(values, Array.from({ length: n }, (_, i) => i));
    assert.deepEqual([...counters], new Array(n).fill(1), "each ran exactly once");
    assert.ok(!pool.workerIds().includes(dead!), "they ran on its replacement");
  });
});

test("a worker that exits mid-task rejects only its task with WorkerCrashedError and is replaced", async () => {
  await withPool({ size: 2 }, async (pool) => {
    await pool.ready();
    const before = pool.workerIds();
    const others = Array.from({ length: 200 }, (_, i) => pool.apply("square", [i]));
    const crash = pool.apply("exitWorker", [3]);
    const more = Array.from({ length: 200 }, (_, i) => pool.apply("square", [i + 200]));
    const error = await within(crash.catch((e) => e), DEADLINE_MS, "crashed task");
    assert.ok(error instanceof WorkerCrashedError);
    assert.equal(error.exitCode, 3);
    assert.ok(before.includes(error.workerId));
    // The replacement is up within a second or two: a lost task would leave this waiting.
    const values = await within(Promise.all([...others, ...more]), WAKE_MS, "the other tasks");
    assert.deepEqual(values, Array.from({ length: 400 }, (_, i) => i * i), "nothing else lost");
    await within(pool.ready(), 60_000, "the replacement");
    assert.equal(pool.workerIds().length, 2);
    assert.ok(!pool.workerIds().includes(error.workerId), "the dead worker was replaced");
    assert.equal(await pool.apply("square", [3]), 9);
  });
});

test("uncaught errors outside a task crash only the worker; the running task gets the cause", async () => {
  await withPool({ size: 1 }, async (pool) => {
    const error = await within(
      pool.apply("crashWhileRunning", []).catch((e) => e),
      DEADLINE_MS,
      "crash",
    );
    assert.ok(error instanceof WorkerCrashedError);
    assert.equal(error.exitCode, 1);
    assert.ok(error.cause instanceof EvalError);
    assert.equal((error.cause as Error).message, "uncaught while the task runs");
    // A timer that throws after its task returned kills the worker between tasks: nothing is lost.
    assert.equal(await pool.apply("throwLater", []), "returned");
    const after = await within(
      Promise.all(Array.from({ length: 20 }, (_, i) => pool.apply("square", [i]))),
      DEADLINE_MS,
      "tasks after the crash",
    );
    assert.deepEqual(after, Array.from({ length: 20 }, (_, i) => i * i));
  });
});

test({
  name: "Deno.exit() in a task ends only its worker, with that exit code",
  runtimes: ["deno"],
  fn: () =>
    withPool({ size: 1 }, async (pool) => {
      assert.equal(await pool.apply("denoExitWorker", [4]).catch((e) => e.exitCode), 4);
      assert.equal(await pool.apply("square", [2]), 4);
    }),
});

test("aborting a waiting task drops it: it never runs", async () => {
  await withPool({ size: 1 }, async (pool) => {
    const flags = shared(2);
    const counter = shared(1);
    const blocker = pool.apply("blockUntilReleased", [flags]);
    await until(flags, 0, 1);
    const controller = new AbortController();
    const dropped = pool.apply("bump", [counter], { signal: controller.signal });
    const reason = new Error("changed my mind");
    controller.abort(reason);
    await assert.rejects(dropped, (e) => e === reason);
    Atomics.store(flags, 1, 1);
    Atomics.notify(flags, 1);
    assert.equal(await blocker, "released");
    assert.equal(await pool.apply("bump", [counter]), 1, "the aborted task never ran");
    // An already aborted signal rejects at once.
    await assert.rejects(
      pool.apply("square", [1], { signal: AbortSignal.abort(reason) }),
      (e) => e === reason,
    );
  });
});

test("aborting a running task fires taskSignal() in the worker and leaves the worker alone", async () => {
  await withPool({ size: 1 }, async (pool) => {
    const log = shared(1);
    const controller = new AbortController();
    const running = pool.applyAsync("waitForAbort", [log], { signal: controller.signal });
    await until(log, 0, 1);
    assert.equal(running.state, "running");
    const id = pool.workerIds()[0];
    controller.abort(new Error("stop now"));
    await assert.rejects(running.get(), /stop now/);
    // The worker finished the task cooperatively and takes the next one; it was not replaced.
    assert.equal(await pool.apply("square", [6]), 36);
    assert.deepEqual(pool.workerIds(), [id]);
  });
});

test("a running task that ignores its abort has its worker replaced after the grace period", async () => {
  await withPool({ size: 1, abortGrace: 50 }, async (pool) => {
    const flags = shared(2);
    const controller = new AbortController();
    const stuck = pool.apply("spinUntilReleased", [flags], { signal: controller.signal });
    const queued = pool.apply("squareWithWorker", [7]);
    await until(flags, 0, 1);
    const [stuckWorker] = pool.workerIds();
    controller.abort(new Error("give up"));
    await assert.rejects(stuck, /give up/);
    // The queued task was not disturbed: it runs on the replacement worker.
    const result = await within(queued, DEADLINE_MS, "the task queued behind the stuck one");
    assert.equal(result.value, 49);
    assert.notEqual(result.worker, stuckWorker);
    Atomics.store(flags, 1, 1); // in case the busy loop still runs
  });
});

test("work batched behind a long task is taken over by an idle worker", async () => {
  await withPool({ size: 2 }, async (pool) => {
    const flags = shared(2);
    // The long task runs first (else the squares may all be done before it starts, where a worker
    // starts slowly: Node, Bun); then one burst of squares, which batching may put behind it on its
    // worker (at most 128 tasks are sent to a worker unanswered, the busy one included).
    const blocker = pool.applyAsync("blockUntilReleased", [flags]);
    await until(flags, 0, 1);
    const squares = Array.from({ length: 300 }, (_, i) => pool.apply("square", [i]));
    const values = await within(Promise.all(squares), DEADLINE_MS, "squares behind a blocked task");
    assert.deepEqual(values, Array.from({ length: 300 }, (_, i) => i * i));
    // Every square is done while the long task still blocks its worker: none waited behind it.
    assert.equal(Atomics.load(flags, 0), 1, "the long task started");
    assert.equal(blocker.state, "running", "the long task is still running");
    release(flags);
    assert.equal(await within(blocker.get(), DEADLINE_MS, "the released task"), "released");
  });
});

test("maxTasksPerChild recycles workers and the initializer runs once per worker", async () => {
  const counter = shared(1);
  await withPool(
    { size: 1, maxTasksPerChild: 2, initializer: "init", initArgs: ["ready", counter] },
    async (pool) => {
      const runs: [number, number][] = [];
      for (let i = 0; i < 6; i++) runs.push(await pool.apply("countTask", []));
      assert.deepEqual(runs.map(([, n]) => n), [1, 2, 1, 2, 1, 2]);
      const ids = [...new Set(runs.map(([id]) => id))];
      assert.equal(ids.length, 3, "three workers served two tasks each");
      assert.equal(await pool.apply("initializedWith", []), "ready");
      assert.equal(Atomics.load(counter, 0), 4, "initializer ran once in each of 4 workers");
    },
  );
});

test("an initializer that throws breaks the pool: every task rejects with WorkerCrashedError", async () => {
  await withPool({ size: 2, initializer: "badInit" }, async (pool) => {
    const error = await within(pool.apply("square", [1]).catch((e) => e), DEADLINE_MS, "task");
    assert.ok(error instanceof WorkerCrashedError);
    assert.ok(error.cause instanceof TypeError);
    assert.equal((error.cause as Error).message, "initializer failed");
    await assert.rejects(pool.apply("square", [2]), WorkerCrashedError);
    await assert.rejects(pool.map("square", [1, 2]), WorkerCrashedError);
  });
});

test("a task module that fails to load breaks the pool with a WorkerCrashedError", async () => {
  const pool = new Pool(new URL("../_workers/no_such_module.ts", import.meta.url), { size: 1 });
  try {
    await assert.rejects(pool.apply("square", [1]), WorkerCrashedError);
  } finally {
    await pool.terminate();
  }
});

test("Interlock objects passed as task arguments arrive revived (seed: 5 × 1,000 increments)", async () => {
  await withPool({ size: 2 }, async (pool) => {
    const value = new Value("i", 0);
    await pool.starmap("incrementShared", Array.from({ length: 5 }, () => [value, 1000] as const));
    assert.equal(value.value, 5000);
    const lock = new Lock();
    assert.equal(await pool.apply("tryLock", [lock]), true);
    lock.acquireSync();
    assert.equal(await pool.apply("tryLock", [lock]), false, "the same lock in both threads");
    lock.release();
  });
});

test("transfer moves an ArrayBuffer to the worker instead of copying it", async () => {
  await withPool({ size: 1 }, async (pool) => {
    const buffer = new ArrayBuffer(1024);
    const length = pool.apply("byteLength", [buffer], { transfer: [buffer] });
    assert.equal(buffer.byteLength, 0, "detached here");
    assert.equal(await length, 1024);
  });
});

test("values that cannot be cloned fail only their own task", async () => {
  await withPool({ size: 1 }, async (pool) => {
    const bad = pool.apply("square", [(() => 1) as unknown as number]);
    const good = pool.apply("square", [3]);
    await assert.rejects(bad, (e) => e instanceof DOMException && e.name === "DataCloneError");
    assert.equal(await good, 9);
    await assert.rejects(
      pool.apply("returnFunction", []),
      (e) => (e as Error).name === "DataCloneError",
    );
    assert.equal(await pool.apply("square", [4]), 16);
  });
});

test("module-level state in a worker is not shared with the parent (seed: unshared global list)", async () => {
  await withPool({ size: 1 }, async (pool) => {
    assert.equal(await pool.apply("squareIntoGlobal", [[1, 2, 3]]), 3);
    assert.deepEqual(parentResults, []);
  });
});

test("close() lets submitted work finish, refuses new work, and join() waits for the workers", async () => {
  const pool = new Pool(tasks, { size: 2 });
  await assert.rejects(pool.join(), RuntimeError);
  const pending = pool.map("square", [1, 2, 3]);
  pool.close();
  await assert.rejects(pool.apply("square", [1]), RuntimeError);
  assert.throws(() => pool.applyAsync("square", [1]), RuntimeError);
  assert.deepEqual(await pending, [1, 4, 9]);
  await pool.join();
  assert.deepEqual(pool.workerIds(), []);
  assert.equal(await pool.terminate(), "not-running");
});

test("terminate() rejects unfinished tasks with AbortError and stops workers waiting asynchronously", async () => {
  const pool = new Pool(tasks, { size: 1 });
  const flags = shared(2);
  const spinning = pool.apply("waitForAbort", [flags]);
  const queued = pool.apply("square", [2]);
  await until(flags, 0, 1);
  const rejected = [spinning, queued].map((task) =>
    assert.rejects(task, (e) => e instanceof DOMException && e.name === "AbortError")
  );
  assert.equal(await within(pool.terminate(), DEADLINE_MS, "terminate"), "terminated");
  await Promise.all(rejected);
  await pool.join();
});

test("await using closes the pool once its work is done (seed: a pool used throughout, closed once)", async () => {
  let outer: Pool<Tasks> | undefined;
  {
    await using pool = new Pool(tasks, { size: Math.min(navigator.hardwareConcurrency, 8) });
    outer = pool;
    await pool.ready();
    assert.equal(pool.workerIds().length, Math.min(navigator.hardwareConcurrency, 8));
    for (let round = 0; round < 3; round++) {
      const chunk = Array.from({ length: 50 }, (_, i) => round * 50 + i);
      assert.deepEqual(await pool.map("square", chunk), chunk.map((x) => x * x));
    }
  }
  // Disposed: closed (new work is refused) and joined (every worker has ended).
  await assert.rejects(outer.apply("square", [1]), RuntimeError);
  assert.deepEqual(outer.workerIds(), []);
  assert.equal(await outer.terminate(), "not-running");
});

test("maxQueue bounds waiting tasks: apply beyond it rejects with RangeError, map waits for room", async () => {
  await withPool({ size: 1, maxQueue: 2 }, async (pool) => {
    // Tasks wait in the queue until the pool dispatches them, after the current synchronous code.
    const first = [pool.apply("square", [1]), pool.apply("square", [2])];
    const third = pool.apply("square", [3]);
    assert.throws(() => pool.applyAsync("square", [3]), RangeError);
    await assert.rejects(third, /2 tasks already wait/);
    assert.deepEqual(await Promise.all(first), [1, 4]);
    const items = Array.from({ length: 50 }, (_, i) => i);
    assert.deepEqual(
      await pool.map("square", items, { chunksize: 1 }),
      items.map((x) => x * x),
    );
  });
});

test("AsyncResult: get() times out without cancelling, cancel() drops a waiting task", async () => {
  await withPool({ size: 1 }, async (pool) => {
    const flags = shared(2);
    const blocker = pool.applyAsync("blockUntilReleased", [flags]);
    await until(flags, 0, 1);
    await assert.rejects(blocker.get({ timeout: 1 }), (e) => (e as Error).name === "TimeoutError");
    assert.equal(blocker.ready(), false);
    assert.throws(() => blocker.successful(), RuntimeError);
    assert.equal(blocker.cancel(), false, "a running task cannot be cancelled");
    const waiting = pool.applyAsync("square", [5]);
    assert.equal(waiting.state, "pending");
    assert.equal(waiting.cancel(), true);
    await assert.rejects(waiting.get(), (e) => (e as Error).name === "AbortError");
    let called: unknown;
    const withCallback = pool.applyAsync("square", [6], { callback: (v) => called = v });
    Atomics.store(flags, 1, 1);
    Atomics.notify(flags, 1);
    assert.equal(await blocker, "released");
    assert.equal(blocker.successful(), true);
    assert.equal(await withCallback, 36);
    assert.equal(called, 36);
    // A failure nobody awaits is not an unhandled rejection; errorCallback sees it.
    let seen: unknown;
    const failing = pool.applyAsync("failLibrary", [], { errorCallback: (e) => seen = e });
    await failing.wait();
    assert.equal(failing.successful(), false);
    assert.ok(seen instanceof RuntimeError);
  });
});

test("bad arguments throw TypeError or RangeError with sentence-case messages", () => {
  assert.throws(() => new Pool(42 as unknown as URL), TypeError);
  assert.throws(() => new Pool("./relative.ts"), /must be a URL or an absolute URL string/);
  assert.throws(
    () => new Pool(tasks, { size: 0 }),
    /'size' must be a positive integer, received 0/,
  );
  assert.throws(() => new Pool(tasks, { size: 1.5 }), RangeError);
  assert.throws(() => new Pool(tasks, { maxTasksPerChild: -1 }), RangeError);
  assert.throws(() => new Pool(tasks, { abortGrace: -1 }), RangeError);
  assert.throws(() => new Pool(tasks, { initArgs: 1 as unknown as [] }), TypeError);
  assert.throws(() => new Pool(tasks, { initArgs: [() => 1] }), /'initArgs' cannot be cloned/);
});

test("bad call arguments reject without disturbing the pool", async () => {
  await withPool({ size: 1 }, async (pool) => {
    await assert.rejects(pool.apply("square", 3 as unknown as [number]), TypeError);
    await assert.rejects(pool.map("square", [1], { chunksize: 0 }), RangeError);
    await assert.rejects(pool.map("square", 5 as unknown as number[]), TypeError);
    assert.equal(await pool.apply("square", [2]), 4);
  });
});

// Compile-time checks: `deno test` type-checks this file, so each @ts-expect-error must be an error.
function _typeChecks(pool: Pool<Tasks>): void {
  const squares: Promise<number[]> = pool.map("square", [1, 2, 3]);
  const one: Promise<number> = pool.apply("pow", [2, 3]);
  const worker: Promise<{ value: number; worker: number; name: string }> = pool.apply(
    "squareWithWorker",
    [2],
  );
  // @ts-expect-error: no such export
  pool.map("cube", [1, 2, 3]);
  // @ts-expect-error: square takes numbers
  pool.map("square", ["a", "b"]);
  // @ts-expect-error: pow takes two numbers
  pool.apply("pow", [2]);
  // @ts-expect-error: the result is a number[], not a string[]
  const wrong: Promise<string[]> = pool.map("square", [1]);
  void [squares, one, worker, wrong];
}
void _typeChecks;
