import assert from "node:assert/strict";
import fc from "fast-check";
import { Queue, QueueFullError } from "../../mod.ts";
import { DEADLINE_MS, inWorkers, mapsAsLists, times } from "../_helpers.ts";
import { test } from "../_portable/test.ts";

const FIXTURES = new URL("../_workers/queue_fixtures.ts", import.meta.url);

// ---------------------------------------------------------------------------------------------
// Large items and storage

test("Queue moves large items through a small heap, waiting for room while a worker drains it", async () => {
  const queue = new Queue<Uint8Array>(0, { maxBytes: 4096 });
  const producer = inWorkers(times(1, FIXTURES, "putBlobs", [queue, 50, 3_000]));
  for (let k = 0; k < 50; k++) {
    const blob = await queue.get({ timeout: DEADLINE_MS });
    assert.equal(blob.length, 3_000);
    assert.ok(blob.every((b) => b === (k & 0xff)), `blob ${k} corrupted`);
  }
  await producer;
  assert.equal(queue.empty(), true);
});

test("Queue keeps FIFO order when items overflow the ring into the heap and mix sizes", () => {
  const queue = new Queue<unknown>();
  const sent: unknown[] = [];
  for (let k = 0; k < 3_000; k++) {
    const value = k % 97 === 0 ? "y".repeat(1_000 + k) : k % 3 === 0 ? { k } : k;
    queue.putNowait(value);
    sent.push(value);
  }
  assert.equal(queue.qsize(), 3_000);
  for (const value of sent) assert.deepEqual(queue.getNowait(), value);
  assert.equal(queue.empty(), true);
  // After draining, small items use the ring again.
  queue.putNowait(1);
  assert.equal(queue.getNowait(), 1);
});

test("Queue throws QueueFullError from putNowait when its storage is at maxBytes", () => {
  const queue = new Queue<string>(0, { maxBytes: 4096 });
  queue.putNowait("a".repeat(3_000));
  assert.throws(() => queue.putNowait("b".repeat(3_000)), QueueFullError);
  assert.throws(() => queue.putSync("b".repeat(3_000), { timeout: 0 }), { name: "TimeoutError" });
  assert.equal(queue.getNowait().length, 3_000);
  queue.putNowait("b".repeat(3_000));
  assert.equal(queue.getNowait()[0], "b");
});

test("Queue round-trips any structured-clone-able value as structured clone does", () => {
  const queue = new Queue<unknown>();
  fc.assert(
    fc.property(
      fc.anything({
        withBigInt: true,
        withDate: true,
        withMap: true,
        withSet: true,
        withTypedArray: true,
        withSparseArray: true,
        withBoxedValues: true,
        withNullPrototype: false,
        withObjectString: true,
      }),
      (value) => {
        queue.putNowait(value);
        const back = queue.getNowait();
        if (typeof value === "number") assert.ok(Object.is(back, value));
        else assert.deepEqual(mapsAsLists(back), mapsAsLists(structuredClone(value)));
      },
    ),
    { numRuns: 500 },
  );
  // Values JSON would change: they take the structured-clone path.
  const shared = { s: 1 };
  const extra = Object.assign([1, 2], { extra: true });
  for (const v of [{ x: -0 }, { x: NaN }, { a: undefined }, [1, , 3], extra, { inf: [Infinity] }]) {
    queue.putNowait(v);
    const back = queue.getNowait();
    assert.deepEqual(back, structuredClone(v));
  }
  queue.putNowait({ a: shared, b: shared });
  const dag = queue.getNowait() as { a: object; b: object };
  assert.equal(dag.a, dag.b); // shared references stay shared
});

test("Queue round-trips values exactly as structured clone does", () => {
  const queue = new Queue<unknown>();
  const samples: unknown[] = [
    0,
    -0,
    NaN,
    Infinity,
    -Infinity,
    2 ** 53,
    1e-300,
    "",
    "a",
    "é",
    "日本",
    "\ud800",
    "x".repeat(56),
    "ü".repeat(57),
    "日".repeat(28),
    "日".repeat(29),
    true,
    false,
    null,
    undefined,
    0n,
    -(2n ** 63n),
    2n ** 63n - 1n,
    2n ** 64n,
    -(2n ** 100n),
    [1, [2, [3]]],
    { a: { b: "c" } },
    new Date(0),
    new Map([[1, { x: 2 }]]),
    new Set(["s"]),
    /re/gi,
    new Uint8Array([1, 2, 3]),
    new Float64Array([0.5]),
    new Error("e"),
    [undefined, , 3],
  ];
  for (const v of samples) queue.putNowait(v);
  for (const v of samples) {
    const got = queue.getNowait();
    if (typeof v === "number") assert.ok(Object.is(got, v));
    else assert.deepEqual(got, structuredClone(v));
  }
  const cyclic: { self?: unknown } = {};
  cyclic.self = cyclic;
  queue.putNowait(cyclic);
  const back = queue.getNowait() as { self: unknown };
  assert.equal(back.self, back);
});
