// Run: deno run --allow-read examples/pool_worker_ids.ts
/**
 * The seed's pool that reports which worker squared which number ("Worker process id for 2:
 * 4152"). `currentProcess().id` plays the role of `os.getpid()`: a number unique among the
 * program's threads (the main thread is 0). Which worker gets which item, and the order of the
 * lines, change from run to run; the result list is always in input order.
 *
 * @module
 */
import { currentProcess, Pool, taskModule } from "@interlock/interlock";

/** The task: prints who runs it, returns the square of `n`. */
export function square(n: number): number {
  console.log(`Worker process id for ${n}: ${currentProcess().id}`);
  return n * n;
}

if (import.meta.main) {
  // input list
  const mylist = [1, 2, 3, 4, 5];
  // creating a pool object (as many workers as cores) and mapping the list to the task;
  // `await using` closes the pool and waits for its workers at the end of the block.
  const self = taskModule<typeof import("./pool_worker_ids.ts")>(import.meta.url);
  await using p = new Pool(self);
  const result = await p.map("square", mylist, { chunksize: 1 });
  console.log(`[${result.join(", ")}]`);
  console.log(`Pool workers: ${p.workerIds().join(", ")}`);
}
