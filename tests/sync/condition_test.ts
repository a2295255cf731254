import assert from "node:assert/strict";
import fc from "fast-check";
import { Condition, Event, Lock, RLock, RuntimeError } from "../../mod.ts";
import { ASYNC, REAL, type WaitResult } from "../../src/_atomics.ts";
import * as K from "../../src/kernel/condition.ts";
import * as G from "../../src/kernel_gen/condition.ts";
import * as KL from "../../src/kernel/lock.ts";
import * as P from "../../src/kernel/presence.ts";
import * as KR from "../../src/kernel/rlock.ts";
import { assertOverlapped, probe } from "../_contention.ts";
import { bounded, inWorkers } from "../_helpers.ts";
import { until } from "./_until.ts";
import { test } from "../_portable/test.ts";

const FIXTURES = new URL("../_workers/condition_fixtures.ts", import.meta.url);

function words(cond: Condition): Int32Array {
  return new Int32Array(cond.buffer, cond.byteOffset, K.BYTES / 4);
}

function counts(cond: Condition): { waiters: number; tokens: number } {
  const v = words(cond)[K.WAITERS]!;
  return { waiters: K.waitersOf(v), tokens: K.tokensOf(v) };
}

async function producerConsumer(lock: Lock | RLock): Promise<void> {
  const notEmpty = new Condition(lock);
  const notFull = new Condition(lock);
  const buf = new Int32Array(new SharedArrayBuffer(4 * (3 + 8)));
  const seen = new Int32Array(new SharedArrayBuffer(4 * 10_000));
  const p = probe({ parties: 4 });
  const done = await inWorkers<number>([
    { url: FIXTURES, name: "produceSync", args: [notEmpty, notFull, buf, 0, 5_000, p] },
    { url: FIXTURES, name: "produceAsync", args: [notEmpty, notFull, buf, 5_000, 5_000, p] },
    { url: FIXTURES, name: "consumeSync", args: [notEmpty, notFull, buf, seen, 5_000, p] },
    { url: FIXTURES, name: "consumeAsync", args: [notEmpty, notFull, buf, seen, 5_000, p] },
  ]);
  assertOverlapped(p, "2 producers and 2 consumers");
  assert.deepEqual(done, [5_000, 5_000, 5_000, 5_000]);
  const missing = seen.findIndex((n) => n !== 1);
  assert.equal(missing, -1, `item ${missing} was seen ${seen[missing]} times`);
  assert.equal(buf[2], 0);
  assert.deepEqual(counts(notEmpty), { waiters: 0, tokens: 0 });
  assert.deepEqual(counts(notFull), { waiters: 0, tokens: 0 });
  assert.equal(lock.locked(), false);
}

test("Condition hands 10,000 items from 2 producers to 2 consumers with an RLock, none lost", async () => {
  await producerConsumer(new RLock());
});

test("Condition hands 10,000 items from 2 producers to 2 consumers with a Lock, none lost", async () => {
  await producerConsumer(new Lock());
});

test("Condition.waitSync() releases a thrice-held RLock and restores the count when notified", async () => {
  const cond = new Condition();
  const steps = new Int32Array(new SharedArrayBuffer(4));
  const work = inWorkers<{ outcome: string; recursionCount: number }>([
    { url: FIXTURES, name: "nestedWait", args: [cond, 3, 5_000, steps] },
  ]);
  await until(
    () => steps[0] === 1 && counts(cond).waiters === 1 && !cond.lock.locked(),
    "the worker waits",
  );
  {
    using _ = await cond.acquire();
    cond.notify();
  }
  assert.deepEqual(await work, [{ outcome: "notified", recursionCount: 3 }]);
  assert.equal(cond.lock.locked(), false);
});

test("Condition.waitSync() times out holding the RLock again with its recursion count", async () => {
  const cond = new Condition();
  const steps = new Int32Array(new SharedArrayBuffer(4));
  const [result] = await inWorkers<{ outcome: string; recursionCount: number }>([
    { url: FIXTURES, name: "nestedWait", args: [cond, 2, 10, steps] },
  ]);
  assert.deepEqual(result, { outcome: "TimeoutError", recursionCount: 2 });
  assert.deepEqual(counts(cond), { waiters: 0, tokens: 0 });
  assert.equal(cond.lock.locked(), false);
});

test("Condition.notify(n) lets exactly min(n, waiting) async waits return", async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.integer({ min: 1, max: 5 }),
      fc.integer({ min: 0, max: 6 }),
      async (k, n) => {
        const cond = new Condition(new Lock());
        let returned = 0;
        const waits = Array.from({ length: k }, async () => {
          using _ = await cond.acquire();
          await cond.wait({ timeout: 5_000 });
          returned++;
        });
        await until(() => counts(cond).waiters === k, `${k} waits are registered`);
        {
          using _ = await cond.acquire();
          cond.notify(n);
        }
        const woken = Math.min(n, k);
        await until(() => returned === woken, `${woken} waits return`);
        // No token is left over, so the remaining waits cannot return until notified again.
        assert.deepEqual(counts(cond), { waiters: k - woken, tokens: 0 });
        assert.equal(returned, woken);
        {
          using _ = await cond.acquire();
          cond.notifyAll();
        }
        await bounded(Promise.all(waits), `${k} waits to return after notifyAll`);
        assert.equal(returned, k);
        assert.deepEqual(counts(cond), { waiters: 0, tokens: 0 });
      },
    ),
    { numRuns: 15 },
  );
});

