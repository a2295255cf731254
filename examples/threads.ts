// Run: deno run --allow-read examples/threads.ts
/**
 * The seed's multithreading example: two threads print their numbers, then "All threads finished".
 *
 * JavaScript has no threads that share ordinary variables: a thread is a worker, with its own
 * globals, that shares only `SharedArrayBuffer` memory (which every Interlock object lives in). So
 * Python's `threading.Thread(target=f, args=...)` is `new Process(module, "f", { args })` here,
 * and Python's `multiprocessing.Process` is the same thing: a worker thread that runs truly in
 * parallel (there is no GIL). For I/O-bound work, Deno needs no threads at all: async functions
 * wait for the network or the disk concurrently on one thread (see `examples/async_vs_workers.ts`).
 *
 * @module
 */
import { Process, taskModule } from "@interlock/interlock";

/** The seed's `print_numbers(name)`. */
export function printNumbers(name: string): void {
  for (let i = 0; i < 5; i++) console.log(`${name}: ${i}`);
}

if (import.meta.main) {
  const self = taskModule<typeof import("./threads.ts")>(import.meta.url);

  // Creating the threads
  const thread1 = new Process(self, "printNumbers", { args: ["Thread 1"] });
  const thread2 = new Process(self, "printNumbers", { args: ["Thread 2"] });

  // Starting the threads
  thread1.start();
  thread2.start();

  // Waiting for the threads to finish
  await thread1.join();
  await thread2.join();

  console.log("All threads finished");
}
