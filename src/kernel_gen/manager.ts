// Derived from src/kernel/manager.ts by tools/derive_kernels.ts: do not edit.
// The generator form of each kernel there, for the async path and the explorer; its layout,
// state table, invariant and every function's docs are in src/kernel/manager.ts.
// Regenerate with `deno task derive`; tests/tools/derive_kernels_test.ts checks it.
import type { GenSeam as Seam, KernelGen, WaitResult } from "../_atomics.ts";
import * as P from "./presence.ts";

export const STATE = 1;
export const NSLOTS = 2;
export const REAP = 3;
export const NAGENTS = 4;
export const LEASE = 3;
export const HERE = 4;
export const AGENT0 = 48;
export const AGENT_WORDS = P.ENTRY_WORDS;
export const AGENTS = 64;
export const BELL = 16;
export const FREE = 32;
export const SLOT0 = AGENT0 + AGENTS * AGENT_WORDS;
export const SLOTS = 32;
export const CHUNK = 8192;
export const SLOT_WORDS = 16 + CHUNK / 4;
export const BYTES = (SLOT0 + SLOTS * SLOT_WORDS) * 4;

export const RUNNING = 1;
export const SHUT_DOWN = 2;
export const CRASHED = 3;

export const S_FREE = 0;
export const S_CLAIMED = 1;
export const S_TO_SERVER = 2;
export const S_SERVER_READ = 3;
export const S_TO_CLIENT = 4;
export const S_CLIENT_READ = 5;
export const S_DEAD = 6;
export const S_RECLAIMING = 7;

export const STATE_BITS = 3;
export const STATE_MASK = (1 << STATE_BITS) - 1;

export function held(r: number, state: number): number {
  return ((r + 1) << STATE_BITS) | state;
}

export function stateOf(word: number): number {
  return word & STATE_MASK;
}

export function recordOf(word: number): number {
  return (word >>> STATE_BITS) - 1;
}

function moved(word: number, state: number): number {
  return (word & ~STATE_MASK) | state;
}

export const TIMED_OUT = -1;
export const ENDED = -2;
export const FULL = -3;

export function slotWord(k: number): number {
  return SLOT0 + k * SLOT_WORDS;
}

export function payloadByte(k: number): number {
  return (slotWord(k) + 16) * 4;
}

export function agentWord(e: number): number {
  return AGENT0 + e * AGENT_WORDS;
}

export function leaseWord(r: number): number {
  return r < AGENTS ? agentWord(r) + 1 : slotWord(r - AGENTS) + LEASE;
}

export function* init(A: Seam, s: Int32Array, slots: number, agents: number = AGENTS): KernelGen<void> {
  if (!(slots >= 1 && slots <= SLOTS)) throw new RangeError(`Bad manager slot count: ${slots}`);
  if (!(agents >= 0 && agents <= AGENTS)) {
    throw new RangeError(`Bad manager registry size: ${agents}`);
  }
  (yield* A.store(s, NSLOTS, slots));
  (yield* A.store(s, NAGENTS, agents));
  (yield* A.store(s, STATE, RUNNING));
}

export function* state(A: Seam, s: Int32Array): KernelGen<number> {
  return (yield* A.load(s, STATE));
}

export function* end(A: Seam, s: Int32Array, how: number): KernelGen<boolean> {
  if ((yield* A.compareExchange(s, STATE, RUNNING, how)) !== RUNNING) return false;
  const slots = (yield* A.load(s, NSLOTS));
  for (let k = 0; k < slots; k++) {
    // Changing the word before notifying: a client about to sleep on its old value returns at once.
    (yield* A.exchange(s, slotWord(k), S_DEAD));
    (yield* A.notify(s, slotWord(k), Infinity));
  }
  (yield* A.add(s, BELL, 1));
  (yield* A.notify(s, BELL, Infinity));
  (yield* A.add(s, FREE, 1));
  (yield* A.notify(s, FREE, Infinity));
  // Presence waiters see the end when they wake and are not re-armed.
  const agents = (yield* A.load(s, NAGENTS));
  for (let e = 0; e < agents; e++) (yield* A.notify(s, leaseWord(e) + 1, Infinity));
  for (let k = 0; k < slots; k++) (yield* A.notify(s, leaseWord(AGENTS + k) + 1, Infinity));
  return true;
}

export function* freeSeq(A: Seam, s: Int32Array): KernelGen<number> {
  return (yield* A.load(s, FREE));
}

