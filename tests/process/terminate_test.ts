/**
 * `Process.terminate()` on children stuck in a busy loop or a synchronous native call, which Deno 2.9
 * cannot interrupt (`terminate()` answers 'unresponsive'; the child ends when its call returns) and
 * Node and Bun stop at once. Each child signals through shared memory right before it gets stuck,
 * and is released by the test once `terminate()` has answered, so every thread ends and nothing
 * relies on timing.
 */
import assert from "node:assert/strict";
import { Process, TERMINATED } from "../../mod.ts";
import { release, shared, tasks, until, within } from "../pool/_helpers.ts";
import { test } from "../_portable/test.ts";

/** The grace `terminate()` waits for a thread to end (src/pool/_stop.ts). */
const GRACE = 2000;
/** Runtimes whose `worker.terminate()` cannot interrupt a stuck thread. */
const WAITS = { runtimes: ["deno"] } as const;
/** Runtimes whose `worker.terminate()` interrupts a stuck thread. */
const INTERRUPTS = { runtimes: ["node", "bun"] } as const;

/** Two `terminate()` calls at once on `p`, bounded: both answers. */
function terminateTwice(p: Process): Promise<string[]> {
  return within(Promise.all([p.terminate(), p.terminate()]), 3 * GRACE, "terminate twice");
}

test(
  "terminate() of a child in a busy loop resolves 'unresponsive' after the grace; the child exits with -15 once its loop ends",
  async () => {
    const flags = shared(2);
    const p = new Process(tasks, "spinUntilReleased", { args: [flags] });
    p.start();
    try {
      await until(flags, 0, 1);
      const start = performance.now();
      const status = await within(p.terminate(), 3 * GRACE, "terminate");
      const took = performance.now() - start;
      assert.equal(status, "unresponsive");
      assert.ok(took >= GRACE - 50, `terminate() waited the grace, took ${took.toFixed(0)} ms`);
      // Still running: alive, no exit code, join() times out.
      assert.equal(p.isAlive, true);
      assert.equal(p.exitCode, null);
      await assert.rejects(p.join({ timeout: 10 }), (e) => (e as Error).name === "TimeoutError");
    } finally {
      release(flags);
    }
    // Its loop returned: the thread ends, and only now does the process count as terminated.
    await within(p.join(), 3 * GRACE, "join after release");
    assert.equal(p.exitCode, TERMINATED);
    assert.equal(p.isAlive, false);
    assert.equal(await p.terminate(), "not-running");
  },
  WAITS,
);

test({
  name:
    "terminate() of a child blocked in a synchronous call (Atomics.wait) resolves 'unresponsive'; it ends when the call returns",
  fn: async () => {
    const flags = shared(2);
    const p = new Process(tasks, "blockUntilReleased", { args: [flags] });
    p.start();
    await until(flags, 0, 1);
    const start = performance.now();
    assert.equal(await within(p.terminate(), 3 * GRACE, "terminate"), "unresponsive");
    assert.ok(performance.now() - start >= GRACE - 50);
    assert.equal(p.isAlive, true);
    assert.equal(p.exitCode, null);
    release(flags);
    await within(p.join(), 3 * GRACE, "join after the call returned");
    assert.equal(p.exitCode, TERMINATED);
    assert.equal(p.isAlive, false);
  },
  ...WAITS,
});

test("two terminate() calls on a stuck child both resolve, and the process ends once", async () => {
  const flags = shared(2);
  const p = new Process(tasks, "spinUntilReleased", { args: [flags] });
  p.start();
  try {
    await until(flags, 0, 1);
    assert.deepEqual(await terminateTwice(p), ["unresponsive", "unresponsive"]);
  } finally {
    release(flags);
  }
  await within(p.join(), 3 * GRACE, "join after release");
  assert.equal(p.exitCode, TERMINATED);
}, WAITS);

for (
  const [task, how] of [
    ["spinUntilReleased", "in a busy loop"],
    ["blockUntilReleased", "blocked in a synchronous call (Atomics.wait)"],
  ] as const
) {
  test(
    `terminate() of a child ${how} stops it at once where the runtime interrupts threads`,
    async () => {
      const flags = shared(2);
      const p = new Process(tasks, task, { args: [flags] });
      p.start();
      try {
        await until(flags, 0, 1);
        assert.deepEqual(await terminateTwice(p), ["terminated", "terminated"]);
        assert.equal(p.isAlive, false);
        assert.equal(p.exitCode, TERMINATED);
        assert.equal(await p.terminate(), "not-running");
      } finally {
        release(flags);
      }
    },
    INTERRUPTS,
  );
}
