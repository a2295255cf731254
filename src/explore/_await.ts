/**
 * Await loops: how the explorer keeps spin loops from exploding the search (loom's treatment of
 * yields, GenMC's await / spin-assume reduction).
 *
 * A thread's *stretch* is what it did since its last `pause` (or since it started): the words it
 * read, with the values it saw, and whether it had a *side effect* (a write that changed memory, a
 * sleep, a `notify`, a timeout, an error). A write that stores the value already there changes
 * nothing and counts as a read.
 *
 * The rule. A `pause` that ends a stretch with no side effect, when the stretch before it (since
 * the previous `pause`) read the same words with the same values and had no side effect either,
 * is an **await**: the loop showed that its iteration repeats, and the thread cannot move until
 * some word it read holds another value than it saw (another thread changed it). Likewise a
 * `wait(a, i, v)` in a stretch with no side effect that already saw a `wait` on the same word and
 * value return "not-equal" (the loop re-waits on the same value) waits for such a change. When no
 * thread can move otherwise, awaiting threads move anyway (a *forced* step), so a loop whose exit
 * never comes runs into `maxSteps` (a livelock) and a spin budget runs out as in production.
 *
 * What it assumes (and why it is sound under that assumption): an iteration that ran twice with
 * the same values read and no side effect would run the same way again while those values stay,
 * so further repetitions are invisible to other threads and to the outcome; every schedule the rule
 * leaves out has an explored twin in which they are not run. The first repetition is always run,
 * so code that pauses once (a one-off delay after a read) is explored in full. A loop whose
 * iterations differ only in thread-local state breaks the assumption: a spin budget (the kernels'
 * spin phases count their pauses) runs out only when no other thread can move, so with `spin > 0`
 * the path "spin until the budget is gone, then sleep" is explored only from there; the default
 * `spin: 0` skips the spin phases and explores the kernels' sleeping paths in full. So does
 * straight-line code that reads the same words between three pauses in a row (the explorer's
 * instrumentation of user modules pauses before a thread reads a word it read since its last
 * write: three reads of one word, no write between, hold the third until the word changes).
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
  /** The stretch before, when it had no side effect and read something: its words and values. */
  #previous: { addresses: number[]; values: (number | bigint)[] } | undefined = undefined;

  /** Starts afresh (a new thread). */
  reset(): void {
    this.#clear();
    this.#previous = undefined;
  }

  /**
   * Ends the stretch at a `pause` (or an awaited step): it becomes the previous one. A stretch that
   * read nothing and did nothing (pauses in a row, as a spin with backoff makes) changes nothing.
   */
  next(): void {
    if (this.clean && this.values.length === 0 && this.missedAt.length === 0) return;
    this.#previous = this.clean && this.values.length > 0
      ? { addresses: this.addresses.slice(), values: this.values.slice() }
      : undefined;
    this.#clear();
  }

  /** Notes a side effect: the stretch guards nothing, and breaks the repetition. */
  dirty(): void {
    if (this.clean) this.#clear();
    this.clean = false;
    this.#previous = undefined;
  }

  #clear(): void {
    this.clean = true;
    this.arrays.length = 0;
    this.indices.length = 0;
    this.values.length = 0;
    this.addresses.length = 0;
    this.missedAt.length = 0;
    this.missedValue.length = 0;
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

  /**
   * Whether a `pause` now would await a change: this stretch and the one before it (up to the
   * previous `pause`) read the same words with the same values and had no side effect, so the loop
   * showed that its iteration repeats.
   */
  guardsPause(): boolean {
    const p = this.#previous;
    if (!this.clean || p === undefined || p.values.length !== this.values.length) return false;
    for (let k = 0; k < this.values.length; k++) {
      let seen = false;
      for (let j = 0; j < p.values.length && !seen; j++) {
        seen = p.addresses[j] === this.addresses[k] && p.values[j] === this.values[k];
      }
      if (!seen) return false;
    }
    return true;
  }

  /** Whether a `wait` on `address` for `expected` (coerced) now would await a change. */
  guardsWait(address: number, expected: number | bigint): boolean {
    if (!this.clean) return false;
    for (let k = 0; k < this.missedAt.length; k++) {
      if (this.missedAt[k] === address && this.missedValue[k] === expected) return true;
    }
    return false;
  }

  /** Everything the stretch holds, as text (part of a state's key, `_stateful.ts`). */
  key(): string {
    const p = this.#previous;
    // The common case, without building text from empty arrays.
    if (p === undefined && this.values.length === 0 && this.missedAt.length === 0) {
      return this.clean ? "c=;=" : "d=;=";
    }
    return `${
      this.clean ? "c" : "d"
    }${this.addresses}=${this.values};${this.missedAt}=${this.missedValue}` +
      (p === undefined ? "" : `;${p.addresses}=${p.values}`);
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
