import assert from "node:assert/strict";
import fc from "fast-check";
import { Lock, RLock, RuntimeError } from "../../mod.ts";
import { REAL } from "../../src/_atomics.ts";
import * as KL from "../../src/kernel/lock.ts";
import * as P from "../../src/kernel/presence.ts";
import * as K from "../../src/kernel/rlock.ts";
import { assertContended, contend, guarded, probe } from "../_contention.ts";
import { bounded, inWorkers, sum, times } from "../_helpers.ts";
import { test } from "../_portable/test.ts";

const FIXTURES = new URL("../_workers/rlock_fixtures.ts", import.meta.url);

function counter(): Int32Array {
  return new Int32Array(new SharedArrayBuffer(4));
}

test("RLock gives mutual exclusion to 2 workers doing contended nested non-atomic increments at the same time", async () => {
  const rlock = new RLock();
  const c = counter();
  const p = probe({ parties: 2, target: 200, minOps: 20_000 });
  const done = await inWorkers<number>(times(2, FIXTURES, "incrementNestedSync", [rlock, c, p]));
  assertContended(p, "2 blocking workers");
  assert.equal(c[0], sum(done));
  assert.equal(rlock.locked(), false);
});

test("RLock excludes blocking and async holders on 4 workers and the main thread", async () => {
  const rlock = new RLock();
  const c = counter();
  const p = probe({ parties: 5, target: 250, minOps: 500 });
  const work = inWorkers<number>([
    ...times(2, FIXTURES, "incrementNestedSync", [rlock, c, p]),
    ...times(2, FIXTURES, "incrementNestedAsync", [rlock, c, p]),
  ]);
  const here = await bounded(
    contend(p, () => rlock.locked(), async () => {
      using _ = await rlock.acquire({ timeout: 5_000 });
      guarded(p, () => c[0] = c[0]! + 1);
    }),
    "the main thread's increments",
  );
  const done = await work;
  assertContended(p, "2 blocking and 2 async workers and the main thread");
  assert.equal(c[0], here + sum(done));
  assert.equal(rlock.locked(), false);
});

test("RLock held by the main thread is not owned, not releasable and not acquirable by a worker", async () => {
  const rlock = new RLock();
  rlock.acquireSync();
  rlock.acquireSync();
  const [seen] = await inWorkers<Record<string, unknown>>(
    times(1, FIXTURES, "probeForeign", [rlock]),
  );
  assert.deepEqual(seen, {
    locked: true,
    owned: false,
    recursionCount: 0,
    tryAcquire: false,
    release: "RuntimeError: Cannot release an RLock held by another agent",
    acquireSync: "TimeoutError",
  });
  assert.equal(rlock.recursionCount(), 2);
  rlock.release();
  rlock.release();
  assert.equal(rlock.locked(), false);
});

test("RLock stays held by a worker until it releases as often as it acquired", async () => {
  const rlock = new RLock();
  const [seen] = await inWorkers<boolean[]>(times(1, FIXTURES, "nestAndUnwind", [rlock, 4]));
  assert.deepEqual(seen, [true, true, true, false]);
  assert.equal(rlock.locked(), false);
});

test("RLock.release() by a non-holder throws RuntimeError and changes nothing", () => {
  const rlock = new RLock();
  assert.throws(() => rlock.release(), {
    name: "RuntimeError",
    message: "Cannot release an unlocked RLock",
  });
  assert.equal(rlock.locked(), false);
  // Another agent (simulated through the kernel with a different id, one nobody can probe).
  assert.ok(
    K.tryAcquire(
      REAL,
      new Int32Array(rlock.buffer, rlock.byteOffset, K.BYTES / 4),
      12345,
      P.ANONYMOUS,
    ),
  );
  assert.throws(() => rlock.release(), RuntimeError);
  assert.ok(rlock.locked());
  assert.equal(rlock.owned(), false);
});

