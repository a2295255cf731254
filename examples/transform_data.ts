// Run: deno run --allow-read examples/transform_data.ts
/**
 * The seed's data transformation with a pool: a million numbers cut into four segments, each
 * doubled by a worker, the results joined again; prints the first ten, `[0, 2, 4, ..., 18]`.
 *
 * Each segment is copied to its worker and each result copied back (structured clone, as Python
 * pickles them). The second part avoids the copies: the data lives in a `SharedArray`, and each
 * worker doubles its own slice in place, through the array's `view` (a plain typed array over the
 * shared memory; the slices do not overlap, so no lock is needed).
 *
 * @module
 */
import { Pool, SharedArray, taskModule } from "@interlock/interlock";

/** The seed's `transform_data()`: doubles each element of a segment. */
export function transformData(dataSegment: number[]): number[] {
  return dataSegment.map((element) => element * 2);
}

/** Doubles `data[start..end)` in place. */
export function transformInPlace(data: SharedArray<"i">, start: number, end: number): void {
  const view = data.view;
  for (let i = start; i < end; i++) view[i]! *= 2;
}

if (import.meta.main) {
  const self = taskModule<typeof import("./transform_data.ts")>(import.meta.url);
  // Generate a substantial dataset
  const dataset = Array.from({ length: 1_000_000 }, (_, i) => i);

  // Configure the pool
  const coreCount = 4;
  await using pool = new Pool(self, { size: coreCount });

  // Divide the data for parallel processing
  const size = Math.floor(dataset.length / coreCount);
  const segments: number[][] = [];
  for (let i = 0; i < dataset.length; i += size) segments.push(dataset.slice(i, i + size));

  // Execute parallel transformations, then combine the results
  const processedSegments = await pool.map("transformData", segments, { chunksize: 1 });
  const finalOutput = processedSegments.flat();
  console.log(`[${finalOutput.slice(0, 10).join(", ")}]`);
  console.log(`Length: ${finalOutput.length}, last: ${finalOutput.at(-1)}`);

  // The same without copying: every worker doubles its slice of one shared array.
  const shared = new SharedArray("i", dataset, { lock: false });
  await pool.starmap(
    "transformInPlace",
    segments.map((_, k) => [shared, k * size, Math.min((k + 1) * size, dataset.length)]),
  );
  const view = shared.view;
  console.log(`Shared, in place: [${Array.from(view.subarray(0, 10)).join(", ")}]`);
  console.log(`Length: ${view.length}, last: ${view[view.length - 1]}`);
}
