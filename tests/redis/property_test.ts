/**
 * Properties of the hold-set scripts under random concurrent use by several contexts: timeouts,
 * aborts, try-acquires and releases interleave; the invariants must hold in every run.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import { connect, type RedisHold } from "../../src/redis/mod.ts";
import { allKeys, startRedisServer } from "./_server.ts";

type Op =
  | { kind: "acquire"; timeout: number }
  | { kind: "abort"; after: number }
  | { kind: "try" }
  | { kind: "release" };

const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant("acquire" as const), timeout: fc.constantFrom(0, 5, 40, 200) }),
  fc.record({ kind: fc.constant("abort" as const), after: fc.constantFrom(0, 3, 20) }),
  fc.record({ kind: fc.constant("try" as const) }),
  fc.record({ kind: fc.constant("release" as const) }),
);

Deno.test("A semaphore never has more holders than its value, and leaves no waiter behind, whatever 3 contexts do", async () => {
  await using server = await startRedisServer();
  const contexts = await Promise.all([1, 2, 3].map(() => connect(server.url, { lease: 5_000 })));
  let round = 0;
  try {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 2 }),
        fc.array(fc.array(op, { maxLength: 8 }), { minLength: 3, maxLength: 3 }),
        async (value, scripts) => {
          const name = `sem-${round++}`;
          let inside = 0;
          await Promise.all(scripts.map(async (script, k) => {
            const sem = contexts[k]!.Semaphore(name, value);
            const holds: RedisHold[] = [];
            const took = (hold: RedisHold) => {
              inside++;
              assert.ok(inside <= value, `${inside} holders of a semaphore of ${value}`);
              holds.push(hold);
            };
            for (const step of script) {
              if (step.kind === "release") {
                const hold = holds.shift();
                if (hold !== undefined) {
                  inside--;
                  await hold.release();
                }
              } else if (step.kind === "try") {
                // tryAcquire keeps its hold in the object: take it back through acquire({ timeout: 0 }).
                await sem.acquire({ timeout: 0 }).then(took, () => {});
              } else {
                const signal = step.kind === "abort" ? AbortSignal.timeout(step.after) : undefined;
                const timeout = step.kind === "acquire" ? step.timeout : undefined;
                await sem.acquire({
                  ...(signal && { signal }),
                  ...(timeout !== undefined && { timeout }),
                })
                  .then(took, (e) => {
                    assert.ok(
                      e instanceof DOMException && ["TimeoutError", "AbortError"].includes(e.name),
                      String(e),
                    );
                  });
              }
            }
            for (const hold of holds.splice(0)) {
              inside--;
              await hold.release();
            }
          }));
          assert.equal(await contexts[0]!.Semaphore(name, value).value(), value);
          const leftovers = (await allKeys(server.url)).filter((key) =>
            key.startsWith(`{interlock:${name}}`) && !/:sem:[fin]$/.test(key)
          );
          assert.deepEqual(leftovers, [], "holders, queue, registrations or token lists left");
        },
      ),
      { numRuns: 25 },
    );
  } finally {
    await Promise.all(contexts.map((ctx) => ctx.close()));
  }
});
