/**
 * Mutants: primitives with one classic concurrency bug each, written as kernels over the seam like
 * the real ones (`src/kernel/`), and the scenarios that expose them (with the real primitive or the
 * mutant). Used by `mutants_test.ts` (every strategy kills every mutant) and `sample_test.ts`
 * (sampling with its defaults finds them).
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import { Barrier, Condition, Lock, Semaphore, Value } from "../../mod.ts";
import type { GenSeam } from "../../src/_atomics.ts";
import * as GLock from "../../src/kernel_gen/lock.ts";
import * as KSemaphore from "../../src/kernel/semaphore.ts";
import { SIM } from "../../src/explore/_engine.ts";
import {
  agentOf,
  type ExplorationFailure,
  type Scenario,
  sim,
  type Step,
} from "../../src/explore/mod.ts";

const STATE = 1; // Lock state word (src/kernel/lock.ts)
/** The holder id the mutants' lock steps write (any id works: nobody probes it). */
const HOLDER = 1;

function words(x: { buffer: SharedArrayBuffer; byteOffset: number }, n: number): Int32Array {
  return new Int32Array(x.buffer, x.byteOffset, n);
}

// --- Mutant kernels. --------------------------------------------------------------------------

/** Mutant 1: acquire checks the state, then sets it, without a CAS. */
function* checkThenSetAcquire(A: GenSeam, s: Int32Array): Step<void> {
  for (;;) {
    const v = yield* A.load(s, STATE);
    if (v === 0) {
      yield* A.store(s, STATE, 1); // someone else may have taken it since the load
      return;
    }
    yield* A.wait(s, STATE, v, Infinity);
  }
}

function* storeRelease(A: GenSeam, s: Int32Array): Step<void> {
  yield* A.store(s, STATE, 0);
  yield* A.notify(s, STATE, 1);
}

/** Mutant 2: the Lock kernel's release without its notify. */
function* releaseWithoutNotify(A: GenSeam, s: Int32Array): Step<boolean> {
  const c = yield* A.load(s, STATE);
  if (c === 0) return false;
  yield* A.compareExchange(s, STATE, c, 0);
  return true; // forgot: if c was contended (bit 0), A.notify(s, STATE, 1)
}

/** Mutant 3: a condition variable that sleeps on a word that never changes. */
const C_WAITERS = 1;
const C_NEVER = 2;
function* sleepOnConstantWait(
  A: GenSeam,
  c: Int32Array,
  lk: Int32Array,
  me: number,
): Step<void> {
  yield* A.add(c, C_WAITERS, 1);
  yield* GLock.release(A, lk, me);
  // A notify between the release above and this wait is lost: the word says nothing happened.
  yield* A.wait(c, C_NEVER, 0, Infinity);
  yield* A.sub(c, C_WAITERS, 1);
  yield* GLock.acquire(A, lk, me, Infinity);
}
function* sleepOnConstantNotify(A: GenSeam, c: Int32Array): Step<void> {
  if ((yield* A.load(c, C_WAITERS)) > 0) yield* A.notify(c, C_NEVER, 1);
}

/**
 * Mutant 4: a semaphore release (the kernel's before its SLEEPERS bit: raise `value`, then notify
 * if `waiters` > 0) that notifies `waiters` instead of `value`.
 */
function* releaseNotifyingTheWrongWord(A: GenSeam, s: Int32Array, n: number): Step<void> {
  let v = yield* A.load(s, KSemaphore.VALUE);
  for (;;) {
    const seen = yield* A.compareExchange(s, KSemaphore.VALUE, v, v + n);
    if (seen === v) break;
    v = seen;
  }
  if ((yield* A.load(s, KSemaphore.WAITERS)) > 0) yield* A.notify(s, KSemaphore.WAITERS, n);
}

/** Mutant 5: a barrier that forgets its generation: parties wait for the count to be reset. */
const B_COUNT = 0;
function* generationlessWait(A: GenSeam, b: Int32Array, parties: number): Step<number> {
  const index = yield* A.add(b, B_COUNT, 1);
  if (index === parties - 1) {
    yield* A.store(b, B_COUNT, 0);
    yield* A.notify(b, B_COUNT, Infinity);
    return index;
  }
  for (;;) {
    const v = yield* A.load(b, B_COUNT);
    if (v === 0) return index; // a fast party of the next generation makes v > 0 again
    yield* A.wait(b, B_COUNT, v, Infinity);
  }
}

// --- Scenarios, parameterised by the implementation. -------------------------------------------

/** Sizes fast-check generates and shrinks: threads, and rounds (transactions) per thread. */
export type Size = { threads: number; rounds: number };
export const sizes = fc.record({
  threads: fc.integer({ min: 1, max: 3 }),
  rounds: fc.integer({ min: 1, max: 3 }),
});

export type Sized<S> = Scenario<S> & { size: Size };

export interface Mutant {
  /** What the bug is. */
  name: string;
  /** The failure kind that kills it. */
  kind: ExplorationFailure["kind"];
  /** The smallest size that exposes it. */
  minimal: Size;
  /** The scenario with the real primitive (`real`) or the mutant. */
  scenario(size: Size, real: boolean): Sized<unknown>;
}

