// Run: deno run --allow-read examples/shared_value.ts
/**
 * The seed's shared `Value`: five workers each add 1 a thousand times to one integer in shared
 * memory, and the parent sees the total, 5000.
 *
 * The seed writes `shared_value.value += 1` with no lock. That is a read and then a write (the bank
 * race of `examples/race_condition.ts`): with real parallel workers, some increments are lost. Like
 * Python's `Value('i', 0)`, an Interlock `Value` carries a lock, `getLock()`; holding it around each
 * increment makes the result exact.
 *
 * @module
 */
import { Barrier, Process, taskModule, Value } from "@interlock/interlock";

/** Adds 1, `times` times, under the value's own lock. */
export function increment(sharedValue: Value<"i">, times: number, start: Barrier): void {
  start.waitSync(); // all five begin together, so that they really compete
  for (let k = 0; k < times; k++) {
    using _ = sharedValue.getLock().acquireSync();
    sharedValue.value += 1;
  }
}

if (import.meta.main) {
  const sharedValue = new Value("i", 0);
  const start = new Barrier(5);
  const self = taskModule<typeof import("./shared_value.ts")>(import.meta.url);
  const processes = Array.from(
    { length: 5 },
    () => new Process(self, "increment", { args: [sharedValue, 1000, start] }),
  );

  for (const p of processes) p.start();
  for (const p of processes) await p.join();

  console.log(`Result: ${sharedValue.value}`);
}
