/**
 * `sim(x)`: the explorer's view of an Interlock object or of raw shared memory, the factory of the
 * wrappers in this folder. Each wrapper method runs the primitive's derived kernel
 * (`src/kernel_gen/`) with the simulated seam, and the production class's own checks and errors
 * (the helpers `src/sync/*.ts` export for it, `checkNumber` of `src/shared/_type.ts`), so the
 * explorer searches the very algorithm production runs. Views are rebuilt from the public
 * `buffer`/`byteOffset`.
 *
 * @module
 */
import type { AtomicArray } from "../../_atomics.ts";
import { Connection } from "../../channel/pipe.ts";
import { JoinableQueue, Queue } from "../../channel/queue.ts";
import { SimpleQueue } from "../../channel/simple_queue.ts";
import type { ElementType } from "../../shared/_type.ts";
import { SharedArray } from "../../shared/array.ts";
import { Value } from "../../shared/value.ts";
import { Barrier } from "../../sync/barrier.ts";
import { Condition } from "../../sync/condition.ts";
import { Event } from "../../sync/event.ts";
import { Lock } from "../../sync/lock.ts";
import { RLock } from "../../sync/rlock.ts";
import { BoundedSemaphore, Semaphore } from "../../sync/semaphore.ts";
import type { Frame } from "../_event.ts";
import { wrapperOf } from "./_common.ts";
import { framedView } from "./_frame.ts";
import { SimSharedArray } from "./array.ts";
import { SimBarrier } from "./barrier.ts";
import { SimCondition } from "./condition.ts";
import { SimEvent } from "./event.ts";
import { SimLock } from "./lock.ts";
import { SimArray } from "./memory.ts";
import { SimConnection } from "./pipe.ts";
import { SimQueue } from "./queue.ts";
import { SimRLock } from "./rlock.ts";
import { SimSemaphore } from "./semaphore.ts";
import { SimValue } from "./value.ts";

const INTEGER_ARRAYS = [
  Int32Array,
  Uint32Array,
  Int16Array,
  Uint16Array,
  Int8Array,
  Uint8Array,
  BigInt64Array,
  BigUint64Array,
];

type Factory = (x: never) => unknown;
const factories = new Map<abstract new (...args: never[]) => object, Factory>([
  [Lock, (x: Lock) => new SimLock(x)],
  [RLock, (x: RLock) => new SimRLock(x)],
  [Semaphore, (x: Semaphore) => new SimSemaphore(x)],
  [BoundedSemaphore, (x: Semaphore) => new SimSemaphore(x)],
  [Event, (x: Event) => new SimEvent(x)],
  [Condition, (x: Condition) => new SimCondition(x)],
  [Barrier, (x: Barrier) => new SimBarrier(x)],
  [Value, (x: Value) => new SimValue(x)],
  [SharedArray, (x: SharedArray) => new SimSharedArray(x)],
  [Queue, (x: Queue) => new SimQueue(x)],
  [JoinableQueue, (x: Queue) => new SimQueue(x)],
  [SimpleQueue, (x: SimpleQueue) => new SimQueue(x)],
  [Connection, (x: Connection) => new SimConnection(x)],
]);

/**
 * Wrapper of a `Lock`: `acquire`, `tryAcquire`, `release`, `locked`, each a step of `Lock`'s own kernel.
 *
 * @example
 * ```ts
 * import { Lock } from "@interlock/interlock";
 * import { explore, sim } from "@interlock/interlock/explore";
 * import assert from "node:assert/strict";
 *
 * const report = explore({
 *   setup: () => ({ lock: new Lock() }),
 *   threads: [0, 1].map(() => function* ({ lock }: { lock: Lock }) {
 *     yield* sim(lock).acquire();
 *     yield* sim(lock).release();
 *   }),
 *   invariant: ({ lock }: { lock: Lock }) => !lock.locked(),
 * });
 * assert.ok(report.ok && report.complete);
 * ```
 */
