/**
 * The seed's bank as an explorer scenario: `threads` virtual threads, alternately withdrawing and
 * depositing 1, `transactions` times each, on a `Value('i', 100)`, optionally under a `Lock`. The
 * explorer runs `Lock`'s and `Value`'s own kernels and decides, at every shared access, who moves.
 *
 * @module
 */
import { Lock, Value } from "@interlock/interlock";
import { type Scenario, sim } from "@interlock/interlock/explore";

/** The shared state of one execution. */
export interface Bank {
  lock: Lock;
  balance: Value<"i">;
}

/**
 * The bank scenario; its invariant: once every thread is done, the balance is back to 100 (with an
 * even number of threads), else it says what the balance is.
 */
export function bankScenario(locked: boolean, threads = 2, transactions = 1): Scenario<Bank> {
  return {
    name: locked ? "locked bank" : "unlocked bank",
    setup: () => ({ lock: new Lock(), balance: new Value("i", 100, { lock: false }) }),
    threads: Array.from({ length: threads }, (_, k) => {
      const delta = k % 2 === 0 ? -1 : +1;
      return function* transfer({ lock, balance }: Bank) {
        for (let n = 0; n < transactions; n++) {
          if (locked) yield* sim(lock).acquire();
          const v = yield* sim(balance).get(); // balance.value = balance.value ∓ 1
          yield* sim(balance).set(v + delta);
          if (locked) yield* sim(lock).release();
        }
      };
    }),
    invariant: ({ balance }: Bank) => {
      const expected = 100 + (threads % 2 === 0 ? 0 : -transactions);
      return balance.value === expected ||
        `the balance is ${balance.value}, not ${expected}: an update was lost`;
    },
  };
}
