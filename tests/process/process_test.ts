import assert from "node:assert/strict";
import {
  currentProcess,
  Process,
  type ProcessInfo,
  RuntimeError,
  SharedArray,
  TERMINATED,
  Value,
} from "../../mod.ts";
import { DEADLINE_MS } from "../_helpers.ts";
import { shared, tasks, until, within } from "../pool/_helpers.ts";
import { test } from "../_portable/test.ts";

const fixtures = new URL("../_workers/process_fixtures.ts", import.meta.url);

test("a process that returns exits with code 0 and is no longer alive", async () => {
  const p = new Process(tasks, "square", { args: [3] });
  assert.equal(p.isAlive, false);
  assert.equal(p.exitCode, null);
  p.start();
  await p.join({ timeout: DEADLINE_MS });
  assert.equal(p.exitCode, 0);
  assert.equal(p.isAlive, false);
  assert.equal(p.error, undefined);
});

test("an exception in a child gives exit code 1 and the error rebuilt (seed: exit codes)", async () => {
  const p = new Process(tasks, "failTyped", { args: ["child failed"] });
  p.start();
  await p.join({ timeout: DEADLINE_MS });
  if (p.exitCode !== 0) console.log(`Process terminated with error code: ${p.exitCode}`);
  assert.equal(p.exitCode, 1);
  const error = p.error as RangeError & { code: string };
  assert.ok(error instanceof RangeError);
  assert.equal(error.message, "child failed");
  assert.match(error.stack!, /failTyped/);
  assert.ok(error.cause instanceof TypeError);
  assert.equal(error.code, "E_RANGE");
});

test("an explicit exit in the child sets the exit code", async () => {
  const a = new Process(tasks, "exitWorker", { args: [3] });
  a.start();
  await a.join({ timeout: DEADLINE_MS });
  assert.equal(a.exitCode, 3);
  assert.equal(a.error, undefined);
});

test({
  name: "Deno.exit() in the child sets the exit code",
  runtimes: ["deno"],
  fn: async () => {
    const b = new Process(tasks, "denoExitWorker", { args: [4] });
    b.start();
    await b.join({ timeout: DEADLINE_MS });
    assert.equal(b.exitCode, 4);
    assert.equal(b.error, undefined);
  },
});

test("currentProcess() in the child tells its name, its id and its parent's id (seed)", async () => {
  const out = new SharedArray("i", 2);
  const p = new Process<typeof import("../_workers/process_fixtures.ts"), "reportIds">(
    fixtures,
    "reportIds",
    { args: [out], name: "reporter" },
  );
  assert.equal(p.name, "reporter");
  p.start();
  await p.join({ timeout: DEADLINE_MS });
  assert.equal(p.exitCode, 0);
  assert.equal(out.get(0), p.id, "the child's id is the process's id");
  assert.equal(out.get(1), currentProcess().id, "its parent is this thread");
  assert.equal(p.parentId, 0);
  const me: ProcessInfo = currentProcess();
  assert.deepEqual(me, { name: "MainProcess", id: 0, parentId: null, daemon: false });
  const named = new Process(tasks, "square", { args: [1] });
  assert.match(named.name, /^Process-\d+$/);
});

test("square and cube run in two processes at once (seed)", async () => {
  type F = typeof import("../_workers/process_fixtures.ts");
  const numbers = [2, 3, 4];
  const squares = new SharedArray("i", 3);
  const cubes = new SharedArray("i", 3);
  const p1 = new Process<F, "printSquares">(fixtures, "printSquares", { args: [numbers, squares] });
  const p2 = new Process<F, "printCubes">(fixtures, "printCubes", { args: [numbers, cubes] });
  p1.start();
  p2.start();
  await Promise.all([p1.join({ timeout: DEADLINE_MS }), p2.join({ timeout: DEADLINE_MS })]);
  assert.deepEqual(squares.toArray(), [4, 9, 16]);
  assert.deepEqual(cubes.toArray(), [8, 27, 64]);
  assert.deepEqual([p1.exitCode, p2.exitCode], [0, 0]);
});

