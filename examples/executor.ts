// Run: deno run --allow-read examples/executor.ts
/**
 * Python's `concurrent.futures.ProcessPoolExecutor`, in Interlock: submitting work is separate from
 * waiting for it.
 *
 * 1. The Python documentation's example: which of six large numbers are prime, with
 *    `executor.map` (results in order).
 * 2. The same work with `submit` and `asCompleted`: each answer as soon as it is ready.
 * 3. `wait` with `FIRST_COMPLETED`, then `cancel()` on what has not started, and `shutdown`.
 *
 * This file is also the task module the workers run.
 *
 * @module
 */
import {
  asCompleted,
  Executor,
  FIRST_COMPLETED,
  type Future,
  RuntimeError,
  taskModule,
  wait,
} from "@interlock/interlock";

/** The Python example's numbers. */
export const PRIMES = [
  112272535095293,
  112582705942171,
  112272535095293,
  115280095190773,
  115797848077099,
  1099726899285419,
];

/** Trial division, as in the Python example. */
export function isPrime(n: number): boolean {
  if (n < 2) return false;
  if (n === 2) return true;
  if (n % 2 === 0) return false;
  const limit = Math.floor(Math.sqrt(n));
  for (let i = 3; i <= limit; i += 2) if (n % i === 0) return false;
  return true;
}

const self = taskModule<typeof import("./executor.ts")>(import.meta.url);

/** Runs the three parts, printing with `print`. */
export async function main(print: (line: string) => void = console.log): Promise<void> {
  await using executor = new Executor(self, { maxWorkers: 2 });

  // 1. map: results in the order of the inputs.
  let i = 0;
  for await (const prime of executor.map("isPrime", PRIMES, { timeout: 60_000 })) {
    print(`${PRIMES[i++]} is prime: ${prime}`);
  }

  // 2. submit + asCompleted: results in the order they finish.
  const futures = new Map<Future<boolean>, number>();
  for (const n of PRIMES) futures.set(executor.submit("isPrime", n), n);
  let answered = 0;
  for await (const done of asCompleted(futures.keys())) {
    if (done.status === "fulfilled") answered++;
    else print(`${futures.get(done.future)} failed: ${done.reason}`);
  }
  print(`asCompleted: ${answered} of ${futures.size} answered`);

  // 3. wait for the first, cancel the rest that have not started, shut down.
  const batch = PRIMES.map((n) => executor.submit("isPrime", n));
  const { done } = await wait(batch, { returnWhen: FIRST_COMPLETED });
  const cancelled = batch.filter((f) => f.cancel()).length;
  print(
    `wait: ${done.size > 0 ? "at least one" : "none"} done; cancelled ${cancelled} not yet started`,
  );
  await executor.shutdown();
  try {
    executor.submit("isPrime", 7);
  } catch (error) {
    print(`After shutdown: ${error instanceof RuntimeError ? error.name : error}`);
  }
}

if (import.meta.main) await main();
