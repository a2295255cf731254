/**
 * A program that uses robust primitives ends on its own even when a library loaded after Interlock
 * replaced `Atomics.waitAsync` with a wrapper that keeps the event loop turning while a wait is
 * pending (the npm `multithreading` package does): the presence waiters, which never settle, use
 * the native `Atomics.waitAsync` that the seam captured when it loaded.
 *
 * @module
 */
import assert from "node:assert/strict";

const PROGRAM = new URL("../_workers/patched_wait_async_program.ts", import.meta.url);
/** The bound on the program's run: a program that hangs is killed and the test fails. */
const LIMIT = 30_000;

Deno.test("a program with robust primitives ends on its own although Atomics.waitAsync was replaced after Interlock loaded", async () => {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-read", PROGRAM.pathname],
    stdout: "piped",
    stderr: "inherit",
    signal: AbortSignal.timeout(LIMIT),
  }).output();
  assert.equal(
    out.code,
    0,
    `the program ended on its own (not killed by the ${LIMIT / 1000} s bound)`,
  );
  assert.match(
    new TextDecoder().decode(out.stdout),
    /took and released a Lock, an RLock and a robust Semaphore/,
  );
});
