/**
 * Runs the portable part of the test suite (`tests/_portable/suite.ts`) on Bun 1 and Node 22 and 24,
 * fetched from the npm registry with `npx` as CI fetches Deno: `deno task test:portable` (all
 * three, one after the other) or `deno task test:portable node22` (one: `bun`, `node22`, `node24`).
 *
 * - Node runs the TypeScript sources as they are (type stripping, on by default since 22.18), with
 *   `tests/_portable/node_hooks.ts` loaded in every thread: it lowers the `using` declarations of
 *   test files where V8 cannot parse them (Node 22). Each file runs in its own process, one at a
 *   time (`--test-concurrency=1`: the files start workers of their own).
 * - Bun runs every file in one process, one after the other.
 * - npm packages (fast-check, comlink, typescript) resolve from the `node_modules` that `deno install`
 *   made: it links each package of `deno.json`'s imports at `node_modules/<name>`.
 *
 * Prints each runtime's time and exits with 1 if any runtime failed.
 *
 * @module
 */
import { PORTABLE_TESTS } from "../tests/_portable/suite.ts";

const ROOT = new URL("../", import.meta.url);

/** The command that runs `files` on each runtime. */
const RUNTIMES: Record<string, (files: readonly string[]) => string[]> = {
  bun: (files) => ["npx", "-y", "bun@1", "test", ...files.map((f) => `./${f}`)],
  node22: (files) => node("node@22", files),
  node24: (files) => node("node@24", files),
};

function node(version: string, files: readonly string[]): string[] {
  return [
    "npx",
    "-y",
    version,
    "--import",
    "./tests/_portable/node_hooks.ts",
    "--test",
    "--test-concurrency=1",
    "--test-reporter=spec",
    ...files,
  ];
}

async function run(name: string, command: string[]): Promise<boolean> {
  const [program, ...args] = command;
  console.log(`== ${name}: ${command.slice(0, 3).join(" ")} (${PORTABLE_TESTS.length} files)`);
  const start = performance.now();
  const { code } = await new Deno.Command(program!, {
    args,
    cwd: ROOT,
    env: { NO_COLOR: "1" },
    stdout: "inherit",
    stderr: "inherit",
  }).output();
  const seconds = ((performance.now() - start) / 1000).toFixed(1);
  console.log(
    `== ${name}: ${code === 0 ? "passed" : `FAILED (exit code ${code})`} in ${seconds} s`,
  );
  return code === 0;
}

if (import.meta.main) {
  const names = Deno.args.length > 0 ? Deno.args : Object.keys(RUNTIMES);
  const unknown = names.filter((name) => !(name in RUNTIMES));
  if (unknown.length > 0) {
    console.error(
      `Unknown runtime ${unknown.join(", ")}: expected ${Object.keys(RUNTIMES).join(", ")}`,
    );
    Deno.exit(2);
  }
  let ok = true;
  for (const name of names) ok = await run(name, RUNTIMES[name]!(PORTABLE_TESTS)) && ok;
  Deno.exit(ok ? 0 : 1);
}
