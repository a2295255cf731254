/**
 * The task module of the Pool figure in `bench/_runtimes/round.ts`: plain TypeScript that every
 * runtime loads as it is (the test suite's task modules hold `using` declarations, which Node 22
 * cannot parse).
 *
 * @module
 */

/** `x * x`: a task so small that the pool's dispatch is all there is to measure. */
export function square(x: number): number {
  return x * x;
}
