// Run: deno run --allow-read examples/square_cube.ts
/**
 * The seed's square and cube calculation: two processes, one printing squares and one printing
 * cubes of the same numbers, running at the same time (their lines may interleave).
 *
 * @module
 */
import { Process, taskModule } from "@interlock/interlock";

/** Prints the square of each number. */
export function printSquare(numbers: number[]): void {
  for (const n of numbers) console.log(`Square of ${n} is ${n * n}`);
}

/** Prints the cube of each number. */
export function printCube(numbers: number[]): void {
  for (const n of numbers) console.log(`Cube of ${n} is ${n * n * n}`);
}

if (import.meta.main) {
  const numbers = [2, 3, 4, 5];
  const self = taskModule<typeof import("./square_cube.ts")>(import.meta.url);

  // Create the processes (the arguments are copied to each child).
  const process1 = new Process(self, "printSquare", { args: [numbers] });
  const process2 = new Process(self, "printCube", { args: [numbers] });

  // Start them.
  process1.start();
  process2.start();

  // Wait for both to finish.
  await process1.join();
  await process2.join();
  console.log("Both processes finished");
}
