import assert from "node:assert/strict";
import { Lock, Value } from "../../mod.ts";
import { assertContended, probe } from "../_contention.ts";
import { inWorkers } from "../_helpers.ts";

const FIXTURES = new URL("./_stress_fixtures.ts", import.meta.url);

Deno.test("the locked bank on real workers keeps every one of its contended withdrawals and deposits in 10 of 10 runs", async () => {
  const finals: number[] = [];
  const expected: number[] = [];
  for (let run = 0; run < 10; run++) {
    const balance = new Value("i", 100);
    const lock = new Lock();
    const p = probe({ parties: 2, target: 100, minOps: 5_000 });
    const [withdrawals, deposits] = await inWorkers<number>([
      { url: FIXTURES, name: "transact", args: [balance, lock, -1, p] },
      { url: FIXTURES, name: "transact", args: [balance, lock, +1, p] },
    ]);
    assertContended(p, `run ${run}`);
    assert.equal(lock.locked(), false);
    finals.push(balance.value);
    expected.push(100 - withdrawals! + deposits!);
  }
  assert.deepEqual(finals, expected);
});
