/**
 * Helpers for the pool and process tests.
 *
 * @module
 */
import { Pool, type PoolOptions, type TaskModule, taskModule } from "../../mod.ts";
import { DEADLINE_MS, within } from "../_helpers.ts";

export { within };

/** The tests' task module's type. */
export type Tasks = typeof import("../_workers/pool_tasks.ts");

/** The tests' task module, typed. */
export const tasks = taskModule<Tasks>(new URL("../_workers/pool_tasks.ts", import.meta.url));

/** The fault tests' task module's type (tasks that crash, throw late, fill their heap, ...). */
export type Faults = typeof import("../_workers/fault_tasks.ts");

/** The fault tests' task module, typed. */
export const faults = taskModule<Faults>(new URL("../_workers/fault_tasks.ts", import.meta.url));

/** Runs `body` with a fresh pool of `module`'s tasks, always terminated at the end. */
export async function withPoolOf<M extends object>(
  module: TaskModule<M>,
  options: PoolOptions<M>,
  body: (pool: Pool<M>) => Promise<void>,
): Promise<void> {
  const pool = new Pool(module, options);
  try {
    await body(pool);
  } finally {
    await pool.terminate();
  }
}

/** Runs `body` with a fresh pool of the tests' tasks, always terminated at the end. */
export function withPool(
  options: PoolOptions<Tasks>,
  body: (pool: Pool<Tasks>) => Promise<void>,
): Promise<void> {
  return withPoolOf(tasks, options, body);
}

/** Runs `body` with a fresh pool of the fault tasks, always terminated at the end. */
export function withFaultPool(
  options: PoolOptions<Faults>,
  body: (pool: Pool<Faults>) => Promise<void>,
): Promise<void> {
  return withPoolOf(faults, options, body);
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
