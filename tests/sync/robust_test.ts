/**
 * Robust primitives with real workers: a worker terminated while it holds a `Lock`, an `RLock`, a
 * robust `Semaphore`'s permits or a `Condition`'s lock; the threads waiting for it learn that it
 * died, and nothing mistakes a living holder for a dead one.
 *
 * @module
 */
import assert from "node:assert/strict";
import type { Worker } from "node:worker_threads";
import { Condition, Lock, OwnerDiedError, RLock, RuntimeError, Semaphore } from "../../mod.ts";
import { REAL } from "../../src/_atomics.ts";
import * as L from "../../src/kernel/lock.ts";
import * as P from "../../src/kernel/presence.ts";
import { arm } from "../../src/sync/_presence.ts";
import { inWorkers, startWorker, times, within } from "../_helpers.ts";
import { until } from "./_until.ts";

const FIXTURES = new URL("../_workers/robust_fixtures.ts", import.meta.url);
/** The bound on any single wait in these tests: a hang becomes a failure, never a pass. */
const LIMIT = 20_000;

function cells(n: number): Int32Array {
  return new Int32Array(new SharedArrayBuffer(4 * n));
}

/** Starts a worker that takes what `name` takes, waits until it holds it, and returns the worker. */
async function holder(name: string, args: unknown[], flags: Int32Array): Promise<Worker> {
  const worker = startWorker({ url: FIXTURES, name, args: [...args, flags] });
  await until(() => Atomics.load(flags, 0) === 1, `the worker runs ${name}`, LIMIT);
  return worker;
}

for (const sync of [false, true]) {
  Deno.test(`Lock: a waiter learns that the worker holding it (taken ${sync ? "blocking" : "async"}) was terminated, then the lock stays abandoned until taken over`, async () => {
    const lock = new Lock();
    const flags = cells(2);
    const worker = startWorker({ url: FIXTURES, name: "holdLock", args: [lock, sync, flags] });
    try {
      await until(() => Atomics.load(flags, 0) === 1, "the worker holds the lock", LIMIT);
      const waiting = lock.acquire(); // sleeps: the holder is alive
      worker.terminate();
      await within(assert.rejects(waiting, OwnerDiedError), LIMIT, "the waiter learns it");
      // Abandoned: held by nobody alive; every acquirer is told until one takes it over.
      assert.ok(lock.locked());
      assert.throws(() => lock.tryAcquire(), OwnerDiedError);
      assert.throws(() => lock.acquireSync({ timeout: 0 }), OwnerDiedError);
      await assert.rejects(lock.acquire({ timeout: 10 }), OwnerDiedError);
      let told: unknown;
      {
        using _ = await lock.acquire({ onOwnerDied: (e) => void (told = e) });
        assert.ok(told instanceof OwnerDiedError);
        assert.ok(lock.locked());
      }
      assert.equal(lock.locked(), false);
      assert.ok(lock.tryAcquire());
      lock.release();
    } finally {
      worker.terminate();
    }
  });
}

Deno.test("Lock: workers blocked in acquireSync() on a holder that is terminated wake up to learn it", async () => {
  const lock = new Lock();
  const flags = cells(2);
  const worker = await holder("holdLock", [lock, false], flags);
  try {
    const waiters = inWorkers<string>(times(2, FIXTURES, "waitBlocking", [lock, flags, LIMIT]));
    await until(() => Atomics.load(flags, 1) === 2, "both workers wait", LIMIT);
    worker.terminate();
    const outcomes = await within(waiters, LIMIT, "the blocked workers learn it");
    assert.deepEqual(outcomes, ["OwnerDiedError", "OwnerDiedError"]);
    assert.ok(lock.locked(), "still abandoned: neither waiter took it over");
  } finally {
    worker.terminate();
  }
});

for (const how of ["close", "throw"] as const) {
  Deno.test(`Lock: a waiter learns that the worker holding it ended its own thread (${how === "close" ? "self.close()" : "an uncaught error"})`, async () => {
    const lock = new Lock();
    const flags = cells(2);
    const worker = await holder("holdAndEnd", [lock, how], flags);
    try {
      await within(assert.rejects(lock.acquire(), OwnerDiedError), LIMIT, "the waiter learns it");
      let told = false;
      lock.acquireSync({ onOwnerDied: () => void (told = true) });
      assert.ok(told);
      lock.release();
      assert.equal(lock.locked(), false);
    } finally {
      worker.terminate();
    }
  });
}

