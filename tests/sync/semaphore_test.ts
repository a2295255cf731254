import assert from "node:assert/strict";
import fc from "fast-check";
import { BoundedSemaphore, Lock, RuntimeError, Semaphore } from "../../mod.ts";
import * as K from "../../src/kernel/semaphore.ts";
import { assertContended, type Observed, probe } from "../_contention.ts";
import { bounded, inWorkers, times, WAKE_MS, within } from "../_helpers.ts";
import { crowd } from "../_workers/semaphore_fixtures.ts";
import { until } from "./_until.ts";
import { test } from "../_portable/test.ts";

const FIXTURES = new URL("../_workers/semaphore_fixtures.ts", import.meta.url);

function words(sem: Semaphore): Int32Array {
  return new Int32Array(sem.buffer, sem.byteOffset, K.BYTES / 4);
}

/** 4 workers (2 blocking, 2 async) and the main thread crowd into the section `sem` guards. */
async function crowding(sem: Semaphore, limit: number): Promise<Observed> {
  const p = probe({ parties: 5, limit, target: 250, minOps: 500 });
  const work = inWorkers<number>([
    ...times(2, FIXTURES, "crowd", [sem, p, false]),
    ...times(2, FIXTURES, "crowd", [sem, p, true]),
  ]);
  const here = await bounded(crowd(sem, p, true), "the main thread's entries");
  const done = await work;
  assert.ok(here > 0 && done.every((n) => n > 0));
  assert.equal(sem.value, limit);
  assert.equal(words(sem)[K.WAITERS], 0);
  return assertContended(p, "4 workers and the main thread");
}

// On 2 cores a third thread is rarely inside a short section while two others are, so a semaphore
// that admits one holder too many shows itself with one permit; with two, the test shows both
// permits in use at once.
test("Semaphore(1) never admits a second holder among 4 contending workers and the main thread", async () => {
  await crowding(new Semaphore(1), 1);
});

test("Semaphore(2) never admits more than 2 holders among 4 contending workers and the main thread, and lets 2 in at once", async () => {
  const seen = await crowding(new Semaphore(2), 2);
  assert.equal(seen.maxInside, 2, "both permits were held at once");
});

test("Semaphore.release(3) wakes three workers asleep on an empty semaphore", async () => {
  const sem = new Semaphore(0);
  const work = inWorkers<string>(times(3, FIXTURES, "takeOne", [sem]));
  await until(() => words(sem)[K.WAITERS] === 3, "3 workers wait");
  sem.release(3);
  assert.deepEqual(await within(work, WAKE_MS, "the workers woken by release(3)"), [
    "took",
    "took",
    "took",
  ]);
  assert.equal(sem.value, 0);
  assert.equal(words(sem)[K.WAITERS], 0);
});

test("Semaphore timeouts and aborts take no permit and swallow no wake-up", async () => {
  const sem = new Semaphore(0);
  await assert.rejects(sem.acquire({ timeout: 5 }), { name: "TimeoutError" });
  assert.throws(() => sem.acquireSync({ timeout: 1 }), { name: "TimeoutError" });
  assert.equal(words(sem)[K.WAITERS], 0);
  const controller = new AbortController();
  const aborted = sem.acquire({ signal: controller.signal });
  const live = sem.acquire({ timeout: 5_000 });
  controller.abort(new Error("stop"));
  await assert.rejects(aborted, { message: "stop" });
  sem.release();
  const guard = await live;
  assert.equal(sem.value, 0);
  guard[Symbol.dispose]();
  guard[Symbol.dispose]();
  assert.equal(sem.value, 1);
  assert.equal(words(sem)[K.WAITERS], 0);
  await assert.rejects(sem.acquire({ signal: AbortSignal.abort("no") }), (e) => e === "no");
  assert.equal(sem.value, 1);
});

