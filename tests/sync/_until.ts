/**
 * Waiting for a condition that no one signals (e.g. "3 workers are asleep on this word"): polls it
 * on a macrotask loop. This is not a sleep used as synchronisation: the test proceeds when, and only
 * when, the condition holds, however long that takes; the limit only turns a hang into a failure.
 *
 * @module
 */
import { DEADLINE_MS } from "../_helpers.ts";

/** Resolves once `condition()` is true; rejects naming `what` after `limitMs`. */
export async function until(
  condition: () => boolean,
  what: string,
  limitMs = DEADLINE_MS,
): Promise<void> {
  const start = performance.now();
  while (!condition()) {
    if (performance.now() - start > limitMs) {
      throw new Error(`Gave up after ${limitMs} ms waiting until ${what}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
}
