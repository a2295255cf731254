import assert from "node:assert/strict";
import fc from "fast-check";
import { Lock } from "../../mod.ts";
import { currentThread, execute, type Execution, SIM } from "../../src/explore/_engine.ts";
import { Progress } from "../../src/explore/_run.ts";
import { prepare } from "../../src/explore/_scenario.ts";
import {
  ExplorationFailure,
  explore,
  replay,
  sample,
  type Scenario,
  search,
  sim,
  TOKEN_VERSION,
} from "../../src/explore/mod.ts";
import { test } from "../_portable/test.ts";

function words(n = 2): Int32Array {
  return new Int32Array(new SharedArrayBuffer(4 * n));
}

/** Runs `p` with a fixed sequence of thread ids (then the lowest enabled thread). */
function runInOrder<S>(scenario: Scenario<S>, order: number[]): Execution {
  const p = prepare(scenario, { maxSteps: 1000, reset: "auto" });
  let k = 0;
  return execute(p, (ex) => {
    const t = order[k++];
    if (t !== undefined) {
      assert.ok(ex.isEnabled(t), `thread ${t} cannot move at step ${ex.steps + 1}`);
      return t;
    }
    return ex.enabled[0]!;
  }, true);
}

// --- Differential: the simulator against real Atomics. ---------------------------------------

const ARRAYS = [
  Int8Array,
  Uint8Array,
  Int16Array,
  Uint16Array,
  Int32Array,
  Uint32Array,
  BigInt64Array,
  BigUint64Array,
] as const;

type Outcome = { ok: true; value: unknown; memory: string } | { ok: false; error: string };

function memoryOf(a: ArrayLike<unknown>): string {
  return Array.from(a, String).join(",");
}

test("the simulator's operation results equal real Atomics on the same inputs", () => {
  const numberish = fc.oneof(
    fc.integer({ min: -300, max: 300 }),
    fc.constantFrom(2 ** 31, -(2 ** 31) - 1, 2 ** 32 + 5, 1.5, -0.5, Number.NaN, Infinity),
  );
  const bigish = fc.oneof(
    fc.bigInt({ min: -300n, max: 300n }),
    fc.constantFrom(2n ** 63n, -(2n ** 63n) - 1n, 2n ** 64n + 3n),
  );
  const op = fc.constantFrom("load", "store", "add", "sub", "exchange", "compareExchange");
  fc.assert(
    fc.property(
      fc.nat({ max: ARRAYS.length - 1 }),
      op,
      fc.oneof(fc.integer({ min: -1, max: 4 }), fc.constantFrom(1.7, Number.NaN)),
      fc.array(fc.integer({ min: -200, max: 200 }), { minLength: 3, maxLength: 3 }),
      numberish,
      numberish,
      bigish,
      bigish,
      (kind, name, index, init, x, y, bx, by) => {
        const Array_ = ARRAYS[kind]! as unknown as new (b: SharedArrayBuffer) => {
          [k: number]: unknown;
          length: number;
        };
        const bpe = (ARRAYS[kind]!).BYTES_PER_ELEMENT;
        const big = ARRAYS[kind] === BigInt64Array || ARRAYS[kind] === BigUint64Array;
        const make = () => {
          const a = new Array_(new SharedArrayBuffer(3 * bpe));
          init.forEach((v, k) => (a[k] = (big ? BigInt(v) : v) as never));
          return a;
        };
        const args = big ? [bx, by] : [x, y];
        const real = make();
        let want: Outcome;
        try {
          const value = (Atomics as unknown as Record<string, (...a: unknown[]) => unknown>)[name]!(
            real,
            index,
            ...args,
          );
          want = { ok: true, value, memory: memoryOf(real) };
        } catch (e) {
          want = { ok: false, error: (e as Error).constructor.name };
        }
        let got: Outcome | undefined;
        const report = explore({
          setup: () => ({ a: make() }),
          threads: [function* t({ a }) {
            try {
              const seam = SIM as unknown as Record<
                string,
                (...a: unknown[]) => Generator<unknown, unknown, unknown>
              >;
              const value = yield* seam[name]!(a, index, ...args);
              got = { ok: true, value, memory: memoryOf(a) };
            } catch (e) {
              got = { ok: false, error: (e as Error).constructor.name };
            }
          }],
        });
        assert.ok(report.ok, report.failure?.message);
        assert.deepEqual(got, want);
      },
    ),
    { numRuns: 600 },
  );
});

