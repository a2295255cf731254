/**
 * A virtual thread's shared-memory accesses as explorer steps, for the helpers of `_runtime.ts`:
 * plain reads and writes of typed arrays over a `SharedArrayBuffer` (single loads and stores of the
 * element's bits), `Atomics` calls, and operations on Interlock objects (their `sim()` wrappers),
 * each checked and recorded for race detection (`_race.ts`), with the sites of the source they come
 * from. A thread that reads the same places again and again with nothing in between is spinning:
 * it gives way (`pause`) before it reads again, so that spin loops end under every strategy.
 *
 * @module
 */
import type { AtomicArray } from "../_atomics.ts";
import { addressOf, bufferId, currentThread, SIM, type Thread } from "./_engine.ts";
import { type ClassOps, NESTING, type Op } from "./_interlock_ops.ts";
import { NotExplorableError, type SourceSite } from "./_module_errors.ts";
import { RaceDetector, waitersKey } from "./_race.ts";
import type { Step } from "./sim/_common.ts";

/** Every site of every instrumented module, by id. */
const sites: SourceSite[] = [];

/** Registers the sites of a module being instrumented; returns the id of the first. */
export function addSites(list: readonly SourceSite[]): number {
  const first = sites.length;
  sites.push(...list);
  return first;
}

/** The site of id `id`. */
export function siteOf(id: number): SourceSite {
  return sites[id] ?? { file: "?", line: 0, column: 0, text: "?", context: "?" };
}

/** The race detector of the explorer's executions. */
export const races: RaceDetector = new RaceDetector(siteOf);

/** The virtual thread running now, or undefined outside the explorer's threads. */
export function running(): Thread | undefined {
  try {
    return currentThread();
  } catch {
    return undefined;
  }
}

// The iterator of a helper that needed no step: done at once with `value` (read by yield* at once).
const result = { done: true as const, value: undefined as unknown };
const immediate = {
  next: () => result,
  [Symbol.iterator]() {
    return this;
  },
};
export function now(value: unknown): Step<unknown> {
  result.value = value;
  return immediate as unknown as Step<unknown>;
}

// Module functions run as plain functions (called as values): how deep, and which.
let syncDepth = 0;
const syncNames: string[] = [];

/** Runs `f`, a module function run as a plain function (see `checkSuspendable`). */
export function asPlain<T>(name: string, f: () => T): T {
  syncDepth++;
  syncNames.push(name);
  try {
    return f();
  } finally {
    syncDepth--;
    syncNames.pop();
  }
}

export function notExplorable(site: number, reason: string, advice: string): NotExplorableError {
  return new NotExplorableError(siteOf(site), reason, advice);
}

const SUSPEND = "move this work into a function of the module that the thread calls directly " +
  "(a plain function declaration or arrow function constant), not into a callback or a class";

/** Refuses a step while a module function runs as a plain function. */
export function checkSuspendable(site: number): void {
  if (syncDepth === 0) return;
  throw notExplorable(
    site,
    `it runs inside '${syncNames.at(-1)}', which was called as a value (a callback, or from ` +
      "code the explorer cannot suspend), so this shared-memory step cannot be scheduled",
    "call that function directly from the function the thread runs",
  );
}

/** Refuses shared memory in code that cannot be suspended, inside a thread. */
export function unsuspendable(site: number): NotExplorableError {
  return notExplorable(
    site,
    "the explorer cannot suspend a thread there, so this shared-memory access cannot be a step",
    SUSPEND,
  );
}

// --- Typed arrays over shared memory --------------------------------------------------------

/** The element index `key` of `a` if `a` is a typed array over shared memory, else -1. */
export function sharedIndex(a: ArrayBufferView, key: unknown): number {
  if (!(a.buffer instanceof SharedArrayBuffer) || a instanceof DataView) return -1;
  const i = typeof key === "number" ? key : typeof key === "string" ? Number(key) : NaN;
  if (!Number.isInteger(i) || i < 0 || i >= (a as AtomicArray).length) return -1;
  if (typeof key === "string" && String(i) !== key) return -1;
  return i;
}

type Bits = { view: AtomicArray; read(bits: number | bigint): unknown; write(v: unknown): unknown };
const aliases = new WeakMap<ArrayBufferView, Bits>();
const f64 = new Float64Array(1);
const u64 = new BigUint64Array(f64.buffer);
const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);
const c8 = new Uint8ClampedArray(1);

