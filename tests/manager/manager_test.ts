import assert from "node:assert/strict";
import { Worker } from "node:worker_threads";
import fc from "fast-check";
import { Lock, QueueEmptyError, revive } from "../../mod.ts";
import {
  type Managed,
  ManagedDict,
  ManagedList,
  ManagedNamespace,
  ManagedObject,
  Manager,
} from "../../src/manager/mod.ts";
import { assertContended, probe } from "../_contention.ts";
import { assertSeeded, boundedTest, inWorkers, times } from "../_helpers.ts";
import * as K from "../../src/kernel/manager.ts";
import { REAL } from "../../src/_atomics.ts";
import type { Account, Counter, Gate, makeStack, Thrower } from "../_workers/manager_types.ts";

const FIXTURES = new URL("../_workers/manager_fixtures.ts", import.meta.url);
const HARNESS = new URL("../_workers/harness.ts", import.meta.url);
const TYPES = new URL("../_workers/manager_types.ts", import.meta.url);

boundedTest(
  "Manager dict and list lose no update from 4 workers calling at the same time",
  async () => {
    await using manager = await Manager.start();
    const dict = await manager.dict<string, number>();
    const list = await manager.list<[number, number]>();
    const p = probe({ parties: 4, target: 200, minOps: 50 });
    const made = await inWorkers<number>([0, 1, 2, 3].map((who) => ({
      url: FIXTURES,
      name: "countAndAppend",
      args: [dict, list, who, p],
    })));
    assertContended(p, "4 workers calling the manager");
    const total = made.reduce((a, b) => a + b, 0);
    assert.equal(await dict.get("count"), total);
    const items = await list.toArray();
    assert.equal(items.length, total);
    // Every (worker, k) pair exactly once, and each worker's appends in its own order.
    for (let who = 0; who < 4; who++) {
      assert.deepEqual(items.filter(([w]) => w === who).map(([, k]) => k), [
        ...Array(made[who]).keys(),
      ]);
    }
  },
);

boundedTest(
  "Manager serves a registered class's non-atomic method to 3 workers without losing a count",
  async () => {
    await using manager = await Manager.start();
    await manager.register("Counter", TYPES);
    const counter = await manager.create<typeof Counter>("Counter", 10);
    await inWorkers(times(3, FIXTURES, "incrementCounter", [counter, 200]));
    assert.equal(await counter.value(), 610);
  },
);

boundedTest("A proxy revived in a worker is a working proxy of the same object", async () => {
  await using manager = await Manager.start();
  const dict = await manager.dict<string, string>([["greeting", "hello"]]);
  const [described] = await inWorkers<[string, string]>(
    times(1, FIXTURES, "describeProxy", [dict]),
  );
  assert.deepEqual(described, ["ManagedDict", "hello"]);
});

boundedTest(
  "A proxy's structured clone carries only data and revives to the right class",
  async () => {
    await using manager = await Manager.start();
    await manager.register("Counter", TYPES);
    const proxies = [
      await manager.dict(),
      await manager.list(),
      await manager.namespace({ a: 1 }),
      await manager.create<typeof Counter>("Counter"),
    ];
    const classes = [ManagedDict, ManagedList, ManagedNamespace, ManagedObject];
    const clones = structuredClone(proxies) as object[];
    for (const clone of clones) assert.equal(Object.getPrototypeOf(clone), Object.prototype);
    assert.deepEqual(Object.keys(clones[3]!).sort(), [
      "buffer",
      "byteOffset",
      "id",
      "kind",
      "methods",
      "typeid",
    ]);
    const revived = revive(clones) as object[];
    revived.forEach((proxy, k) => assert.ok(proxy instanceof classes[k]!));
    const counter = revived[3] as Managed<Counter>;
    assert.equal(await counter.increment(5), 5);
    assert.equal(await (proxies[3] as Managed<Counter>).value(), 5);
  },
);

boundedTest("from() rejects values that are not proxies of its kind with a TypeError", async () => {
  await using manager = await Manager.start();
  const list = await manager.list();
  assert.throws(() => ManagedDict.from(structuredClone(list)), TypeError);
  assert.throws(() => ManagedList.from({}), TypeError);
  assert.throws(() => ManagedList.from(new Lock()), TypeError);
  assert.throws(() => ManagedNamespace.from(null), TypeError);
  assert.throws(
    () => ManagedObject.from({ ...structuredClone(list), kind: "object", typeid: 1, methods: [] }),
    TypeError,
  );
  assert.ok(ManagedList.from(list) === list);
});

