/**
 * Runs the portable part of the test suite (`tests/_portable/suite.ts`) on Bun 1 and Node 22 and 24,
 * fetched from the npm registry with `npx` as CI fetches Deno: `deno task test:portable` (all
 * three, one after the other) or `deno task test:portable node22` (one: `bun`, `node22`, `node24`).
 *
 * - Node runs the TypeScript sources through its own type stripping (on by default since 22.18),
 *   with `tests/_portable/node_hooks.mjs` loaded in every thread: it keeps what the stripping made
 *   of each file, so that the many workers the tests start do not strip the library again each
 *   time, and lowers the `using` declarations of test files where V8 cannot parse them (Node 22).
 *   All files run in one process, one test at a time (`--test-isolation=none`: a process per file
 *   cost some 40 s more), with Node's compile cache on; except the files that fill capped heaps
 *   (`OWN_PROCESS_TESTS`), each in a process of its own after that, because V8 can abort the whole
 *   process when a capped worker reaches its limit (README, "Node and Bun differ"). Such a file
 *   whose process aborts (exit code 134) runs once more, said as such; a second abort fails it.
 * - Bun runs every file in one process, one after the other.
 * - npm packages (fast-check, comlink, typescript) resolve from the `node_modules` that `deno install`
 *   made: it links each package of `deno.json`'s imports at `node_modules/<name>`.
 *
 * - A runtime whose run outlives {@linkcode DEADLINE_S} (a hang: a test that never settles, or a
 *   handle left open after the last test) is stopped with every process it started, and fails.
 *   Node is also told to exit once its last test is done (`--test-force-exit`).
 *
 * Prints each runtime's time and exits with 1 if any runtime failed.
 *
 * @module
 */
import { OWN_PROCESS_TESTS, PORTABLE_TESTS } from "../tests/_portable/suite.ts";

const ROOT = new URL("../", import.meta.url);

/** Seconds a runtime's whole run may take: ~25-70 s idle, ~2 min on a busy machine. */
const DEADLINE_S = 480;

/** One process of a runtime's run: the files it runs and its command. */
interface Run {
  files: readonly string[];
  command: string[];
}

/** The processes that run `files` on each runtime, one after the other. */
const RUNTIMES: Record<string, (files: readonly string[]) => Run[]> = {
  bun: (
    files,
  ) => [{ files, command: ["npx", "-y", "bun@1", "test", ...files.map((f) => `./${f}`)] }],
  node22: (files) => nodeRuns("node@22", "--experimental-test-isolation=none", files),
  node24: (files) => nodeRuns("node@24", "--test-isolation=none", files),
};

/** Node's runs: every file in one process, but each of {@linkcode OWN_PROCESS_TESTS} alone. */
function nodeRuns(version: string, isolation: string, files: readonly string[]): Run[] {
  const shared = files.filter((f) => !OWN_PROCESS_TESTS.includes(f));
  const alone = files.filter((f) => OWN_PROCESS_TESTS.includes(f));
  return [shared, ...alone.map((f) => [f])].map((group) => ({
    files: group,
    command: node(version, isolation, group),
  }));
}

function node(version: string, isolation: string, files: readonly string[]): string[] {
  return [
    "npx",
    "-y",
    version,
    "--import",
    "./tests/_portable/node_hooks.mjs",
    "--test",
    isolation,
    "--test-force-exit",
    "--test-reporter=spec",
    "--disable-warning=ExperimentalWarning",
    ...files,
  ];
}

/** The exit code of a process that aborted (SIGABRT), as V8 does at some heap limits. */
const ABORTED = 134;

/** Runs one process of a runtime's run; its exit code (-1 if it was stopped at the deadline). */
async function run(name: string, { files, command }: Run): Promise<number> {
  const [program, ...args] = command;
  const what = files.length === 1 ? files[0] : `${files.length} files`;
  console.log(`== ${name}: ${command.slice(0, 3).join(" ")} (${what})`);
  const start = performance.now();
  const child = new Deno.Command(program!, {
    args,
    cwd: ROOT,
    // Node keeps compiled code (and Node 24 its stripped TypeScript) here: every worker a test
    // starts loads the library again, and a warm cache makes that several times faster.
    env: { NO_COLOR: "1", NODE_COMPILE_CACHE: `node_modules/.cache/interlock-node-${name}` },
    stdout: "inherit",
    stderr: "inherit",
  }).spawn();
  let late = false;
  const timer = setTimeout(() => {
    late = true;
    void stopTree(child.pid);
  }, DEADLINE_S * 1000);
  const { code } = await child.status;
  clearTimeout(timer);
  const seconds = ((performance.now() - start) / 1000).toFixed(1);
  const verdict = late
    ? `FAILED (still running after ${DEADLINE_S} s: stopped)`
    : code === 0
    ? "passed"
    : `FAILED (exit code ${code})`;
  console.log(`== ${name}: ${verdict} in ${seconds} s`);
  return late ? -1 : code;
}

/** Sends SIGKILL to `pid` and every process under it (npx starts the runtime as its child). */
async function stopTree(pid: number): Promise<void> {
  const children = new Map<number, number[]>();
  try {
    const ps = new Deno.Command("ps", { args: ["-e", "-o", "pid=,ppid="], stderr: "null" });
    for (const line of new TextDecoder().decode((await ps.output()).stdout).trim().split("\n")) {
      const [p, parent] = line.trim().split(/\s+/).map(Number);
      children.set(parent!, [...children.get(parent!) ?? [], p!]);
    }
  } catch {
    // No `ps` (procps not installed): stop the child alone.
  }
  const tree = [pid];
  for (let i = 0; i < tree.length; i++) tree.push(...children.get(tree[i]!) ?? []);
  for (const p of tree.reverse()) {
    try {
      Deno.kill(p, "SIGKILL");
    } catch {
      // Already gone.
    }
  }
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
  for (const name of names) {
    for (const one of RUNTIMES[name]!(PORTABLE_TESTS)) {
      let code = await run(name, one);
      if (code === ABORTED && one.files.every((f) => OWN_PROCESS_TESTS.includes(f))) {
        console.log(
          `== ${name}: the process aborted (V8 at a capped worker's heap limit, a known Node ` +
            `limitation the README states): running ${one.files.join(", ")} once more`,
        );
        code = await run(name, one);
      }
      ok = code === 0 && ok;
    }
  }
  Deno.exit(ok ? 0 : 1);
}