test("the simulator's wait and notify results and errors equal real Atomics", () => {
  const cases: [string, () => Int32Array | BigInt64Array | Uint8Array, number, number][] = [
    ["not-equal", () => words(), 0, 5],
    ["equal, times out", () => words(), 1, 0],
    ["bigint not-equal", () => new BigInt64Array(new SharedArrayBuffer(16)), 1, 3],
    ["index out of range", () => words(), 7, 0],
    ["non-shared", () => new Int32Array(4), 0, 0],
    ["not waitable", () => new Uint8Array(new SharedArrayBuffer(4)), 0, 0],
  ];
  for (const [what, make, index, value] of cases) {
    const real = make();
    const expected = typeof real[0] === "bigint" ? BigInt(value) : value;
    const outcome = (f: () => unknown) => {
      try {
        return f();
      } catch (e) {
        return (e as Error).constructor.name;
      }
    };
    const wantWait = outcome(() => Atomics.wait(real as Int32Array, index, expected as number, 0));
    const wantNotify = outcome(() => Atomics.notify(real as Int32Array, index, 1));
    let gotWait: unknown;
    let gotNotify: unknown;
    const report = explore({
      setup: () => ({ a: make() }),
      threads: [function* t({ a }) {
        try {
          gotWait = yield* SIM.wait(a as Int32Array, index, expected as number, 0);
        } catch (e) {
          gotWait = (e as Error).constructor.name;
        }
        try {
          gotNotify = yield* SIM.notify(a as Int32Array, index, 1);
        } catch (e) {
          gotNotify = (e as Error).constructor.name;
        }
      }],
    });
    assert.ok(report.ok, `${what}: ${report.failure?.message}`);
    assert.equal(gotWait, wantWait, what);
    assert.equal(gotNotify, wantNotify, what);
  }
});

// --- Exact waiting semantics. ------------------------------------------------------------------

function* sleeper({ m }: { m: Int32Array }) {
  return yield* sim(m).wait(0, 0);
}

test("notify wakes exactly count sleepers, in arrival order", () => {
  const ex = runInOrder({
    setup: () => ({ m: words() }),
    threads: [sleeper, sleeper, sleeper, function* notifier({ m }) {
      return yield* sim(m).notify(0, 2);
    }],
  }, [2, 0, 1, 3]);
  // T2 slept first, then T0, then T1: notify(2) wakes T2 and T0, and T1 sleeps on.
  assert.equal(ex.ending, "deadlock");
  assert.deepEqual(ex.threads.map((t) => t.result), ["ok", undefined, "ok", 2]);
  assert.deepEqual(ex.sleepers().map((t) => t.id), [1]);
  assert.match(ex.reason, /T1 \(sleeper\)/);
});

test("waiter lists are keyed by address: a notify on another word or buffer wakes nobody", () => {
  const ex = runInOrder({
    setup: () => ({ m: words(), other: words() }),
    threads: [sleeper, function* notifier({ m, other }: { m: Int32Array; other: Int32Array }) {
      return [yield* sim(m).notify(1, 1), yield* sim(other).notify(0, 1)];
    }],
  }, [0, 1, 1]);
  assert.equal(ex.ending, "deadlock");
  assert.deepEqual(ex.threads[1]!.result, [0, 0]);
  // A notify through a second view of the same memory does reach the sleeper.
  const shared = runInOrder({
    setup: () => ({ m: words() }),
    threads: [sleeper, function* notifier({ m }: { m: Int32Array }) {
      return yield* sim(new Int32Array(m.buffer, 0, 1)).notify(0, 1);
    }],
  }, [0, 1]);
  assert.equal(shared.ending, "ok");
  assert.deepEqual(shared.threads.map((t) => t.result), ["ok", 1]);
});

test("a wait checks and sleeps in one step: a store before it makes it return not-equal", () => {
  const report = explore({
    setup: () => ({ m: words() }),
    threads: [sleeper, function* writer({ m }: { m: Int32Array }) {
      yield* sim(m).store(0, 1);
      yield* sim(m).notify(0, 1);
    }],
  });
  assert.ok(report.ok, report.failure?.message);
  assert.equal(report.complete, true);
  // Outcomes: the sleeper returns "ok" (woken) or "not-equal"; never lost.
  assert.equal(report.distinctStates, 2);
});