test("RLock.acquire() times out or aborts without disturbing the holder or later waiters", async () => {
  const rlock = new RLock();
  const words = new Int32Array(rlock.buffer, rlock.byteOffset, K.BYTES / 4);
  const other = 777;
  assert.ok(K.tryAcquire(REAL, words, other, P.ANONYMOUS));
  await assert.rejects(rlock.acquire({ timeout: 5 }), { name: "TimeoutError" });
  assert.throws(() => rlock.acquireSync({ timeout: 0 }), { name: "TimeoutError" });
  const controller = new AbortController();
  const aborted = rlock.acquire({ signal: controller.signal });
  const live = rlock.acquire({ timeout: 5000 });
  controller.abort(new Error("stop"));
  await assert.rejects(aborted, { message: "stop" });
  assert.deepEqual([words[K.OWNER], words[K.COUNT]], [other, 1]);
  assert.equal(K.release(REAL, words, other, P.ANONYMOUS), K.RELEASED);
  const guard = await live;
  assert.ok(rlock.owned());
  assert.equal(rlock.recursionCount(), 1);
  guard[Symbol.dispose]();
  guard[Symbol.dispose]();
  assert.equal(rlock.locked(), false);
});

test("RLock rejects bad options with TypeError and RangeError", async () => {
  const rlock = new RLock();
  assert.throws(() => rlock.acquireSync({ timeout: -1 }), RangeError);
  assert.throws(() => rlock.acquireSync({ timeout: "1" as unknown as number }), TypeError);
  await assert.rejects(rlock.acquire({ signal: 1 as unknown as AbortSignal }), TypeError);
  await assert.rejects(rlock.acquire({ signal: AbortSignal.abort("no") }), (e) => e === "no");
  assert.equal(rlock.locked(), false);
});

test("RLock.from() revives clones and rejects everything else with TypeError", () => {
  const rlock = new RLock();
  const twin = RLock.from(structuredClone(rlock));
  assert.ok(twin.tryAcquire());
  assert.equal(rlock.recursionCount(), 1);
  assert.equal(RLock.from(rlock), rlock);
  for (const bad of [undefined, null, 3, {}, { buffer: new ArrayBuffer(64), byteOffset: 0 }]) {
    assert.throws(() => RLock.from(bad), TypeError);
  }
  assert.throws(() => RLock.from(structuredClone(new Lock())), /this is a Lock .*, not an RLock/);
});

type Op = { agent: number; op: "try" | "release" | "timed" };

/** A presence id for a simulated agent (ids are positive and below 2^30). */
function whoOf(agent: number): number {
  return Math.abs(agent);
}

test("RLock kernel follows an owner/count model for any interleaving of 3 agents' operations", () => {
  const agents = [11, -22, 33];
  const op: fc.Arbitrary<Op> = fc.record({
    agent: fc.constantFrom(...agents),
    op: fc.constantFrom("try", "release", "timed"),
  });
  fc.assert(
    fc.property(fc.array(op, { maxLength: 60 }), (ops) => {
      const s = new RLock();
      const w = new Int32Array(s.buffer, s.byteOffset, K.BYTES / 4);
      let owner = 0;
      let count = 0;
      for (const { agent, op } of ops) {
        if (op === "try" || op === "timed") {
          const ok = op === "try"
            ? K.tryAcquire(REAL, w, agent, whoOf(agent))
            : K.acquire(REAL, w, agent, whoOf(agent), performance.now()) === KL.ACQUIRED;
          assert.equal(ok, owner === 0 || owner === agent);
          if (ok) [owner, count] = [agent, count + 1];
        } else {
          const expected = owner === agent ? K.RELEASED : owner === 0 ? K.NOT_HELD : K.NOT_OWNER;
          assert.equal(K.release(REAL, w, agent, whoOf(agent)), expected);
          if (expected === K.RELEASED && --count === 0) owner = 0;
        }
        assert.equal(K.locked(REAL, w), owner !== 0);
        for (const a of agents) {
          assert.equal(K.recursionCount(REAL, w, a), a === owner ? count : 0);
        }
      }
    }),
  );
});

test("RLock.releaseAll and acquireRestore round-trip any recursion count", () => {
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 50 }), (depth) => {
      const s = new RLock();
      const w = new Int32Array(s.buffer, s.byteOffset, K.BYTES / 4);
      for (let k = 0; k < depth; k++) assert.ok(K.tryAcquire(REAL, w, 5, 5));
      assert.equal(K.releaseAll(REAL, w, 6, 6), 0);
      assert.equal(K.releaseAll(REAL, w, 5, 5), depth);
      assert.equal(K.locked(REAL, w), false);
      assert.equal(K.acquireRestore(REAL, w, 5, 5, depth, Infinity), KL.ACQUIRED);
      assert.equal(K.recursionCount(REAL, w, 5), depth);
    }),
  );
});
