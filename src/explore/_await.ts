/**
 * Await loops: how the explorer keeps spin loops from exploding the search (loom's treatment of
 * yields, GenMC's await / spin-assume reduction).
 *
 * A thread's *stretch* is what it did since its last `pause` (or since it started): the words it
 * read, with the values it saw, and whether it had a *side effect* (a write that changed memory, a
 * sleep, a `notify`, a timeout, an error). A write that stores the value already there changes
 * nothing and counts as a read.
 *
 * The rule. A `pause` at the end of a stretch with no side effect and at least one read is an
 * **await**: the thread cannot move until some word it read in the stretch holds another value
 * than it saw (another thread changed it). Likewise a `wait(a, i, v)` in such a stretch that
 * already saw a `wait` on the same word and value return "not-equal" (the loop re-waits on the
 * same value) waits for such a change. When no thread can move otherwise, awaiting threads move
 * anyway (a *forced* step), so a loop whose exit never comes runs into `maxSteps` (a livelock)
 * and a spin budget runs out as in production.
 *
 * What it assumes (and why it is sound under that assumption): a `pause` sits in a loop that
 * re-reads the words it read, and one iteration with the same values read and no side effect does
 * the same thing again, so iterations that repeat are invisible to other threads and to the
 * outcome. Every schedule the rule leaves out then has an explored twin in which the repeating
 * iterations are not run. A loop that counts its pauses (a spin budget, as in the kernels' spin
 * phases) breaks the assumption: the explorer lets its budget run out only when no other thread
 * can move, so with `spin > 0` the path "spin until the budget is gone, then sleep" is explored
 * only from there. The default `spin: 0` skips the spin phases and explores the kernels' sleeping
 * paths in full. A `pause` that is not in such a loop (a one-off delay after a read) loses the
 * schedules in which its thread moves on before another thread writes what it read.
 *
 * @module
 */
import { type AtomicArray, atomics } from "../_atomics.ts";
import type { Watch } from "./_event.ts";

/** What a thread read and whether it had a side effect since its last `pause`. */
export class Stretch {
  /** No side effect since the stretch began. */
  clean = true;
  /** The words read (array and index) and the values seen, in order, without repeats. */
  readonly arrays: AtomicArray[] = [];
  readonly indices: number[] = [];
  readonly values: (number | bigint)[] = [];
  /** Addresses of the words read (see `addressOf`), parallel to `arrays`. */
  readonly addresses: number[] = [];
  /** The not-equal waits of the stretch: address and expected value (coerced). */
  readonly missedAt: number[] = [];
  readonly missedValue: (number | bigint)[] = [];

  /** Starts a new stretch. */
  reset(): void {
    this.clean = true;
    this.arrays.length = 0;
    this.indices.length = 0;
    this.values.length = 0;
    this.addresses.length = 0;
    this.missedAt.length = 0;
    this.missedValue.length = 0;
  }

  /** Notes a side effect: the stretch guards nothing. */
  dirty(): void {
    if (this.clean) this.reset();
    this.clean = false;
  }

  /** Notes that the thread saw `value` at word `i` of `a` (address `address`). */
  read(a: AtomicArray, i: number, address: number, value: number | bigint): void {
    if (!this.clean) return;
    const vs = this.values;
    for (let k = 0; k < vs.length; k++) {
      if (this.addresses[k] === address && vs[k] === value) return;
    }
    this.arrays.push(a);
    this.indices.push(i);
    this.addresses.push(address);
    vs.push(value);
  }

  /** Notes a `wait` on `address` for `expected` that returned "not-equal". */
  missed(address: number, expected: number | bigint): void {
    if (!this.clean) return;
    this.missedAt.push(address);
    this.missedValue.push(expected);
  }

  /** Whether a `pause` now would await a change. */
  guardsPause(): boolean {
    return this.clean && this.values.length > 0;
  }

  /** Whether a `wait` on `address` for `expected` (coerced) now would await a change. */
  guardsWait(address: number, expected: number | bigint): boolean {
    if (!this.clean) return false;
    for (let k = 0; k < this.missedAt.length; k++) {
      if (this.missedAt[k] === address && this.missedValue[k] === expected) return true;
    }
    return false;
  }

  /** Whether some word read in the stretch holds another value now than the thread saw. */
  changed(): boolean {
    for (let k = 0; k < this.values.length; k++) {
      if (atomics.load(this.arrays[k]!, this.indices[k]!) !== this.values[k]) return true;
    }
    return false;
  }
}

/** The expected value of a `wait` on `a`, coerced as `Atomics.wait` does (undefined: it throws). */
export function coerced(a: AtomicArray, x: number | bigint): number | bigint | undefined {
  try {
    if (a instanceof Int32Array) return Number(x) | 0;
    if (a instanceof BigInt64Array) return BigInt.asIntN(64, BigInt(x));
  } catch {
    // The wait itself throws the engine's error.
  }
  return undefined;
}

/** The words a stretch read, as an awaiting step's {@linkcode Watch}. */
export function watchOf(s: Stretch): Watch {
  return {
    arrays: s.arrays.slice(),
    indices: s.indices.slice(),
    addresses: s.addresses.slice(),
    sizes: s.arrays.map((a) => a.BYTES_PER_ELEMENT),
    values: s.values.slice(),
  };
}
