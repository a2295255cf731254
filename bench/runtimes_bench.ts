/**
 * Lock, Queue and Pool on Deno, Bun and Node, each as a ratio to the same runtime's raw baseline.
 *
 * Each round runs `bench/_runtimes/round.ts` once on every runtime, one after the other (so a slow
 * moment of the shared machine spreads over all of them), and that file measures Interlock and its
 * hand-written baseline in one process (see its module doc for the three situations). A figure is
 * the median over `--runs` rounds of the per-round ratio Interlock / baseline (throughputs: 1.0 is
 * as fast as the baseline, 0.5 half as fast), with the min-max of the rounds; the raw baselines'
 * own throughputs are printed too, as the runtime's scale.
 *
 * Bun and Node come from the npm registry through `npx` (as `deno task test:portable` gets them);
 * the binary is looked up once, before the first round, so `npx` costs nothing inside the rounds.
 *
 * Run: `deno run --allow-read --allow-env --allow-sys --allow-run bench/runtimes_bench.ts
 * [--runs 5] [--runtimes deno,bun,node22,node24]`
 *
 * @module
 */
import type { RoundFigures } from "./_runtimes/round.ts";
import { median, spread } from "./_stats.ts";

const ROUND = new URL("./_runtimes/round.ts", import.meta.url).pathname;
const FIGURES = ["lock", "queue", "pool"] as const;
const LABELS: Record<(typeof FIGURES)[number], string> = {
  lock: "Lock, 2 workers contended (tx/s)",
  queue: "Queue putSync/getSync, 2 workers (items/s)",
  pool: "Pool.apply, 2 workers, tiny tasks (tasks/s)",
};
const BASELINES: Record<(typeof FIGURES)[number], string> = {
  lock: "hand-written futex lock",
  queue: "MessageChannel relay",
  pool: "2 bare worker_threads over MessagePorts",
};

/** The npm package that provides each runtime other than Deno. */
const NPM: Record<string, string> = { bun: "bun@1", node22: "node@22", node24: "node@24" };

async function output(command: string, args: string[]): Promise<string> {
  const out = await new Deno.Command(command, { args, stderr: "inherit" }).output();
  if (!out.success) throw new Error(`Cannot run ${command} ${args.join(" ")}: exit ${out.code}`);
  return new TextDecoder().decode(out.stdout).trim();
}

/** The command that runs a script on `runtime`: its binary and the arguments before the script. */
async function launcher(runtime: string): Promise<[string, string[]]> {
  if (runtime === "deno") {
    return [Deno.execPath(), ["run", "--allow-read", "--allow-env", "--allow-sys"]];
  }
  const npm = NPM[runtime];
  if (npm === undefined) throw new TypeError(`Cannot bench on ${runtime}: unknown runtime`);
  const path = await output("npx", ["-y", npm, "-e", "console.log(process.execPath)"]);
  return [path, []];
}

function parseArgs(args: string[]): { runs: number; runtimes: string[] } {
  let runs = 5;
  let runtimes = ["deno", "bun", "node24"];
  for (let k = 0; k < args.length; k += 2) {
    if (args[k] === "--runs" && Number(args[k + 1]) > 0) runs = Number(args[k + 1]);
    else if (args[k] === "--runtimes" && args[k + 1]) runtimes = args[k + 1]!.split(",");
    else throw new TypeError(`Unknown or invalid option: ${args[k]} ${args[k + 1]}`);
  }
  return { runs, runtimes };
}

function scale(x: number): string {
  return x >= 1e6 ? `${(x / 1e6).toFixed(2)} M` : `${Math.round(x / 1e3)} k`;
}

if (import.meta.main) {
  const { runs, runtimes } = parseArgs(Deno.args);
  const launchers = new Map<string, [string, string[]]>();
  for (const runtime of runtimes) launchers.set(runtime, await launcher(runtime));
  const rounds = new Map<string, RoundFigures[]>(runtimes.map((r) => [r, []]));
  for (let round = 1; round <= runs; round++) {
    for (const runtime of runtimes) {
      const [command, args] = launchers.get(runtime)!;
      const line = await output(command, [...args, ROUND, "--runtime", runtime]);
      const figures = JSON.parse(line.split("\n").at(-1)!) as RoundFigures;
      rounds.get(runtime)!.push(figures);
      console.error(`round ${round}/${runs} ${runtime}: ${line}`);
    }
  }
  const load = Deno.loadavg().map((x) => x.toFixed(1));
  console.log(
    `\nInterlock / the same runtime's raw baseline, median (min-max) of ${runs} rounds; ` +
      `load average after the run: ${load.join(" ")}\n`,
  );
  console.log(`| figure | ${runtimes.join(" | ")} |`);
  console.log(`| --- | ${runtimes.map(() => "---").join(" | ")} |`);
  for (const figure of FIGURES) {
    const cells = runtimes.map((r) =>
      spread(rounds.get(r)!.map((f) => f[figure].interlock / f[figure].raw), (x) => x.toFixed(2))
    );
    console.log(`| ${LABELS[figure]} | ${cells.join(" | ")} |`);
  }
  for (const figure of FIGURES) {
    const cells = runtimes.map((r) => scale(median(rounds.get(r)!.map((f) => f[figure].raw))));
    console.log(`| baseline: ${BASELINES[figure]} (median, /s) | ${cells.join(" | ")} |`);
  }
  const versions = [`deno ${Deno.version.deno}`];
  for (const runtime of runtimes.filter((r) => r !== "deno")) {
    const [command] = launchers.get(runtime)!;
    versions.push(`${runtime} ${await output(command, ["--version"])}`);
  }
  console.log(`\n${versions.join(", ")}`);
}
