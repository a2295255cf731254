/**
 * How managed objects and managers end: releasing an object (for every proxy in every thread),
 * `await using` on a proxy, `shutdown()`, and crashes of the server's worker.
 *
 * @module
 */
import assert from "node:assert/strict";
import {
  type Managed,
  ManagedDict,
  type ManagedNamespace,
  Manager,
  ManagerCrashedError,
  ManagerShutdownError,
} from "../../src/manager/mod.ts";
import { boundedTest, inWorkers, times } from "../_helpers.ts";
import type { Counter, Crasher } from "../_workers/manager_types.ts";

const FIXTURES = new URL("../_workers/manager_fixtures.ts", import.meta.url);
const TYPES = new URL("../_workers/manager_types.ts", import.meta.url);

boundedTest(
  "Releasing a managed object frees it for its proxies in every thread, once; other objects are untouched",
  async () => {
    await using manager = await Manager.start();
    await manager.register("Counter", TYPES);
    const dict = await manager.dict<string, number>([["x", 1]]);
    const list = await manager.list([1]);
    const counter = await manager.create<typeof Counter>("Counter", 3);
    const copy = ManagedDict.from<string, number>(structuredClone(dict));
    assert.equal(await copy.get("x"), 1);
    await dict[Symbol.asyncDispose]();
    await assert.rejects(dict.get("x"), {
      name: "ReferenceError",
      message: "Cannot call 'get': the managed object was released",
    });
    await assert.rejects(copy.set("x", 2), ReferenceError);
    const [inWorker] = await inWorkers<string>(times(1, FIXTURES, "callAfterEnd", [dict]));
    assert.equal(inWorker, "ReferenceError");
    await copy[Symbol.asyncDispose](); // releasing again is harmless
    assert.deepEqual(await list.toArray(), [1]);
    assert.equal(await (counter as Managed<Counter>).value(), 3);
    await counter[Symbol.asyncDispose]();
    await assert.rejects((counter as Managed<Counter>).value(), ReferenceError);
    assert.deepEqual(await list.toArray(), [1]);
  },
);

boundedTest(
  "A proxy declared with `await using` releases its object at the end of the block",
  async () => {
    await using manager = await Manager.start();
    let escaped: ManagedNamespace<{ n: number }> | undefined;
    {
      await using ns = await manager.namespace({ n: 1 });
      await ns.update("n", "add", 1);
      assert.equal(await ns.get("n"), 2);
      escaped = ns;
    }
    await assert.rejects(escaped.get("n"), ReferenceError);
  },
);

boundedTest("Releasing after the manager stopped rejects with ManagerShutdownError", async () => {
  const manager = await Manager.start();
  const list = await manager.list();
  await manager.shutdown();
  await assert.rejects(list[Symbol.asyncDispose](), ManagerShutdownError);
});

boundedTest(
  "shutdown() rejects pending and later calls with ManagerShutdownError in every thread",
  async () => {
    const manager = await Manager.start();
    await manager.register("Crasher", TYPES);
    const crasher = await manager.create<typeof Crasher>("Crasher");
    const dict = await manager.dict<string, number>();
    const pending = assert.rejects(crasher.hang(), ManagerShutdownError);
    await manager.shutdown();
    await pending;
    await assert.rejects(dict.get("x"), ManagerShutdownError);
    await assert.rejects(manager.dict(), ManagerShutdownError);
    assert.equal(manager.state, "shut-down");
    const [fromWorker] = await inWorkers<string>(times(1, FIXTURES, "callAfterEnd", [dict]));
    assert.equal(fromWorker, "ManagerShutdownError");
    await manager.shutdown(); // again: nothing happens
    assert.equal(manager.state, "shut-down");
  },
);

boundedTest("A call pending in a worker rejects when the manager shuts down", async () => {
  const manager = await Manager.start();
  try {
    await manager.register("Crasher", TYPES);
    const crasher = await manager.create<typeof Crasher>("Crasher");
    const started = new Int32Array(new SharedArrayBuffer(4));
    const outcome = inWorkers<string>(times(1, FIXTURES, "pendingCall", [crasher, started]));
    await Atomics.waitAsync(started, 0, 0).value;
    await manager.shutdown();
    assert.deepEqual(await outcome, ["ManagerShutdownError"]);
  } finally {
    await manager.shutdown();
  }
});

for (const way of ["throwUncaught", "rejectUnhandled", "exitProcess", "exitDeno"] as const) {
  boundedTest(
    `A crash of the manager's worker (${way}) rejects pending calls in every thread with ManagerCrashedError`,
    async () => {
      const manager = await Manager.start();
      try {
        await manager.register("Crasher", TYPES);
        const crasher = await manager.create<typeof Crasher>("Crasher");
        const dict = await manager.dict<string, number>();
        const started = new Int32Array(new SharedArrayBuffer(4));
        const inWorker = inWorkers<string>(times(1, FIXTURES, "pendingCall", [crasher, started]));
        await Atomics.waitAsync(started, 0, 0).value;
        const pending = assert.rejects(crasher.hang(), ManagerCrashedError);
        // The crashing call itself may or may not be answered before the worker dies.
        await crasher[way]().catch((e) => assert.ok(e instanceof ManagerCrashedError));
        await pending;
        assert.deepEqual(await inWorker, ["ManagerCrashedError"]);
        await assert.rejects(dict.get("x"), ManagerCrashedError);
        assert.equal(manager.state, "crashed");
        const [later] = await inWorkers<string>(times(1, FIXTURES, "callAfterEnd", [dict]));
        assert.equal(later, "ManagerCrashedError");
      } finally {
        await manager.shutdown();
      }
    },
    { runtimes: way === "exitDeno" ? ["deno"] : undefined },
  );
}