/** Drives a derived `sleep` kernel by hand: each wait it requests is answered by the test. */
function sleeper(cond: Condition, lk: Int32Array) {
  const c = words(cond);
  const ticket = K.begin(REAL, c, lk, false, 1, 1);
  assert.equal(ticket.status, K.OK);
  const gen = G.sleep(ASYNC, c, ticket.seq, Infinity, false);
  let step = gen.next();
  return {
    /** Answers the pending wait with `result`; returns the kernel's result once it finishes. */
    resume(result: WaitResult): boolean | "waiting" {
      step = gen.next(result);
      return step.done ? step.value : "waiting";
    },
    get waiting(): boolean {
      return !step.done;
    },
  };
}

/**
 * A Condition over a fresh Lock, that lock's words, `take()`, which takes the lock as agent 1, and
 * `sleep()`, which takes it and starts a {@linkcode sleeper} (whose wait releases it).
 */
function byHand() {
  const lock = new Lock();
  const cond = new Condition(lock);
  const lk = new Int32Array(lock.buffer, lock.byteOffset, KL.BYTES / 4);
  const take = () => assert.ok(KL.tryAcquire(REAL, lk, 1));
  const sleep = () => {
    take();
    return sleeper(cond, lk);
  };
  return { cond, lk, take, sleep };
}

test("Condition: a waiter that times out as it is notified passes the wake-up on", () => {
  const { cond, lk, take, sleep } = byHand();
  const a = sleep();
  const b = sleep();
  take();
  assert.ok(a.waiting && b.waiting);
  assert.equal(K.notify(REAL, words(cond), lk, false, 1, 1, false), 1);
  KL.release(REAL, lk, 1);
  // A's wait times out at the very moment the notify lands: A must not take B's wake-up.
  assert.equal(a.resume("timed-out"), false);
  assert.deepEqual(counts(cond), { waiters: 1, tokens: 1 });
  assert.equal(b.resume("ok"), true);
  assert.deepEqual(counts(cond), { waiters: 0, tokens: 0 });
});

test("Condition: a lone waiter that times out as it is notified drops the token", () => {
  const { cond, lk, take, sleep } = byHand();
  const a = sleep();
  take();
  assert.equal(K.notify(REAL, words(cond), lk, false, 1, 5, false), 1);
  assert.equal(a.resume("timed-out"), false);
  assert.deepEqual(counts(cond), { waiters: 0, tokens: 0 });
  // A later waiter is not released by the stale notification.
  const later = sleeper(cond, lk);
  assert.ok(later.waiting);
  assert.equal(later.resume("timed-out"), false);
});

test("Condition: a woken waiter whose token was claimed first sleeps again", () => {
  const { cond, lk, take, sleep } = byHand();
  const a = sleep();
  const b = sleep();
  take();
  assert.equal(K.notify(REAL, words(cond), lk, false, 1, 1, false), 1);
  assert.equal(b.resume("not-equal"), true); // B got there first
  assert.equal(a.resume("ok"), "waiting"); // A finds no token and waits again
  assert.deepEqual(counts(cond), { waiters: 1, tokens: 0 });
  assert.equal(K.notify(REAL, words(cond), lk, false, 1, 1, false), 1);
  assert.equal(a.resume("ok"), true);
  assert.deepEqual(counts(cond), { waiters: 0, tokens: 0 });
});

test("Condition: a nap that ends leaves its waiter registered, and the next nap claims a token issued without a wake-up (owed by a notifier that died)", () => {
  const { cond, lk, take } = byHand();
  const c = words(cond);
  take();
  const ticket = K.begin(REAL, c, lk, false, 1, 1);
  const first = G.sleep(ASYNC, c, ticket.seq, Infinity, true);
  assert.equal(first.next().done, false); // asleep
  assert.deepEqual(first.next("timed-out"), { done: true, value: false }); // the nap ends
  assert.deepEqual(counts(cond), { waiters: 1, tokens: 0 }); // still registered
  take();
  assert.equal(K.notify(REAL, c, lk, false, 1, 1, true), 1); // later: the wake-up is owed
  // The notifier never pays it; the next nap claims the token at its first look at seq.
  const second = G.sleep(ASYNC, c, ticket.seq, Infinity, true);
  let step = second.next();
  if (!step.done) step = second.next("not-equal"); // a wait on the stale seq returns at once
  assert.deepEqual(step, { done: true, value: true });
  assert.deepEqual(counts(cond), { waiters: 0, tokens: 0 });
});

