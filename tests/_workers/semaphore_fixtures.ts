/**
 * Worker-side bodies for the Semaphore tests.
 *
 * @module
 */
import type { Semaphore } from "../../mod.ts";
import { contend, contendSync, guarded } from "../_contention.ts";

/**
 * Enters the section guarded by `sem` (blocking or Promise form), started together with the
 * probe's other parties and repeated until the probe saw enough contention (the semaphore found
 * with no permit left); returns how many times it entered.
 */
export function crowd(sem: Semaphore, probe: Int32Array, useAsync: boolean): Promise<number> {
  const busy = () => sem.value === 0;
  if (!useAsync) {
    return Promise.resolve(contendSync(probe, busy, () => {
      using _ = sem.acquireSync({ timeout: 5_000 });
      guarded(probe, () => work(probe));
    }));
  }
  return contend(probe, busy, async () => {
    using _ = await sem.acquire({ timeout: 5_000 });
    guarded(probe, () => work(probe));
  });
}

/**
 * About a microsecond of work while holding a permit: long against the acquire and release around
 * it, so that holders overlap inside the section (with an empty section, two holders of a
 * Semaphore(2) were almost never inside at the same time).
 */
function work(probe: Int32Array): void {
  for (let k = 0; k < 200; k++) Atomics.load(probe, 0);
}

/** Takes one permit (blocking, generous timeout) and reports it. */
export function takeOne(sem: Semaphore): string {
  sem.acquireSync({ timeout: 5_000 });
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
