import assert from "node:assert/strict";
import fc from "fast-check";
import { Lock, revive, RuntimeError } from "../../mod.ts";
import { assertContended, contend, guarded, probe } from "../_contention.ts";
import { bounded, inWorkers, sum, times } from "../_helpers.ts";
import { test } from "../_portable/test.ts";
import * as K from "../../src/kernel/lock.ts";

const FIXTURES = new URL("../_workers/lock_fixtures.ts", import.meta.url);

function counter(): Int32Array {
  return new Int32Array(new SharedArrayBuffer(4));
}

test("Lock gives mutual exclusion to 2 workers doing contended non-atomic increments at the same time", async () => {
  const lock = new Lock();
  const c = counter();
  const p = probe({ parties: 2, target: 200, minOps: 20_000 });
  const done = await inWorkers<number>(times(2, FIXTURES, "incrementSync", [lock, c, p]));
  assertContended(p, "2 blocking workers");
  assert.equal(c[0], sum(done));
  assert.equal(lock.locked(), false);
});

test("Lock excludes across blocking workers and async waiters on 4 workers", async () => {
  const lock = new Lock();
  const c = counter();
  const p = probe({ parties: 4, target: 250, minOps: 2_000 });
  const done = await inWorkers<number>([
    ...times(2, FIXTURES, "incrementSync", [lock, c, p]),
    ...times(2, FIXTURES, "incrementAsync", [lock, c, p]),
  ]);
  assertContended(p, "2 blocking and 2 async workers");
  assert.equal(c[0], sum(done));
  assert.equal(lock.locked(), false);
});

test("Lock.acquire() on the main thread waits for a worker's release", async () => {
  const lock = new Lock();
  const c = counter();
  const p = probe({ parties: 2, target: 100, minOps: 500 });
  const work = inWorkers<number>(times(1, FIXTURES, "incrementSync", [lock, c, p]));
  const here = await bounded(
    contend(p, () => lock.locked(), async () => {
      using _ = await lock.acquire({ timeout: 5_000 });
      guarded(p, () => c[0] = c[0]! + 1);
    }),
    "the main thread's increments",
  );
  const [there] = await work;
  assertContended(p, "the main thread and a worker");
  assert.equal(c[0], here + there!);
});

test("Lock.acquireSync() in a worker times out while the main thread holds it", async () => {
  const lock = new Lock();
  lock.acquireSync();
  const [outcome] = await inWorkers(times(1, FIXTURES, "acquireWithTimeout", [lock, 20]));
  assert.equal(outcome, "TimeoutError");
  assert.ok(lock.locked());
  lock.release();
  const [again] = await inWorkers(times(1, FIXTURES, "acquireWithTimeout", [lock, 1000]));
  assert.equal(again, "acquired");
  assert.equal(lock.locked(), false);
});

test("Lock.acquire() rejects with the abort reason and leaves the lock held only by its holder", async () => {
  const lock = new Lock();
  const guard = lock.acquireSync();
  const controller = new AbortController();
  const pending = lock.acquire({ signal: controller.signal });
  const reason = new Error("stop");
  controller.abort(reason);
  await assert.rejects(pending, (e) => e === reason);
  guard[Symbol.dispose]();
  assert.equal(lock.locked(), false);
  // The aborted waiter swallowed nothing: a fresh waiter still gets the lock.
  using _ = await lock.acquire({ timeout: 1000 });
  assert.ok(lock.locked());
});

test("Lock wake-ups reach a live waiter when an aborted waiter was first in line", async () => {
  const lock = new Lock();
  lock.acquireSync();
  const controller = new AbortController();
  const aborted = lock.acquire({ signal: controller.signal });
  const live = lock.acquire({ timeout: 5000 });
  controller.abort();
  await assert.rejects(aborted);
  lock.release();
  const guard = await live;
  assert.ok(lock.locked());
  guard[Symbol.dispose]();
});

test("Lock.acquire() with an already-aborted signal rejects without touching the lock", async () => {
  const lock = new Lock();
  await assert.rejects(lock.acquire({ signal: AbortSignal.abort("no") }), (e) => e === "no");
  assert.equal(lock.locked(), false);
});