export function* tryClaim(A: Seam, s: Int32Array, e: number): KernelGen<number> {
  if ((yield* A.load(s, STATE)) !== RUNNING) return ENDED;
  const slots = (yield* A.load(s, NSLOTS));
  for (let k = 0; k < slots; k++) {
    const mine = held(e >= 0 ? e : AGENTS + k, S_CLAIMED);
    if (
      (yield* A.load(s, slotWord(k))) === S_FREE &&
      (yield* A.compareExchange(s, slotWord(k), S_FREE, mine)) === S_FREE
    ) return k;
  }
  return TIMED_OUT;
}

export function* awaitFree(A: Seam, s: Int32Array, seen: number, deadline: number): KernelGen<WaitResult> {
  const r = (yield* A.wait(s, FREE, seen, deadline));
  // A wake-up that raced with the timeout must not be swallowed: pass it on.
  if (r === "timed-out") (yield* A.notify(s, FREE, 1));
  return r;
}

export function* claim(A: Seam, s: Int32Array, e: number, deadline: number): KernelGen<number> {
  for (;;) {
    // Read the sequence before checking the state and scanning: a release or an end after that
    // changes it, so the wait below returns at once (`end` writes the state before bumping it).
    const seen = (yield* freeSeq(A, s));
    const k = (yield* tryClaim(A, s, e));
    if (k !== TIMED_OUT) return k;
    if ((yield* awaitFree(A, s, seen, deadline)) === "timed-out") return TIMED_OUT;
  }
}

export function* requestReap(A: Seam, s: Int32Array): KernelGen<void> {
  (yield* A.add(s, REAP, 1));
  (yield* ring(A, s));
}

export function* reapSeq(A: Seam, s: Int32Array): KernelGen<number> {
  return (yield* A.load(s, REAP));
}

export function* register(A: Seam, s: Int32Array): KernelGen<number> {
  if ((yield* A.load(s, STATE)) !== RUNNING) return ENDED;
  const e = (yield* P.register(A, s, AGENT0, (yield* A.load(s, NAGENTS)), 0));
  return e === P.FULL ? FULL : e;
}

export function* armed(A: Seam, s: Int32Array, r: number, n: number): KernelGen<void> {
  (yield* P.armed(A, s, leaseWord(r), n));
}

export function* letGo(A: Seam, s: Int32Array, r: number): KernelGen<void> {
  // No probe may count on its waiters any more; wake them (they are not re-armed).
  if (r >= AGENTS) (yield* P.disarm(A, s, leaseWord(r)));
}

export function* probe(A: Seam, s: Int32Array, r: number): KernelGen<number> {
  return (yield* P.probe(A, s, leaseWord(r)));
}

export function* reclaim(A: Seam, s: Int32Array, k: number, word: number): KernelGen<boolean> {
  const w = slotWord(k);
  if ((yield* A.compareExchange(s, w, word, S_RECLAIMING)) !== word) return false;
  (yield* A.store(s, w + LEASE, 0));
  if ((yield* A.compareExchange(s, w, S_RECLAIMING, S_FREE)) !== S_RECLAIMING) return false;
  (yield* A.add(s, FREE, 1));
  (yield* A.notify(s, FREE, 1));
  return true;
}

export function* reap(A: Seam, s: Int32Array, freed: boolean[]): KernelGen<number> {
  const slots = (yield* A.load(s, NSLOTS));
  const agents = (yield* A.load(s, NAGENTS));
  const held: number[] = [];
  const named: number[] = [];
  for (let k = 0; k < slots; k++) {
    // The state and the holder's record in one read (see "No ABA").
    const word = (yield* A.load(s, slotWord(k)));
    held.push(word);
    named.push(recordOf(word));
  }
  const verdict = new Map<number, number>();
  const gens: number[] = [];
  for (let e = 0; e < agents; e++) {
    const gen = (yield* A.load(s, agentWord(e)));
    gens.push(gen);
    if (P.taken(gen)) verdict.set(e, (yield* probe(A, s, e)));
  }
  for (let k = 0; k < slots; k++) {
    const r = named[k]!;
    if (r >= AGENTS && !verdict.has(r)) verdict.set(r, (yield* probe(A, s, r)));
  }
  let n = 0;
  for (let k = 0; k < slots; k++) {
    const r = named[k]!;
    if (r >= 0 && verdict.get(r) === P.GONE && (yield* reclaim(A, s, k, held[k]!))) {
      freed[k] = true;
      n++;
    }
  }
  for (let e = 0; e < agents; e++) {
    if (verdict.get(e) === P.GONE) (yield* P.retire(A, s, agentWord(e), gens[e]!));
  }
  return n;
}

export function* post(A: Seam, s: Int32Array, k: number, bytes: number, total: number): KernelGen<boolean> {
  const w = slotWord(k);
  const from = (yield* A.load(s, w));
  if (stateOf(from) !== S_CLAIMED && stateOf(from) !== S_SERVER_READ) return false;
  (yield* A.store(s, w + 1, bytes));
  (yield* A.store(s, w + 2, total));
  if ((yield* A.compareExchange(s, w, from, moved(from, S_TO_SERVER))) !== from) return false;
  (yield* ring(A, s));
  return true;
}