test("a finite timeout is one more scheduling choice, and an infinite one can deadlock", () => {
  const timed = explore({
    setup: () => ({ m: words() }),
    threads: [function* waiter({ m }: { m: Int32Array }) {
      return yield* sim(m).wait(0, 0, { timeout: 50 });
    }],
    invariant: (_, [r]) => r === "timed-out",
  });
  assert.ok(timed.ok, timed.failure?.message);
  const forever = explore({ setup: () => ({ m: words() }), threads: [sleeper] });
  assert.equal(forever.failure?.kind, "deadlock");
  assert.match(forever.failure!.message, /wait m\[0\] = 0: sleeps/);
  assert.match(
    forever.failure!.reason,
    /every unfinished thread sleeps with no timeout: T0 \(sleeper\)/,
  );
  // With a notifier that may run first or later, both timeout and wake-up are explored.
  const both = explore({
    setup: () => ({ m: words() }),
    threads: [function* waiter({ m }: { m: Int32Array }) {
      return yield* sim(m).wait(0, 0, { timeout: 1 });
    }, function* waker({ m }: { m: Int32Array }) {
      yield* sim(m).notify(0, 1);
    }],
  });
  assert.ok(both.ok);
  assert.equal(both.distinctStates, 2); // "ok" and "timed-out"
});

test("a spin loop that never sees progress is reported as a livelock", () => {
  const report = explore({
    setup: () => ({ m: words() }),
    threads: [function* spinner({ m }: { m: Int32Array }) {
      while ((yield* sim(m).load(0)) === 0) yield* sim(m).pause();
    }],
  }, { maxSteps: 200 });
  assert.equal(report.failure?.kind, "livelock");
  assert.match(report.failure!.reason, /no end after 200 steps/);
  assert.equal(report.failure!.trace.length, 200);
});

test("a spin-wait on a flag awaits the flag's change, so it terminates in every schedule", () => {
  const report = explore({
    setup: () => ({ m: words() }),
    threads: [function* spinner({ m }: { m: Int32Array }) {
      while ((yield* sim(m).load(0)) === 0) yield* sim(m).pause();
    }, function* setter({ m }: { m: Int32Array }) {
      yield* sim(m).store(0, 1);
    }],
  }, { maxSteps: 100 });
  assert.ok(report.ok, report.failure?.message);
  assert.equal(report.complete, true);
});

test("a thread that throws fails the run with its error as the cause", () => {
  const report = explore({
    setup: () => ({ lock: new Lock() }),
    threads: [function* releaser({ lock }: { lock: Lock }) {
      yield* sim(lock).release();
    }],
  });
  assert.equal(report.failure?.kind, "error");
  assert.match(
    report.failure!.reason,
    /T0 \(releaser\) threw RuntimeError: Cannot release an unlocked lock/,
  );
  assert.equal((report.failure!.cause as Error).name, "RuntimeError");
});

test("nondeterministic thread bodies are reported as a divergence at a step", () => {
  let calls = 0;
  const report = sample({
    setup: () => ({ m: words() }),
    threads: [function* flaky({ m }: { m: Int32Array }) {
      // Reads different words on different runs: not a function of the schedule.
      yield* sim(m).load(calls++ % 2);
      yield* sim(m).store(0, 1);
    }],
    invariant: ({ m }) => m[0] === 0,
  }, { runs: 1, seed: 1 });
  assert.equal(report.failure?.kind, "divergence");
  assert.match(report.failure!.reason, /diverged at step 1/);
});

// --- Replay tokens and traces. ----------------------------------------------------------------

function unlockedCounter(): Scenario<{ n: Int32Array }> {
  return {
    name: "counter",
    setup: () => ({ n: words(1) }),
    threads: [0, 1].map(() =>
      function* inc({ n }: { n: Int32Array }) {
        yield* sim(n).store(0, (yield* sim(n).load(0)) + 1);
      }
    ),
    invariant: ({ n }) => n[0] === 2 || `n is ${n[0]}`,
  };
}

test("a failure's versioned replay token re-runs exactly its interleaving", () => {
  const found = sample(unlockedCounter(), { strategy: "random", runs: 1000, seed: 9 }).failure!;
  assert.ok(found instanceof ExplorationFailure);
  assert.ok(found.token.startsWith(`${TOKEN_VERSION}:2:`));
  const again = replay(unlockedCounter(), found.token);
  assert.equal(again.failure?.token, found.token);
  assert.deepEqual(again.failure?.trace, found.trace);
  assert.deepEqual(again.failure?.final, { n: 1 });
  assert.match(found.message, /seed: 9/);
});

