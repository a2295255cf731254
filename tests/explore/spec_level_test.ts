/**
 * The specification level (`level: "spec"`, `specLevel(x)`): each primitive operation is one
 * atomic step of its sequential specification. Its proofs must reach exactly the outcomes the
 * kernel level reaches (the kernels implement the specifications), with and without reduction,
 * and in far fewer executions.
 */
import assert from "node:assert/strict";
import {
  Barrier,
  BrokenBarrierError,
  Condition,
  Event,
  Lock,
  RLock,
  RuntimeError,
  Semaphore,
  Value,
} from "../../mod.ts";
import { explore, type Level, type Scenario, sim, specLevel } from "../../src/explore/mod.ts";
import { bank, tellers } from "./_bank.ts";
import { assertComplete, sameAtBothLevels } from "./_complete.ts";
import { cells, producer, setter } from "./_cases.ts";

/** n! / (k!)^(n/k)…: the orders of `groups` critical sections of `size` each. */
function orders(threads: number, each: number): number {
  const fact = (n: number): number => n <= 1 ? 1 : n * fact(n - 1);
  return fact(threads * each) / fact(each) ** threads;
}

Deno.test("the locked bank at the specification level is proven with one execution per order of its critical sections", () => {
  for (const [n, t] of [[3, 3], [4, 2]] as const) {
    const r = explore(bank(tellers(n, t), true), { level: "spec" });
    assert.ok(r.ok && r.complete, r.summary);
    assert.equal(r.executions, orders(n, t), `${n} x ${t}`);
  }
});

Deno.test("the unlocked bank at the specification level still loses an update", () => {
  const r = explore(bank(tellers(2, 1), false), { level: "spec" });
  assert.equal(r.failure?.kind, "invariant");
});

Deno.test("specLevel(lock) puts one lock at the specification level, whatever the level option", () => {
  const scenario = (marked: boolean): Scenario<{ lock: Lock; n: Value<"i"> }> => ({
    setup: () => ({
      lock: marked ? specLevel(new Lock()) : new Lock(),
      n: new Value("i", 0, { lock: false }),
    }),
    threads: [0, 1, 2].map(() =>
      function* inc({ lock, n }) {
        yield* sim(lock).acquire();
        yield* sim(n).set((yield* sim(n).get()) + 1);
        yield* sim(lock).release();
      }
    ),
    invariant: ({ n }) => n.value === 3,
  });
  const marked = explore(scenario(true));
  const kernel = explore(scenario(false));
  assert.ok(marked.ok && marked.complete && kernel.ok && kernel.complete);
  assert.equal(marked.executions, 6);
  assert.ok(kernel.executions > marked.executions, `${kernel.executions} kernel-level executions`);
});

Deno.test("Lock and Semaphore(1) hand out the same ticket orders at both levels", () => {
  type S = { guard: Lock | Semaphore; next: Int32Array; mine: Int32Array };
  for (const guard of [() => new Lock(), () => new Semaphore(1)]) {
    const got = sameAtBothLevels<S>({
      setup: () => ({ guard: guard(), next: cells(1), mine: cells(2) }),
      threads: [0, 1].map((k) =>
        function* customer({ guard, next, mine }: S) {
          const g = guard instanceof Lock ? sim(guard) : sim(guard);
          yield* g.acquire();
          const ticket = yield* sim(next).load(0);
          yield* sim(next).store(0, ticket + 1);
          yield* sim(mine).store(k, ticket);
          yield* g.release();
        }
      ),
    }, ({ mine }) => [...mine]);
    assert.deepEqual(got, ["[0,1]", "[1,0]"]);
  }
});

Deno.test("a thread that reaches a held lock after steps of its own still gets to take it first", () => {
  // T1's private steps commute with everything, so only the race of its blocked acquire with
  // T0's acquire (the step that last changed the lock) makes DPOR try T1 first.
  type S = { lock: Lock; next: Int32Array; mine: Int32Array };
  const got = assertComplete<S>(
    {
      setup: () => ({ lock: new Lock(), next: cells(1), mine: cells(2) }),
      threads: [0, 1].map((k) =>
        function* customer({ lock, next, mine }: S) {
          for (let i = 0; i < 2 * k; i++) yield* sim(mine).store(k, -1); // private steps
          yield* sim(lock).acquire();
          const ticket = yield* sim(next).load(0);
          yield* sim(next).store(0, ticket + 1);
          yield* sim(mine).store(k, ticket);
          yield* sim(lock).release();
        }
      ),
    },
    ({ mine }) => [...mine],
    "spec",
  );
  assert.deepEqual(got, ["[0,1]", "[1,0]"]);
});

Deno.test("Semaphore(2) with 3 threads (beyond the kernel level's reach): at most 2 inside", () => {
  type S = { sem: Semaphore; inside: Int32Array; peak: Int32Array };
  const got = assertComplete<S>(
    {
      setup: () => ({ sem: new Semaphore(2), inside: cells(1), peak: cells(3) }),
      threads: [0, 1, 2].map((k) =>
        function* worker({ sem, inside, peak }: S) {
          yield* sim(sem).acquire();
          const now = (yield* sim(inside).add(0, 1)) + 1;
          yield* sim(peak).store(k, now);
          yield* sim(inside).sub(0, 1);
          yield* sim(sem).release();
        }
      ),
      invariant: ({ inside, peak }) => inside[0] === 0 && peak.every((p) => p >= 1 && p <= 2),
    },
    ({ peak }) => [...peak],
    "spec",
  );
  assert.ok(got.includes("[1,2,2]"), got.join(" "));
});

