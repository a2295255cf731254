import assert from "node:assert/strict";
import fc from "fast-check";
import { CALL, type Kind, MAP, STARMAP } from "../../src/pool/protocol.ts";
import {
  decodeRun,
  encodeRun,
  MAX_PACKED_ARITY,
  type RunEntry,
} from "../../src/pool/_run_batch.ts";
import { withPool } from "./_helpers.ts";
import { test } from "../_portable/test.ts";

/** `message` as the worker gets it: through a structured clone, then decoded. */
function roundTrip(tasks: RunEntry[]): RunEntry[] {
  const out: RunEntry[] = [];
  decodeRun(structuredClone(encodeRun(tasks)), (entry) => out.push(entry));
  return out;
}

test("a batch of tasks comes back from its wire form exactly, in order", () => {
  const number = fc.oneof(
    fc.double(),
    fc.integer(),
    fc.constantFrom(-0, NaN, Infinity, 2 ** 53),
  );
  const args = fc.oneof(
    fc.array(number, { maxLength: MAX_PACKED_ARITY + 2 }),
    fc.array(fc.oneof(number, fc.string(), fc.constant(null)), { maxLength: 4 }),
  );
  const entry = fc.record({
    id: fc.integer({ min: 1, max: 2 ** 53 - 1 }),
    slot: fc.nat(255),
    gen: fc.nat(0x1fffffff),
    kind: fc.constant<Kind>(CALL),
    name: fc.constantFrom("square", "echo", "add", "ß"),
    args,
  });
  const chunk = fc.record({
    id: fc.integer({ min: 1, max: 2 ** 31 }),
    slot: fc.nat(255),
    gen: fc.nat(0x1fffffff),
    kind: fc.constantFrom<Kind>(MAP, STARMAP),
    name: fc.constantFrom("square", "echo"),
    args: fc.oneof(
      fc.array(number).map((xs) => new Float64Array(xs)),
      fc.array(fc.array(number, { maxLength: 3 }), { maxLength: 4 }),
    ),
  });
  fc.assert(
    fc.property(fc.array(fc.oneof(entry, chunk), { maxLength: 40 }), (tasks) => {
      // deepEqual tells -0 from 0 and takes NaN as equal to itself.
      const sent = tasks.map((task) => ({ ...task })) as RunEntry[];
      assert.deepEqual(roundTrip(sent), sent);
    }),
    { numRuns: 200 },
  );
});

test("only Call tasks whose arguments are a few numbers travel among the batch's numbers", () => {
  const message = encodeRun([
    { id: 1, slot: 0, gen: 1, kind: CALL, name: "add", args: [2, 3] },
    { id: 2, slot: 1, gen: 1, kind: CALL, name: "add", args: [2, "3"] },
    { id: 3, slot: 2, gen: 1, kind: MAP, name: "square", args: [1, 2] },
    {
      id: 4,
      slot: 3,
      gen: 1,
      kind: CALL,
      name: "add",
      args: new Array(MAX_PACKED_ARITY + 1).fill(1),
    },
  ]);
  assert.deepEqual([...message.numbers], [2, 3]);
  assert.deepEqual(message.names, ["add", "square"], "each name once");
  assert.equal(message.args.length, 3, "the others as they are");
});

test("Pool.apply passes numbers exactly, -0 and NaN included, beside other arguments", async () => {
  await withPool({ size: 2 }, async (pool) => {
    const values = [0, -0, NaN, 1.5, -(2 ** 53), Infinity, 2 ** 31];
    const echoed = await Promise.all(values.map((x) => pool.apply("echo", [x])));
    assert.deepEqual(echoed, values);
    assert.equal(await pool.apply("pow", [2, 10]), 1024);
    assert.equal(await pool.apply("echo", ["s"]), "s");
  });
});
