import assert from "node:assert/strict";
import fc from "fast-check";
import { Barrier, BrokenBarrierError, Lock } from "../../mod.ts";
import * as K from "../../src/kernel/barrier.ts";
import { assertOverlapped, probe } from "../_contention.ts";
import { bounded, inWorkers, times, WAKE_MS, within } from "../_helpers.ts";
import { until } from "./_until.ts";
import { test } from "../_portable/test.ts";

const FIXTURES = new URL("../_workers/barrier_fixtures.ts", import.meta.url);

function state(barrier: Barrier): { phase: number; count: number; generation: number } {
  const v = new Int32Array(barrier.buffer, barrier.byteOffset, K.BYTES / 4)[K.STATE]!;
  return { phase: K.phaseOf(v), count: K.countOf(v), generation: K.generationOf(v) };
}

function shared(n: number): Int32Array {
  return new Int32Array(new SharedArrayBuffer(4 * n));
}

test("Barrier gives 4 workers unique indexes in each of 100 generations, releasing nobody early", async () => {
  const barrier = new Barrier(4);
  const arrivals = shared(100);
  const slots = shared(400);
  const actions = shared(1);
  const errors = shared(1);
  const p = probe({ parties: 4 });
  const args = (useAsync: boolean) => [barrier, 100, arrivals, slots, actions, errors, useAsync, p];
  await inWorkers([
    ...times(2, FIXTURES, "generations", args(false)),
    ...times(2, FIXTURES, "generations", args(true)),
  ]);
  assertOverlapped(p, "4 parties");
  assert.equal(errors[0], 0);
  assert.equal(actions[0], 100);
  const wrong = slots.findIndex((n) => n !== 1);
  assert.equal(
    wrong,
    -1,
    `generation ${Math.floor(wrong / 4)} index ${wrong % 4}: ${slots[wrong]}`,
  );
  assert.deepEqual(state(barrier), { phase: K.FILLING, count: 0, generation: 100 });
});

test("Barrier.abort() breaks parties waiting in workers, and later waits, until reset()", async () => {
  const barrier = new Barrier(3);
  const work = inWorkers<string>(times(2, FIXTURES, "waitOnce", [barrier]));
  await until(() => barrier.nWaiting === 2, "2 workers wait");
  barrier.abort();
  assert.deepEqual(await within(work, WAKE_MS, "the workers woken by abort()"), [
    "BrokenBarrierError",
    "BrokenBarrierError",
  ]);
  assert.ok(barrier.broken);
  assert.equal(barrier.nWaiting, 0);
  await assert.rejects(barrier.wait(), BrokenBarrierError);
  assert.throws(() => barrier.waitSync(), BrokenBarrierError);
  barrier.reset();
  assert.equal(barrier.broken, false);
  const again = inWorkers<string>(times(2, FIXTURES, "waitOnce", [barrier]));
  await until(() => barrier.nWaiting === 2, "2 workers wait again");
  assert.equal(await barrier.wait(), 2);
  assert.deepEqual((await again).sort(), ["0", "1"]);
});

test("Barrier: one party's timeout breaks the barrier for a worker waiting with it", async () => {
  const barrier = new Barrier(3);
  const work = inWorkers<string>(times(1, FIXTURES, "waitOnce", [barrier]));
  await until(() => barrier.nWaiting === 1, "the worker waits");
  const error = await barrier.wait({ timeout: 5 }).then(() => undefined, (e: unknown) => e);
  assert.ok(error instanceof BrokenBarrierError);
  assert.equal((error.cause as DOMException).name, "TimeoutError");
  assert.deepEqual(await work, ["BrokenBarrierError"]);
  assert.ok(barrier.broken);
  assert.equal(state(barrier).count, 0);
});

