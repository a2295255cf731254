// Run: deno run --allow-read examples/race_condition.ts
/**
 * The seed's race condition: one worker withdraws 1 ten thousand times, another deposits 1 ten
 * thousand times, on a shared balance of 100 with no lock. `balance.value = balance.value - 1` is a
 * read and then a write, so the two workers overwrite each other's updates and the final balance
 * drifts away from 100 (Python prints "Final balance = 1311", "-2265", ...).
 *
 * Python's processes start at about the same time; worker threads take a while to load their
 * module, so a `Barrier` lines the two up to make sure their loops really overlap.
 *
 * @module
 */
import { Barrier, Process, taskModule, Value } from "@interlock/interlock";

const bank = taskModule<typeof import("./bank/accounts.ts")>(
  new URL("./bank/accounts.ts", import.meta.url),
);

/** The seed's `perform_transactions()`: two workers, no lock; returns the final balance. */
async function performTransactions(): Promise<number> {
  // initial balance (in shared memory)
  const balance = new Value("i", 100);
  const start = new Barrier(2);
  // creating new processes
  const p1 = new Process(bank, "withdraw", { args: [balance, 10_000, start] });
  const p2 = new Process(bank, "deposit", { args: [balance, 10_000, start] });
  // starting processes
  p1.start();
  p2.start();
  // wait until processes are finished
  await p1.join();
  await p2.join();
  return balance.value;
}

if (import.meta.main) {
  // perform same transaction process 10 times
  for (let run = 0; run < 10; run++) {
    console.log(`Final balance = ${await performTransactions()}`);
  }
}