type LockBank = { balance: Value<"i">; lock: Lock };
function lockBank(
  size: Size,
  acquire: (lock: Lock) => Step<unknown>,
  release: (lock: Lock) => Step<unknown>,
): Sized<LockBank> {
  return {
    size,
    setup: () => ({ balance: new Value("i", 100, { lock: false }), lock: new Lock() }),
    threads: Array.from(
      { length: size.threads },
      () =>
        function* teller({ balance, lock }: LockBank) {
          for (let r = 0; r < size.rounds; r++) {
            yield* acquire(lock);
            yield* sim(balance).set((yield* sim(balance).get()) - 1);
            yield* release(lock);
          }
        },
    ),
    invariant: ({ balance }) => balance.value === 100 - size.threads * size.rounds,
  };
}

type Box = { cond: Condition; raw: Int32Array; items: Int32Array };
function handOff(size: Size, real: boolean): Sized<Box> {
  // `threads` consumers, each waiting `rounds` times for an item; one producer per item.
  const n = size.threads * size.rounds;
  return {
    size,
    setup: () => ({
      cond: new Condition(new Lock()),
      raw: new Int32Array(new SharedArrayBuffer(16)),
      items: new Int32Array(new SharedArrayBuffer(4)),
    }),
    threads: [
      ...Array.from(
        { length: size.threads },
        () =>
          function* consumer({ cond, raw, items }: Box, id: number) {
            const c = sim(cond);
            const lk = words(cond.lock, 2);
            for (let r = 0; r < size.rounds; r++) {
              yield* c.acquire();
              while ((yield* sim(items).load(0)) === 0) {
                if (real) yield* c.wait();
                else yield* sleepOnConstantWait(SIM, raw, lk, agentOf(id));
              }
              yield* sim(items).sub(0, 1);
              yield* c.release();
            }
          },
      ),
      function* producer({ cond, raw, items }: Box) {
        const c = sim(cond);
        for (let r = 0; r < n; r++) {
          yield* c.acquire();
          yield* sim(items).add(0, 1);
          if (real) yield* c.notify();
          else yield* sleepOnConstantNotify(SIM, raw);
          yield* c.release();
        }
      },
    ],
    invariant: ({ items }) => items[0] === 0,
  };
}

type Permits = { sem: Semaphore };
function permits(size: Size, real: boolean): Sized<Permits> {
  return {
    size,
    setup: () => ({ sem: new Semaphore(0) }),
    threads: [
      ...Array.from({ length: size.threads }, () =>
        function* taker({ sem }: Permits) {
          for (let r = 0; r < size.rounds; r++) yield* sim(sem).acquire();
        }),
      function* giver({ sem }: Permits) {
        for (let r = 0; r < size.threads * size.rounds; r++) {
          if (real) yield* sim(sem).release();
          else yield* releaseNotifyingTheWrongWord(SIM, words(sem, 4), 1);
        }
      },
    ],
    invariant: ({ sem }) => sem.value === 0,
  };
}

type Gate = { gate: Barrier; raw: Int32Array; arrived: Int32Array };
function rounds(size: Size, real: boolean): Sized<Gate> {
  const parties = size.threads;
  return {
    size,
    setup: () => ({
      gate: new Barrier(parties),
      raw: new Int32Array(new SharedArrayBuffer(4)),
      arrived: new Int32Array(new SharedArrayBuffer(16)),
    }),
    threads: Array.from({ length: parties }, () =>
      function* party({ gate, raw, arrived }: Gate) {
        for (let r = 0; r < size.rounds; r++) {
          yield* sim(arrived).add(r, 1);
          if (real) yield* sim(gate).wait();
          else yield* generationlessWait(SIM, raw, parties);
          const n = yield* sim(arrived).load(r);
          assert.equal(n, parties, `released early from round ${r}: ${n} of ${parties} arrived`);
        }
      }),
  };
}

export const MUTANTS: Mutant[] = [
  {
    name: "a lock that checks then sets without CAS",
    kind: "invariant",
    minimal: { threads: 2, rounds: 1 },
    scenario: (size, real) =>
      real ? lockBank(size, (l) => sim(l).acquire(), (l) => sim(l).release()) : lockBank(
        size,
        (l) => checkThenSetAcquire(SIM, words(l, 2)),
        (l) => storeRelease(SIM, words(l, 2)),
      ),
  },
  {
    name: "an unlock that forgets to notify",
    kind: "deadlock",
    minimal: { threads: 2, rounds: 1 },
    scenario: (size, real) =>
      lockBank(
        size,
        // The whole lock (its counts too), as the real release sees it.
        (l) => GLock.acquire(SIM, words(l, GLock.BYTES), HOLDER, Infinity),
        (l) => real ? sim(l).release() : releaseWithoutNotify(SIM, words(l, 2)),
      ),
  },
  {
    name: "a condition that sleeps on a word that never changes",
    kind: "deadlock",
    minimal: { threads: 1, rounds: 1 },
    scenario: handOff,
  },
  {
    name: "a semaphore that notifies a different word than its waiters sleep on",
    kind: "deadlock",
    minimal: { threads: 1, rounds: 1 },
    scenario: permits,
  },
  {
    name: "a barrier that forgets its generation",
    kind: "deadlock",
    minimal: { threads: 2, rounds: 2 },
    scenario: rounds,
  },
];
