// Derived from src/kernel/barrier.ts by tools/derive_kernels.ts: do not edit.
// The generator form of each kernel there, for the async path and the explorer; its layout,
// state table, invariant and every function's docs are in src/kernel/barrier.ts.
// Regenerate with `deno task derive`; tests/tools/derive_kernels_test.ts checks it.
import type { GenSeam as Seam, KernelGen } from "../_atomics.ts";

// The functions below use module-private twins of the exported constants: V8 reads an exported
// binding through its module cell at every use (~7% of an uncontended pair, see src/kernel/lock.ts).
const $PARTIES = 1;
const $STATE = 2;
const $TIMEOUT = 3;
const $FILLING = 0;
const $BROKEN = 1;
const $RESETTING = 2;
const $TICKET_GEN = 0x8000;
const $RELEASED = 0;
const $BROKEN_BARRIER = -1;
const $TIMED_OUT = -2;
const $TIMED_OUT_ENTERING = -3;

export const PARTIES: number = $PARTIES;
export const STATE: number = $STATE;
export const TIMEOUT: number = $TIMEOUT;
export const BYTES = 20;
export const FIELDS: readonly string[] = ["tag", "parties", "state", "timeout.lo", "timeout.hi"];

export const FILLING: number = $FILLING;
export const BROKEN: number = $BROKEN;
export const RESETTING: number = $RESETTING;
export const MAX_PARTIES = 0x7fff;

const PHASE = 3;
const COUNT_ONE = 4;
const GEN_SHIFT = 17;
const MASK15 = 0x7fff;
export const TICKET_GEN: number = $TICKET_GEN;

export const RELEASED: number = $RELEASED;
export const BROKEN_BARRIER: number = $BROKEN_BARRIER;
export const TIMED_OUT: number = $TIMED_OUT;
export const TIMED_OUT_ENTERING: number = $TIMED_OUT_ENTERING;

export function phaseOf(v: number): number {
  return v & PHASE;
}

export function countOf(v: number): number {
  return (v >>> 2) & MASK15;
}

export function generationOf(v: number): number {
  return v >>> GEN_SHIFT;
}

export function pack(generation: number, count: number, phase: number): number {
  return (((generation & MASK15) << GEN_SHIFT) | (count << 2) | phase) | 0;
}

// Thread-local scratch to convert the timeout between a float64 and its two words (never shared).
const f64 = new Float64Array(1);
const halves = new Int32Array(f64.buffer);

export function* init(A: Seam, b: Int32Array, parties: number, timeout: number): KernelGen<void> {
  (yield* A.store(b, $PARTIES, parties));
  f64[0] = timeout;
  const lo = halves[0]!;
  const hi = halves[1]!;
  (yield* A.store(b, $TIMEOUT, lo));
  (yield* A.store(b, $TIMEOUT + 1, hi));
}

export function* timeout(A: Seam, b: Int32Array): KernelGen<number> {
  // Both loads first, then the conversion: no other caller can use the scratch in between.
  const lo = (yield* A.load(b, $TIMEOUT));
  const hi = (yield* A.load(b, $TIMEOUT + 1));
  halves[0] = lo;
  halves[1] = hi;
  return f64[0]!;
}

export function* parties(A: Seam, b: Int32Array): KernelGen<number> {
  return (yield* A.load(b, $PARTIES));
}

export function* arrive(A: Seam, b: Int32Array, p: number, deadline: number): KernelGen<number> {
  for (;;) {
    const v = (yield* A.load(b, $STATE));
    const phase = phaseOf(v);
    if (phase === $BROKEN) return $BROKEN_BARRIER;
    const count = countOf(v);
    if (phase === $FILLING && count < p) {
      if ((yield* A.compareExchange(b, $STATE, v, v + COUNT_ONE)) === v) {
        return generationOf(v) * $TICKET_GEN + count;
      }
      continue;
    }
    // A full generation's action runs, or a reset drains: wait for the next generation. No lost
    // wake-up: both end with a CAS of `state` and a notify-all.
    if ((yield* A.wait(b, $STATE, v, deadline)) === "timed-out") {
      return phaseOf((yield* A.load(b, $STATE))) === $BROKEN ? $BROKEN_BARRIER : $TIMED_OUT_ENTERING;
    }
  }
}

