import assert from "node:assert/strict";
import {
  Barrier,
  BoundedSemaphore,
  BrokenBarrierError,
  Condition,
  Event,
  Lock,
  RLock,
  RuntimeError,
  Semaphore,
} from "../../mod.ts";
import { explore, type Report, sample, type Scenario, sim } from "../../src/explore/mod.ts";
import { words } from "../../src/explore/sim/_common.ts";
import * as KLock from "../../src/kernel/lock.ts";
import { optimalOn } from "./_traces.ts";
import { assertComplete } from "./_complete.ts";
import {
  cells,
  consumer,
  endsBy,
  handOffAgainst,
  isAbort,
  isTimeout,
  producer,
  setter,
  waiter,
} from "./_cases.ts";

/** Every interleaving passes (exhaustive, or as far as `options` bound it). */
function proves<S>(scenario: Scenario<S>, options: Parameters<typeof explore>[1] = {}): Report {
  const report = explore(scenario, options);
  assert.ok(report.ok, report.failure?.message);
  return report;
}

type Tickets = { guard: Lock | Semaphore; next: Int32Array; mine: Int32Array };

/**
 * 2 threads take `guard` and then a ticket (read the counter, `pad` accesses of their own, write
 * it back, keep the ticket): a proof of the guard must cover both orders in which they take it.
 */
function tickets(guard: () => Lock | Semaphore, pad: number): Scenario<Tickets> {
  return {
    setup: () => ({ guard: guard(), next: cells(1), mine: cells(2) }),
    threads: [0, 1].map((k) =>
      function* customer({ guard, next, mine }: Tickets) {
        const g = guard instanceof Lock ? sim(guard) : sim(guard);
        yield* g.acquire();
        const ticket = yield* sim(next).load(0);
        for (let i = 0; i < pad; i++) yield* sim(mine).load(k);
        yield* sim(next).store(0, ticket + 1);
        yield* sim(mine).store(k, ticket);
        yield* g.release();
      }
    ),
  };
}

Deno.test("the search is complete: DPOR reaches both orders of taking a Lock and a Semaphore(1) that plain DFS reaches", () => {
  for (const [guard, pad] of [[() => new Lock(), 2], [() => new Semaphore(1), 0]] as const) {
    const orders = assertComplete(tickets(guard, pad), ({ mine }) => [...mine]);
    assert.deepEqual(orders, ["[0,1]", "[1,0]"]);
  }
});

Deno.test("Semaphore never admits more holders than its value and loses no permit", () => {
  type S = { sem: Semaphore; inside: Int32Array };
  const scenario = (value: number, threads: number): Scenario<S> => ({
    setup: () => ({ sem: new Semaphore(value), inside: cells(1) }),
    threads: Array.from({ length: threads }, () =>
      function* holder({ sem, inside }: S) {
        yield* sim(sem).acquire();
        const before = yield* sim(inside).add(0, 1);
        assert.ok(before < value, `${before + 1} holders inside a Semaphore(${value})`);
        yield* sim(inside).sub(0, 1);
        yield* sim(sem).release();
      }),
    invariant: ({ sem }) => sem.value === value || `value ${sem.value} after all released`,
  });
  // Every interleaving of 2 threads on Semaphore(1) (checked against plain search: one execution
  // per class of its schedules); 3 threads on Semaphore(2) up to 2 preemptions and over PCT samples
  // (every interleaving takes ~167,000 executions, bench/explore_bench.ts).
  const small = proves(scenario(1, 2));
  assert.equal(small.complete, true);
  assert.equal(optimalOn("Semaphore(1), 2 threads", scenario(1, 2)).traces, small.executions);
  assert.equal(proves(scenario(2, 3), { preemptionBound: 2 }).boundCompleted, 2);
  const pct = sample(scenario(2, 3), { strategy: "pct", depth: 3, runs: 3000, seed: 11 });
  assert.ok(pct.ok, pct.failure?.message);
});

