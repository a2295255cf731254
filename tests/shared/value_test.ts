import { inspect } from "node:util";
import assert from "node:assert/strict";
import fc from "fast-check";
import { Lock, revive, RuntimeError, Value } from "../../mod.ts";
import { assertContended, probe } from "../_contention.ts";
import { inWorkers, sum, times } from "../_helpers.ts";
import type { Typecode } from "../../mod.ts";
import { test } from "../_portable/test.ts";

const FIXTURES = new URL("../_workers/value_fixtures.ts", import.meta.url);

test("Value: 5 workers doing contended locked increments of Value('i', 0) lose none", async () => {
  const counter = new Value("i", 0);
  const p = probe({ parties: 5, target: 250, minOps: 1_000 });
  const done = await inWorkers<number>(times(5, FIXTURES, "transactSync", [counter, 1, p]));
  assertContended(p, "5 blocking workers");
  assert.equal(counter.value, sum(done));
  assert.equal(counter.getLock().locked(), false);
});

test("Value: contended locked withdrawals and deposits from blocking and async workers keep the balance", async () => {
  const balance = new Value("i", 100);
  const p = probe({ parties: 2, target: 200, minOps: 2_000 });
  const [withdrawals, deposits] = await inWorkers<number>([
    { url: FIXTURES, name: "transactSync", args: [balance, -1, p] },
    { url: FIXTURES, name: "transactAsync", args: [balance, +1, p] },
  ]);
  assertContended(p, "a blocking and an async worker");
  assert.equal(balance.value, 100 - withdrawals! + deposits!);
});

test("Value: a worker's write is seen by the parent", async () => {
  const v = new Value("d", 0);
  const [seen] = await inWorkers<number>(times(1, FIXTURES, "setValue", [v, 3.25]));
  assert.equal(seen, 3.25);
  assert.equal(v.value, 3.25);
});

/** Changes of the value a reader must see: reads that really interleave with the writes. */
const CHANGES = 5_000;

/** A writer alternates `a` and `b` while a reader watches; returns the torn reads it saw. */
async function tornReads<T extends number | bigint>(v: Value, a: T, b: T): Promise<number> {
  const words = new Int32Array(new SharedArrayBuffer(8));
  const p = probe({ parties: 2 });
  const [, torn] = await inWorkers<number>([
    { url: FIXTURES, name: "flip", args: [v, a, b, CHANGES, 10_000, words, p] },
    { url: FIXTURES, name: "watch", args: [v, a, b, words, p] },
    // The writer stops within 30 s (value_fixtures.ts: WRITE_LIMIT_MS), then the reader.
  ], { deadline: 40_000 });
  assert.ok(words[0]! >= CHANGES, `the reader saw the value change only ${words[0]} times`);
  return torn!;
}

test("Value('d') never shows a torn float to a reader that sees 5,000 of a writer's writes", async () => {
  // Every bit of the high and of the low 32-bit half differs between the two: a read that mixed
  // the halves of two writes would see a third number.
  const a = Math.PI; // 0x400921fb_54442d18
  const b = -Math.E; // 0xc005bf0a_8b145769
  const v = new Value("d", a, { lock: false });
  assert.equal(await tornReads(v, a, b), 0);
  assert.ok(v.value === a || v.value === b);
});

test("Value('q') never shows a torn bigint to a reader that sees 5,000 of a writer's writes", async () => {
  const a = 0x0123_4567_89ab_cdefn;
  const v = new Value("q", a);
  assert.equal(await tornReads(v, a, ~a), 0);
  assert.ok(v.value === a || v.value === ~a);
});

const CODES: Typecode[] = ["b", "B", "h", "H", "i", "I", "l", "L", "q", "Q", "f", "d"];
const CTORS = [
  Int8Array,
  Uint8Array,
  Int16Array,
  Uint16Array,
  Int32Array,
  Uint32Array,
  BigInt64Array,
  BigUint64Array,
  BigInt64Array,
  BigUint64Array,
  Float32Array,
  Float64Array,
] as const;

test("Value stores exactly what the matching TypedArray stores, for every typecode", () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 0, max: CODES.length - 1 }),
      fc.oneof(fc.double(), fc.integer({ min: -(2 ** 31), max: 2 ** 32 - 1 })),
      fc.bigInt({ min: -(1n << 63n), max: (1n << 64n) - 1n }),
      (k, n, b) => {
        const code = CODES[k]!;
        const Ctor = CTORS[k]!;
        const reference = new Ctor(1) as unknown as { [i: number]: number | bigint };
        const bigint = Ctor === BigInt64Array || Ctor === BigUint64Array;
        const x = bigint ? b : n;
        const v = new Value(code, undefined, { lock: false });
        const w = new Value(Ctor);
        try {
          reference[0] = x;
        } catch {
          return;
        }
        const float = code === "f" || code === "d";
        const fits = float || reference[0] === x;
        if (!fits) {
          assert.throws(() => (v.value = x as never), RangeError);
          return;
        }
        v.value = x as never;
        w.value = x as never;
        assert.ok(Object.is(v.value, reference[0]));
        assert.ok(Object.is(w.value, reference[0]));
        assert.equal(v.typecode, code);
        assert.equal(w.typecode, code === "l" ? "q" : code === "L" ? "Q" : code);
      },
    ),
    { numRuns: 1_000 },
  );
});