function* exit(A: Seam, b: Int32Array): KernelGen<number> {
  let v = (yield* A.load(b, $STATE));
  for (;;) {
    const count = countOf(v) - 1;
    const last = phaseOf(v) === $RESETTING && count === 0;
    const next = last ? pack(generationOf(v) + 1, 0, $FILLING) : v - COUNT_ONE;
    const seen = (yield* A.compareExchange(b, $STATE, v, next));
    if (seen === v) {
      // Arrivals may wait for the reset to finish.
      if (last) (yield* A.notify(b, $STATE, Infinity));
      return $BROKEN_BARRIER;
    }
    v = seen;
  }
}

function* timeOut(A: Seam, b: Int32Array, g: number): KernelGen<number> {
  let v = (yield* A.load(b, $STATE));
  for (;;) {
    if (generationOf(v) !== g) return $RELEASED;
    if (phaseOf(v) !== $FILLING) return (yield* exit(A, b));
    const seen = (yield* A.compareExchange(b, $STATE, v, (v & ~PHASE) | $BROKEN));
    if (seen === v) {
      (yield* A.notify(b, $STATE, Infinity));
      (yield* exit(A, b));
      return $TIMED_OUT;
    }
    v = seen;
  }
}

export function* awaitRelease(A: Seam, b: Int32Array, ticket: number, deadline: number): KernelGen<number> {
  const g = Math.floor(ticket / $TICKET_GEN);
  // Spin briefly: the last party often arrives soon, and a wake-up costs ~40 µs here.
  for (let n = A.spin; n > 0; n--) {
    const v = (yield* A.load(b, $STATE));
    if (generationOf(v) !== g || phaseOf(v) !== $FILLING) break;
    (yield* A.pause());
  }
  for (;;) {
    const v = (yield* A.load(b, $STATE));
    if (generationOf(v) !== g) return $RELEASED;
    if (phaseOf(v) !== $FILLING) return (yield* exit(A, b));
    // No lost wake-up: we sleep only while `state` is unchanged, and the transitions we wait for
    // are CAS-then-notify-all.
    if ((yield* A.wait(b, $STATE, v, deadline)) === "timed-out") return (yield* timeOut(A, b, g));
  }
}

export function* complete(A: Seam, b: Int32Array, ticket: number, ok: boolean): KernelGen<number> {
  const g = Math.floor(ticket / $TICKET_GEN);
  let v = (yield* A.load(b, $STATE));
  for (;;) {
    // Only this party can end generation g: it is full, and we have not left it.
    if (phaseOf(v) !== $FILLING) return (yield* exit(A, b));
    const next = ok ? pack(g + 1, 0, $FILLING) : (v & ~PHASE) | $BROKEN;
    const seen = (yield* A.compareExchange(b, $STATE, v, next));
    if (seen === v) {
      (yield* A.notify(b, $STATE, Infinity));
      return ok ? $RELEASED : (yield* exit(A, b));
    }
    v = seen;
  }
}

export function* wait(A: Seam, b: Int32Array, p: number, deadline: number): KernelGen<number> {
  const ticket = (yield* arrive(A, b, p, deadline));
  if (ticket < 0) return ticket;
  const index = ticket % $TICKET_GEN;
  const result = index === p - 1
    ? (yield* complete(A, b, ticket, true))
    : (yield* awaitRelease(A, b, ticket, deadline));
  return result === $RELEASED ? index : result;
}

export function* abort(A: Seam, b: Int32Array): KernelGen<void> {
  let v = (yield* A.load(b, $STATE));
  for (;;) {
    if (phaseOf(v) === $BROKEN) return;
    const seen = (yield* A.compareExchange(b, $STATE, v, (v & ~PHASE) | $BROKEN));
    if (seen === v) break;
    v = seen;
  }
  (yield* A.notify(b, $STATE, Infinity));
}

export function* reset(A: Seam, b: Int32Array): KernelGen<void> {
  let v = (yield* A.load(b, $STATE));
  for (;;) {
    const phase = phaseOf(v);
    let next: number;
    if (countOf(v) === 0) {
      if (phase === $FILLING) return;
      next = pack(generationOf(v) + 1, 0, $FILLING);
    } else {
      if (phase === $RESETTING) return;
      next = (v & ~PHASE) | $RESETTING;
    }
    const seen = (yield* A.compareExchange(b, $STATE, v, next));
    if (seen === v) break;
    v = seen;
  }
  (yield* A.notify(b, $STATE, Infinity));
}

export function* broken(A: Seam, b: Int32Array): KernelGen<boolean> {
  return phaseOf((yield* A.load(b, $STATE))) === $BROKEN;
}

export function* nWaiting(A: Seam, b: Int32Array): KernelGen<number> {
  const v = (yield* A.load(b, $STATE));
  return phaseOf(v) === $FILLING ? countOf(v) : 0;
}