export function sim(lock: Lock): SimLock;
/**
 * Wrapper of an `RLock`; virtual thread `Tk` is agent {@linkcode agentOf}`(k)`.
 *
 * @example
 * ```ts
 * import { RLock } from "@interlock/interlock";
 * import { explore, sim } from "@interlock/interlock/explore";
 * import assert from "node:assert/strict";
 *
 * const report = explore({
 *   setup: () => ({ rlock: new RLock() }),
 *   threads: [0, 1].map(() => function* ({ rlock }: { rlock: RLock }) {
 *     yield* sim(rlock).acquire();
 *     yield* sim(rlock).acquire(); // reentry
 *     assert.equal(yield* sim(rlock).recursionCount(), 2);
 *     yield* sim(rlock).release();
 *     yield* sim(rlock).release();
 *   }),
 * });
 * assert.ok(report.ok);
 * ```
 */
export function sim(rlock: RLock): SimRLock;
/**
 * Wrapper of a `Semaphore` or `BoundedSemaphore`.
 *
 * @example
 * ```ts
 * import { Semaphore } from "@interlock/interlock";
 * import { explore, sim } from "@interlock/interlock/explore";
 * import assert from "node:assert/strict";
 *
 * const report = explore({
 *   setup: () => ({ s: new Semaphore(1), inside: new Int32Array(new SharedArrayBuffer(4)) }),
 *   threads: [0, 1].map(() => function* ({ s, inside }: { s: Semaphore; inside: Int32Array }) {
 *     yield* sim(s).acquire();
 *     assert.equal(yield* sim(inside).add(0, 1), 0); // alone inside
 *     yield* sim(inside).sub(0, 1);
 *     yield* sim(s).release();
 *   }),
 * });
 * assert.ok(report.ok);
 * ```
 */
export function sim(semaphore: Semaphore): SimSemaphore;
/**
 * Wrapper of an `Event`.
 *
 * @example
 * ```ts
 * import { Event } from "@interlock/interlock";
 * import { explore, sim } from "@interlock/interlock/explore";
 * import assert from "node:assert/strict";
 *
 * const report = explore({
 *   setup: () => ({ e: new Event() }),
 *   threads: [
 *     function* waiter({ e }: { e: Event }) {
 *       yield* sim(e).wait();
 *     },
 *     function* setter({ e }: { e: Event }) {
 *       yield* sim(e).set();
 *     },
 *   ],
 * });
 * assert.ok(report.ok && report.complete); // no schedule leaves the waiter asleep
 * ```
 */
export function sim(event: Event): SimEvent;
/**
 * Wrapper of a `Condition` (with its lock).
 *
 * @example
 * ```ts
 * import { Condition, Lock } from "@interlock/interlock";
 * import { explore, sim } from "@interlock/interlock/explore";
 * import assert from "node:assert/strict";
 *
 * type S = { c: Condition; box: Int32Array };
 * const report = explore<S>({
 *   setup: () => ({ c: new Condition(new Lock()), box: new Int32Array(new SharedArrayBuffer(4)) }),
 *   threads: [
 *     function* consumer({ c, box }: S) {
 *       yield* sim(c).acquire();
 *       while ((yield* sim(box).load(0)) === 0) yield* sim(c).wait();
 *       yield* sim(c).release();
 *     },
 *     function* producer({ c, box }: S) {
 *       yield* sim(c).acquire();
 *       yield* sim(box).store(0, 1);
 *       yield* sim(c).notify();
 *       yield* sim(c).release();
 *     },
 *   ],
 * });
 * assert.ok(report.ok && report.complete); // no lost wake-up
 * ```
 */