boundedTest(
  "Values longer than one mailbox chunk travel both ways, from the main thread and workers",
  async () => {
    await using manager = await Manager.start();
    const list = await manager.list<string>();
    const long = "x".repeat(50_000);
    await list.append(long);
    assert.equal(await list.get(0), long);
    const [length] = await inWorkers<number>(times(1, FIXTURES, "echoLong", [list, 70_000]));
    assert.equal(length, 70_000);
    const items = await list.toArray();
    assert.equal(items.map((s) => s.length).join(), "50000,70000");
  },
);

boundedTest("More concurrent calls than mailbox slots all complete", async () => {
  await using manager = await Manager.start();
  const dict = await manager.dict<string, number>();
  const results = await Promise.all(
    Array.from({ length: 300 }, (_, k) => dict.update(`k${k % 7}`, "add", 1)),
  );
  assert.equal(results.length, 300);
  assert.equal((await dict.values()).reduce((a, b) => a + b, 0), 300);
});

boundedTest("A managed dict behaves as a Map under any sequence of operations", async () => {
  await using manager = await Manager.start();
  const key = fc.constantFrom("a", "b", "c", 1, 2n, true);
  const op = fc.oneof(
    fc.record({ op: fc.constant("set" as const), key, value: fc.integer() }),
    fc.record({ op: fc.constant("get" as const), key }),
    fc.record({ op: fc.constant("has" as const), key }),
    fc.record({ op: fc.constant("delete" as const), key }),
    fc.record({ op: fc.constant("pop" as const), key }),
    fc.record({ op: fc.constant("setDefault" as const), key, value: fc.integer() }),
    fc.record({ op: fc.constant("add" as const), key, value: fc.integer({ min: -5, max: 5 }) }),
    fc.record({ op: fc.constant("size" as const) }),
    fc.record({ op: fc.constant("clear" as const) }),
  );
  await assertSeeded(
    fc.asyncProperty(fc.array(op, { maxLength: 20 }), async (ops) => {
      type K = string | number | bigint | boolean;
      const dict = await manager.dict<K, number>();
      const model = new Map<K, number>();
      for (const o of ops) {
        switch (o.op) {
          case "set":
            await dict.set(o.key, o.value);
            model.set(o.key, o.value);
            break;
          case "get":
            assert.equal(await dict.get(o.key), model.get(o.key));
            break;
          case "has":
            assert.equal(await dict.has(o.key), model.has(o.key));
            break;
          case "delete":
            assert.equal(await dict.delete(o.key), model.delete(o.key));
            break;
          case "pop": {
            const expected = model.get(o.key);
            model.delete(o.key);
            assert.equal(await dict.pop(o.key), expected);
            break;
          }
          case "setDefault":
            if (!model.has(o.key)) model.set(o.key, o.value);
            assert.equal(await dict.setDefault(o.key, o.value), model.get(o.key));
            break;
          case "add": {
            const next = (model.get(o.key) ?? 0) + o.value;
            model.set(o.key, next);
            assert.equal(await dict.update(o.key, "add", o.value), next);
            break;
          }
          case "size":
            assert.equal(await dict.size(), model.size);
            break;
          case "clear":
            await dict.clear();
            model.clear();
            break;
        }
      }
      assert.deepEqual(await dict.entries(), [...model.entries()]);
    }),
    { numRuns: 30 },
  );
});

