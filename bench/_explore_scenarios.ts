/**
 * The scenarios `explore_bench.ts` measures: the seed's bank (locked and generated unlocked
 * tellers), `Semaphore(2)` with 3 holders, the `Condition` hand-off and a user-code spin lock.
 *
 * @module
 */
import fc from "fast-check";
import { Condition, Lock, Semaphore, Value } from "../mod.ts";
import { type Scenario, sim } from "../src/explore/mod.ts";

export interface Bank {
  balance: Value<"i">;
  lock: Lock;
}

/** The seed's bank: `threads` tellers alternately withdrawing and depositing 1. */
export function bank(locked: boolean, threads: number, transactions: number): Scenario<Bank> {
  return {
    setup: () => ({ balance: new Value("i", 100, { lock: false }), lock: new Lock() }),
    threads: Array.from({ length: threads }, (_, k) => {
      const delta = k % 2 === 0 ? -1 : 1;
      return function* teller({ balance, lock }: Bank) {
        for (let n = 0; n < transactions; n++) {
          if (locked) yield* sim(lock).acquire();
          yield* sim(balance).set((yield* sim(balance).get()) + delta);
          if (locked) yield* sim(lock).release();
        }
      };
    }),
    invariant: ({ balance }) => balance.value === 100 - (threads % 2) * transactions,
  };
}

/** Generated unlocked banks (1-4 tellers of 1-3 transactions each), for fast-check to shrink. */
export const unlockedBanks = fc.array(
  fc.record({ delta: fc.constantFrom(-1, 1), transactions: fc.integer({ min: 1, max: 3 }) }),
  { minLength: 1, maxLength: 4 },
).map((tellers): Scenario<Bank> => ({
  setup: () => ({ balance: new Value("i", 100, { lock: false }), lock: new Lock() }),
  threads: tellers.map(({ delta, transactions }) =>
    function* teller({ balance }: Bank) {
      for (let n = 0; n < transactions; n++) {
        yield* sim(balance).set((yield* sim(balance).get()) + delta);
      }
    }
  ),
  invariant: ({ balance }) =>
    balance.value === 100 + tellers.reduce((s, t) => s + t.delta * t.transactions, 0),
}));

/** `Semaphore(2)`, 3 threads: acquire, count in, count out, release. */
export function semaphore(): Scenario<{ sem: Semaphore; inside: Int32Array }> {
  return {
    setup: () => ({ sem: new Semaphore(2), inside: new Int32Array(new SharedArrayBuffer(4)) }),
    threads: [0, 1, 2].map(() =>
      function* holder({ sem, inside }) {
        yield* sim(sem).acquire();
        if ((yield* sim(inside).add(0, 1)) >= 2) throw new Error("3 holders of a Semaphore(2)");
        yield* sim(inside).sub(0, 1);
        yield* sim(sem).release();
      }
    ),
    invariant: ({ sem }) => sem.value === 2,
  };
}

/** A producer puts 2 items (`notifyAll` each), a consumer takes them, waiting while none. */
export function handOff(): Scenario<{ cond: Condition; items: Int32Array }> {
  const n = 2;
  return {
    setup: () => ({
      cond: new Condition(new Lock()),
      items: new Int32Array(new SharedArrayBuffer(4)),
    }),
    threads: [
      function* consumer({ cond, items }) {
        for (let k = 0; k < n; k++) {
          yield* sim(cond).acquire();
          while ((yield* sim(items).load(0)) === 0) yield* sim(cond).wait();
          yield* sim(items).sub(0, 1);
          yield* sim(cond).release();
        }
      },
      function* producer({ cond, items }) {
        for (let k = 0; k < n; k++) {
          yield* sim(cond).acquire();
          yield* sim(items).add(0, 1);
          yield* sim(cond).notifyAll();
          yield* sim(cond).release();
        }
      },
    ],
    invariant: ({ items }) => items[0] === 0,
  };
}

/** A test-and-set spin lock in user code: exchange until it returns 0, pausing between tries. */
export function spinBank(
  threads: number,
  transfers: number,
): Scenario<{ lock: Int32Array; n: Int32Array }> {
  return {
    setup: () => ({
      lock: new Int32Array(new SharedArrayBuffer(4)),
      n: new Int32Array(new SharedArrayBuffer(4)),
    }),
    threads: Array.from({ length: threads }, () =>
      function* teller({ lock, n }) {
        for (let k = 0; k < transfers; k++) {
          while ((yield* sim(lock).exchange(0, 1)) !== 0) yield* sim(lock).pause();
          yield* sim(n).store(0, (yield* sim(n).load(0)) + 1);
          yield* sim(lock).store(0, 0);
        }
      }),
    invariant: ({ n }) => n[0] === threads * transfers,
  };
}
