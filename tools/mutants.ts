/**
 * Mutation testing: does the suite notice when a promise the library makes is broken?
 *
 * Each mutant in `tools/mutants_catalogue.ts` names a bug (a lock that lets a second holder in, a
 * release that wakes nobody, a queue claim that skips a slot, ...) as exact edits of `src/`: a
 * snippet that must occur exactly once in its file (so a snippet that moved or changed fails
 * loudly instead of silently mutating nothing) and its replacement. For each mutant this tool:
 *
 * 1. applies the edits to a scratch copy of the repository (never the working tree), re-deriving
 *    the generator form of an edited kernel (`src/kernel_gen/`) so the explorer runs the mutant too;
 * 2. runs only the tests that should kill it (`deno test --no-check`, optionally `--filter`), and
 *    stops at the first test that fails: the mutant is *killed*, by that test, after that long;
 * 3. reports it *survived* if those tests pass, and *timed out* if no test failed within the limit
 *    (30 s): a test that hangs instead of failing with a message does not count as a kill.
 *
 * Usage:
 *   deno task mutants                      every mutant
 *   deno task mutants --only lock          mutants whose name contains "lock"
 *   deno task mutants --rotate 4           a quarter of the catalogue, chosen by today's date (CI)
 *   deno task mutants --check              only check that every snippet occurs exactly once
 *   deno task mutants --baseline           also run each mutant's tests unmutated first (they
 *                                          must pass, or a kill proves nothing)
 *   deno task mutants --tests a.ts,b.ts    run these test files instead of each mutant's own
 *                                          (does another test notice the bug too?)
 *
 * Exits 1 if any mutant survived, timed out, or could not be applied.
 *
 * @module
 */
import { deriveKernel } from "./derive_kernels.ts";
import { type Edit, type Mutant, MUTANTS } from "./mutants_catalogue.ts";

/** A mutant must be killed within this many ms (test start-up included). */
export const LIMIT_MS = 30_000;

const ROOT = new URL("../", import.meta.url);

/** What happened to one mutant. */
export interface Outcome {
  mutant: Mutant;
  status: "killed" | "survived" | "timed out" | "invalid";
  /** The test that failed first (killed), or why the mutant is invalid. */
  detail: string;
  /** From starting the tests until the first failure (or the end), in ms. */
  ms: number;
}

/** The edited text of `source` for `edit`; throws unless its snippet occurs exactly once. */
export function applyEdit(source: string, edit: Edit): string {
  const first = source.indexOf(edit.find);
  if (first < 0) throw new Error(`${edit.file}: snippet not found: ${JSON.stringify(edit.find)}`);
  if (source.indexOf(edit.find, first + 1) >= 0) {
    throw new Error(`${edit.file}: snippet occurs more than once: ${JSON.stringify(edit.find)}`);
  }
  return source.slice(0, first) + edit.replace + source.slice(first + edit.find.length);
}

/** The edits of a mutant, applied to `read(file)`: new contents by file (derived kernels too). */
export function mutate(mutant: Mutant, read: (file: string) => string): Map<string, string> {
  const out = new Map<string, string>();
  for (const edit of mutant.edits) {
    out.set(edit.file, applyEdit(out.get(edit.file) ?? read(edit.file), edit));
  }
  for (const [file, text] of [...out]) {
    const kernel = /^src\/kernel\/([a-z_]+\.ts)$/.exec(file);
    if (kernel) out.set(`src/kernel_gen/${kernel[1]}`, deriveKernel(text, kernel[1]!));
  }
  return out;
}

async function git(args: string[]): Promise<string> {
  const out = await new Deno.Command("git", { args, cwd: ROOT, stdout: "piped" }).output();
  if (!out.success) throw new Error(`git ${args.join(" ")} failed`);
  return new TextDecoder().decode(out.stdout);
}

/** Copies the repository's files (tracked and new, not ignored) into a fresh temporary directory. */
async function scratchCopy(): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "interlock-mutants-" });
  const files = (await git(["ls-files", "-z", "--cached", "--others", "--exclude-standard"]))
    .split("\0").filter((f) => f !== "");
  for (const file of files) {
    const from = new URL(file, ROOT);
    try {
      if (!(await Deno.lstat(from)).isFile) continue;
    } catch {
      continue; // deleted in the working tree
    }
    const to = `${dir}/${file}`;
    await Deno.mkdir(to.slice(0, to.lastIndexOf("/")), { recursive: true });
    await Deno.copyFile(from, to);
  }
  await Deno.symlink(new URL("node_modules", ROOT).pathname, `${dir}/node_modules`);
  return dir;
}

/** The permission flags of the `test` task in deno.json: the tests run as the suite runs them. */
function testPermissions(): string[] {
  const config = JSON.parse(Deno.readTextFileSync(new URL("deno.json", ROOT)));
  return String(config.tasks.test).split(/\s+/).filter((flag) => flag.startsWith("--allow-"));
}

