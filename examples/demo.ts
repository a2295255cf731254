/**
 * `deno task demo`: the whole story of Interlock in under a minute.
 *
 * 1. The seed article's race: workers withdraw and deposit on a shared balance of 100 with no lock.
 * 2. The fix: the same with a `Lock`.
 * 3. The explanation: the interleaving explorer runs the very functions the workers of 1 and 2 run
 *    (`examples/bank/accounts.ts`, loaded unchanged), finds and shrinks the lost update of the
 *    unlocked bank and prints it as a sequence diagram, writes the same schedule as an HTML page
 *    (lanes, arrows, a step slider over shared memory) and prints its path, then proves the locked
 *    bank over every interleaving.
 * 4. A `Pool`: squares of 1..5 with the worker that computed each, then a CPU-bound `map` and its
 *    speedup over one thread.
 *
 * The module is also the task module of its pool (`square`, `burn`).
 *
 * Flags: `--runs N` (10), `--transactions N` per worker (10000), `--threads N` bank workers (2, half
 * withdraw, half deposit), `--html PATH` where to write the lost update's page (default: a new
 * temporary directory), `--details` (the explorer's fast-check seed and path and the raw schedule
 * beside the replay token), `--no-color`. Output is plain text when not a terminal.
 *
 * Permissions: `deno run --allow-read --allow-env --allow-write examples/demo.ts` (`--allow-write`
 * for the page).
 *
 * @module
 */
import {
  Barrier,
  currentProcess,
  Lock,
  Pool,
  Process,
  taskModule,
  Value,
} from "@interlock/interlock";
import {
  type ExplorationFailure,
  explore,
  loadModule,
  type ModuleScenario,
  search,
} from "@interlock/interlock/explore";
import { countPrimes } from "./async_vs_workers.ts";

/** Pool task: the square of `n`, and which worker computed it. */
export function square(n: number): { n: number; square: number; worker: number } {
  return { n, square: n * n, worker: currentProcess().id };
}

/** Pool task: CPU-bound work (a count of primes below `limit`, by trial division). */
export const burn: (limit: number) => number = countPrimes;

const bank = taskModule<typeof import("./bank/accounts.ts")>(
  new URL("./bank/accounts.ts", import.meta.url),
);

interface Flags {
  runs: number;
  transactions: number;
  threads: number;
  color: boolean;
  /** Where to write the lost update's page; undefined: a new temporary directory. */
  html: string | undefined;
  /** Print the strategy's seed/path and the raw schedule under the trace. */
  details: boolean;
}

function parseFlags(args: string[]): Flags {
  const flags: Flags = {
    runs: 10,
    transactions: 10_000,
    threads: 2,
    color: Deno.stdout.isTerminal() && !Deno.env.get("NO_COLOR"),
    html: undefined,
    details: false,
  };
  for (let k = 0; k < args.length; k++) {
    const arg = args[k]!;
    const [name, inline] = arg.split("=", 2) as [string, string | undefined];
    if (name === "--no-color" || name === "--details") {
      if (name === "--no-color") flags.color = false;
      else flags.details = true;
      continue;
    }
    if (name === "--html") {
      const path = inline ?? args[++k];
      if (!path) throw new TypeError("Flag --html needs a file path");
      flags.html = path;
      continue;
    }
    const key =
      ({ "--runs": "runs", "--transactions": "transactions", "--threads": "threads" } as const)[
        name as "--runs"
      ];
    if (key === undefined) {
      throw new TypeError(
        `Unknown flag: ${arg} (try --runs, --transactions, --threads, --html, --details, --no-color)`,
      );
    }
    const value = Number(inline ?? args[++k]);
    if (!Number.isInteger(value) || value < 1) {
      throw new RangeError(`Flag ${name} needs a positive integer, received ${inline ?? args[k]}`);
    }
    flags[key] = value;
  }
  if (flags.threads < 2) {
    throw new RangeError("Flag --threads needs at least 2 (one withdraws, one deposits)");
  }
  return flags;
}

