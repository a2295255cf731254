/**
 * Optimal DPOR runs exactly one complete execution per Mazurkiewicz trace: on every scenario here,
 * the classes of a brute-force search over every schedule (`_traces.ts`, independent of the search
 * code) equal the classes of the executions the reduced search runs, one execution each, and both
 * reach the same outcomes.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import { Condition, Event, Lock, Semaphore } from "../../mod.ts";
import { currentThread, SIM } from "../../src/explore/_engine.ts";
import { type Scenario, sim } from "../../src/explore/mod.ts";
import { bank, tellers } from "./_bank.ts";
import { optimalOn } from "./_traces.ts";

type Op = {
  k:
    | "load"
    | "store"
    | "add"
    | "cas"
    | "xchg"
    | "wait"
    | "waitT"
    | "waitA"
    | "notify"
    | "pause"
    | "spin"
    | "rewait";
  c: number;
  v: number;
  w: number;
};

const op: fc.Arbitrary<Op> = fc.record({
  k: fc.constantFrom(
    "load",
    "store",
    "add",
    "cas",
    "xchg",
    "wait",
    "waitT",
    "waitA",
    "notify",
    "pause",
    "spin",
    "rewait",
  ),
  c: fc.nat({ max: 1 }),
  v: fc.nat({ max: 2 }),
  w: fc.nat({ max: 2 }),
}) as fc.Arbitrary<Op>;

/** Random programs: 2 or 3 threads of 1 to 3 operations on two words. */
const programs = fc.array(fc.array(op, { minLength: 1, maxLength: 3 }), {
  minLength: 2,
  maxLength: 3,
});

function program(threads: Op[][]): Scenario<{ m: Int32Array }> {
  return {
    setup: () => ({ m: new Int32Array(new SharedArrayBuffer(8)) }),
    threads: threads.map((ops) =>
      function* t({ m }: { m: Int32Array }) {
        const seen: unknown[] = [];
        const s = sim(m);
        for (const o of ops) {
          if (o.k === "load") seen.push(yield* s.load(o.c));
          else if (o.k === "store") yield* s.store(o.c, o.v);
          else if (o.k === "add") seen.push(yield* s.add(o.c, o.v));
          else if (o.k === "cas") seen.push(yield* s.compareExchange(o.c, o.v, o.w));
          else if (o.k === "xchg") seen.push(yield* s.exchange(o.c, o.v));
          else if (o.k === "wait") seen.push(yield* s.wait(o.c, o.v));
          else if (o.k === "waitT") seen.push(yield* s.wait(o.c, o.v, { timeout: 1 }));
          else if (o.k === "waitA") {
            // An abortable sleep: its abort leaves an orphaned wait that a forwarder passes on.
            currentThread().abortable = true;
            seen.push(yield* SIM.wait(m, o.c, o.v, Infinity));
            currentThread().abortable = false;
          } else if (o.k === "notify") seen.push(yield* s.notify(o.c, o.w));
          else if (o.k === "pause") yield* s.pause();
          else if (o.k === "spin") {
            // A spin with a budget of 2: awaits a change, or runs out when nobody else can move.
            for (let n = 0; n < 2 && (yield* s.load(o.c)) === o.v; n++) yield* s.pause();
          } else {
            // Re-waits on the same value while the wait returns "not-equal" (at most twice).
            for (let n = 0; n < 2; n++) {
              const r = yield* s.wait(o.c, o.v, { timeout: 1 });
              seen.push(r);
              if (r !== "not-equal") break;
            }
          }
        }
        return seen.join(",");
      }
    ),
  };
}

Deno.test("optimal DPOR runs one execution per Mazurkiewicz trace of random programs with waits, timeouts, aborts, CAS failures and spins", () => {
  let schedules = 0;
  let traces = 0;
  fc.assert(
    fc.property(programs, (threads) => {
      const r = optimalOn(JSON.stringify(threads), program(threads), 120);
      schedules += r.schedules;
      traces += r.traces;
    }),
    { numRuns: 300, seed: 4242 },
  );
  console.log(`  ${schedules} schedules fall into ${traces} traces, each explored once`);
  assert.ok(traces < schedules / 3, `${traces} traces of ${schedules} schedules`);
});