/** Runs `deno test` on `tests` in `dir`; resolves at the first failure, the end, or the limit. */
async function runTests(
  dir: string,
  mutant: Mutant,
): Promise<{ status: "failed" | "passed" | "timed out" | "error"; detail: string; ms: number }> {
  const args = [
    "test",
    "--no-check",
    ...testPermissions(),
    ...(mutant.filter ? ["--filter", mutant.filter] : []),
    ...mutant.tests,
  ];
  // setsid: the tests run in their own process group, so a kill also stops their subprocesses.
  const child = new Deno.Command("setsid", {
    args: [Deno.execPath(), ...args],
    cwd: dir,
    env: { NO_COLOR: "1", DENO_NO_UPDATE_CHECK: "1" },
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const start = performance.now();
  const stop = () => {
    try {
      Deno.kill(-child.pid, "SIGKILL");
    } catch {
      // already gone
    }
  };
  let log = "";
  let failed: string | undefined;
  let failedAt = 0;
  const watch = async (stream: ReadableStream<Uint8Array>) => {
    let line = "";
    for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
      log += chunk;
      line += chunk;
      const lines = line.split("\n");
      line = lines.pop()!;
      for (const l of lines) {
        const m = /^\s*(.*?) \.\.\. FAILED/.exec(l);
        if (m && failed === undefined) {
          failed = m[1]!;
          failedAt = performance.now() - start;
          stop();
        }
      }
    }
  };
  const timer = setTimeout(stop, LIMIT_MS);
  const [status] = await Promise.all([child.status, watch(child.stdout), watch(child.stderr)]);
  clearTimeout(timer);
  const ms = performance.now() - start;
  if (failed !== undefined) return { status: "failed", detail: failed, ms: failedAt };
  if (status.success) return { status: "passed", detail: "", ms };
  if (ms >= LIMIT_MS) return { status: "timed out", detail: "", ms };
  // A failure reported only in the summary (e.g. an error thrown between two tests).
  const summary = /\bFAILURES\b[^\n]*\n+\s*(.*?) => /.exec(log);
  if (summary || /\berror: Test failed\b/.test(log)) {
    return { status: "failed", detail: summary?.[1] ?? "the test run (see its errors)", ms };
  }
  return { status: "error", detail: log.trim().split("\n").slice(-8).join("\n"), ms };
}

async function writeAll(dir: string, files: Map<string, string>): Promise<void> {
  for (const [file, text] of files) await Deno.writeTextFile(`${dir}/${file}`, text);
}

/** Runs one mutant in the scratch copy `dir`, restoring every file it touched afterwards. */
export async function runMutant(dir: string, mutant: Mutant): Promise<Outcome> {
  const read = (file: string) => Deno.readTextFileSync(new URL(file, ROOT));
  let edited: Map<string, string>;
  try {
    edited = mutate(mutant, read);
  } catch (e) {
    return { mutant, status: "invalid", detail: (e as Error).message, ms: 0 };
  }
  await writeAll(dir, edited);
  try {
    const r = await runTests(dir, mutant);
    if (r.status === "failed") return { mutant, status: "killed", detail: r.detail, ms: r.ms };
    if (r.status === "passed") return { mutant, status: "survived", detail: "", ms: r.ms };
    if (r.status === "timed out") return { mutant, status: "timed out", detail: "", ms: r.ms };
    return {
      mutant,
      status: "invalid",
      detail: `the tests did not run:\n${r.detail}`,
      ms: r.ms,
    };
  } finally {
    await writeAll(dir, new Map([...edited.keys()].map((file) => [file, read(file)])));
  }
}

/** The mutants to run today with `--rotate n`: every n-th one, starting from the day's offset. */
export function rotation(all: readonly Mutant[], n: number, day: number): Mutant[] {
  return all.filter((_, k) => k % n === day % n);
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

async function main(args: string[]): Promise<number> {
  const value = (flag: string) => {
    const k = args.indexOf(flag);
    return k >= 0 ? args[k + 1] : undefined;
  };
  let mutants = [...MUTANTS];
  const only = value("--only");
  if (only !== undefined) mutants = mutants.filter((m) => m.name.includes(only));
  const tests = value("--tests");
  if (tests !== undefined) {
    mutants = mutants.map(({ filter: _, ...m }) => ({ ...m, tests: tests.split(",") }));
  }
  const rotate = value("--rotate");
  if (rotate !== undefined) {
    const day = Math.floor(Date.now() / 86_400_000);
    mutants = rotation(mutants, Number(rotate), day);
    console.log(`Rotation ${day % Number(rotate)} of ${rotate} (day ${day})`);
  }
  if (args.includes("--check")) {
    const read = (file: string) => Deno.readTextFileSync(new URL(file, ROOT));
    let bad = 0;
    for (const mutant of mutants) {
      try {
        mutate(mutant, read);
      } catch (e) {
        bad++;
        console.error(`${mutant.name}: ${(e as Error).message}`);
      }
    }
    console.log(`${mutants.length - bad} of ${mutants.length} mutants apply cleanly`);
    return bad === 0 ? 0 : 1;
  }
  const dir = await scratchCopy();
  console.log(`Scratch copy: ${dir}; ${mutants.length} mutants, ${LIMIT_MS / 1000} s each at most`);
  const outcomes: Outcome[] = [];
  try {
    if (args.includes("--baseline")) {
      for (const mutant of mutants) {
        const r = await runTests(dir, mutant);
        if (r.status !== "passed") {
          console.error(`Unmutated, the tests of '${mutant.name}' do not pass: ${r.detail}`);
          return 1;
        }
      }
      console.log("Unmutated, every mutant's tests pass");
    }
    for (const mutant of mutants) {
      const o = await runMutant(dir, mutant);
      outcomes.push(o);
      const by = o.status === "killed" ? ` by "${o.detail}"` : o.detail ? `: ${o.detail}` : "";
      console.log(`${o.status.padEnd(9)} ${seconds(o.ms).padStart(7)}  ${mutant.name}${by}`);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
  const killed = outcomes.filter((o) => o.status === "killed");
  const slowest = Math.max(0, ...killed.map((o) => o.ms));
  console.log(
    `${killed.length} of ${outcomes.length} mutants killed` +
      (killed.length > 0 ? `, the slowest in ${seconds(slowest)}` : ""),
  );
  return killed.length === outcomes.length ? 0 : 1;
}

if (import.meta.main) Deno.exit(await main(Deno.args));