Deno.test("Lock: an onOwnerDied that throws gives the lock back, still abandoned", async () => {
  const lock = new Lock();
  const flags = cells(2);
  const worker = await holder("holdLock", [lock, true], flags);
  worker.terminate();
  const repair = new Error("cannot repair");
  await within(
    assert.rejects(
      lock.acquire({ onOwnerDied: () => Promise.reject(repair) }),
      (e) => e === repair,
    ),
    LIMIT,
    "the acquire with a failing repair",
  );
  assert.throws(() => lock.tryAcquire(), OwnerDiedError);
  assert.throws(() => lock.acquireSync({ onOwnerDied: 1 as never }), TypeError);
  lock.acquireSync({ timeout: 0, onOwnerDied: () => {} });
  lock.release();
  assert.equal(lock.locked(), false);
});

Deno.test("RLock: the owner's death is learned by a waiter, and its release by another agent says so", async () => {
  const rlock = new RLock();
  const flags = cells(2);
  const worker = await holder("holdLock", [rlock, false], flags);
  try {
    assert.throws(() => rlock.release(), { message: /held by another agent/ });
    worker.terminate();
    // The first probes may still find the dying isolate's waiters; a later one finds none.
    await until(
      () => {
        try {
          rlock.release();
        } catch (e) {
          return e instanceof RuntimeError && /owner died/.test(e.message);
        }
        return false;
      },
      "release() says that the owner died",
      LIMIT,
    );
    await assert.rejects(rlock.acquire(), OwnerDiedError);
    {
      using _ = rlock.acquireSync({ onOwnerDied: () => {} });
      assert.ok(rlock.owned());
      assert.equal(rlock.recursionCount(), 1, "taken over with count 1, not the dead owner's 2");
    }
    assert.equal(rlock.locked(), false);
  } finally {
    worker.terminate();
  }
});

Deno.test("Semaphore({ robust: true }): permits of a terminated worker come back, and whoever takes one is told", async () => {
  const semaphore = new Semaphore(2, { robust: true });
  const flags = cells(2);
  const worker = await holder("holdPermits", [semaphore, 2], flags);
  try {
    assert.equal(semaphore.value, 0);
    const waiting = semaphore.acquire(); // no permit: sleeps, then reclaims the dead worker's
    worker.terminate();
    await within(assert.rejects(waiting, OwnerDiedError), LIMIT, "the waiter learns it");
    assert.equal(semaphore.value, 2, "both permits came back (the told acquirer took none)");
    assert.throws(() => semaphore.tryAcquire(), OwnerDiedError);
    let repairs = 0;
    const a = await semaphore.acquire({ onOwnerDied: () => void repairs++ });
    const b = semaphore.acquireSync({ onOwnerDied: () => void repairs++ });
    assert.equal(repairs, 2, "one repair per reclaimed permit");
    assert.equal(semaphore.value, 0);
    a[Symbol.dispose]();
    b[Symbol.dispose]();
    // Owned up to: plain acquires work again.
    semaphore.acquireSync()[Symbol.dispose]();
    assert.equal(semaphore.value, 2);
  } finally {
    worker.terminate();
  }
});

Deno.test("Semaphore without robust: a terminated worker's permits stay taken (the documented default)", async () => {
  const semaphore = new Semaphore(1);
  assert.equal(semaphore.registry, undefined);
  const flags = cells(2);
  const worker = await holder("holdPermits", [semaphore, 1], flags);
  worker.terminate();
  await assert.rejects(semaphore.acquire({ timeout: 200 }), { name: "TimeoutError" });
  assert.equal(semaphore.value, 0);
});

for (const reentrant of [false, true]) {
  Deno.test(`Condition (${reentrant ? "RLock" : "Lock"}): a wait whose lock's holder was terminated takes the lock back and throws OwnerDiedError`, async () => {
    const condition = new Condition(reentrant ? new RLock() : new Lock());
    const flags = cells(2);
    using _ = await condition.acquire();
    const worker = startWorker({ url: FIXTURES, name: "holdCondition", args: [condition, flags] });
    try {
      // The wait releases the lock; the worker takes it, notifies the wait and dies holding the
      // lock: the notified wait must take the lock back from a dead holder.
      const waiting = assert.rejects(condition.wait(), OwnerDiedError);
      await until(() => Atomics.load(flags, 0) === 1, "the worker holds the lock", LIMIT);
      worker.terminate();
      await within(waiting, LIMIT, "the wait learns it");
      assert.ok(condition.lock.locked());
      if (condition.lock instanceof RLock) assert.ok(condition.lock.owned());
    } finally {
      worker.terminate();
    }
  });
}