test("Barrier: a blocking wait in a worker that times out breaks it for the main thread", async () => {
  const barrier = new Barrier(3);
  const mine = assert.rejects(barrier.wait(), BrokenBarrierError);
  assert.deepEqual(await inWorkers(times(1, FIXTURES, "waitOnce", [barrier, 5])), [
    "BrokenBarrierError(TimeoutError)",
  ]);
  await bounded(mine, "the main thread's wait to break");
  assert.ok(barrier.broken);
  assert.equal(state(barrier).count, 0);
});

test("Barrier.wait() aborted rejects with the reason and breaks the barrier for the others", async () => {
  const barrier = new Barrier(3);
  const work = inWorkers<string>(times(1, FIXTURES, "waitOnce", [barrier]));
  await until(() => barrier.nWaiting === 1, "the worker waits");
  const controller = new AbortController();
  const mine = barrier.wait({ signal: controller.signal });
  controller.abort(new Error("stop"));
  await assert.rejects(mine, { message: "stop" });
  assert.deepEqual(await work, ["BrokenBarrierError"]);
  assert.ok(barrier.broken);
  assert.equal(state(barrier).count, 0);
  await assert.rejects(new Barrier(2).wait({ signal: AbortSignal.abort("no") }), (e) => e === "no");
});

test("Barrier.reset() fails the parties inside, then forms fresh generations", async () => {
  const barrier = new Barrier(3);
  const work = inWorkers<string>(times(2, FIXTURES, "waitOnce", [barrier]));
  await until(() => barrier.nWaiting === 2, "2 workers wait");
  const before = state(barrier).generation;
  barrier.reset();
  assert.deepEqual(await within(work, WAKE_MS, "the workers woken by reset()"), [
    "BrokenBarrierError",
    "BrokenBarrierError",
  ]);
  assert.equal(barrier.broken, false);
  assert.deepEqual(state(barrier), { phase: K.FILLING, count: 0, generation: before + 1 });
  const indexes = await bounded(
    Promise.all([barrier.wait(), barrier.wait(), barrier.wait()]),
    "a fresh generation of 3 parties",
  );
  assert.deepEqual(indexes.sort(), [0, 1, 2]);
});

test("Barrier: an action that throws breaks the barrier and is rethrown by its party", async () => {
  const boom = new Error("boom");
  const barrier = new Barrier(2, {
    action: () => {
      throw boom;
    },
  });
  const first = barrier.wait();
  await assert.rejects(barrier.wait(), (e) => e === boom);
  await broke(first);
  assert.ok(barrier.broken);
  assert.equal(state(barrier).count, 0);
});

test("Barrier: a caller that times out waiting to enter a full generation changes nothing", () => {
  let inner: unknown;
  const barrier = new Barrier(1, {
    action: () => {
      // The generation is full and its action runs: a new arrival must wait for the next one.
      try {
        barrier.waitSync({ timeout: 0 });
      } catch (e) {
        inner = e;
      }
    },
  });
  assert.equal(barrier.waitSync(), 0);
  assert.equal((inner as DOMException).name, "TimeoutError");
  assert.equal(barrier.broken, false);
  assert.equal(barrier.waitSync(), 0);
});

test("Barrier uses the default timeout of its options unless a wait gives one", async () => {
  const barrier = new Barrier(2, { timeout: 1 });
  await assert.rejects(barrier.wait(), BrokenBarrierError);
  barrier.reset();
  const patient = Barrier.from(barrier, { timeout: 5_000 });
  const first = patient.wait();
  assert.equal(await barrier.wait({ timeout: 5_000 }), 1);
  assert.equal(await first, 0);
});