test("Semaphore rejects bad values and counts with TypeError and RangeError", () => {
  for (const bad of [-1, 1.5, Number.NaN, Infinity, 2 ** 31]) {
    assert.throws(() => new Semaphore(bad), RangeError);
    assert.throws(() => new BoundedSemaphore(bad), RangeError);
  }
  assert.throws(() => new Semaphore(-1), {
    message: "Cannot create semaphore: 'value' must be a non-negative integer up to 2147483647, " +
      "received -1",
  });
  assert.throws(() => new Semaphore("2" as unknown as number), TypeError);
  const sem = new Semaphore(1);
  for (const bad of [0, -1, 0.5, Number.NaN]) assert.throws(() => sem.release(bad), RangeError);
  assert.throws(() => sem.release("1" as unknown as number), TypeError);
  assert.throws(() => sem.acquireSync({ timeout: -5 }), RangeError);
  assert.equal(sem.value, 1);
  const full = new Semaphore(K.MAX_VALUE - 1);
  assert.throws(() => full.release(2), RangeError);
  full.release(1);
  assert.equal(full.value, K.MAX_VALUE);
  assert.throws(() => full.release(), RangeError);
});

test("BoundedSemaphore throws RuntimeError above its initial value, also in a worker's clone", async () => {
  const sem = new BoundedSemaphore(2);
  assert.throws(() => sem.release(), {
    name: "RuntimeError",
    message: "Cannot release bounded semaphore: releasing 1 would raise its value above its " +
      "initial value 2",
  });
  sem.acquireSync();
  sem.acquireSync();
  assert.throws(() => sem.release(3), RuntimeError);
  assert.equal(sem.value, 0);
  sem.release(2);
  const [outcome] = await inWorkers<string>(times(1, FIXTURES, "releaseOnce", [sem]));
  assert.equal(outcome, "RuntimeError");
  assert.equal(sem.value, 2);
  const zero = new BoundedSemaphore(0);
  assert.throws(() => zero.release(), RuntimeError);
});

test("Semaphore.from() and BoundedSemaphore.from() revive clones and reject everything else", () => {
  const sem = new Semaphore(2);
  const bounded = new BoundedSemaphore(1);
  assert.equal(Semaphore.from(sem), sem);
  assert.equal(Semaphore.from(bounded), bounded);
  const twin = Semaphore.from(structuredClone(sem));
  assert.ok(!(twin instanceof BoundedSemaphore));
  assert.ok(twin.tryAcquire());
  assert.equal(sem.value, 1);
  const boundedTwin = Semaphore.from(structuredClone(bounded));
  assert.ok(boundedTwin instanceof BoundedSemaphore);
  assert.throws(() => boundedTwin.release(), RuntimeError);
  assert.throws(() => BoundedSemaphore.from(structuredClone(sem)), TypeError);
  for (const bad of [null, 0, "sem", {}, structuredClone(new Lock())]) {
    assert.throws(() => Semaphore.from(bad), TypeError);
    assert.throws(() => BoundedSemaphore.from(bad), TypeError);
  }
});

type SemOp =
  | { op: "try" }
  | { op: "timed" }
  | { op: "release"; n: number }
  | { op: "value" };

const semOp: fc.Arbitrary<SemOp> = fc.oneof(
  fc.constant({ op: "try" as const }),
  fc.constant({ op: "timed" as const }),
  fc.constant({ op: "value" as const }),
  fc.record({ op: fc.constant("release" as const), n: fc.integer({ min: 1, max: 4 }) }),
);

test("Semaphore and BoundedSemaphore follow a counter model for any sequence of operations", () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 0, max: 5 }),
      fc.boolean(),
      fc.array(semOp, { maxLength: 40 }),
      (initial, isBounded, ops) => {
        const sem = isBounded ? new BoundedSemaphore(initial) : new Semaphore(initial);
        let value = initial;
        for (const step of ops) {
          if (step.op === "try") {
            assert.equal(sem.tryAcquire(), value > 0);
            if (value > 0) value--;
          } else if (step.op === "timed") {
            if (value > 0) {
              sem.acquireSync({ timeout: 0 });
              value--;
            } else {
              assert.throws(() => sem.acquireSync({ timeout: 0 }), { name: "TimeoutError" });
            }
          } else if (step.op === "release") {
            if (isBounded && value + step.n > initial) {
              assert.throws(() => sem.release(step.n), RuntimeError);
            } else {
              sem.release(step.n);
              value += step.n;
            }
          }
          assert.equal(sem.value, value);
          assert.equal(words(sem)[K.WAITERS], 0);
        }
      },
    ),
  );
});
