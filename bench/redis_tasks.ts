/**
 * The task module of `bench/redis_pool_bench.ts`: a tiny task (its cost is the pool's, not the
 * task's).
 *
 * @module
 */

/** `x * x`. */
export function square(x: number): number {
  return x * x;
}