test("Condition.wait() aborted rejects with the reason, holding the lock again", async () => {
  const cond = new Condition();
  using _ = await cond.acquire();
  using _again = await cond.acquire();
  const controller = new AbortController();
  const pending = cond.wait({ signal: controller.signal });
  assert.equal(cond.lock.locked(), false); // released completely while waiting
  controller.abort(new Error("stop"));
  await assert.rejects(pending, { message: "stop" });
  const rlock = cond.lock as RLock;
  assert.equal(rlock.recursionCount(), 2);
  assert.deepEqual(counts(cond), { waiters: 0, tokens: 0 });
  await assert.rejects(cond.wait({ signal: AbortSignal.abort("no") }), (e) => e === "no");
  await assert.rejects(cond.wait({ timeout: 1 }), { name: "TimeoutError" });
  assert.equal(rlock.recursionCount(), 2);
});

test("Condition.waitFor() returns the predicate's value, also when it turns true at the timeout", async () => {
  const cond = new Condition(new Lock());
  using _ = await cond.acquire();
  assert.equal(await cond.waitFor(() => "now"), "now");
  let calls = 0;
  assert.equal(await cond.waitFor(() => ++calls >= 2 && "late", { timeout: 0 }), "late");
  assert.equal(calls, 2);
  calls = 0;
  assert.equal(cond.waitForSync(() => ++calls >= 2 && 7, { timeout: 0 }), 7);
  await assert.rejects(cond.waitFor(() => false, { timeout: 1 }), { name: "TimeoutError" });
  assert.throws(() => cond.waitForSync(() => null, { timeout: 1 }), { name: "TimeoutError" });
  const controller = new AbortController();
  const pending = cond.waitFor(() => false, { signal: controller.signal });
  controller.abort("enough");
  await assert.rejects(pending, (e) => e === "enough");
  assert.ok(cond.lock.locked());
});

test("Condition methods throw RuntimeError unless the caller holds the lock", async () => {
  const rcond = new Condition();
  const rlock = new Int32Array(rcond.lock.buffer, rcond.lock.byteOffset, KR.BYTES / 4);
  const lcond = new Condition(new Lock());
  for (const cond of [rcond, lcond]) {
    assert.throws(() => cond.notify(), RuntimeError);
    assert.throws(() => cond.notifyAll(), RuntimeError);
    assert.throws(() => cond.waitSync(), RuntimeError);
    assert.throws(() => cond.waitForSync(() => true), RuntimeError);
    await assert.rejects(cond.wait(), RuntimeError);
    await assert.rejects(cond.waitFor(() => true), RuntimeError);
  }
  // Held by another agent (simulated through the kernel, with an id nobody can probe): an RLock
  // knows it is not ours.
  assert.ok(KR.tryAcquire(REAL, rlock, 4242, P.ANONYMOUS));
  assert.throws(() => rcond.notify(), {
    name: "RuntimeError",
    message: "Cannot notify a condition whose RLock the caller does not hold",
  });
  assert.throws(() => rcond.waitSync({ timeout: 0 }), RuntimeError);
  assert.deepEqual(counts(rcond), { waiters: 0, tokens: 0 });
});

test("Condition rejects bad arguments with TypeError and RangeError", async () => {
  for (const bad of [null, 1, {}, new Event(), "lock"]) {
    assert.throws(() => new Condition(bad as unknown as Lock), TypeError);
  }
  const cond = new Condition();
  using _ = cond.acquireSync();
  assert.throws(() => cond.notify(-1), RangeError);
  assert.throws(() => cond.notify(1.5), RangeError);
  assert.throws(() => cond.notify(Infinity), RangeError);
  assert.throws(() => cond.notify("1" as unknown as number), TypeError);
  assert.throws(() => cond.waitForSync(true as unknown as () => boolean), TypeError);
  await assert.rejects(cond.waitFor(1 as unknown as () => boolean), TypeError);
  assert.throws(() => cond.waitSync({ timeout: -1 }), RangeError);
  cond.notify(0);
  assert.ok(cond.lock.locked());
});

test("Condition.from() revives clones with their lock and rejects everything else", () => {
  const lock = new Lock();
  const cond = new Condition(lock);
  assert.equal(Condition.from(cond), cond);
  const twin = Condition.from(structuredClone(cond));
  assert.ok(twin.lock instanceof Lock);
  assert.ok(twin.lock.tryAcquire());
  assert.ok(lock.locked());
  assert.ok(Condition.from(structuredClone(new Condition())).lock instanceof RLock);
  for (const bad of [null, {}, structuredClone(lock)]) {
    assert.throws(() => Condition.from(bad), TypeError);
  }
  const noLock = { buffer: cond.buffer, byteOffset: cond.byteOffset };
  assert.throws(() => Condition.from(noLock), /'lock' is not a Lock or an RLock/);
  const wrongLock = { ...noLock, lock: structuredClone(new Event()) };
  assert.throws(() => Condition.from(wrongLock), TypeError);
});
