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
import { bufferId, currentThread, SIM, type Thread } from "./_engine.ts";
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
  const info = infoOf(a);
  if (info === null) return -1;
  if (typeof key === "number") {
    return key >= 0 && key < info.length && Number.isInteger(key) ? key : -1;
  }
  const i = typeof key === "string" ? Number(key) : NaN;
  return Number.isInteger(i) && i >= 0 && i < info.length && String(i) === key ? i : -1;
}

/**
 * What accesses to one typed array over shared memory need: the integer view they go through (a
 * float array's bits), the conversions for floats, and where its elements are (`addressOf`'s
 * numbering: buffer id and byte index in one number).
 */
interface ArrayInfo {
  /** Elements (a view over a growable buffer that grows is not followed: a view's length). */
  readonly length: number;
  /** Whether `Atomics` takes the array itself (an integer array). */
  readonly integers: boolean;
  readonly view: AtomicArray;
  /** The address of element 0; element i is at `base + i * size`. */
  readonly base: number;
  readonly size: number;
  /** Bits to value and back, for arrays `Atomics` does not take. */
  readonly read: ((bits: number | bigint) => unknown) | undefined;
  readonly write: ((v: unknown) => number | bigint) | undefined;
}

const infos = new WeakMap<ArrayBufferView, ArrayInfo | null>();
const f64 = new Float64Array(1);
const u64 = new BigUint64Array(f64.buffer);
const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);
const c8 = new Uint8ClampedArray(1);

/** What accesses to `a` need, or null if `a` is not a typed array over shared memory. */
function infoOf(a: ArrayBufferView): ArrayInfo | null {
  let info = infos.get(a);
  if (info !== undefined) return info;
  if (!(a.buffer instanceof SharedArrayBuffer) || a instanceof DataView) {
    infos.set(a, null);
    return null;
  }
  const { buffer, byteOffset } = a;
  const n = (a as AtomicArray).length;
  let view = a as AtomicArray;
  let read: ArrayInfo["read"];
  let write: ArrayInfo["write"];
  if (a instanceof Float64Array) {
    view = new BigUint64Array(buffer, byteOffset, n);
    read = (bits) => ((u64[0] = bits as bigint), f64[0]);
    write = (v) => ((f64[0] = v as number), u64[0]!);
  } else if (a instanceof Float32Array) {
    view = new Uint32Array(buffer, byteOffset, n);
    read = (bits) => ((u32[0] = bits as number), f32[0]);
    write = (v) => ((f32[0] = v as number), u32[0]!);
  } else if (a instanceof Uint8ClampedArray) {
    view = new Uint8Array(buffer, byteOffset, n);
    read = (bits) => bits;
    write = (v) => ((c8[0] = v as number), c8[0]!);
  } else if (typeof Float16Array === "function" && a instanceof Float16Array) {
    const f16 = new Float16Array(1);
    const u16 = new Uint16Array(f16.buffer);
    view = new Uint16Array(buffer, byteOffset, n);
    read = (bits) => ((u16[0] = bits as number), f16[0]);
    write = (v) => ((f16[0] = v as number), u16[0]!);
  }
  const base = bufferId(buffer) * 2 ** 32 + byteOffset;
  const size = (a as AtomicArray).BYTES_PER_ELEMENT;
  info = { length: n, integers: write === undefined, view, base, size, read, write };
  infos.set(a, info);
  return info;
}

// Every access below is checked for races before its step: the thread is parked before it from
// then on, with a clock that cannot move, and could make it at once (see RaceDetector.access).

/** A plain read of element `i` of `a`: one load step. */
export function plainRead(t: Thread, a: ArrayBufferView, i: number, site: number): Step<unknown> {
  checkSuspendable(site);
  const info = infoOf(a)!;
  const addr = info.base + i * info.size;
  if (races.spins(t, addr)) return afterPause(() => plainRead2(t, a, i, addr, info, site));
  return plainRead2(t, a, i, addr, info, site);
}

function plainRead2(
  t: Thread,
  a: ArrayBufferView,
  i: number,
  addr: number,
  info: ArrayInfo,
  site: number,
): Step<unknown> {
  races.access(t, a, i, addr, false, false, site);
  const step = SIM.load(info.view, i);
  return info.read === undefined ? step : converted(step, info.read);
}

function* converted(step: Step<unknown>, read: (bits: number | bigint) => unknown): Step<unknown> {
  return read((yield* step) as number | bigint);
}

/** Gives way (the thread is spinning), then runs `then`. */
function* afterPause(then: () => Step<unknown>): Step<unknown> {
  yield* SIM.pause();
  return yield* then();
}

