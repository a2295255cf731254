// Run: deno run --allow-read examples/lock_counter.ts
/**
 * The seeds' locked counters: five threads each add 1 a hundred thousand times under a `Lock`
 * (seed "Thread Synchronization": 500000), then four processes do the same (seed "Synchronization
 * with Locks": 400000).
 *
 * In the seeds the counter is a global variable. For threads that works in Python; for processes it
 * does not (each process increments its own copy, and the Python program prints 0). Workers have
 * their own globals too, so here the counter lives in shared memory: a `Value` created with
 * `lock: false`, protected by one explicit `Lock` passed to every worker, as the seeds do.
 *
 * @module
 */
import { Barrier, Lock, Process, taskModule, Value } from "@interlock/interlock";

/** Adds 1 to `counter`, `times` times, each under `lock` (Python's `with lock: counter += 1`). */
export function increment(counter: Value<"i">, lock: Lock, times: number, start: Barrier): void {
  start.waitSync(); // every worker begins together, so that they really contend for the lock
  for (let k = 0; k < times; k++) {
    using _ = lock.acquireSync(); // takes the lock; released at the end of each iteration
    counter.value += 1; // safe: no other worker is between this read and this write
  }
}

/** Runs `workers` workers that each increment a fresh counter `times` times; returns its value. */
async function run(workers: number, times: number): Promise<number> {
  const counter = new Value("i", 0, { lock: false });
  const lock = new Lock();
  const start = new Barrier(workers);
  const self = taskModule<typeof import("./lock_counter.ts")>(import.meta.url);
  const threads = Array.from(
    { length: workers },
    () => new Process(self, "increment", { args: [counter, lock, times, start] }),
  );
  for (const t of threads) t.start();
  for (const t of threads) await t.join();
  return counter.value;
}

if (import.meta.main) {
  console.log(`Final Counter Value: ${await run(5, 100_000)}`); // correct result: 500000
  console.log(`Final Count: ${await run(4, 100_000)}`); // correct result: 400000
}
