import assert from "node:assert/strict";

const PROGRAM = new URL("../_workers/process_program.ts", import.meta.url);

/** Runs the program in `mode`; fails (kills it) if it has not ended after 60 s, i.e. it hangs. */
async function run(mode: string): Promise<{ code: number; stdout: string }> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-read", PROGRAM.pathname, mode],
    stdout: "piped",
    stderr: "inherit",
    signal: AbortSignal.timeout(60_000),
  }).output();
  return { code: out.code, stdout: new TextDecoder().decode(out.stdout) };
}

Deno.test("a daemon process does not keep the program alive and is stopped at exit", async () => {
  const { code, stdout } = await run("daemon");
  assert.equal(code, 0, "the program ended on its own (not killed by the 60 s bound)");
  assert.match(stdout, /started daemon Process-1, alive: true/);
});

Deno.test("a non-daemon process keeps the program alive until it ends", async () => {
  const { code, stdout } = await run("non-daemon");
  assert.equal(code, 0);
  assert.match(stdout, /main done/);
  assert.match(stdout, /child finished/, "the program waited for its child");
});

Deno.test("what a child logs reaches the program's output (seed: logging from workers)", async () => {
  const { code, stdout } = await run("logging");
  assert.equal(code, 0);
  assert.match(stdout, /logger: Worker process initialized\.\nlogger: Worker process completed\./);
  assert.match(stdout, /logger exit code 0/);
});

Deno.test("an idle pool that was never closed does not keep the program alive", async () => {
  const { code, stdout } = await run("idle-pool");
  assert.equal(code, 0);
  assert.match(stdout, /squares: 1,4,9/);
});

Deno.test("a program exits even though terminate() abandoned a child stuck in an endless loop", async () => {
  const { code, stdout } = await run("unresponsive");
  assert.equal(code, 0, "the program ended on its own (not killed by the 60 s bound)");
  assert.match(stdout, /terminate: unresponsive, alive: true/);
});
