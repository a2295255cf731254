/**
 * What each operation of a user's code on an Interlock object becomes under the explorer: per
 * class, its methods and its shared-memory properties, each as the matching method of its `sim()`
 * wrapper (`sim/*.ts`), so that `lock.acquireSync()`, `await lock.acquire()`,
 * `balance.value = balance.value - 1` and `queue.putSync(x)` run the primitive's own kernels step
 * by step. `_runtime.ts` dispatches here; `_instrument.ts` rewrites every call of a method named in
 * {@linkcode METHOD_NAMES} and every access of a property in {@linkcode PROPERTY_NAMES}, whatever
 * the receiver, and the receiver's class decides at run time.
 *
 * - An acquire returns a {@linkcode SimGuard}: `using _ = lock.acquireSync()` releases through the
 *   explorer at the end of the block (`_runtime.ts`'s `dispose`).
 * - Promise forms (`acquire`, `wait`, `get`, `put`, …) are their blocking forms; with a `signal`,
 *   "the signal fires" is one more scheduling choice (`SimWaitOptions.abortable`).
 * - A `Condition`'s `waitFor` predicate may be a function of the module: its generator form runs.
 *
 * @module
 */
import { JoinableQueue, Queue } from "../channel/queue.ts";
import { SimpleQueue } from "../channel/simple_queue.ts";
import { Connection } from "../channel/pipe.ts";
import type { WaitOptions } from "../options.ts";
import { SharedArray } from "../shared/array.ts";
import { Value } from "../shared/value.ts";
import { Barrier } from "../sync/barrier.ts";
import { Condition } from "../sync/condition.ts";
import { Event } from "../sync/event.ts";
import { Lock } from "../sync/lock.ts";
import { RLock } from "../sync/rlock.ts";
import { BoundedSemaphore, Semaphore } from "../sync/semaphore.ts";
import type { SimWaitOptions, Step } from "./sim/_common.ts";
import { sim } from "./sim/sim.ts";

/** One operation: runs `name` of object `x` with `args` as explorer steps. */
export type Op = (x: never, args: readonly unknown[]) => Step<unknown>;

/** The operations of one class. */
export interface ClassOps {
  /** The class's name, for messages. */
  readonly name: string;
  /** Methods, by name. */
  readonly methods: Readonly<Record<string, Op>>;
  /** Properties whose read is a step. */
  readonly get: Readonly<Record<string, Op>>;
  /** Properties whose write is a step (`args[0]` is the value). */
  readonly set: Readonly<Record<string, Op>>;
  /** The objects whose regions an operation synchronizes on (for race detection). */
  readonly sync: (x: never) => readonly { buffer: SharedArrayBuffer; byteOffset: number }[];
}

/**
 * The hold an explored acquire returns: disposing it (at the end of a `using` block) releases
 * `target` through the explorer. Disposing it any other way cannot be suspended, so it throws.
 */
export class SimGuard implements Disposable {
  /** What the guard releases. */
  readonly target: object;
  /** Whether it was released. */
  released = false;

  /** Guards one hold of `target`. */
  constructor(target: object) {
    this.target = target;
  }

  /** Refuses: only a `using` block of explored code can release through the explorer. */
  [Symbol.dispose](): void {
    throw new TypeError(
      "Cannot dispose an explored hold outside a `using` block of explored code: release it " +
        "with `using`, or call release() in the function itself",
    );
  }
}

/** Marks a function's generator form: a predicate passed to `waitFor` runs as explorer steps. */
export const GENERATOR_FORM: unique symbol = Symbol("interlock.explore.generatorForm");

/** A wait's options as the `sim()` wrappers take them: a `signal` makes the wait abortable. */
function waitOptions(options: unknown): SimWaitOptions | undefined {
  if (typeof options !== "object" || options === null) return options as undefined;
  const { timeout, signal } = options as WaitOptions;
  if (signal === undefined) return options as SimWaitOptions;
  return timeout === undefined ? { abortable: true } : { timeout, abortable: true };
}

function predicate(p: unknown): unknown {
  return typeof p === "function" ? (p as { [GENERATOR_FORM]?: unknown })[GENERATOR_FORM] ?? p : p;
}

const self = (x: { buffer: SharedArrayBuffer; byteOffset: number }) => [x];

// deno-lint-ignore no-explicit-any
type Any = any;

function* acquire(x: Any, args: readonly unknown[]): Step<SimGuard> {
  yield* sim(x as Lock).acquire(waitOptions(args[0]));
  return new SimGuard(x);
}

