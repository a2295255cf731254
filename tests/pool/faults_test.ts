/**
 * `Pool` under faults, with real workers: errors outside any task are reported, not lost; a large
 * pool's `terminate()` tells the truth; sizes are bounded and workers start in the background; every
 * worker's heap is capped by default.
 *
 * @module
 */
import assert from "node:assert/strict";
import v8 from "node:v8";
import { AsyncResult, Pool, RuntimeError, taskModule, WorkerCrashedError } from "../../mod.ts";
import { faults, shared, withFaultPool, within } from "./_helpers.ts";

const FAULTS = new URL("../_workers/fault_tasks.ts", import.meta.url);

/** A promise of the next `n` values passed to the returned callback. */
function collector<T>(n: number): { add: (value: T) => void; values: Promise<T[]> } {
  const seen: T[] = [];
  let done!: (values: T[]) => void;
  const values = new Promise<T[]>((resolve) => done = resolve);
  return {
    add: (value) => {
      seen.push(value);
      if (seen.length === n) done(seen);
    },
    values,
  };
}

Deno.test("an error thrown in a pool worker after its task returned reaches onWorkerError with the worker's id; the worker is replaced", async () => {
  const reports = [collector<WorkerCrashedError>(1), collector<WorkerCrashedError>(1)];
  let count = 0;
  const onWorkerError = (error: WorkerCrashedError) => reports[Math.min(count++, 1)]!.add(error);
  await withFaultPool({ size: 1, onWorkerError }, async (pool) => {
    await pool.ready();
    const [first] = pool.workerIds();
    assert.equal(await pool.apply("throwAfterReturn", []), "returned");
    // Once the worker is gone (a task sent before could still run on it, ahead of its timer), the
    // replacement takes tasks; then a rejection left unhandled after a task is reported too.
    const [thrown] = await within(reports[0]!.values, 60_000, "the first report");
    assert.equal(await within(pool.apply("rejectAfterReturn", []), 60_000, "task"), "returned");
    const [rejected] = await within(reports[1]!.values, 60_000, "the second report");
    assert.ok(thrown instanceof WorkerCrashedError);
    assert.equal(thrown.workerId, first);
    assert.match(thrown.message, new RegExp(`^Pool worker ${first} failed outside a task`));
    assert.match(thrown.message, /it was replaced$/);
    assert.ok(thrown.cause instanceof URIError, "the cause is the error, rebuilt with its class");
    assert.equal((thrown.cause as Error).message, "thrown by a timer after the task returned");
    assert.match((thrown.cause as Error).stack ?? "", /fault_tasks\.ts/, "with its stack");
    assert.ok(rejected!.cause instanceof SyntaxError);
    assert.notEqual(rejected!.workerId, first, "a new worker ran the second task");
    assert.equal(await pool.apply("id", [5]), 5, "the pool keeps working");
  });
});

Deno.test("a worker that exits outside a task is reported with its exit code", async () => {
  const reports = collector<WorkerCrashedError>(1);
  await withFaultPool({ size: 1, onWorkerError: reports.add }, async (pool) => {
    assert.equal(await pool.apply("exitAfterReturn", []), "returned");
    const [report] = await within(reports.values, 60_000, "the report");
    assert.equal(report!.exitCode, 7);
    assert.match(report!.message, /^Pool worker \d+ exited outside a task \(exit code 7\)/);
    assert.equal(await pool.apply("id", [1]), 1);
  });
});

Deno.test("without onWorkerError, an error outside a task is a warning on stderr with the worker id and the stack", async () => {
  const lines = collector<string>(1);
  const original = console.error;
  console.error = (...args: unknown[]) => lines.add(args.map(String).join(" "));
  try {
    await withFaultPool({ size: 1 }, async (pool) => {
      await pool.ready();
      const [id] = pool.workerIds();
      await pool.apply("throwAfterReturn", []);
      const [line] = await within(lines.values, 60_000, "the warning");
      assert.match(line!, new RegExp(`^Interlock: Pool worker ${id} failed outside a task`));
      assert.match(line!, /URIError: thrown by a timer after the task returned/);
      assert.match(line!, /fault_tasks\.ts:\d+/, "the stack names where it was thrown");
    });
  } finally {
    console.error = original;
  }
});

