// Derived from src/kernel/presence.ts by tools/derive_kernels.ts: do not edit.
// The generator form of each kernel there, for the async path and the explorer; its layout,
// state table, invariant and every function's docs are in src/kernel/presence.ts.
// Regenerate with `deno task derive`; tests/tools/derive_kernels_test.ts checks it.
import type { GenSeam as Seam, KernelGen } from "../_atomics.ts";

export const DOMAIN = 1;
export const NENTRIES = 2;
export const OVERFLOW = 3;
export const ENTRY0 = 16;
export const ENTRY_WORDS = 4;
export const ENTRIES = 1023;
export function bytesFor(entries: number): number {
  return (ENTRY0 + entries * ENTRY_WORDS) * 4;
}

export const FREE = 0;
export const TAKEN = 1;
export const RETIRING = 2;

export const ALIVE = 1;
export const GONE = 0;
export const UNKNOWN = -1;

export const FULL = -1;

export const MAX_ID: number = (1 << 30) - 3;
export const ANONYMOUS: number = (1 << 30) - 2;

export function probeable(id: number): boolean {
  return id >= 1 && id <= MAX_ID;
}

export function entryWord(e: number): number {
  return ENTRY0 + e * ENTRY_WORDS;
}

export function* init(A: Seam, s: Int32Array, domain: number, entries: number): KernelGen<void> {
  if (!(entries >= 1 && entries <= ENTRIES)) throw new RangeError(`Bad registry size: ${entries}`);
  (yield* A.store(s, DOMAIN, domain));
  (yield* A.store(s, NENTRIES, entries));
}

export function* register(A: Seam, s: Int32Array, first: number, count: number, id: number): KernelGen<number> {
  for (let e = 0; e < count; e++) {
    const w = first + e * ENTRY_WORDS;
    const g = (yield* A.load(s, w));
    if ((g & 3) === FREE && (yield* A.compareExchange(s, w, g, (g + 1) | 0)) === g) {
      (yield* A.store(s, w + 3, id));
      return e;
    }
  }
  return FULL;
}

export function* overflowed(A: Seam, s: Int32Array): KernelGen<void> {
  (yield* A.add(s, OVERFLOW, 1));
}

export function taken(gen: number): boolean {
  return (gen & 3) === TAKEN;
}

export function* retire(A: Seam, s: Int32Array, w: number, gen: number): KernelGen<boolean> {
  if ((yield* A.compareExchange(s, w, gen, (gen + 1) | 0)) !== gen) return false;
  // Clear the lease and the id before the entry is FREE again: its next owner starts from 0.
  (yield* A.store(s, w + 1, 0));
  (yield* A.store(s, w + 3, 0));
  (yield* A.store(s, w, (gen + 3) | 0));
  return true;
}

export function* armed(A: Seam, s: Int32Array, lease: number, n: number): KernelGen<void> {
  (yield* A.add(s, lease, n));
}

export function* disarm(A: Seam, s: Int32Array, lease: number): KernelGen<void> {
  (yield* A.exchange(s, lease, 0));
  (yield* A.notify(s, lease + 1, Infinity));
}

export function* probe(A: Seam, s: Int32Array, lease: number): KernelGen<number> {
  const n = (yield* A.load(s, lease));
  if (n <= 0) return UNKNOWN;
  if ((yield* A.compareExchange(s, lease, n, n - 1)) !== n) return UNKNOWN;
  return (yield* A.notify(s, lease + 1, 1)) === 1 ? ALIVE : GONE;
}

export function* probeId(A: Seam, s: Int32Array, id: number): KernelGen<number> {
  if (!probeable(id)) return UNKNOWN;
  const entries = (yield* A.load(s, NENTRIES));
  let verdict = (yield* A.load(s, OVERFLOW)) > 0 ? UNKNOWN : GONE;
  for (let e = 0; e < entries; e++) {
    const w = entryWord(e);
    const gen = (yield* A.load(s, w));
    if (!taken(gen) || (yield* A.load(s, w + 3)) !== id) continue;
    const v = (yield* probe(A, s, w + 1));
    if (v === GONE) (yield* retire(A, s, w, gen));
    else if (v === ALIVE) return ALIVE;
    else verdict = UNKNOWN;
  }
  return verdict;
}

export function* sweep(A: Seam, s: Int32Array): KernelGen<number> {
  const entries = (yield* A.load(s, NENTRIES));
  let freed = 0;
  for (let e = 0; e < entries; e++) {
    const w = entryWord(e);
    const gen = (yield* A.load(s, w));
    if (taken(gen) && (yield* probe(A, s, w + 1)) === GONE && (yield* retire(A, s, w, gen))) freed++;
  }
  return freed;
}
