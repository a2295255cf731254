// Run: (a task module, not a program) used by the README's Process and Pool snippets
/**
 * A task module: plain exported functions that `Process`, `Pool` and `Executor` run in workers,
 * named by URL and export name. TypeScript checks every call against `typeof import(...)`.
 *
 * @module
 */
import type { Value } from "@interlock/interlock";

/** The square of `n`. */
export function square(n: number): number {
  return n * n;
}

/** `x` to the power `y`, for `starmap`. */
export function pow(x: number, y: number): number {
  return x ** y;
}

/** Adds `n` to a shared counter, under the counter's own lock. */
export function increment(counter: Value<"i">, n: number): void {
  for (let k = 0; k < n; k++) {
    using _ = counter.getLock().acquireSync();
    counter.value = counter.value + 1;
  }
}

/** Always fails, to show errors crossing the worker boundary with their class. */
export function fail(message: string): never {
  throw new RangeError(message);
}
