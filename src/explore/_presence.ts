/**
 * The explorer's presence registry (`src/kernel/presence.ts`) of an execution's threads: entry k
 * is virtual thread Tk's, with presence id k + 1 and a lease of {@linkcode PRESENCE_LEASE}, as if
 * every thread had armed its presence when it started. A `notify` on a thread's `here` word counts
 * one waiter while the thread lives and none once it is terminated, so the production probe tells
 * the two apart (see `_engine.ts`'s module doc).
 *
 * @module
 */
import { REAL } from "../_atomics.ts";
import { TAG } from "../_region.ts";
import * as P from "../kernel/presence.ts";
import type { Thread } from "./_thread.ts";

/** The lease of every thread's presence record: more than any exploration probes a thread. */
export const PRESENCE_LEASE = 16;

/** A presence registry for `n` threads, each entry taken and holding Tk's id k + 1. */
export function presenceRegistryOf(n: number): Int32Array {
  const s = new Int32Array(new SharedArrayBuffer(P.bytesFor(n)));
  REAL.store(s, 0, TAG.Presence);
  P.init(REAL, s, 1, n);
  for (let k = 0; k < n; k++) {
    REAL.store(s, P.entryWord(k), P.TAKEN);
    REAL.store(s, P.entryWord(k) + 1, PRESENCE_LEASE);
    REAL.store(s, P.entryWord(k) + 3, k + 1); // Tk's presence id
  }
  return s;
}

/** How many waiters `t`'s `notify` on the registry wakes: one on a living thread's `here` word. */
export function presenceNotified(t: Thread, threads: readonly Thread[]): number {
  const word = t.i - P.ENTRY0;
  const e = word >> 2;
  if (word < 0 || (word & 3) !== 2 || e >= threads.length || !(Number(t.x) >= 1)) return 0;
  return threads[e]!.terminated ? 0 : 1;
}

/** The word of thread `k`'s entry that a probe of it notifies (its `here` word). */
export function hereWord(k: number): number {
  return P.entryWord(k) + 2;
}