test("a child modifies a shared Value and SharedArray and the parent sees it (seed)", () => {
  const numbers = new SharedArray("i", [1, 2, 3, 4]);
  const total = new Value("d", 0);
  const doubler = new Process<typeof import("../_workers/process_fixtures.ts"), "doubleAll">(
    fixtures,
    "doubleAll",
    { args: [numbers, total] },
  );
  doubler.start();
  doubler.joinSync();
  assert.deepEqual(numbers.toArray(), [2, 4, 6, 8]);
  assert.equal(total.value, 20);
});

test("join() with a timeout rejects with TimeoutError and the child keeps running", async () => {
  const flags = shared(2);
  const p = new Process(tasks, "blockUntilReleased", { args: [flags] });
  p.start();
  await until(flags, 0, 1);
  await assert.rejects(p.join({ timeout: 10 }), (e) => (e as Error).name === "TimeoutError");
  assert.throws(() => p.joinSync({ timeout: 10 }), (e) => (e as Error).name === "TimeoutError");
  assert.equal(p.isAlive, true);
  Atomics.store(flags, 1, 1);
  Atomics.notify(flags, 1);
  await p.join({ timeout: DEADLINE_MS });
  assert.equal(p.exitCode, 0);
});

test("terminate() stops a child waiting asynchronously at once, with exit code -15", async () => {
  const flags = shared(2);
  const p = new Process(tasks, "waitForAbort", { args: [flags] });
  assert.equal(await p.terminate(), "not-running");
  p.start();
  await until(flags, 0, 1);
  assert.equal(p.isAlive, true);
  assert.equal(await within(p.terminate(), 60_000, "terminate"), "terminated");
  assert.equal(p.exitCode, TERMINATED);
  assert.equal(p.isAlive, false);
  await p.join({ timeout: DEADLINE_MS });
  assert.equal(await p.terminate(), "not-running");
});

test("misuse throws: start twice, join before start; bad arguments throw TypeError", async () => {
  const p = new Process(tasks, "square", { args: [1] });
  await assert.rejects(p.join(), RuntimeError);
  assert.throws(() => p.joinSync(), RuntimeError);
  p.start();
  assert.throws(() => p.start(), RuntimeError);
  await p.join({ timeout: DEADLINE_MS });
  assert.throws(() => new Process("not a url", "square"), TypeError);
  assert.throws(() => new Process(tasks, 5 as unknown as "square"), TypeError);
  assert.throws(() => new Process(tasks, "square", { args: 1 as unknown as [number] }), TypeError);
  assert.throws(
    () => new Process(tasks, "square", { daemon: "yes" as unknown as boolean }),
    TypeError,
  );
  const uncloneable = new Process(tasks, "square", { args: [(() => 1) as unknown as number] });
  assert.throws(() => uncloneable.start(), (e) => (e as Error).name === "DataCloneError");
  assert.equal(uncloneable.isAlive, false);
});

test("a missing export or module ends the child with exit code 1 and a TypeError", async () => {
  const missing = new Process(tasks, "noSuchExport" as "square");
  missing.start();
  await missing.join({ timeout: DEADLINE_MS });
  assert.equal(missing.exitCode, 1);
  assert.ok(missing.error instanceof TypeError);
  const noModule = new Process(new URL("../_workers/no_such_module.ts", import.meta.url), "f");
  noModule.start();
  await noModule.join({ timeout: DEADLINE_MS });
  assert.equal(noModule.exitCode, 1);
  assert.ok(noModule.error instanceof Error);
});

test("joinSync() blocks until the child ends and then knows its error", () => {
  const p = new Process(tasks, "failLibrary");
  p.start();
  p.joinSync();
  assert.equal(p.exitCode, 1);
  assert.ok(p.error instanceof RuntimeError);
});

// Compile-time checks of the typed constructor.
function _typeChecks(): void {
  new Process(tasks, "pow", { args: [2, 3] });
  // @ts-expect-error: pow takes numbers
  new Process(tasks, "pow", { args: ["2", 3] });
  // @ts-expect-error: no such export
  new Process(tasks, "cube", { args: [2] });
}
void _typeChecks;
