/**
 * Drepper's futex mutex #2 ("Futexes Are Tricky"), written by hand, no spinning: the raw baseline
 * of the Lock benchmarks (`bench/_workers/lock_worker.ts`, `bench/_runtimes/round.ts`). Word `i`
 * of `s` is the lock: 0 free, 1 held, 2 held with waiters.
 *
 * @module
 */

/** Takes the lock at `s[i]`, sleeping on the word while another thread holds it. */
export function futexLock(s: Int32Array, i: number): void {
  let c = Atomics.compareExchange(s, i, 0, 1);
  if (c === 0) return;
  if (c !== 2) c = Atomics.exchange(s, i, 2);
  while (c !== 0) {
    Atomics.wait(s, i, 2);
    c = Atomics.exchange(s, i, 2);
  }
}

/** Releases the lock at `s[i]`, waking one sleeper if there may be one. */
export function futexUnlock(s: Int32Array, i: number): void {
  if (Atomics.sub(s, i, 1) !== 1) {
    Atomics.store(s, i, 0);
    Atomics.notify(s, i, 1);
  }
}
