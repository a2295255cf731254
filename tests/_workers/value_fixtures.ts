/**
 * Worker-side bodies for the Value and SharedArray tests.
 *
 * @module
 */
import type { Value } from "../../mod.ts";
import { contend, contendSync, guarded, startTogetherSync } from "../_contention.ts";

/**
 * The seed's locked deposit, `balance.value = balance.value + delta` under its lock, started
 * together with the probe's other parties and repeated until it saw enough contention; returns how
 * many deposits it made.
 */
export function transactSync(balance: Value<"i">, delta: number, probe: Int32Array): number {
  const lock = balance.getLock();
  return contendSync(probe, () => lock.locked(), () => {
    using _ = lock.acquireSync({ timeout: 5_000 });
    guarded(probe, () => balance.value = balance.value + delta);
  });
}

/** The same under the Promise form of the lock. */
export function transactAsync(
  balance: Value<"i">,
  delta: number,
  probe: Int32Array,
): Promise<number> {
  const lock = balance.getLock();
  return contend(probe, () => lock.locked(), async () => {
    using _ = await lock.acquire({ timeout: 5_000 });
    guarded(probe, () => balance.value = balance.value + delta);
  });
}

/** Sets the value and reports what the worker sees afterwards. */
export function setValue(v: Value<"d">, x: number): number {
  v.value = x;
  return v.value;
}

/**
 * Words a torn-read run shares: [0] changes the reader saw (reads that found a different value
 * than its previous read: the writer wrote in between, so the two really interleaved), [1] the
 * writer is done. The probe only lines the two up (2 parties).
 */
const CHANGES = 0;
const DONE = 1;

/**
 * How long the writer keeps writing to reach the changes it was asked for, at most (ms). Idle, the
 * two threads overlap at once and this takes milliseconds; on a machine loaded 9x its cores they
 * may share a core for seconds (4 s once gave the reader 112 changes), hence the margin.
 */
const WRITE_LIMIT_MS = 30_000;

/**
 * Writes `a` and `b` alternately to `v` until the reader saw the value change `changes` times (at
 * least `minWrites` writes; at most {@linkcode WRITE_LIMIT_MS}). Returns how many it wrote.
 */
export function flip<T extends number | bigint>(
  v: { value: T },
  a: T,
  b: T,
  changes: number,
  minWrites: number,
  words: Int32Array,
  probe: Int32Array,
): number {
  startTogetherSync(probe);
  const start = performance.now();
  let n = 0;
  for (;; n++) {
    v.value = n % 2 === 0 ? a : b;
    if (n < minWrites || (n & 1023) !== 0) continue;
    if (Atomics.load(words, CHANGES) >= changes) break;
    if (performance.now() - start > WRITE_LIMIT_MS) break;
  }
  Atomics.store(words, DONE, 1);
  return n;
}

/**
 * Reads `v` until the writer is done, counting in `words` the reads that saw the value change;
 * returns how many reads saw something other than `a` or `b` (a torn value).
 */
export function watch<T extends number | bigint>(
  v: { value: T },
  a: T,
  b: T,
  words: Int32Array,
  probe: Int32Array,
): number {
  startTogetherSync(probe);
  let torn = 0;
  let last = v.value;
  while (Atomics.load(words, DONE) === 0) {
    const x = v.value;
    if (x !== a && x !== b) torn++;
    if (x !== last) Atomics.add(words, CHANGES, 1);
    last = x;
  }
  return torn;
}
