/**
 * What a Python user looks for in `multiprocessing` first: `cpu_count()`, `active_children()`,
 * `Process.kill()` and `close()`; and a child's uncaught error handed to `onWorkerError`.
 *
 * @module
 */
import assert from "node:assert/strict";
import {
  activeChildren,
  cpuCount,
  KILLED,
  Process,
  RuntimeError,
  taskModule,
  TERMINATED,
  WorkerCrashedError,
} from "../../mod.ts";

type Faults = typeof import("../_workers/fault_tasks.ts");
const faults = taskModule<Faults>(new URL("../_workers/fault_tasks.ts", import.meta.url));

Deno.test("cpuCount() is the number of logical CPUs, as navigator reports it", () => {
  assert.equal(cpuCount(), navigator.hardwareConcurrency);
  assert.ok(Number.isInteger(cpuCount()) && cpuCount() >= 1);
});

Deno.test("activeChildren() lists the started processes that have not ended, and only those", async () => {
  const a = new Process(faults, "forever", { name: "a" });
  const b = new Process(faults, "id", { name: "b", args: [1] });
  const idle = new Process(faults, "forever", { name: "never started" });
  try {
    assert.ok(!activeChildren().includes(a));
    a.start();
    b.start();
    assert.ok(activeChildren().includes(a) && activeChildren().includes(b));
    await b.join({ timeout: 60_000 });
    assert.ok(!activeChildren().includes(b), "an ended child is gone");
    assert.ok(activeChildren().includes(a));
    assert.ok(!activeChildren().includes(idle));
  } finally {
    await a.terminate();
  }
  assert.ok(!activeChildren().includes(a));
});

Deno.test("kill() stops a child as terminate() does, with exit code -9", async () => {
  const p = new Process(faults, "forever");
  p.start();
  assert.equal(await p.kill(), "terminated");
  assert.equal(p.exitCode, KILLED);
  assert.equal(KILLED, -9);
  assert.equal(p.isAlive, false);
  assert.equal(await p.kill(), "not-running");
  assert.equal(await p.terminate(), "not-running");
  assert.equal(p.exitCode, KILLED, "a later terminate() changes nothing");
  const q = new Process(faults, "forever");
  assert.equal(await q.kill(), "not-running", "not started");
  q.start();
  assert.equal(await q.terminate(), "terminated");
  assert.equal(q.exitCode, TERMINATED);
});

Deno.test("close() refuses a running child, then releases an ended one: its methods throw, its state stays", async () => {
  const p = new Process(faults, "forever", { name: "closing" });
  p.start();
  try {
    assert.throws(
      () => p.close(),
      (e: unknown) =>
        e instanceof RuntimeError &&
        e.message ===
          "Cannot close process closing: it is still running (join, terminate or kill it first)",
    );
  } finally {
    await p.terminate();
  }
  p.close();
  p.close(); // closing twice is fine, as in Python
  assert.equal(p.exitCode, TERMINATED);
  assert.equal(p.isAlive, false);
  assert.throws(() => p.start(), /^RuntimeError: Cannot start process closing: it is closed$/);
  await assert.rejects(p.join(), /Cannot join process closing: it is closed/);
  assert.throws(() => p.joinSync(), RuntimeError);
  await assert.rejects(p.terminate(), RuntimeError);
  await assert.rejects(p.kill(), RuntimeError);
  const fresh = new Process(faults, "id", { args: [1] });
  fresh.close(); // never started: nothing runs
  assert.throws(() => fresh.start(), RuntimeError);
});

Deno.test("a child's uncaught error goes to onWorkerError as a WorkerCrashedError naming the child", async () => {
  const reports: WorkerCrashedError[] = [];
  const p = new Process(faults, "failWith", {
    name: "failing",
    args: ["bad input"],
    onWorkerError: (error) => reports.push(error),
  });
  p.start();
  await p.join({ timeout: 60_000 });
  assert.equal(p.exitCode, 1);
  assert.equal(reports.length, 1);
  const [report] = reports;
  assert.ok(report instanceof WorkerCrashedError);
  assert.equal(report.workerId, p.id);
  assert.equal(report.message, `Process failing (id ${p.id}) ended with an uncaught error`);
  assert.equal(report.cause, p.error, "its cause is the child's error");
  assert.ok(p.error instanceof RangeError);
  const ok = new Process(faults, "id", { args: [1], onWorkerError: (e) => reports.push(e) });
  ok.start();
  await ok.join({ timeout: 60_000 });
  const stopped = new Process(faults, "forever", { onWorkerError: (e) => reports.push(e) });
  stopped.start();
  await stopped.terminate();
  assert.equal(reports.length, 1, "a clean exit or a terminate() is no error");
  assert.throws(
    () => new Process(faults, "id", { onWorkerError: 1 as unknown as () => void }),
    /^TypeError: Cannot create process: 'onWorkerError' must be a function, received number$/,
  );
});

Deno.test("a child prints its uncaught error with its name and id, unless onWorkerError takes it", async () => {
  const mod = new URL("../../mod.ts", import.meta.url).href;
  const source = (options: string) => `
import { Process, taskModule } from "${mod}";
const p = new Process(taskModule("${faults.url}"), "failWith", { name: "loud", args: ["oops"]${options} });
p.start();
await p.join();
console.log("id", p.id);
`;
  for (const [options, printed] of [["", true], [", onWorkerError: () => {}", false]] as const) {
    const file = await Deno.makeTempFile({ suffix: ".ts" });
    try {
      await Deno.writeTextFile(file, source(options));
      const out = await new Deno.Command(Deno.execPath(), {
        args: ["run", "--allow-read", "--allow-env", file],
        stdout: "piped",
        stderr: "piped",
      }).output();
      const text = new TextDecoder();
      const stdout = text.decode(out.stdout);
      const stderr = text.decode(out.stderr);
      assert.equal(out.code, 0, stderr);
      const id = /^id (\d+)$/m.exec(stdout)?.[1];
      assert.ok(id !== undefined, stdout);
      if (printed) {
        assert.match(stderr, new RegExp(`^Process loud \\(id ${id}\\): RangeError: oops`));
      } else assert.doesNotMatch(stderr, /RangeError/);
    } finally {
      await Deno.remove(file);
    }
  }
});
