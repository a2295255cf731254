/**
 * Happens-before and races of one recorded execution, for partial-order reduction.
 *
 * Happens-before is the smallest transitive relation that orders each thread's steps, every two
 * dependent steps (`_access.ts`) as they ran, and each `notify` before the next step of every
 * thread it woke. It is kept as vector clocks: `clocks[j * T + t]` is 1 + the last step of thread t
 * that happens before step j (inclusive for j's own thread), 0 if none.
 *
 * A *race* is a pair of dependent steps i < j of different threads, with i happening before j only
 * directly (no step k with i → k → j): reversing it may lead to a different class of executions.
 *
 * @module
 */
import { type Access, NONE, overlap, WRITE } from "./_access.ts";

/** The happens-before relation and the races of one execution. */
export class Races {
  /** Threads (columns of the clocks). */
  T = 0;
  /** Steps analysed. */
  n = 0;
  /** The steps' accesses. */
  acc: readonly Access[] = [];
  /** Vector clocks, `n * T`. */
  clocks: Int32Array = new Int32Array(0);
  /** Races found, as pairs (i, j) flattened. */
  readonly races: number[] = [];

  #threadClock = new Int32Array(0);
  /** `#suffix[k * T + t]`: the least `clocks[k' * T + t]` over k' >= k (row n: no steps). */
  #suffix = new Int32Array(0);
  #lastOf = new Int32Array(0);
  // Per address slot: the last write and the reads since; the same for its waiter list.
  readonly #slots = new Map<number, number>();
  /** Slots of words seen at an address with a second width (rare). */
  readonly #wide = new Map<string, number>();
  readonly #granules = new Map<number, number[]>();
  #slotAddr: number[] = [];
  #slotSize: number[] = [];
  #lastWrite: number[] = [];
  #reads: number[][] = [];
  #lastQueue: number[] = [];
  #queueReads: number[][] = [];
  readonly #deps: number[] = [];

  /**
   * Analyses the steps with accesses `acc` (of `threads` threads): clocks for all of them, and the
   * races (i, j) with j >= `from`.
   */
  analyse(acc: readonly Access[], threads: number, from = 0): void {
    const n = acc.length;
    const T = threads;
    this.T = T;
    this.n = n;
    this.acc = acc;
    if (this.clocks.length < n * T) {
      this.clocks = new Int32Array(Math.max(n * T, this.clocks.length * 2));
    }
    if (this.#threadClock.length !== T * T) {
      this.#threadClock = new Int32Array(T * T);
      this.#lastOf = new Int32Array(T);
    }
    const clocks = this.clocks;
    const threadClock = this.#threadClock;
    const lastOf = this.#lastOf;
    threadClock.fill(0);
    lastOf.fill(-1);
    this.#slots.clear();
    this.#wide.clear();
    this.#granules.clear();
    this.races.length = 0;
    const deps = this.#deps;
    let lastAll = -1;
    let lastVisible = -1;
    for (let j = 0; j < n; j++) {
      const a = acc[j]!;
      const p = a.thread;
      deps.length = 0;
      if (lastAll >= 0) deps.push(lastAll);
      // A forced step or a termination depends on every thread's last step, and every later step
      // on it.
      if (a.all || a.kill) {
        for (let t = 0; t < T; t++) if (t !== p && lastOf[t]! >= 0) deps.push(lastOf[t]!);
      } else {
        if (a.mem !== NONE) this.#memory(a.addr, a.size, a.mem === WRITE, j, deps);
        if (a.watch !== undefined) {
          for (let k = 0; k < a.watch.length; k += 2) {
            this.#memory(a.watch[k]!, a.watch[k + 1]!, false, j, deps);
          }
        }
        if (a.queue !== NONE) this.#queue(a.addr, a.queue === WRITE, j, deps);
        if (a.visible) {
          if (lastVisible >= 0) deps.push(lastVisible);
          lastVisible = j;
        }
      }
      // clocks[j] = threadClock[p] joined with the clocks of the dependencies.
      const row = j * T;
      const base = p * T;
      for (let t = 0; t < T; t++) clocks[row + t] = threadClock[base + t]!;
      for (const i of deps) {
        const ri = i * T;
        for (let t = 0; t < T; t++) {
          if (clocks[ri + t]! > clocks[row + t]!) clocks[row + t] = clocks[ri + t]!;
        }
      }
      clocks[row + p] = j + 1;
      if (j >= from) this.#race(j, p, base, deps);
      for (let t = 0; t < T; t++) threadClock[base + t] = clocks[row + t]!;
      if (a.wakes) {
        // The threads a notify (or an abort) woke continue after it.
        for (const w of a.wakes) {
          const wb = w * T;
          for (let t = 0; t < T; t++) {
            if (clocks[row + t]! > threadClock[wb + t]!) threadClock[wb + t] = clocks[row + t]!;
          }
        }
      }
      lastOf[p] = j;
      if (a.all || a.kill) lastAll = j;
    }
    if (this.#suffix.length < (n + 1) * T) {
      this.#suffix = new Int32Array(Math.max((n + 1) * T, this.#suffix.length * 2));
    }
    const suffix = this.#suffix;
    suffix.fill(0x7fffffff, n * T, (n + 1) * T);
    for (let k = n - 1; k >= 0; k--) {
      for (let t = 0; t < T; t++) {
        const c = clocks[k * T + t]!;
        const later = suffix[(k + 1) * T + t]!;
        suffix[k * T + t] = c < later ? c : later;
      }
    }
  }