const lockOps = (name: string, extra: Record<string, Op> = {}): ClassOps => ({
  name,
  methods: {
    acquire,
    acquireSync: acquire,
    tryAcquire: (x: Any) => sim(x as Lock).tryAcquire(),
    release: (x: Any) => sim(x as Lock).release(),
    locked: (x: Any) => sim(x as Lock).locked(),
    ...extra,
  },
  get: {},
  set: {},
  sync: self as ClassOps["sync"],
});

function* acquirePermit(x: Any, args: readonly unknown[]): Step<SimGuard> {
  yield* sim(x as Semaphore).acquire(waitOptions(args[0]));
  return new SimGuard(x);
}

const semaphoreOps = (name: string): ClassOps => ({
  name,
  methods: {
    acquire: acquirePermit,
    acquireSync: acquirePermit,
    tryAcquire: (x: Any) => sim(x as Semaphore).tryAcquire(),
    release: (x: Any, args) => sim(x as Semaphore).release(...(args as [number?])),
  },
  get: { value: (x: Any) => sim(x as Semaphore).value() },
  set: {},
  sync: self as ClassOps["sync"],
});

function* acquireCondition(x: Any, args: readonly unknown[]): Step<SimGuard> {
  yield* sim(x as Condition).acquire(waitOptions(args[0]));
  return new SimGuard(x);
}

const conditionWaitFor: Op = (x: Any, args) =>
  sim(x as Condition).waitFor(predicate(args[0]) as () => unknown, waitOptions(args[1]));

/** Operations that run the thread's own code inside (its accesses are steps of their own). */
export const NESTING: ReadonlySet<Op> = new Set([conditionWaitFor]);

const getItem: Op = (x: Any, args) => sim(x as Queue).get(waitOptions(args[0]));
const queueMethods: Record<string, Op> = {
  put: (x: Any, args) => sim(x as Queue).put(args[0], waitOptions(args[1])),
  putSync: (x: Any, args) => sim(x as Queue).put(args[0], waitOptions(args[1])),
  putNowait: (x: Any, args) => sim(x as Queue).putNowait(args[0]),
  get: getItem,
  getSync: getItem,
  getNowait: (x: Any) => sim(x as Queue).getNowait(),
  qsize: (x: Any) => sim(x as Queue).qsize(),
  empty: (x: Any) => sim(x as Queue).empty(),
  full: (x: Any) => sim(x as Queue).full(),
  close: (x: Any) => sim(x as Queue).close(),
};
const joinableMethods: Record<string, Op> = {
  ...queueMethods,
  taskDone: (x: Any) => sim(x as JoinableQueue).taskDone(),
  join: (x: Any, args) => sim(x as JoinableQueue).join(waitOptions(args[0])),
  joinSync: (x: Any, args) => sim(x as JoinableQueue).join(waitOptions(args[0])),
};
const simpleMethods: Record<string, Op> = {
  put: (x: Any, args) => sim(x as SimpleQueue).put(args[0]),
  get: getItem,
  getSync: getItem,
  empty: queueMethods.empty!,
  close: queueMethods.close!,
};

const recv: Op = (x: Any, args) => sim(x as Connection).recv(waitOptions(args[0]));
const poll: Op = (x: Any, args) => sim(x as Connection).poll(args[0] as number | undefined);
const connectionMethods: Record<string, Op> = {
  send: (x: Any, args) => sim(x as Connection).send(args[0]),
  recv,
  recvSync: recv,
  poll,
  pollSync: poll,
  close: (x: Any) => sim(x as Connection).close(),
};

const queueOps = (name: string, methods: Record<string, Op>): ClassOps => ({
  name,
  methods,
  get: { closed: (x: Any) => sim(x as Queue).closed() },
  set: {},
  sync: self as ClassOps["sync"],
});

/** Every class the explorer knows, with its operations. */
export const CLASS_OPS: ReadonlyMap<abstract new (...args: never[]) => object, ClassOps> = new Map<
  abstract new (...args: never[]) => object,
  ClassOps
