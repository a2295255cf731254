// Run: deno run --allow-read examples/squares.ts
/**
 * The seed's list of squares, first in one thread with a loop, then spread over a `Pool` of
 * workers with `pool.map`, which hands the items out to the workers and returns the results in
 * the order of the input: `[1, 4, 9, 16, 25]` both times.
 *
 * A function cannot be sent to a worker, so a pool runs the exports of a module, named by URL: here
 * this very file (`import.meta.main` plays the role of Python's `if __name__ == "__main__"`, so the
 * workers that import it only get `square`).
 *
 * @module
 */
import { Pool, taskModule } from "@interlock/interlock";

/** The task: the square of `n`. */
export function square(n: number): number {
  return n * n;
}

if (import.meta.main) {
  // input list
  const mylist = [1, 2, 3, 4, 5];

  // Sequential: one core does all the work.
  const result: number[] = [];
  for (const num of mylist) result.push(square(num));
  console.log(`Sequential: [${result.join(", ")}]`);

  // Parallel: a pool of workers (one per core by default) shares it out.
  const self = taskModule<typeof import("./squares.ts")>(import.meta.url);
  await using pool = new Pool(self);
  const pooled = await pool.map("square", mylist);
  console.log(`Pool.map:   [${pooled.join(", ")}]`);
}
