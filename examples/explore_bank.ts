/**
 * Exploring your own concurrent code with the interleaving explorer, on the seed's bank.
 *
 * 1. Write each thread as a generator function that makes its shared accesses with `yield*` on
 *    `sim(x)` (the library's own kernels for `Lock`, `Value`, …, or raw `Atomics` operations on your
 *    own typed arrays).
 * 2. Say what must hold: `invariant` (after every complete execution) and/or `always` (after every
 *    step).
 * 3. Run a strategy: `search` (fast-check: finds and shrinks), `explore` (every interleaving, or up
 *    to a preemption bound), `sample` (PCT or random walk).
 * 4. Read the failure's trace (one column per thread, each access with its value) and replay it
 *    from its token.
 *
 * Run: `deno run examples/explore_bank.ts` (add `NO_COLOR=1` for plain text).
 *
 * @module
 */
import { Lock, Value } from "@interlock/interlock";
import { explore, replay, sample, type Scenario, search, sim } from "@interlock/interlock/explore";

/** The shared state: what `setup()` returns names the addresses in traces (`balance.value`). */
interface Bank {
  balance: Value<"i">;
  lock: Lock;
}

/** The seed's program: `withdraw` and `deposit` do `balance.value = balance.value ∓ 1`. */
function bank(locked: boolean, transactions = 1): Scenario<Bank> {
  const teller = (delta: number) =>
    function* ({ balance, lock }: Bank) {
      for (let n = 0; n < transactions; n++) {
        if (locked) yield* sim(lock).acquire();
        const v = yield* sim(balance).get(); // one step: an atomic load
        yield* sim(balance).set(v + delta); // one step: an atomic store
        if (locked) yield* sim(lock).release();
      }
    };
  const withdraw = teller(-1);
  const deposit = teller(+1);
  Object.defineProperty(withdraw, "name", { value: "withdraw" });
  Object.defineProperty(deposit, "name", { value: "deposit" });
  return {
    name: locked ? "locked bank" : "unlocked bank",
    setup: () => ({ balance: new Value("i", 100, { lock: false }), lock: new Lock() }),
    threads: [withdraw, deposit],
    invariant: ({ balance }) => balance.value === 100 || `balance.value is ${balance.value}`,
  };
}

const color = Deno.stdout.isTerminal() && !Deno.noColor;

// 1. Find the race: fast-check searches schedules and shrinks the one that fails.
const unlocked = search(bank(false));
console.log(unlocked.summary);
const failure = unlocked.failure!;
console.log(`\n${failure.render({ color })}\n`);

// 2. Replay it: the token re-runs exactly this interleaving (e.g. in a regression test).
const again = replay(bank(false), failure.token);
console.log(`replayed ${failure.token}: ${again.failure?.reason}\n`);

// 3. Prove the fix: every interleaving of the locked bank, 2 transactions per thread.
const proof = explore(bank(true, 2));
console.log(proof.summary);

// 4. Larger runs: PCT sampling, and preemption-bounded exhaustive search.
console.log(sample(bank(true, 5), { strategy: "pct", depth: 3, runs: 5000, seed: 1 }).summary);
console.log(explore(bank(true, 5), { preemptionBound: 2 }).summary);

// 5. Your own algorithm on raw shared memory: a "lock" made of a load and a store is no lock.
type Raw = { flag: Int32Array; inside: Int32Array };
const naive = explore<Raw>({
  name: "load-then-store spinlock",
  setup: () => ({
    flag: new Int32Array(new SharedArrayBuffer(4)),
    inside: new Int32Array(new SharedArrayBuffer(4)),
  }),
  threads: [0, 1].map(() =>
    function* worker({ flag, inside }: Raw) {
      while ((yield* sim(flag).load(0)) !== 0) yield* sim(flag).pause();
      yield* sim(flag).store(0, 1);
      const before = yield* sim(inside).add(0, 1);
      if (before !== 0) throw new Error("two threads inside the critical section");
      yield* sim(inside).sub(0, 1);
      yield* sim(flag).store(0, 0);
    }
  ),
}, { preemptionBound: 2 });
console.log(`\n${naive.failure!.render({ color })}`);