let flags: Flags;
const bold = (s: string) => flags.color ? `\x1b[1m${s}\x1b[0m` : s;
const dim = (s: string) => flags.color ? `\x1b[2m${s}\x1b[0m` : s;

/** Shows a transient progress line on a terminal; nothing when output is a file or a pipe. */
function progress(text: string): void {
  if (Deno.stdout.isTerminal()) {
    Deno.stdout.writeSync(new TextEncoder().encode(`\r${dim(text)}\x1b[K`));
  }
}
function clearProgress(): void {
  if (Deno.stdout.isTerminal()) Deno.stdout.writeSync(new TextEncoder().encode("\r\x1b[K"));
}

/** One run of the seed's `perform_transactions()`: returns the final balance. */
async function performTransactions(locked: boolean): Promise<number> {
  const balance = new Value("i", 100);
  const lock = new Lock();
  const start = new Barrier(flags.threads); // lines the workers up so they really overlap
  const n = flags.transactions;
  const processes = Array.from(
    { length: flags.threads },
    (_, k) =>
      locked
        ? new Process(bank, k % 2 === 0 ? "withdrawLocked" : "depositLocked", {
          args: [balance, lock, n, start],
        })
        : new Process(bank, k % 2 === 0 ? "withdraw" : "deposit", { args: [balance, n, start] }),
  );
  for (const p of processes) p.start();
  for (const p of processes) await p.join();
  for (const p of processes) {
    if (p.exitCode !== 0) throw new Error(`Bank worker ${p.name} failed`, { cause: p.error });
  }
  return balance.value;
}

async function bankPhase(title: string, locked: boolean): Promise<number[]> {
  console.log(bold(title));
  const results: number[] = [];
  for (let run = 1; run <= flags.runs; run++) {
    progress(`  run ${run}/${flags.runs} ...`);
    const final = await performTransactions(locked);
    clearProgress();
    results.push(final);
    console.log(`  Final balance = ${String(final).padStart(6)}`);
  }
  return results;
}

/** Writes the failure's page where `--html` says, or into a new temporary directory. */
async function writePage(failure: ExplorationFailure): Promise<string> {
  const path = flags.html ?? `${await Deno.makeTempDir({ prefix: "interlock-demo-" })}/race.html`;
  await Deno.writeTextFile(path, failure.toHTML());
  return path;
}

/** The bank of phases 1 and 2 for the explorer: `threads` of the workers' functions, on 100. */
function bankOf(
  threads: ModuleScenario<Accounts, Bank>["threads"],
): ModuleScenario<Accounts, Bank> {
  return {
    setup: () => ({ balance: new Value("i", 100, { lock: false }), lock: new Lock() }),
    threads,
    invariant: ({ balance }) =>
      balance.value === 100 || `the balance is ${balance.value}, not 100: an update was lost`,
  };
}
type Accounts = typeof import("./bank/accounts.ts");
type Bank = { balance: Value<"i">; lock: Lock };

async function explainPhase(): Promise<void> {
  console.log(bold("3. Why: the explorer ran the very functions your workers run"));
  progress("  searching schedules of the unlocked bank ...");
  const accounts = await loadModule<Accounts>(new URL("./bank/accounts.ts", import.meta.url));
  const race = search(accounts.scenario(bankOf([
    ["withdraw", ({ balance }) => [balance, 1]],
    ["deposit", ({ balance }) => [balance, 1]],
  ])));
  clearProgress();
  if (!race.failure) throw new Error("The explorer did not find the lost update");
  console.log(
    `  fast-check found a lost update and shrank it to ${race.failure.threads} threads, ` +
      `${race.failure.trace.length} steps, ${race.failure.preemptions} preemption` +
      `${race.failure.preemptions === 1 ? "" : "s"} (${race.elapsedMs.toFixed(0)} ms):\n`,
  );
  const report = race.failure.render({ color: flags.color, details: flags.details });
  console.log(report.replace(/^/gm, "    "));
  const page = await writePage(race.failure);
  console.log(`\n  The same schedule as a page, with a step slider over shared memory: ${page}\n`);
  progress("  exploring every interleaving of the locked bank ...");
  const proof = explore(accounts.scenario(bankOf([
    ["withdrawLocked", ({ balance, lock }) => [balance, lock, 2]],
    ["depositLocked", ({ balance, lock }) => [balance, lock, 2]],
  ])));
  clearProgress();
  console.log(
    `  Locked bank, 2 threads x 2 transactions: ${proof.ok ? "balance preserved" : "FAILED"} in ` +
      `all ${proof.executions.toLocaleString("en-US")} executions ` +
      `(${proof.complete ? "every interleaving covered" : "incomplete"}, ` +
      `${(proof.elapsedMs / 1000).toFixed(1)} s)\n`,
  );
  if (!proof.ok || !proof.complete) throw new Error(proof.summary);
}

