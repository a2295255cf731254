// Run: deno run --allow-read examples/async_vs_workers.ts
/**
 * The seed's "multiprocessing vs async": async code is the tool for waiting (I/O), workers are the
 * tool for computing (CPU).
 *
 * 1. The seed's `async_task`: `await` a one-second wait, print "Async operation finished.".
 * 2. Three waits at once on one thread take about as long as one: while a task awaits, the event
 *    loop runs the others. Deno's file and network APIs are async in this way, so an I/O-bound
 *    program needs no threads or workers.
 * 3. CPU work is different: async functions on one thread take turns, so four CPU-bound jobs in
 *    `Promise.all` take as long as running them one after another. A `Pool` runs them on several
 *    cores at once; the speed-up is at most the number of free cores (on a busy machine, less).
 *
 * @module
 */
import { Pool, taskModule } from "@interlock/interlock";

/** CPU-bound work: how many primes are below `limit` (deliberately naive trial division). */
export function countPrimes(limit: number): number {
  let count = 0;
  for (let n = 2; n < limit; n++) {
    let prime = true;
    for (let d = 2; d * d <= n; d++) {
      if (n % d === 0) {
        prime = false;
        break;
      }
    }
    if (prime) count++;
  }
  return count;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The seed's `async_task()`. */
async function asyncTask(): Promise<void> {
  await sleep(1000);
  console.log("Async operation finished.");
}

/** Runs `f` and returns its result and how long it took in milliseconds. */
async function timed<T>(f: () => Promise<T>): Promise<[T, number]> {
  const t0 = performance.now();
  const result = await f();
  return [result, performance.now() - t0];
}

if (import.meta.main) {
  // 1. The seed.
  await asyncTask();

  // 2. I/O-bound: three 300 ms waits at once.
  const [, waits] = await timed(() => Promise.all([sleep(300), sleep(300), sleep(300)]));
  console.log(`Three 300 ms waits at once took ${waits.toFixed(0)} ms on one thread`);

  // 3. CPU-bound: four jobs, on the main thread and in a pool.
  const jobs = [400_000, 400_000, 400_000, 400_000];
  const [onMain, mainMs] = await timed(() =>
    Promise.all(jobs.map((limit) => Promise.resolve(limit).then(countPrimes)))
  );
  const self = taskModule<typeof import("./async_vs_workers.ts")>(import.meta.url);
  await using pool = new Pool(self); // one worker per core
  // Warm up: every worker has loaded the module and compiled the function.
  await pool.map("countPrimes", Array(pool.size * 4).fill(20_000), { chunksize: 1 });
  const [inPool, poolMs] = await timed(() => pool.map("countPrimes", jobs, { chunksize: 1 }));
  console.log(`Primes found, main thread: [${onMain.join(", ")}]`);
  console.log(`Primes found, pool:        [${inPool.join(", ")}]`);
  console.log(`Four CPU jobs with Promise.all on the main thread: ${mainMs.toFixed(0)} ms`);
  console.log(`Four CPU jobs in a pool of ${pool.size} workers:       ${poolMs.toFixed(0)} ms`);
  console.log(
    `Speed-up: ${(mainMs / poolMs).toFixed(2)}x on ${navigator.hardwareConcurrency} cores`,
  );
}
