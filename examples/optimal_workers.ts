// Run: deno run --allow-read examples/optimal_workers.ts
/**
 * The seed's optimal process count: as many workers as cores, at most 8, i.e.
 * `min(navigator.hardwareConcurrency, 8)` (Python's `min(os.cpu_count(), 8)`). More workers than
 * cores only adds switching for CPU-bound work. `new Pool(module)` with no `size` uses one worker
 * per core.
 *
 * @module
 */
import { Pool, taskModule } from "@interlock/interlock";

/** The seed's `process_data()`: here, the length of a segment. */
export function processData(dataSegment: number[]): number {
  return dataSegment.length;
}

if (import.meta.main) {
  const cores = navigator.hardwareConcurrency;
  // Limit processes to available cores (max 8)
  const processLimit = Math.min(cores, 8);
  console.log(`Cores: ${cores}, pool size: ${processLimit}`);

  const self = taskModule<typeof import("./optimal_workers.ts")>(import.meta.url);
  await using pool = new Pool(self, { size: processLimit });
  // Processing logic: one segment of 1000 numbers per worker.
  const segments = Array.from(
    { length: processLimit },
    (_, k) => Array.from({ length: 1000 }, (_, i) => k * 1000 + i),
  );
  const lengths = await pool.map("processData", segments, { chunksize: 1 });
  console.log(`Segment lengths: [${lengths.join(", ")}]`);
  console.log(`Workers: ${pool.workerIds().length}`);
}
