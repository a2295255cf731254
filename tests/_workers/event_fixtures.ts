/**
 * Worker-side bodies for the Event tests.
 *
 * @module
 */
import type { Event } from "../../mod.ts";

/** Waits for `event` (blocking or Promise form, generous timeout) and reports it. */
export async function waitFor(event: Event, useAsync: boolean): Promise<string> {
  if (useAsync) await event.wait({ timeout: 5_000 });
  else event.waitSync({ timeout: 5_000 });
  return "released";
}

/**
 * One side of an `n`-round ping-pong: waits for `mine`, lowers it, bumps `rounds[0]`, raises
 * `theirs`. The side with `first` raises `theirs` once before its first wait.
 */
export function pingPong(
  mine: Event,
  theirs: Event,
  rounds: Int32Array,
  n: number,
  first: boolean,
): number {
  if (first) theirs.set();
  for (let k = 0; k < n; k++) {
    mine.waitSync({ timeout: 5_000 });
    mine.clear();
    Atomics.add(rounds, 0, 1);
    if (!first || k < n - 1) theirs.set();
  }
  return n;
}