boundedTest("A managed list behaves as an array under any sequence of operations", async () => {
  await using manager = await Manager.start();
  const index = fc.integer({ min: -4, max: 4 });
  const op = fc.oneof(
    fc.record({ op: fc.constant("append" as const), value: fc.integer() }),
    fc.record({ op: fc.constant("insert" as const), index, value: fc.integer() }),
    fc.record({ op: fc.constant("get" as const), index }),
    fc.record({ op: fc.constant("set" as const), index, value: fc.integer() }),
    fc.record({ op: fc.constant("pop" as const), index }),
    fc.record({ op: fc.constant("remove" as const), value: fc.integer({ min: 0, max: 3 }) }),
  );
  const at = (model: number[], i: number) => (i < 0 ? model.length + i : i);
  await assertSeeded(
    fc.asyncProperty(fc.array(op, { maxLength: 20 }), async (ops) => {
      const list = await manager.list<number>();
      const model: number[] = [];
      for (const o of ops) {
        switch (o.op) {
          case "append":
            model.push(o.value);
            assert.equal(await list.append(o.value), model.length);
            break;
          case "insert":
            model.splice(Math.min(Math.max(at(model, o.index), 0), model.length), 0, o.value);
            assert.equal(await list.insert(o.index, o.value), model.length);
            break;
          case "get":
            assert.equal(await list.get(o.index), model[at(model, o.index)]);
            break;
          case "set": {
            const i = at(model, o.index);
            if (i < 0 || i >= model.length) {
              await assert.rejects(list.set(o.index, o.value), RangeError);
            } else {
              model[i] = o.value;
              await list.set(o.index, o.value);
            }
            break;
          }
          case "pop": {
            const i = at(model, o.index);
            if (model.length === 0) assert.equal(await list.pop(o.index), undefined);
            else if (i < 0 || i >= model.length) {
              await assert.rejects(list.pop(o.index), RangeError);
            } else assert.equal(await list.pop(o.index), model.splice(i, 1)[0]);
            break;
          }
          case "remove": {
            const i = model.indexOf(o.value);
            if (i >= 0) model.splice(i, 1);
            assert.equal(await list.remove(o.value), i >= 0);
            break;
          }
        }
      }
      assert.deepEqual(await list.toArray(), model);
    }),
    { numRuns: 30 },
  );
});

boundedTest("A namespace's fields read, write and update atomically", async () => {
  await using manager = await Manager.start();
  const ns = await manager.namespace({
    n: 0,
    tags: [] as string[],
    meta: {} as Record<string, number>,
  });
  await Promise.all(Array.from({ length: 50 }, () => ns.update("n", "add", 2)));
  await ns.update("tags", "extend", ["a", "b"]);
  await ns.update("meta", "assign", { x: 1 });
  await ns.assign({ meta: { y: 2 } });
  assert.deepEqual(await ns.toObject(), { n: 100, tags: ["a", "b"], meta: { y: 2 } });
  await assert.rejects(ns.update("tags", "add", 1), TypeError);
});

boundedTest(
  "Registered types: classes, factories, updaters, async methods and private methods",
  async () => {
    await using manager = await Manager.start();
    await manager.register("Counter", TYPES);
    await manager.register("Stack", TYPES, "makeStack");
    await manager.register("maxOf", TYPES);
    const counter = await manager.create<typeof Counter>("Counter", 3);
    assert.deepEqual(counter.methods, ["increment", "later", "value"]);
    assert.equal(await counter.later(), 3);
    assert.equal("_reset" in counter, false);
    const stack = await manager.create<typeof makeStack>("Stack", 1, 2);
    assert.equal(await stack.push(3), 3);
    assert.equal(await stack.pop(), 3);
    const best = await manager.dict<string, number>();
    await Promise.all([4, 9, 2].map((v) => best.update("score", "maxOf", v)));
    assert.equal(await best.get("score"), 9);
    await assert.rejects(best.update("score", "Counter"), TypeError);
  },
);

boundedTest(
  "A method's error reaches the caller with its name, message, properties and cause",
  async () => {
    await using manager = await Manager.start();
    await manager.register("Account", TYPES);
    const account = await manager.create<typeof Account>("Account");
    await account.deposit(10);
    const error = await account.withdraw(15).then(() => undefined, (e: unknown) => e) as Error & {
      missing: number;
    };
    assert.ok(error instanceof Error);
    assert.equal(error.name, "InsufficientFunds");
    assert.equal(error.message, "Insufficient funds: 5 missing");
    assert.equal(error.missing, 5);
    assert.ok(error.cause instanceof RangeError);
    assert.match(error.stack ?? "", /withdraw/);
    assert.equal(await account.withdraw(4), 6);
  },
);

