// Run: deno run --allow-read examples/manager.ts
/**
 * Python's `multiprocessing.Manager()`, in Interlock: one server worker holds ordinary objects, and
 * every process and pool worker uses them through proxies.
 *
 * 1. The seed's bank race, fixed with a manager: two processes make 10,000 deposits and 10,000
 *    withdrawals on one managed `Account` (a class registered with the manager). Each method call
 *    runs whole on the server, so the balance ends at 100 every time.
 * 2. A word count over a pool: each task adds its words to one managed dict with the atomic
 *    `update(word, "add", n)`, and appends a line to a managed list.
 * 3. Shutdown: a proxy used after `shutdown()` throws `ManagerShutdownError`.
 *
 * This file is also the task module the workers run, and the module the manager imports `Account`
 * from.
 *
 * @module
 */
import { Pool, Process, taskModule } from "@interlock/interlock";
import {
  type ManagedDict,
  type ManagedList,
  type ManagedObject,
  Manager,
  ManagerShutdownError,
} from "@interlock/interlock/manager";

/** The seed's bank account; it lives in the manager's server. */
export class Account {
  #balance: number;

  constructor(balance: number) {
    this.#balance = balance;
  }

  /** A non-atomic read-modify-write, made safe by the manager: calls never interleave. */
  deposit(amount: number): number {
    const balance = this.#balance;
    this.#balance = balance + amount;
    return this.#balance;
  }

  /** As `deposit`. */
  withdraw(amount: number): number {
    const balance = this.#balance;
    this.#balance = balance - amount;
    return this.#balance;
  }

  /** The balance. */
  balance(): number {
    return this.#balance;
  }
}

/** Process body: `times` deposits (or withdrawals) of 1 through the account's proxy. */
export async function banker(account: ManagedObject, kind: "deposit" | "withdraw", times: number) {
  const proxy = account as unknown as { [k in typeof kind]: (amount: number) => Promise<number> };
  for (let i = 0; i < times; i++) await proxy[kind](1);
}

/** Pool task: counts the words of `line` into `counts` and notes it in `log`. */
export async function countWords(
  counts: ManagedDict<string, number>,
  log: ManagedList<string>,
  line: string,
): Promise<number> {
  const words = line.toLowerCase().match(/[a-z']+/g) ?? [];
  const perWord = new Map<string, number>();
  for (const word of words) perWord.set(word, (perWord.get(word) ?? 0) + 1);
  for (const [word, n] of perWord) await counts.update(word, "add", n);
  await log.append(`${words.length} words: ${line.slice(0, 24)}...`);
  return words.length;
}

const self = taskModule<typeof import("./manager.ts")>(import.meta.url);

const TEXT = [
  "The manager holds the objects and the workers hold proxies",
  "Every call on a proxy runs whole on the server",
  "So the workers never lose an update to the objects",
  "And the proxies travel to the workers as plain arguments",
];

/** Runs the three parts, printing with `print`; `transactions` deposits and as many withdrawals. */
export async function main(
  print: (line: string) => void = console.log,
  transactions = 10_000,
): Promise<void> {
  await using manager = await Manager.start();

  // 1. The bank race, fixed.
  await manager.register("Account", import.meta.url);
  const account = await manager.create<typeof Account>("Account", 100);
  const depositor = new Process(self, "banker", { args: [account, "deposit", transactions] });
  const withdrawer = new Process(self, "banker", { args: [account, "withdraw", transactions] });
  depositor.start();
  withdrawer.start();
  await Promise.all([depositor.join(), withdrawer.join()]);
  print(
    `Final balance: ${await account
      .balance()} (exit codes ${depositor.exitCode}, ${withdrawer.exitCode})`,
  );

  // 2. A word count over a pool.
  const counts = await manager.dict<string, number>();
  const log = await manager.list<string>();
  {
    await using pool = new Pool(self, { size: 2 });
    const words = await pool.starmap("countWords", TEXT.map((line) => [counts, log, line]));
    print(`Counted ${words.reduce((a, b) => a + b, 0)} words in ${await log.length()} lines`);
  }
  const top = (await counts.entries()).sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
  print(`Most frequent: ${top.slice(0, 3).map(([w, n]) => `${w}=${n}`).join(", ")}`);

  // 3. After shutdown, every proxy fails loudly.
  await manager.shutdown();
  try {
    await counts.get("the");
  } catch (error) {
    print(`After shutdown: ${error instanceof ManagerShutdownError ? error.name : error}`);
  }
}

if (import.meta.main) await main();
