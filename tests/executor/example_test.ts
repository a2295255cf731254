import assert from "node:assert/strict";
import { isPrime, main, PRIMES } from "../../examples/executor.ts";
import { boundedTest } from "../_helpers.ts";

boundedTest("examples/executor.ts prints the Python example's answers in order", async () => {
  const lines: string[] = [];
  await main((line) => lines.push(line));
  assert.deepEqual(lines.slice(0, 6), PRIMES.map((n) => `${n} is prime: ${isPrime(n)}`));
  assert.deepEqual(lines.slice(0, 6).map((line) => line.endsWith("true")), [
    true,
    true,
    true,
    true,
    true,
    false,
  ]);
  assert.equal(lines[6], "asCompleted: 6 of 6 answered");
  assert.match(lines[7]!, /^wait: at least one done; cancelled [0-5] not yet started$/);
  assert.equal(lines[8], "After shutdown: RuntimeError");
  assert.equal(lines.length, 9);
});
