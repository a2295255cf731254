// Run: deno run --allow-read examples/barrier.ts
/**
 * The seed's barrier: five worker processes each compute a value (simulated by a random delay)
 * and then wait at a `Barrier` for six parties; the main thread is the sixth. Nobody passes the
 * barrier until all six have arrived, so "All processes have their result" always comes after the
 * five "done" lines, whatever the delays.
 *
 * @module
 */
import { Barrier, Process, taskModule } from "@interlock/interlock";

/** The seed's `task(barrier, number)`: work, report, then wait for the others. */
export async function task(barrier: Barrier, number: number): Promise<void> {
  const value = Math.random() * 10;
  // simulate work; the barrier, not this delay, orders the output
  await new Promise((resolve) => setTimeout(resolve, value * 30));
  console.log(`Process ${number} done, got: ${value.toFixed(3)}`);
  barrier.waitSync(); // this worker has nothing else to do: block it until all have arrived
}

if (import.meta.main) {
  // one party per worker, plus the main thread
  const barrier = new Barrier(5 + 1);
  const self = taskModule<typeof import("./barrier.ts")>(import.meta.url);
  const processes = [0, 1, 2, 3, 4].map((i) => new Process(self, "task", { args: [barrier, i] }));
  for (const p of processes) p.start();
  console.log("Main process waiting on all results...");
  await barrier.wait(); // the main thread waits without blocking its event loop
  console.log("All processes have their result");
  for (const p of processes) await p.join();
}
