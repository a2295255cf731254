import assert from "node:assert/strict";
import { Lock, Value } from "../../mod.ts";
import { inWorkers } from "../_helpers.ts";

const FIXTURES = new URL("./_stress_fixtures.ts", import.meta.url);

Deno.test("the locked bank on real workers ends at exactly 100 in 10 of 10 runs of 10,000 withdrawals and 10,000 deposits", async () => {
  const finals: number[] = [];
  for (let run = 0; run < 10; run++) {
    const balance = new Value("i", 100);
    const lock = new Lock();
    const done = await inWorkers<number>([
      { url: FIXTURES, name: "transact", args: [balance, lock, -1, 10_000] },
      { url: FIXTURES, name: "transact", args: [balance, lock, +1, 10_000] },
    ]);
    assert.deepEqual(done, [10_000, 10_000]);
    assert.equal(lock.locked(), false);
    finals.push(balance.value);
  }
  assert.deepEqual(finals, Array(10).fill(100));
});