test("Barrier's default timeout travels with it: 4 workers waiting for a 5th time out there", async () => {
  const barrier = new Barrier(5, { timeout: 300 });
  // The workers revive a clone without options: the timeout comes from the shared memory.
  const outcomes = await within(
    inWorkers<string>(times(4, FIXTURES, "waitOnce", [barrier])),
    20_000,
    "workers waiting at a barrier with a default timeout",
  );
  // The party whose timeout broke the barrier says so; the others find it broken.
  assert.ok(outcomes.includes("BrokenBarrierError(TimeoutError)"), outcomes.join());
  for (const outcome of outcomes) assert.match(outcome, /^BrokenBarrierError/);
  assert.ok(barrier.broken);
  assert.equal(state(barrier).count, 0);
  // A clone may still override the default for itself; an explicit timeout wins over both.
  barrier.reset();
  assert.equal(Barrier.from(structuredClone(barrier), { timeout: 60_000 }).nWaiting, 0);
  const error = await barrier.wait({ timeout: 1 }).then(() => undefined, (e: unknown) => e);
  assert.ok(error instanceof BrokenBarrierError);
  assert.match(error.message, /after 1 ms/);
});

test("Barrier rejects bad arguments with TypeError and RangeError", async () => {
  for (const bad of [0, -1, 1.5, K.MAX_PARTIES + 1, Number.NaN]) {
    assert.throws(() => new Barrier(bad), RangeError);
  }
  assert.throws(() => new Barrier("2" as unknown as number), TypeError);
  assert.throws(() => new Barrier(2, 5 as unknown as object), TypeError);
  assert.throws(() => new Barrier(2, { action: "x" as unknown as () => void }), TypeError);
  assert.throws(() => new Barrier(2, { timeout: -1 }), RangeError);
  assert.throws(() => new Barrier(2, { timeout: "1" as unknown as number }), TypeError);
  const barrier = new Barrier(2);
  assert.throws(() => barrier.waitSync({ timeout: -1 }), RangeError);
  await assert.rejects(barrier.wait(7 as unknown as object), TypeError);
  assert.equal(barrier.nWaiting, 0);
  assert.equal(new Barrier(K.MAX_PARTIES).parties, K.MAX_PARTIES);
});

test("Barrier.from() revives clones and rejects everything else with TypeError", () => {
  const barrier = new Barrier(2);
  assert.equal(Barrier.from(barrier), barrier);
  const twin = Barrier.from(structuredClone(barrier));
  assert.equal(twin.parties, 2);
  twin.abort();
  assert.ok(barrier.broken);
  for (const bad of [null, 2, {}, structuredClone(new Lock())]) {
    assert.throws(() => Barrier.from(bad), TypeError);
  }
});

type BarrierOp = "arrive" | "abort" | "reset";

/** Resolves once `wait` rejected with BrokenBarrierError (within the deadline). */
function broke(wait: Promise<number>): Promise<void> {
  return bounded(assert.rejects(wait, BrokenBarrierError), "a wait to break");
}

test("Barrier follows a generation model for any sequence of arrivals, aborts and resets", async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.integer({ min: 1, max: 4 }),
      fc.array(fc.constantFrom<BarrierOp>("arrive", "arrive", "abort", "reset"), { maxLength: 25 }),
      async (parties, ops) => {
        const barrier = new Barrier(parties);
        let pending: Promise<number>[] = [];
        let broken = false;
        for (const op of ops) {
          if (op === "arrive") {
            const wait = barrier.wait();
            if (broken) {
              await assert.rejects(wait, BrokenBarrierError);
              continue;
            }
            pending.push(wait);
            if (pending.length === parties) {
              const indexes = await bounded(Promise.all(pending), "a full generation");
              assert.deepEqual(indexes.sort(), Array.from({ length: parties }, (_, k) => k));
              pending = [];
            }
          } else {
            if (op === "abort") barrier.abort();
            else barrier.reset();
            for (const wait of pending) await broke(wait);
            pending = [];
            broken = op === "abort";
          }
          assert.equal(barrier.broken, broken);
          assert.equal(barrier.nWaiting, broken ? 0 : pending.length);
          const { phase, count } = state(barrier);
          assert.equal(phase, broken ? K.BROKEN : K.FILLING);
          assert.equal(count, pending.length);
        }
        if (pending.length > 0) {
          barrier.abort();
          for (const wait of pending) await broke(wait);
        }
      },
    ),
    { numRuns: 50 },
  );
});