Deno.test("optimal DPOR runs one execution per Mazurkiewicz trace of the real primitives' kernels", () => {
  type C = { cond: Condition; items: Int32Array };
  type Sem = { sem: Semaphore; n: Int32Array };
  type Ev = { ev: Event; n: Int32Array };
  const cases: [string, Scenario<unknown>][] = [
    ["locked bank 2x1", bank(tellers(2, 1), true) as Scenario<unknown>],
    ["unlocked bank 3x1", bank(tellers(3, 1), false) as Scenario<unknown>],
    ["semaphore(1), 2 threads", {
      setup: () => ({ sem: new Semaphore(1), n: new Int32Array(new SharedArrayBuffer(4)) }),
      threads: [0, 1].map(() =>
        function* t({ sem, n }: Sem) {
          yield* sim(sem).acquire();
          yield* sim(n).add(0, 1);
          yield* sim(sem).release();
        }
      ),
    } as Scenario<unknown>],
    ["lock acquire with a timeout against a holder", {
      setup: () => ({ lock: new Lock() }),
      threads: [function* holder({ lock }: { lock: Lock }) {
        yield* sim(lock).acquire();
        yield* sim(lock).release();
      }, function* impatient({ lock }: { lock: Lock }) {
        try {
          yield* sim(lock).acquire({ timeout: 5 });
        } catch {
          return "timed out";
        }
        yield* sim(lock).release();
        return "held";
      }],
    } as Scenario<unknown>],
    ["an aborted lock acquire", {
      setup: () => ({ lock: new Lock() }),
      threads: [function* holder({ lock }: { lock: Lock }) {
        yield* sim(lock).acquire();
        yield* sim(lock).release();
      }, function* aborter({ lock }: { lock: Lock }) {
        try {
          yield* sim(lock).acquire({ abortable: true });
        } catch {
          return "aborted";
        }
        yield* sim(lock).release();
        return "held";
      }],
    } as Scenario<unknown>],
    ["event set against a waiter", {
      setup: () => ({ ev: new Event(), n: new Int32Array(new SharedArrayBuffer(4)) }),
      threads: [function* waiter({ ev }: Ev) {
        yield* sim(ev).wait();
      }, function* setter({ ev }: Ev) {
        yield* sim(ev).set();
      }],
    } as Scenario<unknown>],
    ["condition wait with a timeout, against a store that does not notify", {
      setup: () => ({
        cond: new Condition(new Lock()),
        items: new Int32Array(new SharedArrayBuffer(4)),
      }),
      threads: [
        function* consumer({ cond, items }: C) {
          yield* sim(cond).acquire();
          let waited = "no";
          if ((yield* sim(items).load(0)) === 0) {
            try {
              yield* sim(cond).wait({ timeout: 1 });
              waited = "notified";
            } catch {
              waited = "timed out";
            }
          }
          yield* sim(cond).release();
          return waited;
        },
        function* producer({ items }: C) {
          yield* sim(items).store(0, 1);
        },
      ],
    } as Scenario<unknown>],
  ];
  cases.push(["state rebuilt by setup() for every execution", {
    setup: () => ({ n: new Int32Array(new SharedArrayBuffer(8)), log: [] as number[] }),
    threads: [0, 1, 1].map((c) =>
      function* t({ n, log }: { n: Int32Array; log: number[] }) {
        log.push(yield* sim(n).add(c, 1));
        log.push(yield* sim(n).load(1 - c));
      }
    ),
  } as Scenario<unknown>]);
  for (const [name, scenario] of cases) {
    const r = optimalOn(name, scenario);
    console.log(`  ${name}: ${r.schedules} schedules, ${r.traces} traces, ${r.pruned} pruned`);
  }
});

Deno.test("optimal DPOR with an always-check explores every order of writes the check can see", () => {
  type S = { m: Int32Array };
  const r = optimalOn<S>("two independent writes under always", {
    setup: () => ({ m: new Int32Array(new SharedArrayBuffer(8)) }),
    threads: [function* a({ m }: S) {
      yield* sim(m).store(0, 1);
    }, function* b({ m }: S) {
      yield* sim(m).store(1, 1);
    }],
    // Fails only in the state where b wrote first: reachable only if the writes are reordered.
    always: ({ m }) => !(m[1] === 1 && m[0] === 0) || "b wrote first",
  });
  assert.equal(r.traces, 2);
});
