/**
 * The production seam's spin budget for `Condition` waiters (`REAL.notifySpin`, `src/_atomics.ts`):
 * halved after each spin phase followed by a sleep, the full budget again after one that was not,
 * and a long probe for two tickets in every `PROBE_EVERY`, so that a hand-off whose two sides
 * sleep can start spinning again. Reads of the budget and the seam's waits are all this thread's
 * own: the sequence below is deterministic.
 *
 * @module
 */
import assert from "node:assert/strict";
import { PROBE_EVERY, REAL, SPIN_MAX, SPIN_MIN, SPIN_PROBE } from "../../src/_atomics.ts";

const word = new Int32Array(new SharedArrayBuffer(4));

/** A wait that sleeps (and times out): it counts against the phase read last. */
function sleep(): void {
  assert.equal(REAL.wait(word, 0, 0, performance.now() + 1), "timed-out");
}

/** A ticket that is not probed (its low bits are neither 0 nor 1). */
const PLAIN = 7;

Deno.test("A Condition waiter's spin budget halves after each phase followed by a sleep, and is full again after one that was not", () => {
  REAL.notifySpin(PLAIN); // whatever came before: this phase is not followed by a sleep
  const budgets: number[] = [];
  for (let k = 0; k < 7; k++) {
    budgets.push(REAL.notifySpin(PLAIN));
    sleep();
  }
  budgets.push(REAL.notifySpin(PLAIN)); // the last phase slept: still at the minimum
  budgets.push(REAL.notifySpin(PLAIN)); // the last phase caught its notify (no sleep): full again
  assert.deepEqual(budgets, [
    SPIN_MAX,
    SPIN_MAX / 2,
    SPIN_MAX / 4,
    SPIN_MAX / 8,
    SPIN_MAX / 16,
    SPIN_MAX / 32,
    SPIN_MIN,
    SPIN_MIN,
    SPIN_MAX,
  ]);
  // A wait that found the word changed did not sleep: it does not count against the budget.
  sleep();
  assert.equal(REAL.notifySpin(PLAIN), SPIN_MAX / 2);
  assert.equal(REAL.wait(word, 0, 1, Infinity), "not-equal");
  assert.equal(REAL.notifySpin(PLAIN), SPIN_MAX);
});

Deno.test("Two tickets in every PROBE_EVERY spin a long probe, one after the other, sleeping or not", () => {
  const probed: number[] = [];
  for (let seq = -2 * PROBE_EVERY; seq < 2 * PROBE_EVERY; seq++) {
    if (REAL.notifySpin(seq) === SPIN_PROBE) probed.push(seq);
    if (seq % 16 === 0) sleep(); // the budget is low then: the probe still comes
  }
  const expected = [-2, -1, 0, 1].flatMap((k) => [k * PROBE_EVERY, k * PROBE_EVERY + 1]);
  assert.deepEqual(probed, expected);
  assert.ok(SPIN_PROBE > 4 * SPIN_MAX, "a probe outlasts a vCPU's wake-up, a plain phase does not");
});