test("replay rejects malformed tokens, other versions and other thread counts with TypeError", () => {
  const s = unlockedCounter();
  assert.throws(() => replay(s, "nonsense"), TypeError);
  assert.throws(() => replay(s, "ix0:2:0.1:00"), /version ix1/);
  assert.throws(() => replay(s, "ix1:2:0.!:00"), /malformed/);
  assert.throws(() => replay(s, "ix1:3:0.1.2:00"), /for 3 threads, the scenario has 2/);
  // A token whose thread cannot move reports the divergence instead of guessing.
  const r = replay(s, "ix1:2:0*9:00");
  assert.equal(r.failure?.kind, "divergence");
  assert.match(r.failure!.reason, /diverged at step 3/);
});

test("the trace is a plain-text sequence diagram: one column per thread, values read and written, preemptions marked", () => {
  const failure = explore(unlockedCounter(), { preemptionBound: 1 }).failure!;
  const lines = failure.message.split("\n");
  assert.ok(!failure.message.includes("\x1b["), "no ANSI escapes");
  const header = lines.find((l) => /^\s+step\s/.test(l))!;
  assert.match(header, /step\s+T0 inc\s+│ T1 inc/);
  const rows = lines.filter((l) => /^[ ~]\s+\d+\s/.test(l));
  assert.equal(rows.length, failure.trace.length);
  assert.equal(rows.filter((r) => r.startsWith("~")).length, failure.preemptions);
  assert.match(failure.message, /read n → 0/);
  assert.match(failure.message, /write n ← 1/);
  assert.match(failure.message, /final: n = 1/);
  // Each step sits in its thread's column.
  for (const [k, step] of failure.trace.entries()) {
    const [left, right] = rows[k]!.split("│");
    assert.ok((step.thread === 0 ? left : right)!.includes(step.text), rows[k]);
  }
  assert.ok(failure.render({ color: true }).includes("\x1b["), "colour when asked");
});

test("traces name addresses after the setup keys and the kernels' FIELDS", () => {
  const failure = explore({
    setup: () => ({ lock: new Lock(), cells: words(3) }),
    threads: [function* t({ lock, cells }: { lock: Lock; cells: Int32Array }) {
      yield* sim(lock).acquire();
      yield* sim(cells).store(2, 7);
      yield* sim(lock).acquire(); // deadlocks: the lock is not reentrant
    }],
  }).failure!;
  assert.equal(failure.kind, "deadlock");
  // T0 holds it as presence id 1 (state 1 << 1), then counts itself a waiter, marks it contended
  // (bit 0) and sleeps.
  assert.deepEqual(failure.trace.map((s) => s.text), [
    "cas lock.state: 0 → 2",
    "write cells[2] ← 7",
    "cas lock.state: 2 ≠ 0, fails",
    "add lock.waiters: 0 → 1",
    "cas lock.state: 2 → 3",
    "wait lock.state = 3: sleeps",
  ]);
});

// --- Options and inputs. ----------------------------------------------------------------------

test("snapshot and setup resets explore the same schedules", () => {
  const a = explore(unlockedCounter(), { reset: "snapshot", preemptionBound: 2 });
  const b = explore(unlockedCounter(), { reset: "setup", preemptionBound: 2 });
  assert.equal(a.failure?.token, b.failure?.token);
  // State holding a plain array cannot be snapshot: "auto" calls setup() for every execution.
  let setups = 0;
  const c = explore({
    setup: () => {
      setups++;
      return { n: words(1), log: [] as number[] };
    },
    threads: [function* t({ n, log }) {
      log.push(yield* sim(n).add(0, 1));
    }, function* u({ n, log }) {
      log.push(yield* sim(n).add(0, 1));
    }],
    invariant: ({ log }) => log.length === 2,
  });
  assert.ok(c.ok, c.failure?.message);
  assert.equal(setups, c.executions);
});

