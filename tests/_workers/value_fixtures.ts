/**
 * Worker-side bodies for the Value and SharedArray tests.
 *
 * @module
 */
import type { Value } from "../../mod.ts";

/** The seed's locked deposit: `n` times `balance.value = balance.value + delta` under its lock. */
export function transactSync(balance: Value<"i">, delta: number, n: number): number {
  for (let k = 0; k < n; k++) {
    using _ = balance.getLock().acquireSync();
    balance.value = balance.value + delta;
  }
  return n;
}

/** The same under the Promise form of the lock. */
export async function transactAsync(
  balance: Value<"i">,
  delta: number,
  n: number,
): Promise<number> {
  for (let k = 0; k < n; k++) {
    using _ = await balance.getLock().acquire();
    balance.value = balance.value + delta;
  }
  return n;
}

/** Writes `a` and `-a` alternately to a float Value `n` times (a torn write would mix halves). */
export function flipFloat(v: Value<"d">, a: number, n: number): number {
  for (let k = 0; k < n; k++) v.value = k % 2 === 0 ? a : -a;
  return n;
}

/** Writes `a` and `~a` alternately to a bigint Value `n` times. */
export function flipBigInt(v: Value<"q">, a: bigint, n: number): number {
  for (let k = 0; k < n; k++) v.value = k % 2 === 0 ? a : ~a;
  return n;
}

/** Sets the value and reports what the worker sees afterwards. */
export function setValue(v: Value<"d">, x: number): number {
  v.value = x;
  return v.value;
}

/** Reads `v` until `done[0]` is set; returns how many reads saw something other than `a`/`-a`. */
export function readFloatUntil(v: Value<"d">, a: number, done: Int32Array): [number, number] {
  let reads = 0;
  let torn = 0;
  while (Atomics.load(done, 0) === 0) {
    const x = v.value;
    if (x !== a && x !== -a) torn++;
    reads++;
  }
  return [reads, torn];
}

/** `flipFloat`, then sets `done[0]`. */
export function flipFloatThenDone(v: Value<"d">, a: number, n: number, done: Int32Array): number {
  flipFloat(v, a, n);
  Atomics.store(done, 0, 1);
  return n;
}

/** Reads `v` until `done[0]` is set; returns how many reads saw something other than `a`/`~a`. */
export function readBigIntUntil(v: Value<"q">, a: bigint, done: Int32Array): [number, number] {
  let reads = 0;
  let torn = 0;
  while (Atomics.load(done, 0) === 0) {
    const x = v.value;
    if (x !== a && x !== ~a) torn++;
    reads++;
  }
  return [reads, torn];
}

/** `flipBigInt`, then sets `done[0]`. */
export function flipBigIntThenDone(v: Value<"q">, a: bigint, n: number, done: Int32Array): number {
  flipBigInt(v, a, n);
  Atomics.store(done, 0, 1);
  return n;
}
