// Run: deno run --allow-read examples/lock_printing.ts
/**
 * The seed's lock-protected printing: three processes each print five numbered lines while holding
 * one shared `Lock`, so each process's five lines come out together, never mixed with another's
 * (which process goes first varies). `using _ = lock.acquireSync()` is Python's `with lock:`.
 *
 * @module
 */
import { Lock, Process, taskModule } from "@interlock/interlock";

/** The seed's `print_numbers(lock, name)`. */
export function printNumbers(lock: Lock, name: string): void {
  using _ = lock.acquireSync(); // takes the lock; released when the function returns
  for (let i = 0; i < 5; i++) console.log(`${name}: ${i}`);
}

if (import.meta.main) {
  const lock = new Lock(); // create the lock
  const self = taskModule<typeof import("./lock_printing.ts")>(import.meta.url);
  const processes = [0, 1, 2].map((i) =>
    new Process(self, "printNumbers", { args: [lock, `Process ${i}`] })
  );

  for (const p of processes) p.start();
  for (const p of processes) await p.join();
}
