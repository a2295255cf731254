/**
 * Worker-side bodies for the Semaphore tests.
 *
 * @module
 */
import type { Semaphore } from "../../mod.ts";

/**
 * Enters the section guarded by `sem` `n` times. `stats[0]` counts threads inside, `stats[1]` is the
 * high-water mark of `stats[0]`, `stats[2]` counts entries.
 */
export async function crowd(
  sem: Semaphore,
  stats: Int32Array,
  n: number,
  useAsync: boolean,
): Promise<number> {
  for (let k = 0; k < n; k++) {
    using _ = useAsync ? await sem.acquire() : sem.acquireSync();
    enter(stats);
  }
  return n;
}

/** Records one visit to the guarded section (shared with the main-thread part of the test). */
export function enter(stats: Int32Array): void {
  const inside = Atomics.add(stats, 0, 1) + 1;
  let high = Atomics.load(stats, 1);
  while (inside > high) {
    const seen = Atomics.compareExchange(stats, 1, high, inside);
    if (seen === high) break;
    high = seen;
  }
  Atomics.add(stats, 2, 1);
  // A little work while inside, so that holders overlap.
  for (let spin = 0; spin < 50; spin++) Atomics.load(stats, 0);
  Atomics.sub(stats, 0, 1);
}

/** Takes one permit (blocking, generous timeout) and reports it. */
export function takeOne(sem: Semaphore): string {
  sem.acquireSync({ timeout: 20_000 });
  return "took";
}

/** Tries to give back one permit more than the bound allows. */
export function releaseOnce(sem: Semaphore): string {
  try {
    sem.release();
    return "released";
  } catch (e) {
    return (e as Error).name;
  }
}