  /** Whether step i happens before every step after step j (i <= j). */
  beforeAllAfter(i: number, j: number): boolean {
    return this.#suffix[(j + 1) * this.T + this.acc[i]!.thread]! >= i + 1;
  }

  /** Whether step i happens before step k (i < k). */
  happensBefore(i: number, k: number): boolean {
    return this.clocks[k * this.T + this.acc[i]!.thread]! >= i + 1;
  }

  /** Records the races (i, j) among the dependencies of step j (of thread p). */
  #race(j: number, p: number, base: number, deps: readonly number[]): void {
    const T = this.T;
    const clocks = this.clocks;
    const threadClock = this.#threadClock;
    for (let d = 0; d < deps.length; d++) {
      const i = deps[d]!;
      const ti = this.acc[i]!.thread;
      // Same thread, or already ordered through j's own thread (program order, a wake-up).
      if (ti === p || threadClock[base + ti]! >= i + 1) continue;
      // Forced steps do not race: the search branches on every thread where they could move.
      if (this.acc[i]!.all || this.acc[j]!.all) continue;
      let immediate = true;
      for (let e = 0; e < deps.length && immediate; e++) {
        const k = deps[e]!;
        if (k === i) {
          if (e < d) immediate = false; // listed twice: recorded once
        } else if (k > i && clocks[k * T + ti]! >= i + 1) {
          immediate = false;
        }
      }
      if (immediate) this.races.push(i, j);
    }
  }

  /** Dependencies of a memory access by step j, and its bookkeeping. */
  #memory(addr: number, size: number, write: boolean, j: number, deps: number[]): void {
    const own = this.#slot(addr, size);
    const near = this.#granules.get(Math.floor(addr / 8))!;
    for (const s of near) {
      if (s !== own && !overlap(this.#slotAddr[s]!, this.#slotSize[s]!, addr, size)) continue;
      const w = this.#lastWrite[s]!;
      if (w >= 0) deps.push(w);
      if (write) {
        for (const r of this.#reads[s]!) deps.push(r);
        this.#lastWrite[s] = j;
        this.#reads[s]!.length = 0;
      }
    }
    if (!write) this.#reads[own]!.push(j);
  }

  /** Dependencies of a waiter-list access by step j, and its bookkeeping. */
  #queue(addr: number, write: boolean, j: number, deps: number[]): void {
    const s = this.#slot(addr, 4);
    const w = this.#lastQueue[s]!;
    if (w >= 0) deps.push(w);
    if (write) {
      for (const r of this.#queueReads[s]!) deps.push(r);
      this.#lastQueue[s] = j;
      this.#queueReads[s]!.length = 0;
    } else {
      this.#queueReads[s]!.push(j);
    }
  }

  /** The slot of the word at `addr` with `size` bytes (created on first use). */
  #slot(addr: number, size: number): number {
    let s = this.#slots.get(addr);
    if (s !== undefined && this.#slotSize[s] === size) return s;
    const wide = s !== undefined;
    if (wide) {
      s = this.#wide.get(`${addr}:${size}`);
      if (s !== undefined) return s;
    }
    s = this.#slots.size + this.#wide.size;
    if (wide) this.#wide.set(`${addr}:${size}`, s);
    else this.#slots.set(addr, s);
    this.#slotAddr[s] = addr;
    this.#slotSize[s] = size;
    this.#lastWrite[s] = -1;
    this.#lastQueue[s] = -1;
    if (this.#reads[s]) this.#reads[s]!.length = 0;
    else this.#reads[s] = [];
    if (this.#queueReads[s]) this.#queueReads[s]!.length = 0;
    else this.#queueReads[s] = [];
    // A word of up to 8 aligned bytes lies in one 8-byte granule; overlapping words share it.
    const g = Math.floor(addr / 8);
    const list = this.#granules.get(g);
    if (list) list.push(s);
    else this.#granules.set(g, [s]);
    return s;
  }
}
