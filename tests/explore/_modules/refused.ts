/**
 * Functions the explorer refuses when a thread reaches them: each says which construct, where,
 * and what to do (`tests/explore/module_test.ts`).
 *
 * @module
 */
import type { Lock } from "../../../mod.ts";
import { poke } from "./helper.ts";

/** Not deterministic. */
export function roll(a: Int32Array): void {
  a[0] = Math.random() < 0.5 ? 0 : 1;
}

/** Waits for a promise that is not an Interlock operation. */
export async function sleepy(): Promise<number> {
  return await Promise.resolve(1);
}

/** Shared memory inside a callback. */
export function total(a: Int32Array): number {
  return [0, 1].map((k) => a[k]!).reduce((x, y) => x + y, 0);
}

/** A module function that touches shared memory, passed as a callback. */
function read(a: Int32Array): number {
  return a[0]!;
}

/** ... */
export function mapped(a: Int32Array): number[] {
  return [a].map(read);
}

class Counter {
  readonly a: Int32Array;
  constructor(a: Int32Array) {
    this.a = a;
  }
  increment(): void {
    this.a[0]!++;
  }
}

/** Shared memory in a class method. */
export function counted(a: Int32Array): void {
  new Counter(a).increment();
}

/** Holds a lock and pokes through the followed helper module (explored: its write is a step). */
export function pokeLocked(a: Int32Array, lock: Lock, v: number): void {
  using _ = lock.acquireSync();
  poke(a, v);
}

/** Pokes through the followed helper module without a lock. */
export function pokeBare(a: Int32Array, v: number): void {
  poke(a, v);
}
