// Run: deno run --allow-read examples/cache_line_padding.ts
/**
 * The seed's padding between processes, measured: false sharing.
 *
 * Two workers each increment their own counter with `Atomics.add`, millions of times. The counters
 * are independent, yet when they sit next to each other (bytes 0 and 4) they share one 64-byte
 * cache line, and every increment by one core takes that line away from the other core: both slow
 * down. Padded 64 bytes apart (bytes 64 and 128), each counter has its own line and the two run
 * undisturbed. Interlock lays out its own hot words this way (a queue's head and tail, for
 * example).
 *
 * A `Barrier` starts both workers' loops together; each worker times its own loop, so worker
 * start-up is not measured. The layouts alternate for five rounds; the median round of each is
 * reported (a round lasts as long as its slower worker). The ratio depends on the
 * machine and on its load; on a machine with one free core the two loops do not overlap and there
 * is nothing to see.
 *
 * @module
 */
import { Barrier, Process, SharedArray, taskModule } from "@interlock/interlock";

/** Increments in each round of each layout. */
const INCREMENTS = 3_000_000;
const ROUNDS = 5;
/** Int32 indices of the two counters: adjacent (same cache line), then padded (64 bytes apart). */
const LAYOUTS = [[0, 1], [16, 32]] as const;

/**
 * Worker `k` (0 or 1): for every round and layout, waits at the barrier, then increments its counter
 * and records how long that took in `times[(round * 2 + layout) * 2 + k]`.
 */
export function hammer(
  counters: SharedArrayBuffer,
  times: SharedArray<"d">,
  start: Barrier,
  k: 0 | 1,
): void {
  const words = new Int32Array(counters);
  for (let round = 0; round < ROUNDS; round++) {
    for (let layout = 0; layout < LAYOUTS.length; layout++) {
      const index = LAYOUTS[layout]![k];
      start.waitSync();
      const t0 = performance.now();
      for (let i = 0; i < INCREMENTS; i++) Atomics.add(words, index, 1);
      times.set((round * 2 + layout) * 2 + k, performance.now() - t0);
    }
  }
}

if (import.meta.main) {
  // A fresh SharedArrayBuffer starts on a page boundary, so byte 0 starts a cache line.
  const counters = new SharedArrayBuffer(256);
  const times = new SharedArray("d", ROUNDS * LAYOUTS.length * 2, { lock: false });
  const start = new Barrier(2);
  const self = taskModule<typeof import("./cache_line_padding.ts")>(import.meta.url);
  const workers = ([0, 1] as const).map((k) =>
    new Process(self, "hammer", { args: [counters, times, start, k] })
  );
  for (const w of workers) w.start();
  for (const w of workers) await w.join();

  const words = new Int32Array(counters);
  const median = (layout: number) => {
    const rounds: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const i = (round * 2 + layout) * 2;
      rounds.push(Math.max(times.get(i), times.get(i + 1))); // a round ends with its slower worker
    }
    return rounds.sort((a, b) => a - b)[ROUNDS >> 1]!;
  };
  const [adjacent, padded] = [median(0), median(1)];
  const total = ROUNDS * INCREMENTS;
  console.log(`Each counter: ${total.toLocaleString("en-US")} increments in ${ROUNDS} rounds`);
  console.log(
    `Adjacent counters (same cache line): ${words[0]} + ${words[1]}, median round ${
      adjacent.toFixed(1)
    } ms`,
  );
  console.log(
    `Padded counters (64 bytes apart):    ${words[16]} + ${words[32]}, median round ${
      padded.toFixed(1)
    } ms`,
  );
  const ratio = Number((adjacent / padded).toFixed(2));
  console.log(`False sharing slowdown: ${ratio.toFixed(2)}x`);
  if (ratio < 1.2) {
    console.log(
      "(No clear effect measured: the two loops need two otherwise idle cores, " +
        "not a busy machine or two hyperthreads of one core.)",
    );
  }
}