export function sim(condition: Condition): SimCondition;
/**
 * Wrapper of a `Barrier`.
 *
 * @example
 * ```ts
 * import { Barrier } from "@interlock/interlock";
 * import { explore, sim } from "@interlock/interlock/explore";
 * import assert from "node:assert/strict";
 *
 * const report = explore({
 *   setup: () => ({ b: new Barrier(2) }),
 *   threads: [0, 1].map(() => function* ({ b }: { b: Barrier }) {
 *     return yield* sim(b).wait();
 *   }),
 *   invariant: (_: unknown, results: readonly unknown[]) =>
 *     [...results].sort().join() === "0,1", // arrival indexes are unique
 * });
 * assert.ok(report.ok);
 * ```
 */
export function sim(barrier: Barrier): SimBarrier;
/**
 * Wrapper of a `Value`: `get` and `set` are one atomic step each.
 *
 * @example
 * ```ts
 * import { Value } from "@interlock/interlock";
 * import { search, sim } from "@interlock/interlock/explore";
 * import assert from "node:assert/strict";
 *
 * const report = search({
 *   setup: () => ({ v: new Value("i", 0, { lock: false }) }),
 *   threads: [0, 1].map(() => function* ({ v }: { v: Value<"i"> }) {
 *     yield* sim(v).set((yield* sim(v).get()) + 1); // not atomic as a whole
 *   }),
 *   invariant: ({ v }: { v: Value<"i"> }) => v.value === 2,
 * });
 * assert.equal(report.failure?.kind, "invariant"); // the lost update
 * ```
 */
export function sim<T extends ElementType>(value: Value<T>): SimValue<T>;
/**
 * Wrapper of a `SharedArray`: `get(i)` and `set(i, v)` are one atomic step each.
 *
 * @example
 * ```ts
 * import { SharedArray } from "@interlock/interlock";
 * import { explore, sim } from "@interlock/interlock/explore";
 * import assert from "node:assert/strict";
 *
 * const report = explore({
 *   setup: () => ({ a: new SharedArray("i", 2, { lock: false }) }),
 *   threads: [0, 1].map((k) => function* ({ a }: { a: SharedArray<"i"> }) {
 *     yield* sim(a).set(k, k + 1); // each thread owns one element
 *   }),
 *   invariant: ({ a }: { a: SharedArray<"i"> }) => a.toArray().join() === "1,2",
 * });
 * assert.ok(report.ok && report.complete);
 * ```
 */
export function sim<T extends ElementType>(array: SharedArray<T>): SimSharedArray<T>;
/**
 * Wrapper of a `Queue`, `JoinableQueue` or `SimpleQueue` (ring and lane: see {@linkcode SimQueue}).
 *
 * @example
 * ```ts
 * import { Queue } from "@interlock/interlock";
 * import { explore, sim } from "@interlock/interlock/explore";
 * import assert from "node:assert/strict";
 *
 * const report = explore({
 *   setup: () => ({ q: new Queue<string>() }),
 *   threads: [
 *     function* producer({ q }: { q: Queue<string> }) { yield* sim(q).put("hello"); },
 *     function* consumer({ q }: { q: Queue<string> }) { return yield* sim(q).get(); },
 *   ],
 *   invariant: (_, results) => results[1] === "hello",
 * });
 * assert.ok(report.ok && report.complete);
 * ```
 */
export function sim<T>(queue: Queue<T> | SimpleQueue<T>): SimQueue<T>;
/**
 * Wrapper of one end of a `Pipe` (see {@linkcode SimConnection}).
 *
 * @example
 * ```ts
 * import { type Connection, Pipe } from "@interlock/interlock";
 * import { explore, sim } from "@interlock/interlock/explore";
 * import assert from "node:assert/strict";
 *
 * type S = { a: Connection<string>; b: Connection<string> };
 * const report = explore<S>({
 *   setup: () => {
 *     const [a, b] = Pipe<string>();
 *     return { a, b };
 *   },
 *   threads: [
 *     function* client({ a }: S) {
 *       yield* sim(a).send("ping");
 *       return yield* sim(a).recv();
 *     },
 *     function* server({ b }: S) {
 *       yield* sim(b).send((yield* sim(b).recv()) === "ping" ? "pong" : "?");
 *     },
 *   ],
 *   invariant: (_, [reply]) => reply === undefined || reply === "pong",
 * });
 * assert.ok(report.ok && report.complete);
 * ```
 */
