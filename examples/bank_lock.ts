// Run: deno run --allow-read examples/bank_lock.ts
/**
 * The seed's fix for the race: the same two workers, each transaction made under a shared `Lock`,
 * so each read-modify-write of the balance is one indivisible step. Prints "Final balance = 100"
 * ten times.
 *
 * `lock.acquireSync()` returns a guard; `using _ = ...` releases it at the end of the block (the
 * seed's `lock.acquire()` ... `lock.release()`; `lock.release()` exists too). See
 * `examples/bank/accounts.ts` for the worker side. It repeats `race_condition.ts` line for line
 * but for the lock, on purpose: each example runs on its own, and the two read side by side.
 *
 * @module
 */
import { Barrier, Lock, Process, taskModule, Value } from "@interlock/interlock";

const bank = taskModule<typeof import("./bank/accounts.ts")>(
  new URL("./bank/accounts.ts", import.meta.url),
);

/** The seed's `perform_transactions()` with a lock; returns the final balance. */
async function performTransactions(): Promise<number> {
  // initial balance (in shared memory)
  const balance = new Value("i", 100);
  // creating a lock object
  const lock = new Lock();
  const start = new Barrier(2); // lines the workers up so that they really compete for the lock
  // creating new processes
  const p1 = new Process(bank, "withdrawLocked", { args: [balance, lock, 10_000, start] });
  const p2 = new Process(bank, "depositLocked", { args: [balance, lock, 10_000, start] });
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