test("Lock rejects bad options with TypeError and RangeError", async () => {
  const lock = new Lock();
  assert.throws(() => lock.acquireSync({ timeout: -1 }), RangeError);
  assert.throws(() => lock.acquireSync({ timeout: Number.NaN }), RangeError);
  assert.throws(() => lock.acquireSync({ timeout: "1" as unknown as number }), TypeError);
  assert.throws(() => lock.acquireSync(5 as unknown as object), TypeError);
  await assert.rejects(lock.acquire({ signal: {} as AbortSignal }), TypeError);
  assert.equal(lock.locked(), false);
});

test("Lock.release() of an unlocked lock throws RuntimeError and changes nothing", () => {
  const lock = new Lock();
  assert.throws(() => lock.release(), RuntimeError);
  assert.equal(lock.locked(), false);
  assert.ok(lock.tryAcquire());
});

test("Lock guards release exactly once", () => {
  const lock = new Lock();
  const guard = lock.acquireSync();
  guard[Symbol.dispose]();
  guard[Symbol.dispose]();
  assert.equal(lock.locked(), false);
  assert.ok(lock.tryAcquire());
  assert.ok(lock.locked());
});

test("Lock.from() revives clones and rejects everything else with TypeError", () => {
  const lock = new Lock();
  const twin = Lock.from(structuredClone(lock));
  assert.ok(twin.tryAcquire());
  assert.ok(lock.locked());
  assert.equal(Lock.from(lock), lock);
  for (const bad of [null, 1, "lock", {}, { buffer: new ArrayBuffer(8), byteOffset: 0 }]) {
    assert.throws(() => Lock.from(bad), TypeError);
  }
  const foreign = new SharedArrayBuffer(64);
  assert.throws(() => Lock.from({ buffer: foreign, byteOffset: 0 }), TypeError);
  assert.throws(() => Lock.from({ buffer: lock.buffer, byteOffset: 4096 }), TypeError);
  assert.throws(() => Lock.from({ buffer: lock.buffer, byteOffset: -8 }), TypeError);
});

test("revive() leaves objects that point at no region as plain data, whatever their offset", () => {
  const buffer = new SharedArrayBuffer(64);
  for (const byteOffset of [-8, 4, 4096, Number.NaN, "0"]) {
    assert.deepEqual(revive([{ buffer, byteOffset }]), [{ buffer, byteOffset }]);
  }
  const lock = new Lock();
  const [again] = revive([structuredClone(lock)]) as [Lock];
  assert.ok(again instanceof Lock);
});

test("Lock follows a reference model for any sequence of tryAcquire/release/locked", () => {
  fc.assert(
    fc.property(fc.array(fc.constantFrom("try", "release", "locked", "timed")), (ops) => {
      const lock = new Lock();
      let held = false;
      for (const op of ops) {
        if (op === "try") {
          assert.equal(lock.tryAcquire(), !held);
          held = true;
        } else if (op === "release") {
          if (held) lock.release();
          else assert.throws(() => lock.release(), RuntimeError);
          held = false;
        } else if (op === "timed") {
          if (held) assert.throws(() => lock.acquireSync({ timeout: 0 }), { name: "TimeoutError" });
          else lock.acquireSync({ timeout: 0 });
          held = true;
        } else {
          assert.equal(lock.locked(), held);
        }
      }
    }),
  );
});

test("a blocking acquire's nap ends with nobody waking it and sets back a count of woken threads left raised by one that died before it ran, so releases wake sleepers again", () => {
  const lock = new Lock();
  const words = new Int32Array(lock.buffer, lock.byteOffset, K.BYTES >> 2);
  assert.ok(lock.tryAcquire());
  // As if a release woke a thread that was terminated before it ran (src/kernel/lock.ts).
  words[K.WOKEN] = 1;
  // This thread holds the lock itself: its acquire naps (10 ms), finds the count raised, sets it
  // back, probes the holder (alive), and times out.
  assert.throws(() => lock.acquireSync({ timeout: 40 }), { name: "TimeoutError" });
  assert.equal(words[K.WOKEN], 0);
  assert.equal(words[K.WAITERS], 0);
  lock.release();
});