Deno.test("BoundedSemaphore never rises above its initial value: exactly one of two surplus releases is refused", () => {
  type S = { sem: BoundedSemaphore };
  const release = function* releaser({ sem }: S) {
    try {
      yield* sim(sem).release();
      return "released";
    } catch (e) {
      assert.ok(e instanceof RuntimeError, String(e));
      return "refused";
    }
  };
  const report = proves<S>({
    setup: () => ({ sem: new BoundedSemaphore(1) }),
    threads: [function* user({ sem }: S) {
      yield* sim(sem).acquire();
      return yield* release({ sem });
    }, release],
    always: ({ sem }) => sem.value <= 1 || `value ${sem.value} above the bound 1`,
    invariant: ({ sem }, results) =>
      sem.value === 1 && results.filter((r) => r === "refused").length === 1 ||
      `value ${sem.value}, releases: ${results.join(", ")}`,
  });
  assert.equal(report.complete, true);
  assert.equal(report.distinctStates, 2); // either release may be the refused one
});

Deno.test("RLock: reentry keeps ownership, other threads are excluded and cannot release it, in every interleaving", () => {
  type S = { r: RLock; inside: Int32Array };
  const report = proves<S>({
    setup: () => ({ r: new RLock(), inside: cells(1) }),
    threads: [
      ...[0, 1].map(() =>
        function* nested({ r, inside }: S) {
          const lock = sim(r);
          yield* lock.acquire();
          yield* lock.acquire();
          assert.equal(yield* lock.recursionCount(), 2);
          assert.equal(yield* sim(inside).add(0, 1), 0, "two owners inside");
          yield* sim(inside).sub(0, 1);
          yield* lock.release();
          assert.ok(yield* lock.owned(), "released too early");
          yield* lock.release();
          assert.equal(yield* lock.owned(), false);
        }
      ),
      function* intruder({ r }: S) {
        try {
          yield* sim(r).release();
          return "released";
        } catch (e) {
          assert.ok(e instanceof RuntimeError);
          return (e as Error).message;
        }
      },
    ],
    invariant: ({ r }, results) =>
      !r.locked() && results[2] !== "released" || `intruder: ${results[2]}`,
  });
  assert.equal(report.complete, true);
});

Deno.test("Event.set() wakes every waiter, in every interleaving", () => {
  type S = { ev: Event };
  const report = proves<S>({
    setup: () => ({ ev: new Event() }),
    threads: [waiter, waiter, setter],
  });
  assert.equal(report.complete, true);
});

Deno.test("Event.set() then clear() at once still releases every waiter already asleep, in every interleaving", () => {
  type S = { ev: Event };
  const report = proves<S>({
    setup: () => ({ ev: new Event() }),
    threads: [waiter, waiter, function* setter({ ev }: S) {
      // Wait (spinning) until both waiters announced themselves, i.e. read the lowered flag.
      const raw = sim(new Int32Array(ev.buffer, ev.byteOffset, 3));
      while ((yield* raw.load(2)) < 2) yield* raw.pause();
      yield* sim(ev).set();
      yield* sim(ev).clear();
    }],
    invariant: ({ ev }) => !ev.isSet(),
  });
  assert.equal(report.complete, true);
});

Deno.test("Condition loses no wake-up: a consumer waiting for an item always gets it, in every interleaving", () => {
  type S = { cond: Condition; items: Int32Array };
  const report = proves<S>({
    setup: () => ({ cond: new Condition(new Lock()), items: cells(1) }),
    threads: [
      function* consumer({ cond, items }: S) {
        const c = sim(cond);
        yield* c.acquire();
        yield* c.waitFor(function* () {
          return (yield* sim(items).load(0)) > 0;
        });
        yield* sim(items).sub(0, 1);
        yield* c.release();
      },
      producer,
    ],
    invariant: ({ items }) => items[0] === 0,
  });
  assert.equal(report.complete, true);
});

Deno.test("Condition with an RLock: 2 consumers and 2 producers, no lost wake-up up to preemption bound 1 and over 3,000 PCT runs", () => {
  type S = { cond: Condition; items: Int32Array };
  const scenario: Scenario<S> = {
    setup: () => ({ cond: new Condition(new RLock()), items: cells(1) }),
    threads: [consumer, consumer, producer, producer],
    invariant: ({ items }) => items[0] === 0,
  };
  const bounded = proves(scenario, { preemptionBound: 1 });
  assert.equal(bounded.boundCompleted, 1);
  for (const depth of [2, 3]) {
    const r = sample(scenario, { strategy: "pct", depth, runs: 1500, seed: depth });
    assert.ok(r.ok, r.failure?.message);
  }
});

