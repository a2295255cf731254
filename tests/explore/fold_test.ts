/**
 * Traces at the user's level: each call of a `sim()` wrapper's method is one row showing the call
 * as written, its kernel steps folded under it (`render({ kernelSteps: true })` shows them), and a
 * deadlock names what each thread holds and the call it waits in. Asserted line by line on known
 * failures: a bank teller that skips the lock, a condition's lost wake-up, ABBA locks.
 */
import assert from "node:assert/strict";
import { Condition, Lock, Value } from "../../mod.ts";
import { explore, replay, type Scenario, sim } from "../../src/explore/mod.ts";

/** The rows of a text trace (header and rule included), without the report around them. */
function diagram(text: string): string[] {
  const lines = text.split("\n");
  const start = lines.findIndex((l) => /^\s+step\s/.test(l));
  const end = lines.indexOf("", start);
  return lines.slice(start, end).map((l) => l.trimEnd());
}

type Bank = { balance: Value<"i">; lock: Lock };
/** The bank with one teller that skips the lock: its update can be lost. */
const unlockedBank: Scenario<Bank> = {
  setup: () => ({ balance: new Value("i", 100), lock: new Lock() }),
  threads: [
    function* locked({ balance, lock }: Bank) {
      yield* sim(lock).acquire();
      yield* sim(balance).set((yield* sim(balance).get()) - 1);
      yield* sim(lock).release();
    },
    function* unlocked({ balance }: Bank) {
      yield* sim(balance).set((yield* sim(balance).get()) + 1); // the bug: no lock
    },
  ],
  invariant: ({ balance }) => balance.value === 100,
};

Deno.test("a bank teller that skips the lock: the lock's calls fold into one row each, a Value's get and set are one step each", () => {
  const failure = explore(unlockedBank).failure!;
  assert.equal(failure.kind, "invariant");
  assert.deepEqual(diagram(failure.render()), [
    " step  T0 locked                │ T1 unlocked",
    "       ─────────────────────────┼──────────────────────────",
    "    1  lock.acquire()           │",
    "    2  read balance.value → 100 │",
    "~   3                           │ read balance.value → 100",
    "    4                           │ write balance.value ← 101",
    "    5  write balance.value ← 99 │",
    "    6  lock.release()           │",
  ]);
  // The replay token is unchanged by the folding: it re-runs the same steps.
  const again = replay(unlockedBank, failure.token).failure!;
  assert.deepEqual(diagram(again.render()), diagram(failure.render()));
});

type Box = { c: Condition; ready: Int32Array };
/** A consumer that checks the flag before taking the lock: the producer's notify can come first. */
const lostWakeUp: Scenario<Box> = {
  setup: () => ({ c: new Condition(new Lock()), ready: new Int32Array(new SharedArrayBuffer(4)) }),
  threads: [
    function* consumer({ c, ready }: Box) {
      if ((yield* sim(ready).load(0)) === 0) { // the bug: checked outside the lock
        yield* sim(c).acquire();
        yield* sim(c).wait();
        yield* sim(c).release();
      }
    },
    function* producer({ c, ready }: Box) {
      yield* sim(c).acquire();
      yield* sim(ready).store(0, 1);
      yield* sim(c).notify();
      yield* sim(c).release();
    },
  ],
};

Deno.test("a condition's lost wake-up reads as the calls the threads made, and the deadlock names the call the consumer sleeps in", () => {
  const failure = explore(lostWakeUp).failure!;
  assert.equal(failure.kind, "deadlock");
  assert.deepEqual(diagram(failure.render()), [
    " step  T0 consumer      │ T1 producer",
    "       ─────────────────┼────────────────",
    "    1  read ready → 0   │",
    "~   2                   │ c.acquire()",
    "    3                   │ write ready ← 1",
    "  4-5                   │ c.notify()",
    "    6                   │ c.release()",
    "    7  c.acquire()      │",
    " 8-13  c.wait(): sleeps │",
  ]);
  // The consumer holds no lock while it waits: wait gave it back.
  assert.equal(
    failure.reason,
    "deadlock: every unfinished thread sleeps with no timeout: T0 (consumer) waits in c.wait() " +
      "(sleeps on c.seq)",
  );
});

Deno.test("render({ kernelSteps: true }) shows every kernel step, one row each, as before folding", () => {
  const failure = explore(lostWakeUp).failure!;
  const rows = diagram(failure.render({ kernelSteps: true })).slice(2);
  assert.equal(rows.length, failure.trace.length);
  for (const [k, step] of failure.trace.entries()) assert.ok(rows[k]!.includes(step.text), rows[k]);
  assert.ok(diagram(failure.render()).length < rows.length + 2);
});

Deno.test("ABBA locks: the deadlock names who holds which lock and which acquire each one sleeps in", () => {
  type AB = { a: Lock; b: Lock };
  const order = (x: "a" | "b", y: "a" | "b") =>
    function* (locks: AB) {
      yield* sim(locks[x]).acquire();
      yield* sim(locks[y]).acquire();
      yield* sim(locks[y]).release();
      yield* sim(locks[x]).release();
    };
  const failure = explore<AB>({
    setup: () => ({ a: new Lock(), b: new Lock() }),
    threads: [order("a", "b"), order("b", "a")],
  }).failure!;
  assert.equal(failure.kind, "deadlock");
  assert.equal(
    failure.reason,
    "deadlock: every unfinished thread sleeps with no timeout: T0 (thread) holds a, waits in " +
      "b.acquire() (sleeps on b.state); T1 (thread) holds b, waits in a.acquire() (sleeps on a.state)",
  );
  assert.deepEqual(diagram(failure.render()), [
    " step  T0 thread           │ T1 thread",
    "       ────────────────────┼────────────────────",
    "    1  a.acquire()         │",
    "~   2                      │ b.acquire()",
    "  3-6                      │ a.acquire(): sleeps",
    " 7-10  b.acquire(): sleeps │",
  ]);
});
