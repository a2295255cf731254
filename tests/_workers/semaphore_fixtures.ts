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
      guarded(probe, () => {});
    }));
  }
  return contend(probe, busy, async () => {
    using _ = await sem.acquire({ timeout: 5_000 });
    guarded(probe, () => {});
  });
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