test("spin > 0 runs the kernels' spin loops, still covering every interleaving", () => {
  const report = explore({
    setup: () => ({ lock: new Lock() }),
    threads: [0, 1].map(() =>
      function* t({ lock }: { lock: Lock }) {
        yield* sim(lock).acquire();
        yield* sim(lock).release();
      }
    ),
  }, { spin: 2 });
  assert.ok(report.ok, report.failure?.message);
  assert.equal(report.complete, true);
  const spun = sample({
    setup: () => ({ lock: new Lock() }),
    threads: [function* holder({ lock }: { lock: Lock }) {
      yield* sim(lock).acquire();
      yield* sim(lock).acquire();
    }, function* other({ lock }: { lock: Lock }) {
      yield* sim(lock).acquire();
    }],
  }, { spin: 2, strategy: "random", runs: 20, seed: 1 });
  assert.equal(spun.failure?.kind, "deadlock");
});

test("bad scenarios and options throw TypeError or RangeError", () => {
  const ok = unlockedCounter();
  assert.throws(() => explore(null as never), TypeError);
  assert.throws(() => explore({ ...ok, setup: 1 } as never), TypeError);
  assert.throws(() => explore({ ...ok, threads: [] }), RangeError);
  assert.throws(
    () => explore({ ...ok, threads: [() => undefined] } as never),
    /generator function/,
  );
  assert.throws(() => explore(ok, { preemptionBound: -1 }), RangeError);
  assert.throws(() => explore(ok, { maxSteps: 0 }), RangeError);
  assert.throws(() => explore(ok, { dpor: "yes" } as never), TypeError);
  assert.throws(() => explore(ok, { reset: "never" } as never), TypeError);
  assert.throws(() => sample(ok, { strategy: "bfs" } as never), TypeError);
  assert.throws(() => sample(ok, { depth: 0 }), RangeError);
  assert.throws(() => search(ok, { numRuns: -1 }), RangeError);
  assert.throws(() => sim(new Float64Array(1) as never), TypeError);
  assert.throws(() => [...(sim(words()).load(0) as Iterable<unknown>)], /only run inside a thread/);
});

test("a thread that yields something else than explorer operations fails with a TypeError", () => {
  const report = explore({
    setup: () => ({}),
    threads: [function* bad() {
      yield 42;
    }],
  });
  assert.equal(report.failure?.kind, "error");
  assert.match(report.failure!.reason, /yielded a value that is not an explorer operation/);
});

test("an abort takes the aborted wait off its list and wakes every other waiter of the word, in one step", () => {
  const abortableSleeper = function* sleeper({ m }: { m: Int32Array }) {
    currentThread().abortable = true;
    return yield* SIM.wait(m, 0, 0, Infinity);
  };
  const ex = runInOrder({
    setup: () => ({ m: words() }),
    threads: [abortableSleeper, sleeper, sleeper, function* notifier({ m }: { m: Int32Array }) {
      return yield* sim(m).notify(0, 1);
    }],
  }, [0, 1, 2, 0, 3]);
  // T0, T1 and T2 sleep; T0's signal fires: its wait leaves the list and T1 and T2 wake (as
  // production's abort listener notifies the word, all its waiters); T3's notify finds nobody.
  assert.equal(ex.ending, "ok", ex.reason);
  assert.deepEqual(ex.threads.map((t) => t.result), ["timed-out", "ok", "ok", 0]);
  assert.equal(ex.threads.length, 4);
  const events = ex.events!;
  assert.equal(events[3]!.aborted, true);
  assert.deepEqual(events[3]!.woke, [1, 2]);
  assert.deepEqual(events[4]!.woke, []);
});

test("progress lines appear only when enabled, about every 250 ms of the given clock, and are cleared at the end", () => {
  let clock = 0;
  const out: string[] = [];
  const on = new Progress(true, () => clock, (s) => out.push(s));
  for (let n = 1; n <= 1024; n++) {
    clock += 1; // 1 ms per execution
    on.tick(n, 3, ", bound 1");
  }
  on.done();
  // 1,024 ms: lines at the first multiples of 64 executions past 250, 500, 750 and 1,000 ms.
  assert.equal(out.length, 5);
  assert.match(out[0]!, /explored 256 executions, 3 distinct states, 1,000\/s, bound 1/);
  assert.equal(out[4], "\r\x1b[2K");
  const off = new Progress(false, () => (clock += 1000), (s) => out.push(s));
  for (let n = 1; n <= 1024; n++) off.tick(n, 3, "");
  off.done();
  assert.equal(out.length, 5);
});