/** The integer view an access to `a` is made through (a float array's bits), and the conversions. */
function bitsOf(a: ArrayBufferView): Bits {
  let b = aliases.get(a);
  if (b !== undefined) return b;
  const { buffer, byteOffset } = a;
  const n = (a as AtomicArray).length;
  const same = (x: unknown) => x;
  if (a instanceof Float64Array) {
    b = {
      view: new BigUint64Array(buffer, byteOffset, n),
      read: (bits) => ((u64[0] = bits as bigint), f64[0]),
      write: (v) => ((f64[0] = v as number), u64[0]),
    };
  } else if (a instanceof Float32Array) {
    b = {
      view: new Uint32Array(buffer, byteOffset, n),
      read: (bits) => ((u32[0] = bits as number), f32[0]),
      write: (v) => ((f32[0] = v as number), u32[0]),
    };
  } else if (a instanceof Uint8ClampedArray) {
    b = {
      view: new Uint8Array(buffer, byteOffset, n),
      read: same,
      write: (v) => ((c8[0] = v as number), c8[0]),
    };
  } else if (typeof Float16Array === "function" && a instanceof Float16Array) {
    const f16 = new Float16Array(1);
    const u16 = new Uint16Array(f16.buffer);
    b = {
      view: new Uint16Array(buffer, byteOffset, n),
      read: (bits) => ((u16[0] = bits as number), f16[0]),
      write: (v) => ((f16[0] = v as number), u16[0]),
    };
  } else {
    b = { view: a as AtomicArray, read: same, write: same };
  }
  aliases.set(a, b);
  return b;
}

export function* plainRead(t: Thread, a: ArrayBufferView, i: number, site: number): Step<unknown> {
  checkSuspendable(site);
  const addr = addressOf(a as AtomicArray, i);
  const b = bitsOf(a);
  if (races.spins(t, addr)) yield* SIM.pause();
  const bits = yield* SIM.load(b.view, i);
  races.access(t, a, i, addr, false, false, site);
  return b.read(bits);
}

export function* plainWrite(
  t: Thread,
  a: ArrayBufferView,
  i: number,
  v: unknown,
  site: number,
): Step<unknown> {
  checkSuspendable(site);
  const b = bitsOf(a);
  const bits = b.write(v);
  races.moved(t);
  yield* SIM.store(b.view, i, bits as never);
  races.access(t, a, i, addressOf(a as AtomicArray, i), true, false, site);
  return v;
}

// --- Interlock objects ----------------------------------------------------------------------

const keysOfObject = new WeakMap<object, readonly number[]>();

/** The synchronization keys of an Interlock object (its region, and its lock's for a Condition). */
function keysOf(x: object, ops: ClassOps): readonly number[] {
  let keys = keysOfObject.get(x);
  if (keys === undefined) {
    keys = ops.sync(x as never).map((r) => bufferId(r.buffer) * 2 ** 32 + r.byteOffset);
    keysOfObject.set(x, keys);
  }
  return keys;
}

/**
 * Operation `op` of Interlock object `x`, as steps: for race detection, it releases `x` now and
 * acquires it when it ends (at the thread's next access, see `RaceDetector.later`); an operation
 * that runs the thread's own code inside (a `waitFor` predicate) acquires as it returns instead.
 */
export function interlock(
  t: Thread,
  x: object,
  ops: ClassOps,
  op: Op,
  args: readonly unknown[],
  site: number,
): Step<unknown> {
  checkSuspendable(site);
  races.moved(t);
  const keys = keysOf(x, ops);
  for (const k of keys) races.release(t, k);
  if (!NESTING.has(op)) {
    races.later(t, keys);
    return op(x as never, args);
  }
  return nested(t, keys, op(x as never, args));
}

function* nested(t: Thread, keys: readonly number[], steps: Step<unknown>): Step<unknown> {
  try {
    return yield* steps;
  } finally {
    for (const k of keys) races.acquire(t, k);
  }
}

export function notModelled(site: number, ops: ClassOps, name: string): NotExplorableError {
  return notExplorable(
    site,
    `the explorer does not model ${ops.name}.${name}() yet`,
    "explore this part with a hand-written scenario, or leave it out of the explored functions",
  );
}

