/**
 * Helpers for the pool and process tests.
 *
 * @module
 */
import { Pool, type PoolOptions, taskModule } from "../../mod.ts";

/** The tests' task module's type. */
export type Tasks = typeof import("../_workers/pool_tasks.ts");

/** The tests' task module, typed. */
export const tasks = taskModule<Tasks>(new URL("../_workers/pool_tasks.ts", import.meta.url));

/** Runs `body` with a fresh pool, always terminated at the end. */
export async function withPool(
  options: PoolOptions<Tasks>,
  body: (pool: Pool<Tasks>) => Promise<void>,
): Promise<void> {
  const pool = new Pool(tasks, options);
  try {
    await body(pool);
  } finally {
    await pool.terminate();
  }
}

/**
 * Rejects if `promise` has not settled after `ms`: a bound that turns a hang (a bug) into a failure;
 * never used to order events.
 */
export function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const bound = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: not settled after ${ms} ms`)), ms);
  });
  return Promise.race([promise, bound]).finally(() => clearTimeout(timer));
}

/** Waits (without blocking the event loop) until `flags[i]` is at least `n`. */
export async function until(flags: Int32Array, i: number, n: number): Promise<void> {
  for (let v = Atomics.load(flags, i); v < n; v = Atomics.load(flags, i)) {
    const r = Atomics.waitAsync(flags, i, v);
    if (r.async) {
      // waitAsync does not keep the event loop alive by itself.
      const keep = setInterval(() => {}, 1 << 30);
      await r.value;
      clearInterval(keep);
    }
  }
}

/** A fresh Int32Array over shared memory. */
export function shared(n: number): Int32Array {
  return new Int32Array(new SharedArrayBuffer(4 * n));
}

/** Releases a task blocked in `blockUntilReleased` / `spinUntilReleased` (sets and notifies `flags[1]`). */
export function release(flags: Int32Array): void {
  Atomics.store(flags, 1, 1);
  Atomics.notify(flags, 1);
}
