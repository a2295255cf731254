/** examples/redis_bank.ts: the bank across two processes with a Redis lock. */
import assert from "node:assert/strict";

const ROOT = new URL("../../", import.meta.url);

async function run(args: string[]): Promise<string> {
  const source = await Deno.readTextFile(new URL("examples/redis_bank.ts", ROOT));
  const flags = /^\/\/ Run: deno run ((?:--[a-z-]+(?:=\S+)? )*)examples\/redis_bank\.ts$/m.exec(
    source,
  );
  assert.ok(flags, "the example states how to run it");
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["run", ...flags[1]!.trim().split(" "), "examples/redis_bank.ts", ...args],
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(60_000),
  }).output();
  const stdout = new TextDecoder().decode(output.stdout);
  const stderr = new TextDecoder().decode(output.stderr);
  assert.equal(output.code, 0, `${stdout}\n${stderr}`);
  return stdout;
}

Deno.test("examples/redis_bank.ts keeps the balance at 100 across two teller processes (it starts its own server and passes its URL to them)", async () => {
  assert.equal(await run([]), "Final balance = 100\n");
});