for (const reentrant of [false, true]) {
  Deno.test(`Condition (${reentrant ? "RLock" : "Lock"}): a worker's blocking wait whose notifier is terminated between notify and release (owing the wake-up, over an RLock) takes the lock back and throws OwnerDiedError`, async () => {
    const condition = new Condition(reentrant ? new RLock() : new Lock());
    const flags = cells(2);
    const waiting = inWorkers<string>(
      [{ url: FIXTURES, name: "waitOnConditionSync", args: [condition, flags] }],
      { deadline: LIMIT },
    );
    // The waiter holds the lock when it raises flags[1]: the notifier's acquire ends once its
    // wait let the lock go, so the notify finds it registered.
    await until(() => Atomics.load(flags, 1) === 1, "the waiter holds the lock", LIMIT);
    const notifier = startWorker({
      url: FIXTURES,
      name: "holdCondition",
      args: [condition, flags],
    });
    try {
      await until(() => Atomics.load(flags, 0) === 1, "the notifier has notified", LIMIT);
      notifier.terminate();
      assert.deepEqual(await within(waiting, LIMIT, "the wait learns it"), [
        "OwnerDiedError, held",
      ]);
      assert.equal(condition.lock.locked(), false, "the waiter released the lock it took back");
    } finally {
      notifier.terminate();
    }
  });
}

Deno.test("A holder that keeps its thread busy while waiters probe it is never taken for dead", async () => {
  const lock = new Lock();
  const flags = cells(2);
  // The worker holds the lock 1.5 s in synchronous code (it cannot re-arm its presence), while
  // this thread waits and probes it about 8 times.
  const busy = inWorkers<number>([{ url: FIXTURES, name: "holdBusy", args: [lock, flags, 1500] }]);
  await until(() => Atomics.load(flags, 0) === 1, "the worker holds the lock", LIMIT);
  const guard = await within(lock.acquire(), LIMIT, "the acquire after the busy holder");
  guard[Symbol.dispose]();
  assert.ok((await busy)[0]! >= 1500);
  // A living holder on this thread: a worker's blocking acquire times out, it is not told.
  using _ = lock.acquireSync();
  const [outcome] = await inWorkers<string>(times(1, FIXTURES, "waitBlocking", [lock, flags, 300]));
  assert.equal(outcome, "TimeoutError");
});

Deno.test("A probe of an id that a dead thread and the living holder share (a namesake) never takes the holder for dead", () => {
  const id = 7;
  const registry = new Int32Array(new SharedArrayBuffer(P.bytesFor(4)));
  P.init(REAL, registry, 1, 4);
  // Entry 0: a thread that drew the same id and died (its lease promises a waiter; none is there).
  assert.equal(P.register(REAL, registry, P.ENTRY0, 4, id), 0);
  P.armed(REAL, registry, P.entryWord(0) + 1, 1);
  // Entry 1: the living holder, with real presence waiters.
  assert.equal(P.register(REAL, registry, P.ENTRY0, 4, id), 1);
  arm(registry, P.entryWord(1) + 1, 2, () => false);
  const lock = new Int32Array(new SharedArrayBuffer(L.BYTES));
  assert.ok(L.tryAcquire(REAL, lock, id));
  try {
    assert.equal(L.probeHolder(REAL, lock, registry), false, "the living holder is taken for dead");
    assert.equal(L.holder(REAL, lock), id);
    assert.equal(P.taken(REAL.load(registry, P.entryWord(0))), false, "the dead one is retired");
    assert.ok(P.taken(REAL.load(registry, P.entryWord(1))));
  } finally {
    P.disarm(REAL, registry, P.entryWord(1) + 1);
  }
  // Once the holder's waiters are gone too, its lock is abandoned.
  P.armed(REAL, registry, P.entryWord(1) + 1, 1);
  assert.equal(L.probeHolder(REAL, lock, registry), true);
  assert.ok(L.abandoned(REAL, lock));
});

Deno.test("Clones carry the presence registry; one without it is refused", () => {
  const lock = new Lock();
  const clone = structuredClone(lock);
  assert.ok(clone.registry instanceof SharedArrayBuffer);
  assert.equal(
    new RLock().registry.byteLength,
    lock.registry.byteLength,
    "one registry per program",
  );
  assert.ok(Lock.from(clone).tryAcquire());
  assert.throws(
    () => Lock.from({ buffer: lock.buffer, byteOffset: lock.byteOffset }),
    { name: "TypeError", message: /'registry' is not a presence registry/ },
  );
  assert.throws(() => RLock.from({ ...structuredClone(new RLock()), registry: 1 }), TypeError);
  const robust = structuredClone(new Semaphore(1, { robust: true }));
  assert.ok(Semaphore.from(robust).tryAcquire());
  assert.throws(() => Semaphore.from({ ...robust, registry: undefined }), TypeError);
  assert.throws(() => new Semaphore(1, { robust: "yes" as never }), TypeError);
});