async function poolPhase(): Promise<void> {
  console.log(bold(`4. A Pool of ${flags.threads} workers`));
  const self = taskModule<typeof import("./demo.ts")>(import.meta.url);
  await using pool = new Pool(self, { size: flags.threads });
  await pool.ready(); // every worker up (they start in the background) before anything is timed
  const squares = await pool.map("square", [1, 2, 3, 4, 5], { chunksize: 1 });
  for (const { n, square, worker } of squares) {
    console.log(`  square(${n}) = ${String(square).padStart(2)}   computed by worker ${worker}`);
  }
  console.log(
    `  pool.map("square", [1, 2, 3, 4, 5]) → [${squares.map((s) => s.square).join(", ")}]`,
  );
  const jobs = Array.from({ length: 4 * flags.threads }, () => 400_000);
  // Warm-up: V8 re-tiers a hot function around its 3rd-4th call (~1.5x slower calls meanwhile), in
  // every thread; bring `burn` to its steady tier in each worker and here before timing.
  await pool.map("burn", Array(4 * flags.threads).fill(50_000), { chunksize: 1 });
  for (let i = 0; i < 4; i++) burn(50_000);
  progress("  one thread ...");
  let t = performance.now();
  const sequential = jobs.map(burn);
  const oneThread = performance.now() - t;
  progress("  the pool ...");
  t = performance.now();
  const parallel = await pool.map("burn", jobs, { chunksize: 1 });
  const pooled = performance.now() - t;
  clearProgress();
  if (parallel.join() !== sequential.join()) throw new Error("Pool results differ");
  console.log(
    `  CPU-bound map of ${jobs.length} prime counts: one thread ${oneThread.toFixed(0)} ms, ` +
      `pool ${pooled.toFixed(0)} ms, speedup ${(oneThread / pooled).toFixed(2)}x ` +
      `on ${navigator.hardwareConcurrency} cores`,
  );
}

async function main(): Promise<void> {
  flags = parseFlags(Deno.args);
  // Even-numbered workers withdraw, odd-numbered ones deposit.
  const withdrawers = Math.ceil(flags.threads / 2);
  const expected = 100 + (flags.threads - 2 * withdrawers) * flags.transactions;
  console.log(
    bold("Interlock demo") +
      `: ${flags.threads} workers, ${
        flags.transactions.toLocaleString("en-US")
      } transactions each ` +
      `(withdrawals and deposits) on a shared balance of 100, ${flags.runs} runs\n`,
  );
  const unlocked = await bankPhase("1. Without a lock: balance.value = balance.value ∓ 1", false);
  const drifted = unlocked.filter((b) => b !== expected).length;
  console.log(
    `  ${drifted} of ${flags.runs} runs lost updates (expected ${expected} every time)\n`,
  );
  const lockedResults = await bankPhase("2. With a Lock around each transaction", true);
  const kept = lockedResults.filter((b) => b === expected).length;
  console.log(`  ${kept} of ${flags.runs} runs ended at exactly ${expected}\n`);
  if (kept !== flags.runs) throw new Error("The locked bank lost an update");
  await explainPhase();
  await poolPhase();
}

if (import.meta.main) await main();
