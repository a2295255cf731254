// Run: deno run --allow-read examples/pool_reuse.ts
/**
 * The seed's advice to reuse a pool: create it once, use it for every batch of work, close it when
 * done. Starting a worker means starting a JavaScript engine and loading the task module, which
 * costs far more than a small task; the second part measures it: three batches on a fresh pool
 * each, then three batches on one pool.
 *
 * @module
 */
import { Pool, taskModule } from "@interlock/interlock";

/** The seed's `analyze_chunk()`: the sum of a chunk. */
export function analyzeChunk(dataChunk: number[]): number {
  return dataChunk.reduce((a, b) => a + b, 0);
}

const self = taskModule<typeof import("./pool_reuse.ts")>(import.meta.url);
const dataChunks = [[1, 2, 3], [4, 5, 6], [7, 8, 9]];

if (import.meta.main) {
  // The seed: initialize the pool once, use it, clean up when done.
  const pool = new Pool(self, { size: 4 });
  const results = await pool.map("analyzeChunk", dataChunks);
  console.log(`Results: [${results.join(", ")}]`);
  pool.close(); // no more tasks
  await pool.join(); // wait for the workers to exit

  // The cost of not reusing it.
  const batches = 3;
  let t0 = performance.now();
  for (let b = 0; b < batches; b++) {
    await using fresh = new Pool(self, { size: 2 });
    await fresh.map("analyzeChunk", dataChunks);
  }
  const freshMs = performance.now() - t0;
  t0 = performance.now();
  {
    await using reused = new Pool(self, { size: 2 });
    for (let b = 0; b < batches; b++) await reused.map("analyzeChunk", dataChunks);
  }
  const reusedMs = performance.now() - t0;
  console.log(`${batches} batches, a new pool for each: ${freshMs.toFixed(0)} ms`);
  console.log(`${batches} batches, one pool reused:     ${reusedMs.toFixed(0)} ms`);
  console.log(`Reusing the pool was ${(freshMs / reusedMs).toFixed(1)}x faster`);
}
