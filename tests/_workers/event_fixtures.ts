/**
 * Worker-side bodies for the Event tests.
 *
 * @module
 */
import type { Event } from "../../mod.ts";
import { togetherSync } from "../_contention.ts";

/**
 * Waits for `event` (blocking or Promise form) and reports it. No timeout: a wait that timed out
 * after missing a set() would still return (the state changed), hiding the lost wake-up; the
 * test's deadline ends a wait that never returns.
 */
export async function waitFor(event: Event, useAsync: boolean): Promise<string> {
  if (useAsync) await event.wait();
  else event.waitSync();
  return "released";
}

/**
 * Waits for `event` in `rounds` rounds (blocking or Promise form, no timeout, as
 * {@linkcode waitFor}): round r starts once `sync[0]` reaches r (the test opens it while the event
 * is down), and ends with `sync[1]` raised (and notified). Returns the rounds it made.
 */
export async function waitRounds(
  event: Event,
  useAsync: boolean,
  rounds: number,
  sync: Int32Array,
): Promise<number> {
  for (let r = 0; r < rounds; r++) {
    for (let open = Atomics.load(sync, 0); open < r; open = Atomics.load(sync, 0)) {
      if (useAsync) await Atomics.waitAsync(sync, 0, open).value;
      else Atomics.wait(sync, 0, open);
    }
    if (useAsync) await event.wait();
    else event.waitSync();
    Atomics.add(sync, 1, 1);
    Atomics.notify(sync, 1);
  }
  return rounds;
}

/**
 * One side of an `n`-round ping-pong: waits for `mine`, lowers it, bumps `rounds[0]`, raises
 * `theirs`. The side with `first` raises `theirs` once before its first wait. Starts together
 * with the probe's other party.
 */
export function pingPong(
  mine: Event,
  theirs: Event,
  rounds: Int32Array,
  n: number,
  first: boolean,
  probe: Int32Array,
): number {
  return togetherSync(probe, () => {
    if (first) theirs.set();
    for (let k = 0; k < n; k++) {
      mine.waitSync({ timeout: 5_000 });
      mine.clear();
      Atomics.add(rounds, 0, 1);
      if (!first || k < n - 1) theirs.set();
    }
    return n;
  });
}
