/**
 * Tasks for the fault and first-contact tests of `Pool` and `Process` (`tests/pool/faults_test.ts`,
 * `tests/pool/watch_test.ts`, `tests/process/lifecycle_test.ts`): errors outside tasks, slow
 * initializers, tasks that wait to be released.
 *
 * @module
 */
import { resourceLimits } from "node:worker_threads";

/** Returns at once; a timer throws a `URIError` right after, outside any task. */
export function throwAfterReturn(): string {
  setTimeout(() => {
    throw new URIError("thrown by a timer after the task returned");
  }, 0);
  return "returned";
}

/** Returns at once; a rejection nobody handles follows, outside any task. */
export function rejectAfterReturn(): string {
  setTimeout(() => void Promise.reject(new SyntaxError("rejected after the task returned")), 0);
  return "returned";
}

/** Returns at once; a timer calls `process.exit(7)` right after. */
export function exitAfterReturn(): string {
  setTimeout(() => Deno.exit(7), 0);
  return "returned";
}

/** Throws a `RangeError` (a `Process` child's uncaught error). */
export function failWith(message: string): never {
  throw new RangeError(message);
}

/**
 * Initializer: the first worker to run it returns at once; every other one blocks until
 * `flags[1]` is set (`flags[0]` counts the workers that arrived).
 */
export function firstReadyOthersWait(flags: Int32Array): void {
  if (Atomics.add(flags, 0, 1) === 0) return;
  while (Atomics.load(flags, 1) === 0) Atomics.wait(flags, 1, 0, 60_000);
}

/** Returns `x`. */
export function id<T>(x: T): T {
  return x;
}

/** Marks `flags[0]` (and wakes its waiters), then waits asynchronously until `flags[1]` is set. */
export async function holdUntilReleased(flags: Int32Array): Promise<string> {
  Atomics.add(flags, 0, 1);
  Atomics.notify(flags, 0);
  while (Atomics.load(flags, 1) === 0) {
    const r = Atomics.waitAsync(flags, 1, 0, 60_000);
    if (r.async) await r.value;
  }
  return "released";
}

/** Waits asynchronously for `ms` milliseconds, then returns `ms`. */
export function sleep(ms: number): Promise<number> {
  return new Promise((resolve) => setTimeout(() => resolve(ms), ms));
}

/** This worker's heap cap (`resourceLimits.maxOldGenerationSizeMb`), or -1 if it has none. */
export function heapCap(): number {
  return resourceLimits.maxOldGenerationSizeMb ?? -1;
}

/** Allocates small objects without bound: reaches any heap cap. */
export function hog(): never {
  const keep: unknown[] = [];
  for (;;) keep.push({ a: [1, 2, 3] });
}

/** Never settles; keeps its worker waiting asynchronously (a `Process` to stop). */
export function forever(): Promise<never> {
  return new Promise(() => setInterval(() => {}, 1_000));
}