export function* ring(A: Seam, s: Int32Array): KernelGen<void> {
  (yield* A.add(s, BELL, 1));
  (yield* A.notify(s, BELL, 1));
}

export function* awaitTaken(A: Seam, s: Int32Array, k: number): KernelGen<number> {
  const w = slotWord(k);
  let spin = A.spin;
  for (;;) {
    const now = (yield* A.load(s, w));
    if (stateOf(now) !== S_TO_SERVER) return stateOf(now);
    if (spin > 0) {
      spin--;
      (yield* A.pause());
      continue;
    }
    // No lost wake-up: we sleep only while the word still holds TO_SERVER; the take changes it first.
    (yield* A.wait(s, w, now, Infinity));
  }
}

export function* awaitReply(A: Seam, s: Int32Array, k: number): KernelGen<number> {
  // The spin-then-sleep loop of awaitTaken, written out: a kernel cannot take its wake-up condition
  // as a callback (the derivation refuses the seam inside a nested function).
  const w = slotWord(k);
  let spin = A.spin;
  for (;;) {
    const now = (yield* A.load(s, w));
    const state = stateOf(now);
    if (state === S_TO_CLIENT || state === S_DEAD) return state;
    if (state !== S_TO_SERVER && state !== S_SERVER_READ && state !== S_CLIENT_READ) {
      throw new Error(`Inconsistent manager slot state: ${now}`);
    }
    if (spin > 0) {
      spin--;
      (yield* A.pause());
      continue;
    }
    // No lost wake-up: every move towards TO_CLIENT or DEAD changes the word before notifying.
    (yield* A.wait(s, w, now, Infinity));
  }
}

export function* takeReplyChunk(A: Seam, s: Int32Array, k: number, r: number): KernelGen<boolean> {
  const from = held(r, S_TO_CLIENT);
  if ((yield* A.compareExchange(s, slotWord(k), from, held(r, S_CLIENT_READ))) !== from) return false;
  (yield* ring(A, s));
  return true;
}

export function* release(A: Seam, s: Int32Array, k: number, r: number): KernelGen<void> {
  (yield* letGo(A, s, r));
  const from = held(r, S_TO_CLIENT);
  if ((yield* A.compareExchange(s, slotWord(k), from, S_FREE)) !== from) return;
  // Store FREE, then bump the sequence, then notify: a claimer that missed the slot sees the bump.
  (yield* A.add(s, FREE, 1));
  (yield* A.notify(s, FREE, 1));
}

export function* chunkBytes(A: Seam, s: Int32Array, k: number): KernelGen<number> {
  return (yield* A.load(s, slotWord(k) + 1));
}

export function* chunkTotal(A: Seam, s: Int32Array, k: number): KernelGen<number> {
  return (yield* A.load(s, slotWord(k) + 2));
}

export function* bell(A: Seam, s: Int32Array): KernelGen<number> {
  return (yield* A.load(s, BELL));
}

export function* slotState(A: Seam, s: Int32Array, k: number): KernelGen<number> {
  return stateOf((yield* A.load(s, slotWord(k))));
}

export function* takeRequestChunk(A: Seam, s: Int32Array, k: number): KernelGen<boolean> {
  const w = slotWord(k);
  const from = (yield* A.load(s, w));
  if (stateOf(from) !== S_TO_SERVER) return false;
  if ((yield* A.compareExchange(s, w, from, moved(from, S_SERVER_READ))) !== from) return false;
  (yield* A.notify(s, w, 1));
  return true;
}

export function* reply(A: Seam, s: Int32Array, k: number, bytes: number, total: number): KernelGen<boolean> {
  const w = slotWord(k);
  const from = (yield* A.load(s, w));
  if (stateOf(from) !== S_SERVER_READ && stateOf(from) !== S_CLIENT_READ) return false;
  (yield* A.store(s, w + 1, bytes));
  (yield* A.store(s, w + 2, total));
  if ((yield* A.compareExchange(s, w, from, moved(from, S_TO_CLIENT))) !== from) return false;
  (yield* A.notify(s, w, 1));
  return true;
}

export function* awaitBell(A: Seam, s: Int32Array, seen: number): KernelGen<boolean> {
  for (;;) {
    if ((yield* A.load(s, STATE)) !== RUNNING) return false;
    if ((yield* A.load(s, BELL)) !== seen) return true;
    // No lost wake-up: clients add to `bell` after each hand-over, before notifying.
    (yield* A.wait(s, BELL, seen, Infinity));
  }
}