test("Value defaults to zero and to a fresh lock of its own", () => {
  const a = new Value("i");
  const b = new Value("q");
  assert.equal(a.value, 0);
  assert.equal(b.value, 0n);
  assert.ok(a.lock instanceof Lock);
  assert.notEqual(a.getLock(), b.getLock());
  assert.equal(a.getLock(), a.lock);
});

test("Value with lock: someLock shares it, and lock: false has none", () => {
  const lock = new Lock();
  const a = new Value("i", 0, { lock });
  const b = new Value("d", 0, { lock });
  assert.equal(a.getLock(), lock);
  assert.equal(b.getLock(), lock);
  const raw = new Value("i", 0, { lock: false });
  assert.equal(raw.lock, undefined);
  assert.throws(() => raw.getLock(), RuntimeError);
  assert.equal(new Value("i", 0, { lock: true }).getLock().locked(), false);
});

test("Value.from() revives clones with their lock, also deep inside task arguments", () => {
  const v = new Value("i", 5);
  const twin = Value.from<"i">(structuredClone(v));
  assert.equal(twin.value, 5);
  assert.equal(twin.typecode, "i");
  twin.value = 6;
  assert.equal(v.value, 6);
  assert.ok(twin.getLock().tryAcquire());
  assert.ok(v.getLock().locked());
  v.getLock().release();
  assert.equal(Value.from(v), v);

  const [{ deep }] = revive(structuredClone([{ deep: v }])) as [{ deep: Value<"i"> }];
  assert.ok(deep instanceof Value);
  deep.value = 9;
  assert.equal(v.value, 9);

  const raw = Value.from(structuredClone(new Value("f", 1.5, { lock: false })));
  assert.equal(raw.lock, undefined);
  assert.equal(raw.value, 1.5);
});

test("Value.from() rejects everything that is not a Value clone with TypeError", () => {
  const v = new Value("i", 1);
  for (const bad of [null, 1, "v", {}, { buffer: new ArrayBuffer(16), byteOffset: 0 }]) {
    assert.throws(() => Value.from(bad), TypeError);
  }
  assert.throws(() => Value.from(structuredClone(new Lock())), TypeError);
  assert.throws(() => Value.from({ ...structuredClone(v), lock: {} }), TypeError);
  const forged = new Int32Array(new SharedArrayBuffer(64));
  forged[0] = new Int32Array(v.buffer)[0]!;
  forged[1] = "z".charCodeAt(0);
  assert.throws(() => Value.from({ buffer: forged.buffer, byteOffset: 0 }), TypeError);
});

test("Value rejects bad types, numbers and options with TypeError and RangeError", () => {
  const bad = (f: () => unknown, E: ErrorConstructor) => assert.throws(f, E);
  bad(() => new Value("x" as "i", 0), TypeError);
  bad(() => new Value(Uint8ClampedArray as unknown as "i", 0), TypeError);
  bad(() => new Value(Array as unknown as "i", 0), TypeError);
  bad(() => new Value("i", 1n as never), TypeError);
  bad(() => new Value("q", 1 as never), TypeError);
  bad(() => new Value("i", 1.5), RangeError);
  bad(() => new Value("B", -1), RangeError);
  bad(() => new Value("h", 40_000), RangeError);
  bad(() => new Value("Q", -1n), RangeError);
  bad(() => new Value("q", 1n << 63n), RangeError);
  bad(() => new Value("i", 0, { lock: 1 as never }), TypeError);
  bad(() => new Value("i", 0, 5 as never), TypeError);
  const v = new Value("i", 3);
  bad(() => (v.value = "4" as never), TypeError);
  bad(() => (v.value = Number.NaN), RangeError);
  assert.equal(v.value, 3);
  assert.match(
    (() => {
      try {
        new Value("i", -(2 ** 40));
      } catch (e) {
        return (e as Error).message;
      }
      return "";
    })(),
    /^Cannot create value: typecode 'i' holds integers from -2147483648 to 2147483647, received -1099511627776$/,
  );
});

test("Value floats keep NaN, -0 and infinities", () => {
  const d = new Value("d", -0);
  assert.ok(Object.is(d.value, -0));
  d.value = Number.NaN;
  assert.ok(Number.isNaN(d.value));
  const f = new Value("f", Infinity);
  assert.equal(f.value, Infinity);
  f.value = 0.1;
  assert.equal(f.value, Math.fround(0.1));
});

test("Value shows its typecode and value when inspected", () => {
  assert.equal(inspect(new Value("q", 5n)), "Value('q', 5n)");
  assert.equal(inspect(new Value("d", 0.5)), "Value('d', 0.5)");
});
