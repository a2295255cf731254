import assert from "node:assert/strict";
import fc from "fast-check";
import { Pool, WorkerCrashedError } from "../../mod.ts";
import { assertSeeded, DEADLINE_MS } from "../_helpers.ts";
import { shared, tasks, within } from "./_helpers.ts";
import { test } from "../_portable/test.ts";

type Op =
  | { kind: "bump" }
  | { kind: "fail" }
  | { kind: "exit" }
  | { kind: "slow" }
  | { kind: "abortNow" }
  | { kind: "abortSoon" };

const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 6, arbitrary: fc.constant({ kind: "bump" } as const) },
  { weight: 1, arbitrary: fc.constant({ kind: "fail" } as const) },
  { weight: 1, arbitrary: fc.constant({ kind: "exit" } as const) },
  { weight: 1, arbitrary: fc.constant({ kind: "slow" } as const) },
  { weight: 1, arbitrary: fc.constant({ kind: "abortNow" } as const) },
  { weight: 1, arbitrary: fc.constant({ kind: "abortSoon" } as const) },
);

test("under crashes, failures and aborts every task settles as it should and none runs twice", async () => {
  // Small bounds keep a failure's shrinking short: each run starts a pool.
  await assertSeeded(
    fc.asyncProperty(
      fc.integer({ min: 1, max: 2 }),
      fc.array(op, { minLength: 1, maxLength: 30 }),
      async (size, ops) => {
        const pool = new Pool(tasks, { size });
        const counters = shared(ops.length);
        const reason = new Error("aborted by the test");
        try {
          // Everything is submitted in one burst, so batching, stealing and crashes interleave.
          const outcomes = ops.map((o, i) => {
            switch (o.kind) {
              case "bump":
                return pool.apply("bumpAt", [counters, i]);
              case "fail":
                return pool.apply("evenOnly", [1]);
              case "exit":
                return pool.apply("exitWorker", [7]);
              case "slow":
                return pool.apply("slowDouble", [i]);
              case "abortNow": {
                const controller = new AbortController();
                const p = pool.apply("bumpAt", [counters, i], { signal: controller.signal });
                controller.abort(reason);
                return p;
              }
              case "abortSoon": {
                const controller = new AbortController();
                const p = pool.apply("bumpAt", [counters, i], { signal: controller.signal });
                queueMicrotask(() => queueMicrotask(() => controller.abort(reason)));
                return p;
              }
            }
          });
          // Each crash costs a worker start (up to a second or two on a loaded machine).
          const settled = await within(Promise.allSettled(outcomes), 3 * DEADLINE_MS, "all tasks");
          settled.forEach((s, i) => {
            const o = ops[i]!;
            const runs = Atomics.load(counters, i);
            switch (o.kind) {
              case "bump":
                assert.deepEqual(s, { status: "fulfilled", value: i });
                assert.equal(runs, 1, `task ${i} ran exactly once`);
                break;
              case "fail":
                assert.equal(s.status, "rejected");
                assert.ok((s as PromiseRejectedResult).reason instanceof RangeError);
                break;
              case "exit": {
                assert.equal(s.status, "rejected");
                const e = (s as PromiseRejectedResult).reason;
                assert.ok(e instanceof WorkerCrashedError && e.exitCode === 7);
                break;
              }
              case "slow":
                assert.deepEqual(s, { status: "fulfilled", value: 2 * i });
                break;
              case "abortNow":
                assert.deepEqual(s, { status: "rejected", reason });
                assert.equal(runs, 0, `aborted task ${i} never ran`);
                break;
              case "abortSoon":
                // Too late to drop it maybe, but the caller sees the abort; it ran at most once.
                if (s.status === "rejected") assert.equal(s.reason, reason);
                else assert.equal(s.value, i);
                assert.ok(runs <= 1, `task ${i} ran at most once`);
                break;
            }
          });
          // And the pool still works afterwards.
          assert.equal(await within(pool.apply("square", [5]), DEADLINE_MS, "after"), 25);
        } finally {
          await pool.terminate();
        }
      },
    ),
    { numRuns: 4 },
  );
});