export function sim<T>(connection: Connection<T>): SimConnection<T>;
/**
 * Wrapper of raw shared memory (an integer typed array): every `Atomics` operation as a step.
 *
 * @example
 * ```ts
 * import { explore, sim } from "@interlock/interlock/explore";
 * import assert from "node:assert/strict";
 *
 * const report = explore({
 *   setup: () => ({ n: new Int32Array(new SharedArrayBuffer(4)) }),
 *   threads: [0, 1].map(() => function* ({ n }: { n: Int32Array }) {
 *     yield* sim(n).add(0, 1); // atomic: no update is lost
 *   }),
 *   invariant: ({ n }: { n: Int32Array }) => n[0] === 2,
 * });
 * assert.ok(report.ok && report.complete);
 * ```
 */
export function sim<T extends AtomicArray>(array: T): SimArray<T>;
/**
 * The explorer's view of `x`: an object whose methods are generators to run with `yield*` inside a
 * thread body. Every shared access they make is a step the explorer schedules, and they run the
 * primitive's own kernel with the glue of its blocking (`*Sync`) methods, throwing the same errors.
 *
 * - `Lock` → {@linkcode SimLock}, `RLock` → {@linkcode SimRLock}, `Semaphore` /
 *   `BoundedSemaphore` → {@linkcode SimSemaphore}, `Event` → {@linkcode SimEvent}, `Condition` →
 *   {@linkcode SimCondition}, `Barrier` → {@linkcode SimBarrier}, `Value` → {@linkcode SimValue},
 *   `SharedArray` → {@linkcode SimSharedArray}, `Queue` / `JoinableQueue` / `SimpleQueue` →
 *   {@linkcode SimQueue}, a `Pipe`'s `Connection` → {@linkcode SimConnection}, an integer typed
 *   array → {@linkcode SimArray}.
 * - A finite `timeout` option makes "the timeout fires" a scheduling choice; its length is ignored.
 * - Wrappers are cached per object, so calling `sim(x)` in a loop costs one lookup.
 *
 * @param x An Interlock object or an integer typed array.
 * @returns Its wrapper.
 * @throws {TypeError} if `x` is neither.
 *
 * @example
 * ```ts
 * import { Lock } from "@interlock/interlock";
 * import { sim } from "@interlock/interlock/explore";
 * import assert from "node:assert/strict";
 *
 * const lock = new Lock();
 * assert.equal(sim(lock), sim(lock));
 * assert.throws(() => sim({} as Lock), TypeError);
 * ```
 */
export function sim(x: object): unknown {
  let view = views.get(x);
  if (view === undefined) {
    const wrapper = wrapperOf(x, make) as object;
    // Raw memory's operations, and a Value's or SharedArray's get and set, are one step each
    // already (`read balance.value → 100`); the other objects' calls are folded in traces.
    view = wrapper instanceof SimArray || wrapper instanceof SimValue ||
        wrapper instanceof SimSharedArray
      ? wrapper
      : framedView(x as Frame["object"], wrapper);
    views.set(x, view);
  }
  return view;
}

/** The views `sim` hands out (see `_frame.ts`), one per object. */
const views = new WeakMap<object, unknown>();

/** Makes the wrapper of `x` (once per object: {@linkcode sim} caches it). */
function make(x: object): unknown {
  if (INTEGER_ARRAYS.some((C) => x instanceof C)) return new SimArray(x as AtomicArray);
  const factory = typeof x === "object" && x !== null
    ? factories.get((x as object).constructor as never)
    : undefined;
  if (factory === undefined) {
    throw new TypeError(
      `Cannot simulate: expected an Interlock object or an integer typed array, received ${
        x === null ? "null" : typeof x === "object" ? (x.constructor?.name ?? "object") : typeof x
      }`,
    );
  }
  return factory(x as never);
}
