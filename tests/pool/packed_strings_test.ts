import assert from "node:assert/strict";
import fc from "fast-check";
import { MIN_PACKED, packStrings, unpackStrings } from "../../src/pool/_packed_strings.ts";
import { withPool } from "./_helpers.ts";
import { test } from "../_portable/test.ts";

/** Whether `s` has a lone surrogate (what UTF-8, hence the packing, cannot carry). */
const lone = (s: string) =>
  /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(s);

test("packed strings come back exactly, and only lists that would are packed", () => {
  fc.assert(
    fc.property(
      fc.array(
        fc.oneof(
          fc.string({ unit: "binary", maxLength: 12 }),
          fc.string({ maxLength: 30 }),
          fc.constantFrom("", "\u0000", "\uD83D", "\uDE00", "é😀"),
        ),
        { maxLength: 60 },
      ),
      (list) => {
        const packed = packStrings(list);
        const packable = list.length >= MIN_PACKED && !lone(list.join(""));
        assert.equal(
          packed !== undefined,
          packable,
          "packed exactly when it can come back the same",
        );
        if (packed) {
          assert.ok(packed.buffer instanceof SharedArrayBuffer, "in shared memory");
          assert.deepEqual(unpackStrings(packed), list);
          const into: unknown[] = ["x"];
          unpackStrings(packed, into, 1);
          assert.deepEqual(into, ["x", ...list], "written in place after what was there");
        }
      },
    ),
    { numRuns: 100 },
  );
  const strings = Array.from({ length: MIN_PACKED }, (_, i) => `s${i}`);
  assert.equal(packStrings([...strings, 1]), undefined, "a number among strings: not packed");
  assert.equal(packStrings([...strings, null]), undefined, "null among strings: not packed");
  assert.equal(packStrings(strings.slice(1)), undefined, "too few to pay off: not packed");
});

test("Pool.map carries strings exactly both ways, packed or not, whatever the chunk size", async () => {
  const edge = ["", "\u0000", "a\u0000b", "é", "😀", "\uD83D", "\uDE00", "x".repeat(1000), "日本"];
  const items = Array.from(
    { length: 500 },
    (_, i) => i % 7 === 0 ? edge[i % edge.length]! : `s${i}`,
  );
  const ascii = Array.from({ length: 5_000 }, (_, i) => `s${i}`);
  await withPool({ size: 2 }, async (pool) => {
    for (const chunksize of [undefined, 1, 17, 500]) {
      const options = chunksize === undefined ? {} : { chunksize };
      assert.deepEqual(await pool.map("echo", items, options), items, `chunksize ${chunksize}`);
    }
    assert.deepEqual(await pool.map("echo", ascii), ascii);
    // Strings among other values travel as an array.
    const mixed: unknown[] = [...ascii.slice(0, 40), 7, { a: "b" }, ...ascii.slice(0, 40)];
    assert.deepEqual(await pool.map("echo", mixed, { chunksize: 100 }), mixed);
    // Numbers in, strings out (packed on the way back), and a chunk whose results change type.
    const numbers = Array.from({ length: 100 }, (_, i) => i + 3);
    assert.deepEqual(
      await pool.map("numberThenString", numbers, { chunksize: 50 }),
      numbers.map((x) => `#${x}`),
    );
    assert.deepEqual(
      await pool.map("numberThenString", [0, 1, 2, ...numbers], { chunksize: 103 }),
      [0, 1, 2, ...numbers.map((x) => `#${x}`)],
    );
    const streamed: unknown[] = [];
    for await (const v of pool.imap("echo", ascii, { chunksize: 1_000 })) streamed.push(v);
    assert.deepEqual(streamed, ascii);
    const unordered: unknown[] = [];
    for await (const v of pool.imapUnordered("echo", ascii, { chunksize: 1_000 })) {
      unordered.push(v);
    }
    assert.deepEqual(unordered.sort(), [...ascii].sort());
  });
});
