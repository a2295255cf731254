/**
 * Loop marks (`A.loop?.(site)`, `A.at?.(site, ...live)`, see `Seam.at`) let state caching forget a
 * loop's earlier laps, and stay sound when their contract holds: on random programs of marked
 * retry, await and spin loops, and on the kernels that mark their loops, state caching reaches
 * exactly the final states optimal DPOR reaches (one execution per Mazurkiewicz trace, itself
 * checked against the plain search over every schedule in `optimal_test.ts`); a mark that leaves out a
 * live variable is caught by that same comparison; and marks cost nothing outside the explorer.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import { Semaphore } from "../../mod.ts";
import { REAL, type Seam } from "../../src/_atomics.ts";
import { SIM } from "../../src/explore/_engine.ts";
import { explore, type Scenario, sim } from "../../src/explore/mod.ts";
import * as K from "../../src/kernel/lock.ts";
import { bank, tellers } from "./_bank.ts";

/** One loop of a random program (or a plain load): on word `c`, with value `v`. */
type Loop = { k: "inc" | "await" | "spin" | "load"; c: number; v: number };

const loops: fc.Arbitrary<Loop[][]> = fc.array(
  fc.array(
    fc.record({
      k: fc.constantFrom("inc" as const, "await" as const, "spin" as const, "load" as const),
      c: fc.nat({ max: 1 }),
      v: fc.integer({ min: 1, max: 2 }),
    }),
    { minLength: 1, maxLength: 2 },
  ),
  { minLength: 2, maxLength: 3 },
);

/**
 * The scenario of a program of marked loops; each thread returns what its loops ended with.
 * `honest: false` leaves the lap counter out of the marks, which the code after the loop reads.
 */
function program(threads: Loop[][], honest = true): Scenario<{ m: Int32Array }> {
  return {
    setup: () => ({ m: new Int32Array(new SharedArrayBuffer(8)) }),
    threads: threads.map((ops) =>
      function* t({ m }: { m: Int32Array }) {
        const seen: string[] = [];
        const s = sim(m);
        for (const [j, o] of ops.entries()) {
          const site = `${o.k}${j}`;
          let n = 0;
          if (o.k === "load") {
            seen.push(`${yield* s.load(o.c)}`);
            continue;
          }
          if (o.k === "inc") {
            // A compare-exchange retry loop: adds v to word c. Its entry leaves out the load,
            // whose result lives on in x (as the Lock kernel's does with its fast path's CAS).
            let x = yield* s.load(o.c);
            SIM.loop!(site, 1);
            for (;; n++) {
              if (honest) SIM.at!(site, x, n);
              else SIM.at!(site, x);
              const r = yield* s.compareExchange(o.c, x, x + o.v);
              if (r === x) break;
              x = r;
            }
            seen.push(`${x}/${n}`);
            continue;
          }
          SIM.loop!(site);
          if (o.k === "await") {
            // Waits (1 ms at a time) until word c is not 0.
            let r = "";
            for (;; n++) {
              SIM.at!(site, n, r);
              if ((yield* s.load(o.c)) !== 0) break;
              r = yield* s.wait(o.c, 0, { timeout: 1 });
              if (r === "timed-out") break;
            }
            seen.push(`${r}/${n}`);
          } else {
            // Spins (at most 2 pauses) while word c is 0, then stores v.
            for (; n < 2; n++) {
              SIM.at!(site, n);
              if ((yield* s.load(o.c)) !== 0) break;
              yield* s.pause();
            }
            yield* s.store(o.c, o.v);
            seen.push(`${n}`);
          }
        }
        return seen.join(",");
      }
    ),
  };
}

/** The final states a search reaches (memory words and results), or the kind of its failure. */
function finals<S extends { m?: Int32Array }>(
  scenario: Scenario<S>,
  reduce: "states" | "plain" | "traces",
): string[] {
  const seen = new Set<string>();
  const report = explore({
    ...scenario,
    invariant: (shared: S, results: unknown[]) => {
      const words = Object.values(shared as Record<string, unknown>).map((v) => {
        const b = (v as { buffer?: unknown })?.buffer;
        return b instanceof SharedArrayBuffer ? [...new Int32Array(b, 0, b.byteLength >> 2)] : [];
      });
      seen.add(JSON.stringify({ words, results }));
      return true;
    },
  }, reduce === "plain" ? { dpor: false } : { reduce });
  if (report.failure) return [`fails: ${report.failure.kind}`];
  assert.ok(report.complete, report.summary);
  return [...seen].sort();
}

Deno.test("state caching with loop marks reaches every final state optimal DPOR reaches on random programs of marked loops", () => {
  let outcomes = 0;
  fc.assert(
    fc.property(loops, (threads) => {
      const reference = finals(program(threads), "traces");
      assert.deepEqual(finals(program(threads), "states"), reference, JSON.stringify(threads));
      outcomes += reference.length;
    }),
    { numRuns: 300, seed: 1341 },
  );
  assert.ok(outcomes > 300, `only ${outcomes} outcomes`);
});

Deno.test("a loop mark that leaves out a live variable makes state caching miss final states, and the comparison catches it", () => {
  const out = fc.check(
    fc.property(loops, (threads) => {
      assert.deepEqual(
        finals(program(threads, false), "states"),
        finals(program(threads), "traces"),
      );
    }),
    { numRuns: 300, seed: 1341 },
  );
  assert.ok(out.failed, "no program told the broken marks apart");
  // The smallest: two threads racing to add to one word, one of them after a failed CAS.
  const threads = out.counterexample![0] as Loop[][];
  assert.ok(threads.some((ops) => ops.some((o) => o.k === "inc")), JSON.stringify(threads));
});

/** `Semaphore(1)`, 3 threads: each takes it, adds 1 to a counter and gives it back. */
function guardedAdds(): Scenario<{ sem: Semaphore; n: Int32Array }> {
  return {
    setup: () => ({ sem: new Semaphore(1), n: new Int32Array(new SharedArrayBuffer(4)) }),
    threads: [0, 1, 2].map(() =>
      function* t({ sem, n }: { sem: Semaphore; n: Int32Array }) {
        yield* sim(sem).acquire();
        yield* sim(n).add(0, 1);
        yield* sim(sem).release();
      }
    ),
  };
}

Deno.test("state caching with the kernels' loop marks reaches every final state optimal DPOR reaches on contended locks and semaphores", () => {
  const cases = [bank(tellers(3, 1), true), bank(tellers(2, 2), true), guardedAdds()];
  for (const scenario of cases as Scenario<{ m?: Int32Array }>[]) {
    const reference = finals(scenario, "traces");
    assert.ok(!reference[0]!.startsWith("fails"), reference[0]);
    assert.deepEqual(finals(scenario, "states"), reference);
  }
});

Deno.test("the production seams have no loop marks, so a marked kernel pays one property miss", () => {
  // Kernels call the marks as `A.loop?.(...)` and `A.at?.(...)`: absent, nothing runs.
  assert.equal((REAL as Seam).loop, undefined);
  assert.equal((REAL as Seam).at, undefined);
  // A marked kernel behaves the same without them.
  const s = new Int32Array(new SharedArrayBuffer(K.BYTES));
  assert.equal(K.acquire(REAL, s, 3, Infinity), K.ACQUIRED);
  assert.equal(K.acquire(REAL, s, 4, performance.now()), K.TIMED_OUT);
  assert.ok(K.release(REAL, s, 3));
});
