/**
 * The seed's bank under the explorer: `withdraw`/`deposit` threads doing
 * `balance.value = balance.value ∓ 1` on a shared `Value('i', 100)`, with or without a `Lock`
 * around each transaction.
 *
 * @module
 */
import { Lock, Value } from "../../mod.ts";
import { type Scenario, sim } from "../../src/explore/mod.ts";

/** The bank's shared state; `committed` is ghost state (plain writes, no steps) for checks. */
export interface Bank {
  balance: Value<"i">;
  lock: Lock;
  committed: Int32Array;
}

/** One teller: a kind and its transactions; `unlocked` lists transactions that skip the lock. */
export interface Teller {
  kind: "withdraw" | "deposit";
  transactions: number;
  unlocked?: readonly number[];
}

/** The balance every teller's transactions add up to. */
export function expected(tellers: readonly Teller[]): number {
  return 100 + tellers.reduce((s, t) => s + (t.kind === "deposit" ? 1 : -1) * t.transactions, 0);
}

function teller(t: Teller, locked: boolean) {
  const delta = t.kind === "deposit" ? 1 : -1;
  const body = function* ({ balance, lock, committed }: Bank) {
    const b = sim(balance);
    const l = sim(lock);
    for (let k = 0; k < t.transactions; k++) {
      const guarded = locked && !t.unlocked?.includes(k);
      if (guarded) yield* l.acquire();
      yield* b.set((yield* b.get()) + delta);
      committed[0] = committed[0]! + delta; // ghost: no shared step, restored with the snapshot
      if (guarded) yield* l.release();
    }
  };
  Object.defineProperty(body, "name", { value: t.kind });
  return body;
}

/** The bank scenario for `tellers`, locked or not. */
export function bank(tellers: readonly Teller[], locked: boolean): Scenario<Bank> & {
  tellers: readonly Teller[];
} {
  return {
    name: `${locked ? "locked" : "unlocked"} bank ${
      tellers.map((t) => `${t.kind}×${t.transactions}`).join(", ")
    }`,
    tellers,
    setup: () => ({
      balance: new Value("i", 100),
      lock: new Lock(),
      committed: new Int32Array(new SharedArrayBuffer(4)),
    }),
    threads: tellers.map((t) => teller(t, locked)),
    invariant: ({ balance }) => {
      const want = expected(tellers);
      return balance.value === want ||
        `balance.value is ${balance.value}, expected ${want}`;
    },
  };
}

/** `n` tellers alternating withdraw/deposit, `transactions` each. */
export function tellers(n: number, transactions: number): Teller[] {
  return Array.from({ length: n }, (_, k) => ({
    kind: k % 2 === 0 ? "withdraw" : "deposit",
    transactions,
  }));
}
