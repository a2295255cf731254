import { inspect } from "node:util";
import assert from "node:assert/strict";
import fc from "fast-check";
import { Lock, revive, RuntimeError, SharedArray, Value } from "../../mod.ts";
import { assertContended, probe } from "../_contention.ts";
import { inWorkers, sum, times } from "../_helpers.ts";
import { test } from "../_portable/test.ts";

const FIXTURES = new URL("../_workers/array_fixtures.ts", import.meta.url);

test("SharedArray: an array doubled in a worker is seen doubled by the parent (seed)", async () => {
  const counter = new Value("i", 0);
  const numbers = new SharedArray("d", [1.0, 2.0, 3.0, 4.0]);
  const [inWorker] = await inWorkers<number[]>(
    times(1, FIXTURES, "modifySharedResources", [counter, numbers]),
  );
  assert.deepEqual(inWorker, [2, 4, 6, 8]);
  assert.deepEqual(numbers.toArray(), [2, 4, 6, 8]);
  assert.equal(counter.value, 1);
});

test("SharedArray: 3 workers doing contended locked updates through the view lose none", async () => {
  const a = new SharedArray("i", 4);
  const p = probe({ parties: 3, target: 250, minOps: 2_000 });
  const done = await inWorkers<number>(times(3, FIXTURES, "bumpUnderLock", [a, 2, p]));
  assertContended(p, "3 blocking workers");
  assert.deepEqual(a.toArray(), [0, 0, sum(done), 0]);
});

test("SharedArray behaves like a TypedArray of its type for any get/set sequence", () => {
  fc.assert(
    fc.property(
      fc.constantFrom("b", "h", "i", "I", "f", "d") as fc.Arbitrary<"i">,
      fc.array(fc.integer({ min: -100, max: 100 }), { maxLength: 20 }),
      fc.array(fc.tuple(fc.integer({ min: -25, max: 25 }), fc.integer({ min: 0, max: 100 }))),
      (code, initial, writes) => {
        const a = new SharedArray(code, initial.map(Math.abs));
        const model = initial.map(Math.abs);
        for (const [i, x] of writes) {
          const n = model.length;
          if (i >= n || i < -n) {
            assert.throws(() => a.set(i, x), RangeError);
            assert.throws(() => a.get(i), RangeError);
            continue;
          }
          a.set(i, x);
          model[i < 0 ? i + n : i] = x;
          assert.equal(a.get(i), x);
        }
        assert.deepEqual(a.toArray(), model);
        assert.deepEqual([...a], model);
        assert.deepEqual([...a.view], model);
        assert.equal(a.length, model.length);
      },
    ),
  );
});

test("SharedArray accepts typecodes and constructors, numbers and bigints", () => {
  const q = new SharedArray("q", [1n, -2n]);
  assert.deepEqual(q.toArray(), [1n, -2n]);
  assert.ok(q.view instanceof BigInt64Array);
  const d = new SharedArray(Float64Array, 2);
  assert.equal(d.typecode, "d");
  assert.ok(d.view instanceof Float64Array);
  d.set(0, Math.PI);
  assert.equal(d.view[0], Math.PI);
  const f = new SharedArray("f", new Set([0.1]));
  assert.equal(f.get(0), Math.fround(0.1));
  assert.equal(new SharedArray("i", 0).toArray().length, 0);
  assert.equal(inspect(new SharedArray("Q", [3n])), "SharedArray('Q', [3n])");
});

test("SharedArray locks: default own, shared, or none", () => {
  const lock = new Lock();
  const a = new SharedArray("i", 1, { lock });
  const v = new Value("i", 0, { lock });
  assert.equal(a.getLock(), v.getLock());
  assert.notEqual(new SharedArray("i", 1).getLock(), lock);
  assert.throws(() => new SharedArray("i", 1, { lock: false }).getLock(), RuntimeError);
});

test("SharedArray.from() revives clones (deep too) and rejects everything else", () => {
  const a = new SharedArray("d", [1, 2]);
  const twin = SharedArray.from<"d">(structuredClone(a));
  twin.set(1, 5);
  assert.deepEqual(a.toArray(), [1, 5]);
  assert.equal(twin.length, 2);
  assert.ok(twin.getLock().tryAcquire());
  assert.ok(a.getLock().locked());
  assert.equal(SharedArray.from(a), a);
  const { nested } = revive(structuredClone({ nested: [a] })) as { nested: [SharedArray<"d">] };
  assert.deepEqual(nested[0].toArray(), [1, 5]);
  for (const bad of [null, 3, {}, structuredClone(new Value("i", 0))]) {
    assert.throws(() => SharedArray.from(bad), TypeError);
  }
  const forged = new Int32Array(new SharedArrayBuffer(64));
  forged[0] = new Int32Array(a.buffer)[0]!;
  forged[1] = "d".charCodeAt(0);
  forged[2] = 1_000; // longer than its buffer
  assert.throws(() => SharedArray.from({ buffer: forged.buffer, byteOffset: 0 }), TypeError);
});

test("SharedArray rejects bad input with TypeError and RangeError", () => {
  assert.throws(() => new SharedArray("x" as "i", 1), TypeError);
  assert.throws(() => new SharedArray("i", -1), RangeError);
  assert.throws(() => new SharedArray("i", 1.5), RangeError);
  assert.throws(() => new SharedArray("i", "3" as unknown as number), TypeError);
  assert.throws(() => new SharedArray("i", [1, 2n as unknown as number]), TypeError);
  assert.throws(() => new SharedArray("q", [1 as unknown as bigint]), TypeError);
  assert.throws(() => new SharedArray("i", [0.5]), RangeError);
  assert.throws(() => new SharedArray("i", 1, { lock: "yes" as unknown as boolean }), TypeError);
  const a = new SharedArray("i", [7]);
  assert.throws(() => a.get(0.5), RangeError);
  assert.throws(() => a.get(Number.NaN), RangeError);
  assert.throws(() => a.set(0, 2 ** 31), RangeError);
  assert.throws(() => a.set(0, "1" as unknown as number), TypeError);
  assert.equal(a.get(0), 7);
  assert.throws(
    () => a.get(1),
    {
      name: "RangeError",
      message: "Cannot get element: 'index' must be an integer from -1 to 0, received 1",
    },
  );
});
