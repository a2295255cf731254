/**
 * Helpers for the pool and process tests.
 *
 * @module
 */
import { Pool, type PoolOptions, taskModule } from "../../mod.ts";
import { DEADLINE_MS, within } from "../_helpers.ts";

export { within };

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
 * Waits (without blocking the event loop) until `flags[i]` is at least `n`; rejects after
 * `DEADLINE_MS` naming what it waited for.
 */
export async function until(flags: Int32Array, i: number, n: number): Promise<void> {
  const end = performance.now() + DEADLINE_MS;
  for (let v = Atomics.load(flags, i); v < n; v = Atomics.load(flags, i)) {
    const left = end - performance.now();
    if (left <= 0) {
      throw new Error(`Timed out after ${DEADLINE_MS} ms waiting for flags[${i}] to reach ${n}`);
    }
    const r = Atomics.waitAsync(flags, i, v, left);
    if (r.async) {
      // waitAsync does not keep the event loop alive by itself.
      const keep = setTimeout(() => {}, left);
      await r.value;
      clearTimeout(keep);
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
