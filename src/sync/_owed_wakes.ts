/**
 * Wait morphing for a `Condition` over an `RLock`: its `notify` issues the tokens at once (see
 * `src/kernel/condition.ts`, `notify` with `later`) but this thread *owes* the wake-ups until it
 * lets go of the RLock completely (`RLock.release` down to count 0, or a wait's `begin`). A waiter
 * woken while its notifier still holds the lock would only run into it and sleep again; woken at
 * the release, it finds the lock free (the round trip of a hand-off drops from ~35 to ~20 µs at
 * load 9-10, bench/RESULTS.md).
 *
 * - Paying is per thread and pays every wake-up owed, whichever RLock is let go: an early wake is
 *   only the cost the plain notify had. A thread that never lets the lock go keeps its waiters
 *   from the lock anyway.
 * - A thread that dies owing wake-ups (a worker terminated between `notify` and `release`) never
 *   pays them: so the waiters sleep in naps ({@linkcode napSync}, 10 ms doubling to 1 s), and one
 *   finds its token after a nap and, taking the lock back from the dead holder, throws
 *   `OwnerDiedError` as without wait morphing.
 *
 * @module
 */
import { ASYNC, REAL } from "../_atomics.ts";
import { runAsync } from "../_async.ts";
import * as K from "../kernel/condition.ts";
import * as G from "../kernel_gen/condition.ts";
import { FIRST_PATIENCE, longer } from "./_robust.ts";

/**
 * The condition words and counts owed, in the order notified: the first `owed` entries. The arrays
 * keep their length (paying empties them by count, and drops the words for a shared empty
 * array): a thread that notifies once per hand-off would otherwise allocate two new backing
 * stores per notify (`length = 0` gives them back), garbage whose scavenges stall hand-offs.
 */
const words: Int32Array[] = [];
const counts: number[] = [];
let owed = 0;
const NONE = new Int32Array(0);

/** Whether this thread owes wake-ups (read on every RLock release: one module variable). */
export function owing(): boolean {
  return owed !== 0;
}

/** Records that this thread owes `k` wake-ups on the condition whose words are `c`. */
export function owe(c: Int32Array, k: number): void {
  words[owed] = c;
  counts[owed] = k;
  owed++;
}

/** Pays every wake-up this thread owes. */
export function pay(): void {
  for (let i = 0; i < owed; i++) {
    K.wake(REAL, words[i]!, counts[i]!);
    words[i] = NONE;
  }
  owed = 0;
}

/**
 * The sleep of a wait over an RLock (words `c`, the ticket's `seq`): naps of 10 ms doubling to 1 s
 * until notified (true) or `deadline` (false, deregistered). Each nap after the first begins by
 * claiming a token issued meanwhile, so a waiter whose notifier died owing its wake-up still
 * proceeds (and then learns, taking the lock back, that its holder died).
 */
export function napSync(c: Int32Array, seq: number, deadline: number): boolean {
  for (let patience = FIRST_PATIENCE;; patience = longer(patience)) {
    const until = Math.min(deadline, performance.now() + patience);
    if (K.sleep(REAL, c, seq, until, true)) return true;
    if (until === deadline) return leaving(c);
  }
}

/** The Promise form of {@linkcode napSync}; an abort of `signal` returns false (deregistered). */
export async function nap(
  c: Int32Array,
  seq: number,
  deadline: number,
  signal: AbortSignal | undefined,
): Promise<boolean> {
  for (let patience = FIRST_PATIENCE;; patience = longer(patience)) {
    const until = Math.min(deadline, performance.now() + patience);
    if (await runAsync(G.sleep(ASYNC, c, seq, until, true), signal)) return true;
    if (until === deadline || signal?.aborted) return leaving(c);
  }
}

/** Deregisters a waiter whose last nap ended at its deadline (or was aborted): false. */
function leaving(c: Int32Array): boolean {
  K.leave(REAL, c);
  return false;
}
