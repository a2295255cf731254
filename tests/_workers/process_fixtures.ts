/**
 * Functions the Process tests run as children.
 *
 * @module
 */
import { resourceLimits } from "node:worker_threads";
import { currentProcess, type SharedArray, type Value } from "../../mod.ts";

/** Writes this process's id and its parent's id into `out` (the seed's getpid / getppid). */
export function reportIds(out: SharedArray<"i">): void {
  const me = currentProcess();
  console.log(`${me.name}: id ${me.id}, parent id ${me.parentId}`);
  out.set(0, me.id);
  out.set(1, me.parentId ?? -1);
}

/** Doubles every number of a shared array and stores their sum in `total` (the seed's Value + Array). */
export function doubleAll(numbers: SharedArray<"i">, total: Value<"d">): void {
  let sum = 0;
  for (let i = 0; i < numbers.length; i++) {
    numbers.set(i, numbers.get(i) * 2);
    sum += numbers.get(i);
  }
  total.value = sum;
}

/** Prints and stores the square of each number (the seed's print_square). */
export function printSquares(numbers: number[], out: SharedArray<"i">): void {
  numbers.forEach((n, i) => {
    console.log(`square: ${n * n}`);
    out.set(i, n * n);
  });
}

/** Prints and stores the cube of each number (the seed's print_cube). */
export function printCubes(numbers: number[], out: SharedArray<"i">): void {
  numbers.forEach((n, i) => {
    console.log(`cube: ${n * n * n}`);
    out.set(i, n * n * n);
  });
}

/** Blocks its thread forever (a daemon that only the program's end stops). */
export function blockForever(): void {
  const never = new Int32Array(new SharedArrayBuffer(4));
  Atomics.wait(never, 0, 0);
}

/** Counts to `n`, then logs (a non-daemon child the program must wait for). */
export function countThenLog(n: number): void {
  let sum = 0;
  for (let i = 0; i < n; i++) sum += i % 3;
  console.log(`child finished (${sum})`);
}

/** Logs at start and end, as the seed's worker_task with logging.info. */
export function logWork(): void {
  console.info(`${currentProcess().name}: Worker process initialized.`);
  console.info(`${currentProcess().name}: Worker process completed.`);
}

/** Writes this child's heap cap (`resourceLimits.maxOldGenerationSizeMb`, or -1) into `out[0]`. */
export function reportHeapCap(out: Int32Array): void {
  out[0] = resourceLimits.maxOldGenerationSizeMb ?? -1;
}