Deno.test("a task that crashes its worker is reported by its own promise, not by onWorkerError", async () => {
  const tasks = taskModule<typeof import("../_workers/pool_tasks.ts")>(
    new URL("../_workers/pool_tasks.ts", import.meta.url),
  );
  let reported = 0;
  const pool = new Pool(tasks, { size: 1, onWorkerError: () => reported++ });
  try {
    const error = await pool.apply("crashWhileRunning", []).catch((e) => e);
    assert.ok(error instanceof WorkerCrashedError);
    assert.ok(error.cause instanceof EvalError);
    assert.equal(await pool.apply("square", [3]), 9, "after the replacement");
  } finally {
    await pool.terminate();
  }
  assert.equal(reported, 0);
});

Deno.test("terminate() of a pool of 64 idle workers says 'terminated'", async () => {
  const pool = new Pool(faults, { size: 64 });
  try {
    await within(pool.ready(), 240_000, "64 workers");
    assert.equal(pool.workerIds().length, 64);
  } finally {
    assert.equal(await pool.terminate(), "terminated");
  }
  assert.deepEqual(pool.workerIds(), []);
});

Deno.test("a size above the limit throws a RangeError that says how to raise it; sizeLimit raises it", async () => {
  assert.throws(
    () => new Pool(faults, { size: 1e6 }),
    (e: unknown) =>
      e instanceof RangeError &&
      /^Cannot create pool: 'size' must be at most 256, received 1000000 .*raise the limit with the 'sizeLimit' option$/
        .test(e.message),
  );
  assert.throws(() => new Pool(faults, { size: 3, sizeLimit: 2 }), RangeError);
  assert.throws(() => new Pool(faults, { sizeLimit: 0 }), RangeError);
  assert.throws(() => new Pool(faults, { sizeLimit: "9" as unknown as number }), TypeError);
  // A raised limit is accepted; nothing has started yet when terminate() comes.
  const big = new Pool(faults, { size: 300, sizeLimit: 300 });
  assert.equal(big.size, 300);
  assert.equal(await big.terminate(), "terminated");
});

Deno.test("new Pool starts no worker itself, and the first task is served while the others still start", async () => {
  const flags = shared(2);
  const pool = new Pool(faults, {
    size: 3,
    initializer: "firstReadyOthersWait",
    initArgs: [flags],
  });
  try {
    // Creating a thread blocks its creator ~100 ms: none was created inside the constructor.
    assert.equal(pool.stats().workers, 0);
    assert.deepEqual(pool.workerIds(), []);
    // The second and third workers block in the initializer until released; the first serves.
    assert.equal(await within(pool.apply("id", [42]), 60_000, "first task"), 42);
    assert.ok(Atomics.load(flags, 1) === 0, "the other workers were not ready yet");
    const ready = pool.ready();
    Atomics.store(flags, 1, 1);
    Atomics.notify(flags, 1);
    await within(ready, 60_000, "all workers");
    assert.equal(pool.workerIds().length, 3);
    assert.equal(Atomics.load(flags, 0), 3);
  } finally {
    Atomics.store(flags, 1, 1);
    Atomics.notify(flags, 1);
    await pool.terminate();
  }
});

Deno.test("ready() rejects once the pool is closed or terminated, and with the pool's error when it breaks", async () => {
  const pool = new Pool(faults, { size: 1 });
  pool.close();
  await assert.rejects(pool.ready(), RuntimeError);
  await pool.join();
  const broken = new Pool(faults, { size: 1, initializer: "failWith", initArgs: ["no"] });
  await assert.rejects(broken.ready(), WorkerCrashedError);
  await broken.terminate();
});

