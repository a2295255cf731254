import assert from "node:assert/strict";
import fc from "fast-check";
import { Event, Lock } from "../../mod.ts";
import { REAL } from "../../src/_atomics.ts";
import * as K from "../../src/kernel/event.ts";
import { assertOverlapped, probe } from "../_contention.ts";
import { inWorkers, times, WAKE_MS, within } from "../_helpers.ts";
import { until } from "./_until.ts";
import { test } from "../_portable/test.ts";

const FIXTURES = new URL("../_workers/event_fixtures.ts", import.meta.url);

function words(event: Event): Int32Array {
  return new Int32Array(event.buffer, event.byteOffset, K.BYTES / 4);
}

test("Event.set() releases every waiter: 2 blocking and 2 async workers and the main thread", async () => {
  const event = new Event();
  const work = inWorkers<string>([
    ...times(2, FIXTURES, "waitFor", [event, false]),
    ...times(2, FIXTURES, "waitFor", [event, true]),
  ]);
  // No timeout on the waits: a waiter that times out after a set() it missed still returns
  // (the state changed), which would hide a lost wake-up; the test's deadline bounds them instead.
  const here = event.wait();
  await until(() => words(event)[K.WAITERS] === 5, "5 waiters sleep");
  event.set();
  await within(here, WAKE_MS, "the main thread's wait woken by set()");
  assert.deepEqual(await within(work, WAKE_MS, "the workers woken by set()"), [
    "released",
    "released",
    "released",
    "released",
  ]);
  assert.equal(words(event)[K.WAITERS], 0);
  assert.ok(event.isSet());
});

test("Event waiters asleep at set() return even though clear() follows at once, in 3 of 3 rounds", async () => {
  const event = new Event();
  // The waiters are workers: a waiter that wrongly re-waits would spin, which only a thread other
  // than the one running the test's deadline may do. Several rounds: in each, a waiter that had not
  // quite gone to sleep when set() came would pass even if asleep ones were stranded.
  const sync = new Int32Array(new SharedArrayBuffer(8));
  const rounds = 3;
  const work = inWorkers<number>([
    ...times(2, FIXTURES, "waitRounds", [event, false, rounds, sync]),
    ...times(2, FIXTURES, "waitRounds", [event, true, rounds, sync]),
  ]);
  for (let r = 0; r < rounds; r++) {
    Atomics.store(sync, 0, r);
    Atomics.notify(sync, 0);
    await until(() => words(event)[K.WAITERS] === 4, `4 waiters sleep in round ${r}`);
    event.set();
    event.clear();
    const back = 4 * (r + 1);
    await until(() => Atomics.load(sync, 1) === back, `4 waiters return in round ${r}`, WAKE_MS);
  }
  assert.deepEqual(await work, [rounds, rounds, rounds, rounds]);
  assert.equal(event.isSet(), false);
  assert.throws(() => event.waitSync({ timeout: 0 }), { name: "TimeoutError" });
});

test("Event ping-pong hands control back and forth 2 x 2,000 times between two workers", async () => {
  const ping = new Event();
  const pong = new Event();
  const rounds = new Int32Array(new SharedArrayBuffer(4));
  const p = probe({ parties: 2 });
  await inWorkers([
    { url: FIXTURES, name: "pingPong", args: [ping, pong, rounds, 2_000, true, p] },
    { url: FIXTURES, name: "pingPong", args: [pong, ping, rounds, 2_000, false, p] },
  ]);
  assertOverlapped(p, "ping and pong");
  assert.equal(rounds[0], 4_000);
});

test("Event timeouts and aborts leave no waiter behind and swallow no set()", async () => {
  const event = new Event();
  await assert.rejects(event.wait({ timeout: 5 }), { name: "TimeoutError" });
  assert.throws(() => event.waitSync({ timeout: 1 }), { name: "TimeoutError" });
  assert.equal(words(event)[K.WAITERS], 0);
  const controller = new AbortController();
  const aborted = event.wait({ signal: controller.signal });
  const live = event.wait({ timeout: 5_000 });
  controller.abort(new Error("stop"));
  await assert.rejects(aborted, { message: "stop" });
  event.set();
  await live;
  assert.equal(words(event)[K.WAITERS], 0);
  await assert.rejects(event.wait({ signal: AbortSignal.abort("no") }), (e) => e === "no");
  assert.throws(() => event.waitSync({ timeout: -1 }), RangeError);
  assert.throws(() => event.waitSync({ timeout: "x" as unknown as number }), TypeError);
});

test("Event.from() revives clones and rejects everything else with TypeError", () => {
  const event = new Event();
  assert.equal(Event.from(event), event);
  Event.from(structuredClone(event)).set();
  assert.ok(event.isSet());
  for (const bad of [null, 1, {}, structuredClone(new Lock())]) {
    assert.throws(() => Event.from(bad), TypeError);
  }
});

test("Event's generation wraps around without losing a set()", () => {
  const event = new Event();
  const w = words(event);
  w[K.STATE] = 0x7fffffff << 1; // last generation, flag down
  assert.equal(event.isSet(), false);
  event.set();
  assert.equal(w[K.STATE], K.FLAG); // generation 0, flag up
  assert.ok(event.isSet());
  event.clear();
  assert.equal(K.wait(REAL, w, performance.now()), false);
});

test("Event follows a flag model for any sequence of set/clear/isSet/timed waits", () => {
  fc.assert(
    fc.property(
      fc.array(fc.constantFrom("set", "clear", "isSet", "wait"), { maxLength: 40 }),
      (ops) => {
        const event = new Event();
        let flag = false;
        let generation = 0;
        for (const op of ops) {
          if (op === "set") {
            if (!flag) generation++;
            event.set();
            flag = true;
          } else if (op === "clear") {
            event.clear();
            flag = false;
          } else if (op === "isSet") {
            assert.equal(event.isSet(), flag);
          } else if (flag) {
            event.waitSync({ timeout: 0 });
          } else {
            assert.throws(() => event.waitSync({ timeout: 0 }), { name: "TimeoutError" });
          }
          assert.equal(words(event)[K.STATE], (generation << 1) | (flag ? 1 : 0));
          assert.equal(words(event)[K.WAITERS], 0);
        }
      },
    ),
  );
});