boundedTest(
  "Thrown values cross from the server with their class, name, message, cause and properties",
  async () => {
    await using manager = await Manager.start();
    await manager.register("Thrower", TYPES);
    const thrower = await manager.create<typeof Thrower>("Thrower");
    const caught = (p: Promise<unknown>) =>
      p.then(() => assert.fail("resolved"), (e: unknown) => e);

    const type = await caught(thrower.typeError()) as TypeError & { code: string; width: number };
    assert.ok(type instanceof TypeError);
    assert.equal(type.name, "TypeError");
    assert.equal(type.message, "bad shape");
    assert.equal(type.code, "E_SHAPE");
    assert.equal(type.width, 12);
    assert.ok(type.cause instanceof RangeError);
    assert.equal((type.cause as Error).message, "too wide");

    const abort = await caught(thrower.abort()) as DOMException;
    assert.ok(abort instanceof DOMException);
    assert.equal(abort.name, "AbortError");
    assert.equal(abort.message, "stopped by the caller");

    const aggregate = await caught(thrower.aggregate()) as AggregateError;
    assert.ok(aggregate instanceof AggregateError);
    assert.equal(aggregate.message, "both failed");
    assert.equal(aggregate.errors.length, 2);
    assert.ok(aggregate.errors[0] instanceof Error);
    assert.equal(aggregate.errors[0].message, "first");
    assert.ok(aggregate.errors[1] instanceof SyntaxError);
    assert.equal(aggregate.errors[1].message, "second");

    const empty = await caught(thrower.queueEmpty()) as QueueEmptyError & { size: number };
    assert.ok(empty instanceof QueueEmptyError);
    assert.equal(empty.name, "QueueEmptyError");
    assert.equal(empty.message, "nothing to take");
    assert.equal(empty.cause, "drained");
    assert.equal(empty.size, 0);
    assert.match(empty.stack ?? "", /queueEmpty/);

    assert.deepEqual(await caught(thrower.plainValue()), { code: 7, reason: "not an error" });
  },
);

boundedTest(
  "Misuse is reported: unknown types, missing exports, bad keys, uncloneable values",
  async () => {
    await using manager = await Manager.start();
    await assert.rejects(manager.create("Nope"), RangeError);
    await assert.rejects(manager.register("X", TYPES, "missing"), TypeError);
    await assert.rejects(manager.register("X", "./relative.ts"), TypeError);
    await assert.rejects(manager.register("", TYPES), TypeError);
    const dict = await manager.dict<string, unknown>();
    await assert.rejects(dict.get({} as unknown as string), TypeError);
    await assert.rejects(dict.set("f", () => 1), { name: "DataCloneError" });
    await assert.rejects(dict.set("lock", new Lock()), { name: "DataCloneError" });
    await assert.rejects(manager.dict([[{}, 1]] as unknown as [string, number][]), TypeError);
    // The manager still serves after every failure above.
    await dict.set("ok", 1);
    assert.equal(await dict.get("ok"), 1);
  },
);

/**
 * Starts `n` workers that each make `calls` concurrent calls of `gate.pass`, and resolves once
 * `K.SLOTS` of those calls are in the server (each holding a mailbox slot; the others wait for
 * one). The caller terminates the workers.
 */
async function fillSlotsAtGate(
  gate: ManagedObject,
  name: string,
  n: number,
  calls: number,
  workers: Worker[],
): Promise<void> {
  const channel = new BroadcastChannel(name);
  const entered = new Set<number>();
  try {
    await new Promise<void>((resolve) => {
      channel.onmessage = (e: MessageEvent) => {
        if (typeof e.data === "number") entered.add(e.data);
        if (entered.size === K.SLOTS) resolve();
      };
      for (let w = 0; w < n; w++) {
        const worker = new Worker(HARNESS);
        workers.push(worker);
        worker.postMessage({
          url: FIXTURES.href,
          name: "passGate",
          args: [gate, w * calls, calls],
        });
      }
    });
  } finally {
    channel.close();
  }
}

/** The presence records that the slots of mailbox `s` name now (see the kernel's "Dead holders"). */
function namedRecords(s: Int32Array): number[] {
  const named: number[] = [];
  for (let k = 0; k < K.SLOTS; k++) {
    const r = K.recordOf(Atomics.load(s, K.slotWord(k)));
    if (r >= 0) named.push(r);
  }
  return named;
}