Deno.test("Condition over an RLock wakes its waiter when the notifier lets the lock go (notify held twice, then 2 releases), in every interleaving", () => {
  type S = { cond: Condition; items: Int32Array };
  const report = proves<S>({
    setup: () => ({ cond: new Condition(new RLock()), items: cells(1) }),
    threads: [
      consumer,
      function* notifier({ cond, items }: S) {
        const c = sim(cond);
        yield* c.acquire();
        yield* c.acquire(); // held twice: the wake-up waits for the outer release
        yield* sim(items).add(0, 1);
        yield* c.notifyAll();
        yield* c.release();
        assert.ok(yield* sim(cond.lock as RLock).owned(), "still held once");
        yield* c.release();
      },
    ],
    invariant: ({ cond, items }) => items[0] === 0 && !cond.lock.locked(),
  });
  assert.equal(report.complete, true);
});

Deno.test("Barrier releases nobody early and hands out unique indexes per generation, in every interleaving of 2 generations", () => {
  type S = { gate: Barrier; arrived: Int32Array };
  const parties = 2;
  const report = proves<S>({
    setup: () => ({ gate: new Barrier(parties), arrived: cells(2) }),
    threads: Array.from({ length: parties }, () =>
      function* party({ gate, arrived }: S) {
        const indexes: number[] = [];
        for (let g = 0; g < 2; g++) {
          yield* sim(arrived).add(g, 1);
          indexes.push(yield* sim(gate).wait());
          const n = yield* sim(arrived).load(g);
          assert.equal(n, parties, `released from generation ${g} with ${n} of ${parties} arrived`);
        }
        return indexes;
      }),
    invariant: (_, results) => {
      const byGeneration = [0, 1].map((g) =>
        (results as number[][]).map((r) => r[g]).sort().join()
      );
      return byGeneration.every((s) => s === "0,1") || `indexes ${byGeneration.join(" | ")}`;
    },
  });
  assert.equal(report.complete, true);
});

Deno.test("Barrier with 3 parties and an action: the action runs once, before anyone leaves (PCT and 1 preemption)", () => {
  type S = { gate: Barrier; actions: Int32Array };
  const scenario: Scenario<S> = {
    setup: () => ({ gate: new Barrier(3), actions: cells(1) }),
    threads: [0, 1, 2].map(() =>
      function* party({ gate, actions }: S) {
        const action = function* () {
          yield* sim(actions).add(0, 1);
        };
        const index = yield* sim(gate).wait({ action });
        assert.equal(yield* sim(actions).load(0), 1, "left before the action ran");
        return index;
      }
    ),
    invariant: ({ actions }, indexes) =>
      actions[0] === 1 && [...indexes as number[]].sort().join() === "0,1,2",
  };
  for (const depth of [2, 3]) {
    const r = sample(scenario, { strategy: "pct", depth, runs: 2000, seed: 7 });
    assert.ok(r.ok, r.failure?.message);
  }
  proves(scenario, { preemptionBound: 1 });
});

// --- Timeouts leave state consistent. -----------------------------------------------------------

Deno.test("a timed-out Lock.acquire leaves the lock consistent and mutual exclusion intact, in every interleaving with up to 2 preemptions", () => {
  type S = { lock: Lock; inside: Int32Array };
  const report = proves<S>({
    setup: () => ({ lock: new Lock(), inside: cells(1) }),
    threads: [0, 1, 2].map((k) =>
      function* maybe({ lock, inside }: S) {
        try {
          yield* sim(lock).acquire(k === 0 ? undefined : { timeout: 10 });
        } catch (e) {
          assert.ok(isTimeout(e));
          return "timed out";
        }
        assert.equal(yield* sim(inside).add(0, 1), 0, "two holders");
        yield* sim(inside).sub(0, 1);
        yield* sim(lock).release();
        return "held";
      }
    ),
    invariant: ({ lock }, results) =>
      !lock.locked() && results[0] === "held" || `lock state after ${results.join(", ")}`,
  }, { preemptionBound: 2 });
  assert.equal(report.boundCompleted, 2);
});

