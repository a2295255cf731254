/**
 * The Lock kernel's algorithm (`src/kernel/lock.ts`) written by hand with `Atomics` calls instead of
 * the seam, for `bench/seam_bench.ts`. It lives in its own module, like the kernel, so that the
 * comparison isolates the seam itself from the cost of calling across modules.
 *
 * @module
 */

const STATE = 1;
/** `REAL.spin`. */
const SPIN = 128;

/** `K.tryAcquire` with `Atomics` inlined by hand. */
export function tryAcquire(s: Int32Array): boolean {
  return Atomics.compareExchange(s, STATE, 0, 1) === 0;
}

/** `K.acquire` with `Atomics` inlined by hand (same spin with backoff, same sleep loop). */
export function acquire(s: Int32Array, deadline: number): boolean {
  if (Atomics.compareExchange(s, STATE, 0, 1) === 0) return true;
  for (let spent = 0, step = 1; spent < SPIN; step = step < 32 ? step * 2 : step) {
    for (let p = 0; p < step && spent < SPIN; p++, spent++) Atomics.pause();
    if (Atomics.load(s, STATE) === 0 && Atomics.compareExchange(s, STATE, 0, 1) === 0) return true;
  }
  while (Atomics.exchange(s, STATE, 2) !== 0) {
    const left = deadline === Infinity ? Infinity : Math.max(0, deadline - performance.now());
    if (Atomics.wait(s, STATE, 2, left) === "timed-out") return false;
  }
  return true;
}

/** `K.release` with `Atomics` inlined by hand. */
export function release(s: Int32Array): boolean {
  const c = Atomics.compareExchange(s, STATE, 1, 0);
  if (c === 1) return true;
  if (c === 0) return false;
  if (c !== 2) throw new Error(`Inconsistent lock state: ${c}`);
  Atomics.store(s, STATE, 0);
  Atomics.notify(s, STATE, 1);
  return true;
}