/** A plain write of `v` to element `i` of `a`: one store step; the result is `v`. */
export function plainWrite(
  t: Thread,
  a: ArrayBufferView,
  i: number,
  v: unknown,
  site: number,
): Step<unknown> {
  checkSuspendable(site);
  const info = infoOf(a)!;
  const bits = info.write === undefined ? v : info.write(v);
  races.moved(t);
  races.access(t, a, i, info.base + i * info.size, true, false, site);
  const step = SIM.store(info.view, i, bits as never);
  // A store returns the integer it stored, an assignment its right-hand side: the same for these.
  const same = info.write === undefined &&
    (typeof v === "bigint" || Number.isSafeInteger(v) && !Object.is(v, -0));
  return same ? step : returning(step, v);
}

function* returning(step: Step<unknown>, v: unknown): Step<unknown> {
  yield* step;
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

/** Whether a compare-exchange of `expected` on an element that holds `now` writes. */
function casWrites(a: AtomicArray, expected: unknown, now: unknown): boolean {
  let probe = probes.get(a.constructor);
  if (probe === undefined) {
    probe = new (a.constructor as new (n: number) => { 0: unknown })(1);
    probes.set(a.constructor, probe);
  }
  probe[0] = expected;
  return probe[0] === now;
}

const BITWISE: Record<string, (x: never, y: never) => number | bigint> = {
  and: (x, y) => x & y,
  or: (x, y) => x | y,
  xor: (x, y) => x ^ y,
};

/** Whether `a` is an integer typed array over shared memory (what `Atomics` waits take). */
export function isSharedIntegers(a: unknown): a is AtomicArray {
  return ArrayBuffer.isView(a) && infoOf(a)?.integers === true;
}

/**
 * `Atomics[name](a, ...)` as a step. For race detection an atomic write releases its address
 * before its step (a thread may end right after it; releasing early only adds order, so it may
 * hide a race, never invent one), an atomic read acquires it after its step
 * (`RaceDetector.later`), and a `notify` releases the waiters of its address.
 */
export function atomicOp(
  t: Thread,
  name: string,
  a: AtomicArray,
  i: unknown,
  v: unknown,
  w: unknown,
  site: number,
  spinning = true,
): Step<unknown> {
  checkSuspendable(site);
  if (name === "pause") return SIM.pause();
  const index = Math.trunc(Number(i)) || 0;
  const info = infoOf(a)!;
  const addr = info.base + index * info.size;
  // A load, or a compare-exchange that would fail now, is a read: a thread repeating reads spins.
  const read = name === "load" ||
    name === "compareExchange" && !casWrites(a, v, Atomics.load(a as Int32Array, index));
  if (read && spinning && races.spins(t, addr)) {
    return afterPause(() => atomicOp(t, name, a, i, v, w, site, false));
  }
  if (!read && name !== "wait") races.moved(t);
  switch (name) {
    case "load":
      races.access(t, a, index, addr, false, true, site, addr);
      races.later(t, addr);
      return SIM.load(a, i as number);
    case "store":
      races.access(t, a, index, addr, true, true, site);
      races.release(t, addr);
      return SIM.store(a, i as number, v as never);
    case "add":
    case "sub":
    case "exchange":
    case "compareExchange":
      races.access(t, a, index, addr, !read, true, site, addr);
      races.release(t, addr);
      races.later(t, addr);
      return name === "add"
        ? SIM.add(a, i as number, v as never)
        : name === "sub"
        ? SIM.sub(a, i as number, v as never)
        : name === "exchange"
        ? SIM.exchange(a, i as number, v as never)
        : SIM.compareExchange(a, i as number, v as never, w as never);
    case "and":
    case "or":
    case "xor":
      races.access(t, a, index, addr, true, true, site, addr);
      races.release(t, addr);
      races.later(t, addr);
      return bitwise(a, i as number, BITWISE[name]!, v as never);
    case "wait": {
      races.access(t, a, index, addr, false, true, site, addr);
      races.later(t, [addr, waitersKey(addr)]);
      const timeout = w === undefined ? Infinity : Number(w);
      const deadline = Number.isNaN(timeout) || timeout === Infinity ? Infinity : 0;
      return SIM.wait(a as Int32Array, i as number, v as number, deadline);
    }
    case "notify":
      races.release(t, waitersKey(addr));
      return SIM.notify(a as Int32Array, i as number, v === undefined ? Infinity : v as number);
  }
  throw new TypeError(`Cannot explore Atomics.${name}: not an Atomics operation on an array`);
}

/** `Atomics.and`/`or`/`xor`, not operations of the seam: a compare-exchange loop, atomic as a whole. */
function* bitwise(
  a: AtomicArray,
  i: number,
  f: (x: never, y: never) => number | bigint,
  v: never,
): Step<unknown> {
  for (;;) {
    const old = yield* SIM.load(a, i);
    if ((yield* SIM.compareExchange(a, i, old, f(old as never, v) as never)) === old) return old;
  }
}