Deno.test("a timed-out Semaphore.acquire takes no permit and swallows no wake-up, in every interleaving with up to 3 preemptions", () => {
  type S = { sem: Semaphore };
  const words = (sem: Semaphore) => new Int32Array(sem.buffer, sem.byteOffset, 4);
  proves<S>({
    setup: () => ({ sem: new Semaphore(0) }),
    threads: [
      function* impatient({ sem }: S) {
        return yield* endsBy("timeout", sim(sem).acquire({ timeout: 5 }), "acquired");
      },
      function* patient({ sem }: S) {
        yield* sim(sem).acquire();
        return "acquired";
      },
      function* releaser({ sem }: S) {
        yield* sim(sem).release();
        yield* sim(sem).release();
      },
    ],
    invariant: ({ sem }, [impatient]) => {
      const waiters = words(sem)[2];
      const expected = impatient === "acquired" ? 0 : 1;
      return sem.value === expected && waiters === 0 ||
        `value ${sem.value} (expected ${expected}), waiters ${waiters}`;
    },
  }, { preemptionBound: 3 });
});

Deno.test("a timed-out Event.wait leaves no waiter count behind, in every interleaving", () => {
  type S = { ev: Event };
  const scenario: Scenario<S> = {
    setup: () => ({ ev: new Event() }),
    threads: [
      function* impatient({ ev }: S) {
        return yield* endsBy("timeout", sim(ev).wait({ timeout: 5 }), "set");
      },
      setter,
    ],
    invariant: ({ ev }) => new Int32Array(ev.buffer, ev.byteOffset, 3)[2] === 0 && ev.isSet(),
  };
  const report = proves(scenario);
  // Checked, not trusted: one execution per class of plain search's schedules, and no class left.
  assert.equal(optimalOn("a timed-out Event.wait", scenario).traces, report.executions);
});

Deno.test("a timed-out Condition.wait holds the lock again, takes no token and passes on wake-ups, in every interleaving with up to 2 preemptions", () => {
  const report = proves(handOffAgainst("timeout"), { preemptionBound: 2 });
  assert.equal(report.boundCompleted, 2);
});

Deno.test("a Barrier party that times out breaks the barrier for everyone, in every interleaving", () => {
  type S = { gate: Barrier };
  proves<S>({
    setup: () => ({ gate: new Barrier(3) }),
    threads: [0, 1].map((k) =>
      function* party({ gate }: S) {
        try {
          return yield* sim(gate).wait(k === 0 ? { timeout: 5 } : undefined);
        } catch (e) {
          if (isTimeout(e)) return "timeout";
          assert.ok(e instanceof BrokenBarrierError, String(e));
          return "broken";
        }
      }
    ),
    // The third party never comes: the timed-out party breaks the barrier, releasing the other.
    invariant: ({ gate }, results) =>
      gate.broken && results[1] === "broken" || `${results.join(", ")}, broken: ${gate.broken}`,
  });
});

Deno.test("sim(barrier).wait() uses the default timeout stored with the barrier, as waitSync does", () => {
  type S = { gate: Barrier };
  const report = proves<S>({
    setup: () => ({ gate: new Barrier(2, { timeout: 5 }) }),
    threads: [
      function* alone({ gate }: S) {
        try {
          return yield* sim(gate).wait(); // nobody else comes: only the stored timeout ends it
        } catch (e) {
          assert.ok(e instanceof BrokenBarrierError && isTimeout(e.cause), String(e));
          return "timed out";
        }
      },
    ],
    invariant: ({ gate }, results) => gate.broken && results[0] === "timed out",
  });
  assert.ok(report.complete);
});

// --- Aborts leave state consistent and swallow no wake-up. --------------------------------------

Deno.test("an aborted Lock.acquire swallows no wake-up, whether the release comes before or after its abort, in every interleaving", () => {
  type S = { lock: Lock };
  const outcomes = new Set<string>();
  const user = function* user({ lock }: S) {
    yield* sim(lock).acquire();
    yield* sim(lock).release();
    return "held";
  };
  const report = proves<S>({
    setup: () => ({ lock: new Lock() }),
    threads: [user, function* aborter({ lock }: S) {
      try {
        yield* sim(lock).acquire({ abortable: true });
      } catch (e) {
        assert.ok(isAbort(e), String(e));
        return "aborted";
      }
      yield* sim(lock).release();
      return "held";
    }, user],
    invariant: ({ lock }, results) => {
      assert.ok(!lock.locked());
      outcomes.add(String(results[1]));
      // No wake-up owed for good: a count of woken threads left above 0 would make every later
      // release skip its wake (src/kernel/lock.ts); below 0 it only wakes more.
      const w = words(lock, KLock.BYTES);
      assert.equal(w[KLock.WAITERS], 0);
      assert.ok(w[KLock.WOKEN]! <= 0, `woken count ${w[KLock.WOKEN]} left raised`);
    },
  });
  assert.equal(report.complete, true);
  assert.deepEqual([...outcomes].sort(), ["aborted", "held"]);
});