Deno.test("every worker's heap is capped by default at this thread's heap limit; null removes the cap", async () => {
  const limit = Math.floor(v8.getHeapStatistics().heap_size_limit / 2 ** 20);
  await withFaultPool({ size: 1 }, async (pool) => {
    assert.equal(await pool.apply("heapCap", []), limit);
  });
  await withFaultPool({ size: 1, resourceLimits: { stackSizeMb: 8 } }, async (pool) => {
    assert.equal(await pool.apply("heapCap", []), limit, "a partial resourceLimits keeps it");
  });
  await withFaultPool({ size: 1, resourceLimits: null }, async (pool) => {
    assert.equal(await pool.apply("heapCap", []), -1);
  });
});

const CONFIG = new URL("../../deno.json", import.meta.url).pathname;

/** Runs `source` as a program (`deno run` with `flags`), returning its exit code and output. */
async function program(
  source: string,
  flags: string[],
): Promise<{ code: number; stdout: string; stderr: string }> {
  const file = await Deno.makeTempFile({ suffix: ".ts" });
  try {
    await Deno.writeTextFile(file, source);
    const output = await new Deno.Command(Deno.execPath(), {
      args: ["run", `--config=${CONFIG}`, ...flags, file],
      stdout: "piped",
      stderr: "piped",
    }).output();
    const text = new TextDecoder();
    return {
      code: output.code,
      stdout: text.decode(output.stdout),
      stderr: text.decode(output.stderr),
    };
  } finally {
    await Deno.remove(file);
  }
}

const MOD = new URL("../../mod.ts", import.meta.url).href;

const HOG = (options: string) => `
import { Pool, taskModule } from "${MOD}";
const pool = new Pool(taskModule("${FAULTS.href}"), { size: 1${options} });
const error = await pool.apply("hog", []).catch((e) => e);
console.log(error.name, error.cause?.code);
console.log("after:", await pool.apply("id", [7]));
await pool.terminate();
`;

Deno.test("with default options, a task that fills its heap loses its worker, not the program", async () => {
  // A small heap limit for the whole program (workers included), so that the hog fills it fast.
  const flags = ["--allow-read", "--allow-env", "--v8-flags=--max-old-space-size=64"];
  const survived = await program(HOG(""), flags);
  assert.equal(survived.code, 0, survived.stderr);
  assert.equal(survived.stdout, "WorkerCrashedError ERR_WORKER_OUT_OF_MEMORY\nafter: 7\n");
  // The opt-out restores V8's behaviour: the whole process aborts.
  const aborted = await program(HOG(", resourceLimits: null"), flags);
  assert.notEqual(aborted.code, 0);
  assert.match(aborted.stderr, /out of memory/i);
  assert.doesNotMatch(aborted.stdout, /after:/);
});

Deno.test("AsyncResult.cancel() changes state and ready() before it returns", async () => {
  const flags = shared(2);
  await withFaultPool({ size: 1 }, async (pool) => {
    const running = pool.applyAsync("holdUntilReleased", [flags]);
    const waiting = pool.applyAsync("id", [1]);
    assert.ok(waiting instanceof AsyncResult);
    assert.equal(waiting.state, "pending");
    assert.equal(waiting.cancel(), true);
    assert.equal(waiting.state, "rejected");
    assert.equal(waiting.ready(), true);
    assert.equal(waiting.successful(), false);
    assert.equal(waiting.cancel(), false, "only once");
    await assert.rejects(waiting.get(), { name: "AbortError" });
    Atomics.store(flags, 1, 1);
    Atomics.notify(flags, 1);
    assert.equal(await running, "released");
    const map = pool.mapAsync("id", [1, 2, 3]);
    assert.equal(map.cancel(), true);
    assert.equal(map.state, "rejected");
    await assert.rejects(map.get(), { name: "AbortError" });
  });
});
