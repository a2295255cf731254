/**
 * `deno task demo`: the whole story of Interlock in under a minute.
 *
 * 1. The seed article's race: workers withdraw and deposit on a shared balance of 100 with no lock.
 * 2. The fix: the same with a `Lock`.
 *
 * Flags: `--runs N` (10), `--transactions N` per worker (10000), `--threads N` bank workers (2, half
 * withdraw, half deposit), `--no-color`. Output is plain text when not a terminal.
 *
 * Permissions: `deno run --allow-read --allow-env examples/demo.ts`
 *
 * @module
 */
import { Barrier, Lock, Process, taskModule, Value } from "@interlock/interlock";

const bank = taskModule<typeof import("./bank/accounts.ts")>(
  new URL("./bank/accounts.ts", import.meta.url),
);

interface Flags {
  runs: number;
  transactions: number;
  threads: number;
  color: boolean;
}

function parseFlags(args: string[]): Flags {
  const flags: Flags = {
    runs: 10,
    transactions: 10_000,
    threads: 2,
    color: Deno.stdout.isTerminal() && !Deno.env.get("NO_COLOR"),
  };
  for (let k = 0; k < args.length; k++) {
    const arg = args[k]!;
    const [name, inline] = arg.split("=", 2) as [string, string | undefined];
    if (name === "--no-color") {
      flags.color = false;
      continue;
    }
    const key =
      ({ "--runs": "runs", "--transactions": "transactions", "--threads": "threads" } as const)[
        name as "--runs"
      ];
    if (key === undefined) {
      throw new TypeError(
        `Unknown flag: ${arg} (try --runs, --transactions, --threads, --no-color)`,
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

const flags = parseFlags(Deno.args);
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

// Even-numbered workers withdraw, odd-numbered ones deposit.
const withdrawers = Math.ceil(flags.threads / 2);
const expected = 100 + (flags.threads - 2 * withdrawers) * flags.transactions;
console.log(
  bold("Interlock demo") +
    `: ${flags.threads} workers, ${flags.transactions.toLocaleString("en-US")} transactions each ` +
    `(withdrawals and deposits) on a shared balance of 100, ${flags.runs} runs\n`,
);
const unlocked = await bankPhase("1. Without a lock: balance.value = balance.value ∓ 1", false);
const drifted = unlocked.filter((b) => b !== expected).length;
console.log(`  ${drifted} of ${flags.runs} runs lost updates (expected ${expected} every time)\n`);
const lockedResults = await bankPhase("2. With a Lock around each transaction", true);
const kept = lockedResults.filter((b) => b === expected).length;
console.log(`  ${kept} of ${flags.runs} runs ended at exactly ${expected}\n`);
if (kept !== flags.runs) Deno.exit(1);
