import assert from "node:assert/strict";
import fc from "fast-check";
import { decode, encode, FAST } from "../../src/manager/_codec.ts";
import { test } from "../_portable/test.ts";
import { mapsAsLists } from "../_helpers.ts";

/** Values the fast format covers, nested. */
const covered = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: "small" },
    fc.constantFrom(
      undefined,
      null,
      true,
      false,
      -0,
      NaN,
      Infinity,
      -Infinity,
      2 ** 31,
      -(2 ** 31),
    ),
    fc.integer(),
    fc.double(),
    fc.bigInt(),
    fc.string({ unit: "grapheme" }),
    fc.string({ unit: "binary", maxLength: 100 }),
    fc.date({ noInvalidDate: false }),
    fc.uint8Array({ maxLength: 20 }),
    fc.array(tie("value"), { maxLength: 5 }),
    fc.dictionary(fc.string(), tie("value"), { maxKeys: 5 }),
    fc.array(fc.tuple(tie("value"), tie("value")), { maxLength: 4 }).map((e) => new Map(e)),
    fc.array(tie("value"), { maxLength: 4 }).map((v) => new Set(v)),
  ),
})).value;

test("The codec decodes to what structuredClone gives, for any covered value", () => {
  fc.assert(
    fc.property(covered, (value) => {
      assert.deepStrictEqual(
        mapsAsLists(decode(encode(value))),
        mapsAsLists(structuredClone(value)),
      );
    }),
    { numRuns: 500 },
  );
});

test("The codec falls back to V8's serializer for what its fast format does not cover", () => {
  class Point {
    x: number;
    constructor(x: number) {
      this.x = x;
    }
  }
  const shared = { a: 1 };
  const cyclic: Record<string, unknown> = {};
  cyclic.self = cyclic;
  const cases: unknown[] = [
    new Point(1),
    new RangeError("bad", { cause: 1 }),
    /re/g,
    new Float64Array([1.5]),
    new ArrayBuffer(4),
    [shared, shared],
    cyclic,
    // deno-lint-ignore no-sparse-arrays
    [1, , 3],
    "lone \ud800 surrogate",
  ];
  for (const value of cases) {
    const bytes = encode(value);
    assert.notEqual(bytes[0], FAST);
    assert.deepStrictEqual(decode(bytes), structuredClone(value));
  }
  const [a, b] = decode(encode([shared, shared])) as object[];
  assert.ok(a === b, "a shared reference stays shared");
});

test("The codec refuses what cannot be cloned with a DataCloneError", () => {
  for (const value of [() => 1, Symbol("s"), { f() {} }, new SharedArrayBuffer(4)]) {
    assert.throws(() => encode(value), { name: "DataCloneError" });
  }
});

test("The codec uses its fast format for a typical call message", () => {
  const message = {
    id: "1a2b-3c4d",
    type: "APPLY",
    path: ["call"],
    argumentList: [{ type: "RAW", value: 3 }, { type: "RAW", value: "update" }, {
      type: "RAW",
      value: ["visits", "add", 1],
    }],
  };
  const bytes = encode(message);
  assert.equal(bytes[0], FAST);
  assert.deepStrictEqual(decode(bytes), message);
});