// --- Atomics --------------------------------------------------------------------------------

const probes = new Map<unknown, { 0: unknown }>();

/** Whether a compare-exchange with `expected` that returned `old` wrote (as `_dfs.ts` decides). */
function casWrote(a: AtomicArray, expected: unknown, old: unknown): boolean {
  let probe = probes.get(a.constructor);
  if (probe === undefined) {
    probe = new (a.constructor as new (n: number) => { 0: unknown })(1);
    probes.set(a.constructor, probe);
  }
  probe[0] = expected;
  return probe[0] === old;
}

const BITWISE: Record<string, (x: never, y: never) => number | bigint> = {
  and: (x, y) => x & y,
  or: (x, y) => x | y,
  xor: (x, y) => x ^ y,
};

export function isSharedIntegers(a: unknown): a is AtomicArray {
  return ArrayBuffer.isView(a) && a.buffer instanceof SharedArrayBuffer &&
    !(a instanceof DataView) && !(a instanceof Float64Array) && !(a instanceof Float32Array) &&
    !(a instanceof Uint8ClampedArray) &&
    !(typeof Float16Array === "function" && a instanceof Float16Array);
}

export function* atomicOp(
  t: Thread,
  name: string,
  a: AtomicArray,
  args: readonly unknown[],
  site: number,
): Step<unknown> {
  checkSuspendable(site);
  const i = args[1] as number;
  const index = Math.trunc(Number(i)) || 0;
  const addr = () => addressOf(a, index);
  const v = args[2] as never;
  // Loads and compare-exchanges that fail are reads (see RaceDetector.spins); the rest write.
  const reads = name === "load" || name === "compareExchange";
  if (reads ? races.spins(t, addressOf(a, index)) : (races.moved(t), false)) yield* SIM.pause();
  switch (name) {
    case "load": {
      const r = yield* SIM.load(a, i);
      races.acquire(t, addr());
      races.access(t, a, index, addr(), false, true, site);
      return r;
    }
    case "store": {
      const r = yield* SIM.store(a, i, v);
      races.access(t, a, index, addr(), true, true, site);
      races.release(t, addr());
      return r;
    }
    case "add":
    case "sub":
    case "exchange": {
      const r =
        yield* (name === "add"
          ? SIM.add(a, i, v)
          : name === "sub"
          ? SIM.sub(a, i, v)
          : SIM.exchange(a, i, v));
      races.acquire(t, addr());
      races.access(t, a, index, addr(), true, true, site);
      races.release(t, addr());
      return r;
    }
    case "compareExchange": {
      const r = yield* SIM.compareExchange(a, i, v, args[3] as never);
      const wrote = casWrote(a, v, r);
      races.acquire(t, addr());
      races.access(t, a, index, addr(), wrote, true, site);
      if (wrote) {
        races.release(t, addr());
        races.moved(t);
      }
      return r;
    }
    case "and":
    case "or":
    case "xor": {
      // Not an operation of the seam: a compare-exchange loop, atomic as a whole all the same.
      const f = BITWISE[name]!;
      for (;;) {
        const old = yield* SIM.load(a, i);
        if ((yield* SIM.compareExchange(a, i, old, f(old as never, v) as never)) === old) {
          races.acquire(t, addr());
          races.access(t, a, index, addr(), true, true, site);
          races.release(t, addr());
          return old;
        }
      }
    }
    case "wait": {
      const timeout = args[3] === undefined ? Infinity : Number(args[3]);
      const deadline = Number.isNaN(timeout) || timeout === Infinity ? Infinity : 0;
      const r = yield* SIM.wait(a as Int32Array, i, v, deadline);
      races.acquire(t, addr());
      if (r === "ok") races.acquire(t, waitersKey(addr()));
      races.access(t, a, index, addr(), false, true, site);
      return r;
    }
    case "notify": {
      races.release(t, waitersKey(addr()));
      return yield* SIM.notify(a as Int32Array, i, args[2] === undefined ? Infinity : v);
    }
    case "pause":
      return yield* SIM.pause();
  }
  throw new TypeError(`Cannot explore Atomics.${name}: not an Atomics operation on an array`);
}
