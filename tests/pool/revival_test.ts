/**
 * Revival in workers whose task module imports no Interlock code: the worker program itself must
 * know every revivable class (`src/pool/_revivable.ts`), since it no longer loads `mod.ts`.
 *
 * @module
 */
import assert from "node:assert/strict";
import {
  Barrier,
  BoundedSemaphore,
  Condition,
  Event,
  JoinableQueue,
  Lock,
  Pipe,
  Pool,
  Process,
  Queue,
  RLock,
  Semaphore,
  SharedArray,
  SimpleQueue,
  taskModule,
  Value,
} from "../../mod.ts";
import { test } from "../_portable/test.ts";
import { Manager } from "../../src/manager/mod.ts";

/**
 * Task module without imports: what each argument arrived as, and a use of a revived lock. In
 * base64: Bun 1.4 loads a plain-text `data:` module whose text has a dot in it as an empty module.
 */
const bare = taskModule<{
  classes(...xs: unknown[]): string[];
  tryLock(lock: Lock): boolean;
  store(value: Value<"i">, n: number): void;
}>(
  "data:text/javascript;base64," + btoa(
    "export const classes = (...xs) => xs.map((x) => Object.getPrototypeOf(x).constructor.name);" +
      "export const tryLock = (lock) => lock.tryAcquire();" +
      "export const store = (value, n) => { value.value = n; };",
  ),
);

test("every revivable Interlock class arrives revived in a pool worker whose task module imports none", async () => {
  await using manager = await Manager.start();
  const [left, right] = Pipe();
  const objects = {
    Lock: new Lock(),
    RLock: new RLock(),
    Semaphore: new Semaphore(1),
    BoundedSemaphore: new BoundedSemaphore(1),
    Event: new Event(),
    Condition: new Condition(),
    Barrier: new Barrier(2),
    Value: new Value("i", 0),
    SharedArray: new SharedArray("i", 4),
    Queue: new Queue(),
    JoinableQueue: new JoinableQueue(),
    SimpleQueue: new SimpleQueue(),
    Connection: left,
    ManagedDict: await manager.dict(),
  };
  const pool = new Pool(bare, { size: 1 });
  try {
    const names = await pool.apply("classes", Object.values(objects));
    assert.deepEqual(names, Object.keys(objects));
    assert.equal(await pool.apply("tryLock", [objects.Lock]), true);
    assert.ok(objects.Lock.locked(), "the worker acquired the parent's lock");
  } finally {
    await pool.terminate();
    left.close();
    right.close();
  }
});

test("a Process child whose module imports no Interlock code gets its arguments revived", async () => {
  const value = new Value("i", 0);
  const child = new Process(bare, "store", { args: [value, 7] });
  child.start();
  await child.join({ timeout: 60_000 });
  assert.equal(child.exitCode, 0);
  assert.equal(value.value, 7);
});