Deno.test("Condition hand-off of 2 items with notifyAll (beyond the kernel level's reach): every item consumed", () => {
  type S = { cond: Condition; items: Int32Array; got: Int32Array };
  const got = assertComplete<S>(
    {
      setup: () => ({ cond: new Condition(new Lock()), items: cells(1), got: cells(2) }),
      threads: [
        ...[0, 1].map((k) =>
          function* consumer({ cond, items, got }: S) {
            const c = sim(cond);
            yield* c.acquire();
            while ((yield* sim(items).load(0)) === 0) yield* c.wait();
            yield* sim(got).store(k, yield* sim(items).sub(0, 1));
            yield* c.release();
          }
        ),
        function* producer({ cond, items }: S) {
          const c = sim(cond);
          for (let i = 0; i < 2; i++) {
            yield* c.acquire();
            yield* sim(items).add(0, 1);
            yield* c.notifyAll();
            yield* c.release();
          }
        },
      ],
      invariant: ({ items }) => items[0] === 0,
    },
    ({ got }) => [...got].sort(),
    "spec",
  );
  assert.deepEqual(got, ["[1,1]", "[1,2]"]); // each took an item (the count it saw)
});

Deno.test("RLock reentry and Condition over an RLock agree at both levels", () => {
  type S = { cond: Condition; items: Int32Array };
  sameAtBothLevels<S>({
    setup: () => ({ cond: new Condition(new RLock()), items: cells(1) }),
    threads: [
      function* consumer({ cond, items }: S) {
        const c = sim(cond);
        yield* c.acquire();
        yield* c.acquire(); // reentry: wait releases both levels
        while ((yield* sim(items).load(0)) === 0) yield* c.wait();
        yield* sim(items).sub(0, 1);
        yield* c.release();
        yield* c.release();
      },
      producer,
      function* intruder({ cond }: S) {
        try {
          yield* sim(cond).release();
          return "released";
        } catch (e) {
          return e instanceof RuntimeError ? "refused" : String(e);
        }
      },
    ],
    invariant: ({ items }, results) => items[0] === 0 && results[2] === "refused",
  }, ({ items }) => items[0]);
});

Deno.test("Event waiters, a timed waiter and a setter reach the same outcomes at both levels", () => {
  type S = { ev: Event };
  const got = sameAtBothLevels<S>({
    setup: () => ({ ev: new Event() }),
    threads: [
      function* waiter({ ev }: S) {
        yield* sim(ev).wait();
        return "woken";
      },
      function* timed({ ev }: S) {
        try {
          yield* sim(ev).wait({ timeout: 5 });
          return "woken";
        } catch (e) {
          return e instanceof DOMException && e.name === "TimeoutError" ? "timed out" : String(e);
        }
      },
      setter,
    ],
  }, (_, results) => results);
  assert.deepEqual(got, ['["woken","timed out",null]', '["woken","woken",null]']);
});

Deno.test("Barrier: indexes per generation, and a party that times out breaks it, the same at both levels", () => {
  type S = { gate: Barrier };
  const indexes = sameAtBothLevels<S>({
    setup: () => ({ gate: new Barrier(2) }),
    threads: [0, 1].map(() =>
      function* party({ gate }: S) {
        return [yield* sim(gate).wait(), yield* sim(gate).wait()];
      }
    ),
  }, (_, results) => results);
  assert.deepEqual(indexes, ["[[0,0],[1,1]]", "[[0,1],[1,0]]", "[[1,0],[0,1]]", "[[1,1],[0,0]]"]);
  const broken = sameAtBothLevels<S>({
    setup: () => ({ gate: new Barrier(2) }),
    threads: [
      function* patient({ gate }: S) {
        try {
          return yield* sim(gate).wait();
        } catch (e) {
          return e instanceof BrokenBarrierError ? "broken" : String(e);
        }
      },
      function* impatient({ gate }: S) {
        try {
          return yield* sim(gate).wait({ timeout: 1 });
        } catch (e) {
          return e instanceof BrokenBarrierError ? "broken" : String(e);
        }
      },
    ],
  }, (_, results) => results);
  assert.ok(broken.includes('["broken","broken"]'), broken.join(" "));
});

Deno.test("a deadlock at the specification level names who holds what and who waits for what; steps read as the user's calls", () => {
  type S = { a: Lock; b: Lock };
  const abba = (level: Level) =>
    explore<S>({
      setup: () => ({ a: new Lock(), b: new Lock() }),
      threads: [["a", "b"], ["b", "a"]].map(([x, y]) =>
        function* taker(s: S) {
          const first = sim(s[x as "a"]);
          const second = sim(s[y as "a"]);
          yield* first.acquire();
          yield* second.acquire();
          yield* second.release();
          yield* first.release();
        }
      ),
    }, { level });
  const spec = abba("spec").failure!;
  assert.equal(spec.kind, "deadlock");
  assert.match(
    spec.message,
    /T0 \(taker\) holds a, waits to acquire b; T1 \(taker\) holds b, waits to acquire a/,
  );
  assert.deepEqual(spec.trace.map((s) => s.text), ["acquire a", "acquire b"]);
  assert.equal(abba("kernel").failure?.kind, "deadlock");
});