Deno.test("a thread that aborts its Lock.acquire and then waits for the lock again gets the release's wake-up, in every interleaving", () => {
  // The hang of the old async driver (seen on Bun): the aborted acquire's wait stayed registered
  // until the thread's event loop ran again, so the holder's release, notify(1), landed on it while
  // the same thread slept in a second, blocking acquire, which then slept forever. The abort
  // notifies the word instead (`src/_async.ts`): no waiter is left to take the wake-up.
  type S = { lock: Lock };
  const report = proves<S>({
    setup: () => ({ lock: new Lock() }),
    threads: [function* holder({ lock }: S) {
      yield* sim(lock).acquire();
      yield* sim(lock).release();
      return "held";
    }, function* retrier({ lock }: S) {
      let first = "held";
      try {
        yield* sim(lock).acquire({ abortable: true });
      } catch (e) {
        assert.ok(isAbort(e), String(e));
        first = "aborted";
        yield* sim(lock).acquire();
      }
      yield* sim(lock).release();
      return first;
    }],
    invariant: ({ lock }) => !lock.locked(),
  });
  assert.equal(report.complete, true);
  // Both endings happen: the retrier held the lock at once, or after its abort.
  assert.equal(report.distinctStates, 2);
});

Deno.test("an aborted Semaphore.acquire takes no permit and swallows no wake-up, in every interleaving with up to 3 preemptions", () => {
  type S = { sem: Semaphore };
  proves<S>({
    setup: () => ({ sem: new Semaphore(0) }),
    threads: [
      function* aborter({ sem }: S) {
        return yield* endsBy("abort", sim(sem).acquire({ abortable: true }), "acquired");
      },
      function* taker({ sem }: S) {
        yield* sim(sem).acquire();
      },
      function* giver({ sem }: S) {
        yield* sim(sem).release(2);
      },
    ],
    invariant: ({ sem }, [aborter]) => {
      const waiters = new Int32Array(sem.buffer, sem.byteOffset, 4)[2];
      const expected = aborter === "aborted" ? 1 : 0;
      return sem.value === expected && waiters === 0 ||
        `value ${sem.value} (expected ${expected}), waiters ${waiters}`;
    },
  }, { preemptionBound: 3 });
});

Deno.test("an aborted Event.wait leaves no waiter count and wakes everyone else, in every interleaving", () => {
  type S = { ev: Event };
  const report = proves<S>({
    setup: () => ({ ev: new Event() }),
    threads: [
      function* aborter({ ev }: S) {
        yield* endsBy("abort", sim(ev).wait({ abortable: true }), "set");
      },
      waiter,
      setter,
    ],
    invariant: ({ ev }) => new Int32Array(ev.buffer, ev.byteOffset, 3)[2] === 0,
  });
  assert.equal(report.complete, true);
});

Deno.test("an aborted Condition.wait holds the lock again and passes on wake-ups, in every interleaving with up to 2 preemptions", () => {
  const report = proves(handOffAgainst("abort"), { preemptionBound: 2 });
  assert.equal(report.boundCompleted, 2);
});

Deno.test("an aborted Barrier.wait breaks the barrier for the other parties, in every interleaving", () => {
  type S = { gate: Barrier };
  proves<S>({
    setup: () => ({ gate: new Barrier(3) }),
    threads: [
      function* aborter({ gate }: S) {
        try {
          return yield* sim(gate).wait({ abortable: true });
        } catch (e) {
          assert.ok(isAbort(e), String(e));
          return "aborted";
        }
      },
      function* party({ gate }: S) {
        try {
          return yield* sim(gate).wait();
        } catch (e) {
          assert.ok(e instanceof BrokenBarrierError, String(e));
          return "broken";
        }
      },
    ],
    // The third party never comes: only the abort ends the wait, and it breaks the barrier.
    invariant: ({ gate }, results) =>
      gate.broken && results[0] === "aborted" && results[1] === "broken" ||
      `${results.join(", ")}, broken: ${gate.broken}`,
  });
});