>([
  [Lock, lockOps("Lock")],
  [
    RLock,
    lockOps("RLock", {
      owned: (x: Any) => sim(x as RLock).owned(),
      recursionCount: (x: Any) => sim(x as RLock).recursionCount(),
    }),
  ],
  [Semaphore, semaphoreOps("Semaphore")],
  [BoundedSemaphore, semaphoreOps("BoundedSemaphore")],
  [Event, {
    name: "Event",
    methods: {
      set: (x: Any) => sim(x as Event).set(),
      clear: (x: Any) => sim(x as Event).clear(),
      isSet: (x: Any) => sim(x as Event).isSet(),
      wait: (x: Any, args) => sim(x as Event).wait(waitOptions(args[0])),
      waitSync: (x: Any, args) => sim(x as Event).wait(waitOptions(args[0])),
    },
    get: {},
    set: {},
    sync: self as ClassOps["sync"],
  }],
  [Condition, {
    name: "Condition",
    methods: {
      acquire: acquireCondition,
      acquireSync: acquireCondition,
      release: (x: Any) => sim(x as Condition).release(),
      wait: (x: Any, args) => sim(x as Condition).wait(waitOptions(args[0])),
      waitSync: (x: Any, args) => sim(x as Condition).wait(waitOptions(args[0])),
      waitFor: conditionWaitFor,
      waitForSync: conditionWaitFor,
      notify: (x: Any, args) => sim(x as Condition).notify(...(args as [number?])),
      notifyAll: (x: Any) => sim(x as Condition).notifyAll(),
    },
    get: {},
    set: {},
    sync: ((x: Condition) => [x, x.lock]) as ClassOps["sync"],
  }],
  [Barrier, {
    name: "Barrier",
    methods: {
      wait: (x: Any, args) => sim(x as Barrier).wait(waitOptions(args[0])),
      waitSync: (x: Any, args) => sim(x as Barrier).wait(waitOptions(args[0])),
      abort: (x: Any) => sim(x as Barrier).abort(),
      reset: (x: Any) => sim(x as Barrier).reset(),
    },
    get: {
      broken: (x: Any) => sim(x as Barrier).broken(),
      nWaiting: (x: Any) => sim(x as Barrier).nWaiting(),
    },
    set: {},
    sync: self as ClassOps["sync"],
  }],
  [Value, {
    name: "Value",
    methods: {},
    get: { value: (x: Any) => sim(x as Value).get() },
    set: { value: (x: Any, args) => sim(x as Value).set(args[0] as number) },
    sync: self as ClassOps["sync"],
  }],
  [SharedArray, {
    name: "SharedArray",
    methods: {
      get: (x: Any, args) => sim(x as SharedArray).get(args[0] as number),
      set: (x: Any, args) => sim(x as SharedArray).set(args[0] as number, args[1] as number),
      toArray: function* (x: Any) {
        const s = sim(x as SharedArray);
        const out: unknown[] = [];
        for (let i = 0; i < s.length; i++) out.push(yield* s.get(i));
        return out;
      },
    },
    get: {},
    set: {},
    sync: self as ClassOps["sync"],
  }],
  [Queue, queueOps("Queue", queueMethods)],
  [JoinableQueue, queueOps("JoinableQueue", joinableMethods)],
  [SimpleQueue, queueOps("SimpleQueue", simpleMethods)],
  [Connection, {
    name: "Connection",
    methods: connectionMethods,
    get: { closed: (x: Any) => sim(x as Connection).closed() },
    set: {},
    sync: self as ClassOps["sync"],
  }],
]);

/** Method names whose calls the instrumenter routes through the explorer (any receiver). */
export const METHOD_NAMES: readonly string[] = [
  ...new Set([
    ...[...CLASS_OPS.values()].flatMap((c) => Object.keys(c.methods)),
  ]),
];

/** Property names whose reads and writes the instrumenter routes through the explorer. */
export const PROPERTY_NAMES: readonly string[] = [
  ...new Set(
    [...CLASS_OPS.values()].flatMap((c) => [...Object.keys(c.get), ...Object.keys(c.set)]),
  ),
];

const byClass = new Map<unknown, ClassOps | null>();

/**
 * The operations of `x`'s class (a subclass of a known class gets its base's), or undefined when
 * `x` is not an Interlock object.
 */
export function opsOf(x: object): ClassOps | undefined {
  const c = x.constructor;
  let ops = byClass.get(c);
  if (ops === undefined) {
    ops = null;
    for (let k: unknown = c; typeof k === "function"; k = Object.getPrototypeOf(k)) {
      const found = CLASS_OPS.get(k as never);
      if (found !== undefined) {
        ops = found;
        break;
      }
    }
    byClass.set(c, ops);
  }
  return ops ?? undefined;
}