for (const full of [false, true]) {
  boundedTest(
    `Slots of callers terminated mid-call are reclaimed, whether the reply was sent or not${
      full ? ", with the presence registry full" : ""
    }`,
    async () => {
      await using manager = await Manager.start();
      await manager.register("Gate", TYPES);
      const dict = await manager.dict<string, number>([["x", 0]]);
      const s = new Int32Array(dict.buffer, dict.byteOffset, K.BYTES / 4);
      if (full) {
        // Take every registry entry but one (this thread keeps its own): of round 1's workers one
        // registers, the others fall back to their slots' own presence records.
        const taken: number[] = [];
        for (let e = K.register(REAL, s); e >= 0; e = K.register(REAL, s)) taken.push(e);
        Atomics.store(s, K.agentWord(taken.pop()!), 0);
      }
      const workers: Worker[] = [];
      const names = [0, 1].map((round) => `manager-gate-${round}-${crypto.randomUUID()}`);
      try {
        // Round 1: 4 workers make 40 calls; 32 hold every slot in the server, 8 wait for one. The
        // workers die, then the replies go out to slots nobody will read.
        const first = await manager.create<typeof Gate>("Gate", names[0]!);
        await fillSlotsAtGate(first, names[0]!, 4, 10, workers);
        const named = namedRecords(s);
        assert.equal(named.length, K.SLOTS, "every holder names its presence");
        const entries = new Set(named.filter((r) => r < K.AGENTS));
        if (full) {
          assert.ok(entries.size <= 1, "one worker got the free entry");
          assert.ok(named.some((r) => r >= K.AGENTS), "the others named their slots' records");
        } else {
          assert.equal(entries.size, 4, "one registry entry per thread, not per call");
        }
        // Wait until each worker has stopped before the gate opens: Node's terminate() stops a thread
        // at any instruction. A registered worker may die anywhere (its claim names its armed entry),
        // but with the registry full, one still running could claim a freed slot and die before
        // arming the slot's record, the fallback's gap in the kernel's "Dead holders".
        await Promise.all(workers.splice(0).map((worker) => worker.terminate()));
        const opener = new BroadcastChannel(names[0]!);
        opener.postMessage("open");
        opener.close();
        // Round 2 needs every slot again: 32 calls getting into the server proves that every slot of
        // round 1 was reclaimed. Its workers die while their calls are still in the server.
        const second = await manager.create<typeof Gate>("Gate", names[1]!);
        await fillSlotsAtGate(second, names[1]!, 4, 10, workers);
        await Promise.all(workers.splice(0).map((worker) => worker.terminate()));
        // A new worker's calls succeed, more of them at once than there are slots.
        const [values] = await inWorkers<number[]>(
          times(1, FIXTURES, "addConcurrently", [dict, "x", 40]),
        );
        assert.deepEqual(values, Array.from({ length: 40 }, (_, i) => i + 1));
        // The reclaimed calls' late replies reach nobody, and calls still get their own answers.
        const opener2 = new BroadcastChannel(names[1]!);
        opener2.postMessage("open");
        opener2.close();
        const counts = await Promise.all(Array.from({ length: 40 }, () => dict.get("x")));
        assert.deepEqual(counts, Array(40).fill(40));
      } finally {
        for (const worker of workers) worker.terminate();
      }
    },
  );
}

boundedTest(
  "A thread takes one presence entry per manager, however many calls it makes",
  async () => {
    await using a = await Manager.start();
    await using b = await Manager.start();
    const dicts = [
      await a.dict<string, number>([["x", 0]]),
      await b.dict<string, number>([["x", 0]]),
    ];
    await inWorkers(times(2, FIXTURES, "addConcurrently", [dicts[0], "x", 50]));
    await Promise.all(
      dicts.map((dict) =>
        Promise.all(Array.from({ length: 50 }, () => dict.update("x", "add", 1)))
      ),
    );
    // Entries ever taken: `gen` is 0 only for an entry nobody took. (A reap may already have
    // retired the ended workers' entries: `gen` 4, FREE in the next cycle, no longer TAKEN.)
    const used = dicts.map((dict) => {
      const s = new Int32Array(dict.buffer, dict.byteOffset, K.BYTES / 4);
      let n = 0;
      for (let e = 0; e < K.AGENTS; e++) if (Atomics.load(s, K.agentWord(e)) !== 0) n++;
      return n;
    });
    // Manager a: this thread and the 2 workers; manager b: this thread only.
    assert.deepEqual(used, [3, 1]);
    assert.deepEqual(await Promise.all(dicts.map((dict) => dict.get("x"))), [150, 50]);
  },
);

boundedTest("Manager.start() validates its options", async () => {
  await assert.rejects(Manager.start(null as unknown as undefined), TypeError);
  await assert.rejects(Manager.start({ name: 1 as unknown as string }), TypeError);
});
