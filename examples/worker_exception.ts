// Run: deno run --allow-read examples/worker_exception.ts
/**
 * The seed's exception handling in a child: the risky operation throws, the child catches the error
 * and puts it on a `Queue`, its `finally` block releases resources, and the parent takes the error
 * from the queue ("Outcome: ..."). Errors cross the queue as structured clones: the class
 * (`RangeError` here), message and stack survive.
 *
 * (In JavaScript `1 / 0` is `Infinity`, not an exception, so the division checks its divisor.)
 * Without the try/catch, the child's uncaught error would end it with exit code 1, and the parent
 * could still read it as `process.error` (see `examples/exit_codes.ts`).
 *
 * @module
 */
import { Process, Queue, taskModule } from "@interlock/interlock";

/** Divides, refusing a zero divisor as Python does. */
function divide(a: number, b: number): number {
  if (b === 0) throw new RangeError("division by zero");
  return a / b;
}

/** The seed's `risky_operation(queue)`. */
export function riskyOperation(queue: Queue<number | Error>): void {
  try {
    const result = divide(1, 0); // simulate an error
    queue.putSync(result);
  } catch (error) {
    queue.putSync(error as Error); // capture and report the exception
  } finally {
    console.log("Resources released successfully."); // ensure resource release
  }
}

if (import.meta.main) {
  const errorQueue = new Queue<number | Error>();
  const self = taskModule<typeof import("./worker_exception.ts")>(import.meta.url);

  // Create and start the process
  const worker = new Process(self, "riskyOperation", { args: [errorQueue] });
  worker.start();
  await worker.join();

  // Retrieve results or exceptions
  const outcome = await errorQueue.get();
  console.log(`Outcome: ${outcome}`);
  console.log(
    `It is a RangeError: ${outcome instanceof RangeError}; exit code: ${worker.exitCode}`,
  );
}
