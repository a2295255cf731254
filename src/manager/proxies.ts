/**
 * Proxies of managed objects: `ManagedDict`, `ManagedList`, `ManagedNamespace` and `ManagedObject`
 * (instances of registered types), as a {@linkcode Manager} hands them out.
 *
 * A proxy holds no data. Each method is one call to the manager's server, through the manager's
 * shared-memory mailbox (`src/kernel/manager.ts`) and comlink; so every proxy is asynchronous
 * (comlink's shape: `await dict.get("k")`), and every call from any thread reaches the same object.
 *
 * Revival: a proxy's structured clone keeps `buffer` and `byteOffset` (the manager's mailbox, shared
 * memory tagged `MNGR`), the object's `id`, its `kind`, and for registered types `typeid` and
 * `methods`. `ManagedDict.from(clone)` (each class has one) or {@linkcode revive} rebuilds a working
 * proxy; `Process` and `Pool` arguments are revived for you.
 *
 * @module
 */
import { attach, registerClass, TAG } from "../_region.ts";
import * as K from "../kernel/manager.ts";
import { connect, type Connection } from "./_client.ts";
import type { Kind } from "./_protocol.ts";

/** Keys a {@linkcode ManagedDict} accepts: compared by value on the server. */
export type Key = string | number | bigint | boolean;

/**
 * An update operation: a built-in (`"add"`, `"append"`, `"extend"`, `"assign"`) or the name of a
 * function registered with `manager.register`.
 *
 * - `"add"`: adds the argument (default `1`; a `bigint` for bigint values) to the value, starting
 *   from `0` (or `0n`) when there is none.
 * - `"append"` / `"extend"`: pushes the argument / the argument's items onto the array value,
 *   starting from `[]`.
 * - `"assign"`: `Object.assign`s the argument onto the object value, starting from `{}`.
 * - a registered function `fn`: the new value is `fn(value, ...args)`; it must be synchronous.
 */
export type UpdateOp = "add" | "append" | "extend" | "assign" | (string & Record<never, never>);

const connectionOf = new WeakMap<object, Connection>();

interface Parsed {
  s: Int32Array;
  id: number;
}

function parse(what: string, kind: Kind, value: unknown): Parsed {
  const s = attach(what, TAG.Manager, value, K.BYTES);
  const clone = value as { id?: unknown; kind?: unknown };
  if (clone.kind !== kind) {
    throw new TypeError(
      `Cannot revive ${what}: expected a ${what} or its structured clone, received a proxy of kind '${
        String(clone.kind)
      }'`,
    );
  }
  if (typeof clone.id !== "number" || !Number.isInteger(clone.id) || clone.id < 1) {
    throw new TypeError(
      `Cannot revive ${what}: expected a ${what} or its structured clone, its 'id' is not a positive integer`,
    );
  }
  return { s, id: clone.id };
}

function bind(proxy: object, s: Int32Array): void {
  connectionOf.set(proxy, connect(s));
}

function call(proxy: { readonly id: number }, op: string, args: unknown[]): Promise<unknown> {
  return connectionOf.get(proxy)!.call(proxy.id, op, args);
}

function checkKey(what: string, key: unknown): void {
  const type = typeof key;
  if (type !== "string" && type !== "number" && type !== "bigint" && type !== "boolean") {
    throw new TypeError(
      `Cannot ${what}: keys must be strings, numbers, bigints or booleans, received ${
        key === null ? "null" : type
      }`,
    );
  }
}

function checkIndex(what: string, index: unknown): void {
  if (typeof index !== "number" || !Number.isInteger(index)) {
    throw new TypeError(`Cannot ${what}: the index must be an integer, received ${String(index)}`);
  }
}

function checkOp(what: string, op: unknown): void {
  if (typeof op !== "string" || op === "") {
    throw new TypeError(`Cannot ${what}: the operation must be a non-empty string`);
  }
}

/**
 * A proxy of a `Map`-like dictionary held by a {@linkcode Manager}, as Python's `manager.dict()`.
 *
 * - Every method is one call to the server and is atomic: no other call, from any thread, runs
 *   in the middle of it. A sequence of calls is not: `set(k, (await get(k)) + 1)` can lose an
 *   update; `update(k, "add", 1)` cannot.
 * - Keys are strings, numbers, bigints or booleans. Values are copied in and out (structured
 *   clone): mutating a value you got back does not change the managed one.
 * - Values cannot hold `SharedArrayBuffer`s (Interlock objects, other proxies): pass those directly.
 * - Two calls whose promises are both pending run in no particular order; await a call to order it
 *   before the next.
 * - Send it to a worker with `postMessage`, or as a `Process`/`Pool` argument, and revive it there
 *   with `ManagedDict.from(data)` or `revive(data)`. After `manager.shutdown()` every call rejects
 *   with `ManagerShutdownError`; after a crash of the manager, with `ManagerCrashedError`.
 *
 * @typeParam K The key type.
 * @typeParam V The value type.
 *
 * @example Count words from several callers without losing an update
 * ```ts
 * import { Manager } from "@interlock/interlock";
 * import assert from "node:assert/strict";
 *
 * await using manager = await Manager.start();
 * const counts = await manager.dict<string, number>();
 * await Promise.all(["a", "b", "a"].map((word) => counts.update(word, "add", 1)));
 * assert.equal(await counts.get("a"), 2);
 * assert.deepEqual(await counts.toMap(), new Map([["a", 2], ["b", 1]]));
 * ```
 */
export class ManagedDict<K extends Key = Key, V = unknown> {
  /** The manager's mailbox (shared memory); carried by structured clones. */
  readonly buffer: SharedArrayBuffer;
  /** Where the mailbox starts in {@linkcode ManagedDict.buffer}. */
  readonly byteOffset: number;
  /** The dictionary's id on the manager's server. */
  readonly id: number;
  /** What this proxy is a proxy of. */
  readonly kind: "dict" = "dict";

  private constructor({ s, id }: Parsed) {
    this.buffer = s.buffer as SharedArrayBuffer;
    this.byteOffset = s.byteOffset;
    this.id = id;
    bind(this, s);
  }

  /**
   * Returns a working proxy for `value`, a `ManagedDict` or its structured clone (what a worker
   * receives from `postMessage(dict)`).
   *
   * @param value The proxy or its clone.
   * @returns A proxy of the same managed dictionary.
   * @throws {TypeError} if `value` is not a `ManagedDict` or a clone of one.
   *
   * @example
   * ```ts
   * import { ManagedDict, Manager } from "@interlock/interlock";
   * import assert from "node:assert/strict";
   *
   * await using manager = await Manager.start();
   * const dict = await manager.dict<string, number>([["x", 1]]);
   * const inWorker = ManagedDict.from<string, number>(structuredClone(dict));
   * assert.equal(await inWorker.get("x"), 1);
   * assert.throws(() => ManagedDict.from({}), TypeError);
   * ```
   */
  static from<K extends Key = Key, V = unknown>(value: unknown): ManagedDict<K, V> {
    if (value instanceof ManagedDict) return value;
    return new ManagedDict<K, V>(parse("ManagedDict", "dict", value));
  }

  /**
   * The value under `key`, or `undefined`.
   *
   * @param key The key.
   * @returns A copy of the value.
   */
  async get(key: K): Promise<V | undefined> {
    checkKey("get from a managed dict", key);
    return await call(this, "get", [key]) as V | undefined;
  }

  /**
   * Sets `key` to `value`.
   *
   * @param key The key.
   * @param value The value (copied).
   * @throws {DOMException} named `DataCloneError` if `value` cannot be copied.
   */
  async set(key: K, value: V): Promise<void> {
    checkKey("set in a managed dict", key);
    await call(this, "set", [key, value]);
  }

  /**
   * Whether `key` is present.
   *
   * @param key The key.
   * @returns `true` if the dictionary holds `key`.
   */
  async has(key: K): Promise<boolean> {
    checkKey("look up a managed dict", key);
    return await call(this, "has", [key]) as boolean;
  }

  /**
   * Removes `key`.
   *
   * @param key The key.
   * @returns `true` if it was present.
   */
  async delete(key: K): Promise<boolean> {
    checkKey("delete from a managed dict", key);
    return await call(this, "delete", [key]) as boolean;
  }

  /**
   * Removes `key` and returns its value, in one atomic step.
   *
   * @param key The key.
   * @returns The value it had, or `undefined`.
   */
  async pop(key: K): Promise<V | undefined> {
    checkKey("pop from a managed dict", key);
    return await call(this, "pop", [key]) as V | undefined;
  }

  /**
   * Returns the value under `key`, first setting it to `value` if there is none (Python's
   * `setdefault`), in one atomic step.
   *
   * @param key The key.
   * @param value The value to set when `key` is absent.
   * @returns The value now under `key`.
   *
   * @example
   * ```ts
   * import { Manager } from "@interlock/interlock";
   * import assert from "node:assert/strict";
   *
   * await using manager = await Manager.start();
   * const owners = await manager.dict<string, string>();
   * assert.equal(await owners.setDefault("job-1", "worker-a"), "worker-a");
   * assert.equal(await owners.setDefault("job-1", "worker-b"), "worker-a");
   * ```
   */
  async setDefault(key: K, value: V): Promise<V> {
    checkKey("set a default in a managed dict", key);
    return await call(this, "setDefault", [key, value]) as V;
  }

  /**
   * Replaces the value under `key` by applying `op` to it on the server, in one atomic step: no
   * update from any thread is lost.
   *
   * @param key The key.
   * @param op A built-in operation or a registered function's name (see {@linkcode UpdateOp}).
   * @param args The operation's arguments.
   * @returns A copy of the new value.
   * @throws {RangeError} if `op` is neither built in nor registered.
   * @throws {TypeError} if the operation does not fit the value.
   *
   * @example
   * ```ts
   * import { Manager } from "@interlock/interlock";
   * import assert from "node:assert/strict";
   *
   * await using manager = await Manager.start();
   * const stats = await manager.dict<string, number | string[]>();
   * assert.equal(await stats.update("hits", "add", 5), 5);
   * assert.equal(await stats.update("hits", "add"), 6);
   * assert.deepEqual(await stats.update("seen", "append", "ada"), ["ada"]);
   * await assert.rejects(stats.update("hits", "nope"), RangeError);
   * ```
   */
  async update(key: K, op: UpdateOp, ...args: unknown[]): Promise<V> {
    checkKey("update a managed dict", key);
    checkOp("update a managed dict", op);
    return await call(this, "update", [key, op, ...args]) as V;
  }

  /**
   * Sets every entry of `entries`, in one atomic step (Python's `dict.update(other)`).
   *
   * @param entries Key-value pairs.
   */
  async setMany(entries: Iterable<readonly [K, V]>): Promise<void> {
    const list = [...entries];
    for (const [key] of list) checkKey("set in a managed dict", key);
    await call(this, "setMany", [list]);
  }

  /** The number of entries. */
  async size(): Promise<number> {
    return await call(this, "size", []) as number;
  }

  /** A snapshot of the keys, in insertion order. */
  async keys(): Promise<K[]> {
    return await call(this, "keys", []) as K[];
  }

  /** A snapshot of the values, in insertion order. */
  async values(): Promise<V[]> {
    return await call(this, "values", []) as V[];
  }

  /** A snapshot of the entries, in insertion order. */
  async entries(): Promise<[K, V][]> {
    return await call(this, "entries", []) as [K, V][];
  }

  /** A snapshot of the whole dictionary as a `Map`. */
  async toMap(): Promise<Map<K, V>> {
    return await call(this, "toMap", []) as Map<K, V>;
  }

  /** Removes every entry. */
  async clear(): Promise<void> {
    await call(this, "clear", []);
  }
}

/**
 * A proxy of an array held by a {@linkcode Manager}, as Python's `manager.list()`.
 *
 * - Every method is one atomic call to the server; `append` from many threads loses nothing.
 * - Negative indexes count from the end, as in Python. Items are copied in and out.
 * - Otherwise as {@linkcode ManagedDict}: cannot hold `SharedArrayBuffer`s, revive clones with
 *   `ManagedList.from`, rejects after shutdown or a crash.
 *
 * @typeParam T The item type.
 *
 * @example
 * ```ts
 * import { Manager } from "@interlock/interlock";
 * import assert from "node:assert/strict";
 *
 * await using manager = await Manager.start();
 * const log = await manager.list<string>(["start"]);
 * assert.equal(await log.append("step"), 2);
 * assert.equal(await log.get(-1), "step");
 * assert.deepEqual(await log.toArray(), ["start", "step"]);
 * ```
 */
export class ManagedList<T = unknown> {
  /** The manager's mailbox (shared memory); carried by structured clones. */
  readonly buffer: SharedArrayBuffer;
  /** Where the mailbox starts in {@linkcode ManagedList.buffer}. */
  readonly byteOffset: number;
  /** The list's id on the manager's server. */
  readonly id: number;
  /** What this proxy is a proxy of. */
  readonly kind: "list" = "list";

  private constructor({ s, id }: Parsed) {
    this.buffer = s.buffer as SharedArrayBuffer;
    this.byteOffset = s.byteOffset;
    this.id = id;
    bind(this, s);
  }

  /**
   * Returns a working proxy for `value`, a `ManagedList` or its structured clone.
   *
   * @param value The proxy or its clone.
   * @returns A proxy of the same managed list.
   * @throws {TypeError} if `value` is not a `ManagedList` or a clone of one.
   *
   * @example
   * ```ts
   * import { ManagedList, Manager } from "@interlock/interlock";
   * import assert from "node:assert/strict";
   *
   * await using manager = await Manager.start();
   * const list = await manager.list<number>([1]);
   * await ManagedList.from<number>(structuredClone(list)).append(2);
   * assert.deepEqual(await list.toArray(), [1, 2]);
   * ```
   */
  static from<T = unknown>(value: unknown): ManagedList<T> {
    if (value instanceof ManagedList) return value;
    return new ManagedList<T>(parse("ManagedList", "list", value));
  }

  /**
   * Appends `item`.
   *
   * @param item The item (copied).
   * @returns The new length.
   */
  async append(item: T): Promise<number> {
    return await call(this, "append", [item]) as number;
  }

  /**
   * Appends every item of `items`, in one atomic step.
   *
   * @param items The items.
   * @returns The new length.
   */
  async extend(items: Iterable<T>): Promise<number> {
    return await call(this, "extend", [[...items]]) as number;
  }

  /**
   * The item at `index` (negative: from the end), or `undefined` when out of range.
   *
   * @param index The index.
   * @returns A copy of the item.
   */
  async get(index: number): Promise<T | undefined> {
    checkIndex("get a list item", index);
    return await call(this, "get", [index]) as T | undefined;
  }

  /**
   * Replaces the item at `index`.
   *
   * @param index The index (negative: from the end).
   * @param item The new item.
   * @throws {RangeError} if `index` is out of range.
   */
  async set(index: number, item: T): Promise<void> {
    checkIndex("set a list item", index);
    await call(this, "set", [index, item]);
  }

  /**
   * Inserts `item` before `index` (clamped to the list, as Python's `insert`).
   *
   * @param index Where to insert (negative: from the end).
   * @param item The item.
   * @returns The new length.
   */
  async insert(index: number, item: T): Promise<number> {
    checkIndex("insert a list item", index);
    return await call(this, "insert", [index, item]) as number;
  }

  /**
   * Removes and returns the item at `index` (default: the last).
   *
   * @param index The index (negative: from the end).
   * @returns The item, or `undefined` if the list is empty.
   * @throws {RangeError} if the list is not empty and `index` is out of range.
   */
  async pop(index = -1): Promise<T | undefined> {
    checkIndex("pop a list item", index);
    return await call(this, "pop", [index]) as T | undefined;
  }

  /**
   * Removes the first item equal (`===`, or both `NaN`) to `item`.
   *
   * @param item The item to remove.
   * @returns `true` if one was removed.
   */
  async remove(item: T): Promise<boolean> {
    return await call(this, "remove", [item]) as boolean;
  }

  /**
   * The index of the first item equal to `item`, or `-1`.
   *
   * @param item The item to look for.
   */
  async indexOf(item: T): Promise<number> {
    return await call(this, "indexOf", [item]) as number;
  }

  /** The number of items. */
  async length(): Promise<number> {
    return await call(this, "length", []) as number;
  }

  /**
   * A copy of the items from `start` to `end` (as `Array.prototype.slice`).
   *
   * @param start First index (default 0).
   * @param end Index after the last (default: the length).
   */
  async slice(start?: number, end?: number): Promise<T[]> {
    return await call(this, "slice", [start, end]) as T[];
  }

  /** A snapshot of the whole list. */
  async toArray(): Promise<T[]> {
    return await call(this, "toArray", []) as T[];
  }

  /** Removes every item. */
  async clear(): Promise<void> {
    await call(this, "clear", []);
  }

  /**
   * Replaces the item at `index` by applying `op` to it, in one atomic step (see
   * {@linkcode UpdateOp}).
   *
   * @param index The index (negative: from the end).
   * @param op A built-in operation or a registered function's name.
   * @param args The operation's arguments.
   * @returns A copy of the new item.
   * @throws {RangeError} if `index` is out of range or `op` unknown.
   *
   * @example
   * ```ts
   * import { Manager } from "@interlock/interlock";
   * import assert from "node:assert/strict";
   *
   * await using manager = await Manager.start();
   * const totals = await manager.list<number>([0, 0]);
   * await Promise.all([totals.update(1, "add", 2), totals.update(1, "add", 3)]);
   * assert.deepEqual(await totals.toArray(), [0, 5]);
   * ```
   */
  async update(index: number, op: UpdateOp, ...args: unknown[]): Promise<T> {
    checkIndex("update a list item", index);
    checkOp("update a list item", op);
    return await call(this, "update", [index, op, ...args]) as T;
  }
}

/**
 * A proxy of a record of named fields held by a {@linkcode Manager}, as Python's
 * `manager.Namespace()`. JavaScript cannot trap `ns.x = 1` on a clonable object, so fields are read
 * and written with `get`/`set`, typed by `T`.
 *
 * - Every method is one atomic call; otherwise as {@linkcode ManagedDict}.
 *
 * @typeParam T The fields and their types.
 *
 * @example
 * ```ts
 * import { Manager } from "@interlock/interlock";
 * import assert from "node:assert/strict";
 *
 * await using manager = await Manager.start();
 * const config = await manager.namespace({ retries: 3, mode: "fast" });
 * await config.set("mode", "safe");
 * assert.equal(await config.update("retries", "add", -1), 2);
 * assert.deepEqual(await config.toObject(), { retries: 2, mode: "safe" });
 * ```
 */
export class ManagedNamespace<T extends Record<string, unknown> = Record<string, unknown>> {
  /** The manager's mailbox (shared memory); carried by structured clones. */
  readonly buffer: SharedArrayBuffer;
  /** Where the mailbox starts in {@linkcode ManagedNamespace.buffer}. */
  readonly byteOffset: number;
  /** The namespace's id on the manager's server. */
  readonly id: number;
  /** What this proxy is a proxy of. */
  readonly kind: "namespace" = "namespace";

  private constructor({ s, id }: Parsed) {
    this.buffer = s.buffer as SharedArrayBuffer;
    this.byteOffset = s.byteOffset;
    this.id = id;
    bind(this, s);
  }

  /**
   * Returns a working proxy for `value`, a `ManagedNamespace` or its structured clone.
   *
   * @param value The proxy or its clone.
   * @returns A proxy of the same managed namespace.
   * @throws {TypeError} if `value` is not a `ManagedNamespace` or a clone of one.
   *
   * @example
   * ```ts
   * import { ManagedNamespace, Manager } from "@interlock/interlock";
   * import assert from "node:assert/strict";
   *
   * await using manager = await Manager.start();
   * const ns = await manager.namespace({ done: false });
   * await ManagedNamespace.from<{ done: boolean }>(structuredClone(ns)).set("done", true);
   * assert.equal(await ns.get("done"), true);
   * ```
   */
  static from<T extends Record<string, unknown> = Record<string, unknown>>(
    value: unknown,
  ): ManagedNamespace<T> {
    if (value instanceof ManagedNamespace) return value;
    return new ManagedNamespace<T>(parse("ManagedNamespace", "namespace", value));
  }

  /**
   * The field `name`.
   *
   * @param name The field's name.
   * @returns A copy of its value (`undefined` if unset).
   */
  async get<F extends keyof T & string>(name: F): Promise<T[F]> {
    checkName("get a namespace field", name);
    return await call(this, "get", [name]) as T[F];
  }

  /**
   * Sets the field `name`.
   *
   * @param name The field's name.
   * @param value Its new value (copied).
   */
  async set<F extends keyof T & string>(name: F, value: T[F]): Promise<void> {
    checkName("set a namespace field", name);
    await call(this, "set", [name, value]);
  }

  /**
   * Sets several fields in one atomic step.
   *
   * @param fields The fields to set.
   */
  async assign(fields: Partial<T>): Promise<void> {
    if (typeof fields !== "object" || fields === null) {
      throw new TypeError("Cannot assign namespace fields: 'fields' must be an object");
    }
    await call(this, "assign", [{ ...fields }]);
  }

  /**
   * Replaces the field `name` by applying `op` to it, in one atomic step (see
   * {@linkcode UpdateOp}).
   *
   * @param name The field's name.
   * @param op A built-in operation or a registered function's name.
   * @param args The operation's arguments.
   * @returns A copy of the new value.
   */
  async update<F extends keyof T & string>(
    name: F,
    op: UpdateOp,
    ...args: unknown[]
  ): Promise<T[F]> {
    checkName("update a namespace field", name);
    checkOp("update a namespace field", op);
    return await call(this, "update", [name, op, ...args]) as T[F];
  }

  /** A snapshot of every field. */
  async toObject(): Promise<T> {
    return await call(this, "toObject", []) as T;
  }
}

function checkName(what: string, name: unknown): void {
  if (typeof name !== "string") {
    throw new TypeError(`Cannot ${what}: the name must be a string, received ${typeof name}`);
  }
}

/** The methods of `T`, each returning a Promise of its result, as a proxy exposes them. */
export type AsyncMethods<T> = {
  readonly [
    M in keyof T as M extends string ? (T[M] extends (...args: never[]) => unknown ? M : never)
      : never
  ]: T[M] extends (...args: infer A) => infer R ? (...args: A) => Promise<Awaited<R>>
    : never;
};

/** A proxy of a managed instance of `T`: a {@linkcode ManagedObject} with `T`'s methods, async. */
export type Managed<T> = ManagedObject & AsyncMethods<T>;

/**
 * A proxy of an instance of a type registered with `manager.register`, created by
 * `manager.create`. Its methods are the instance's public methods (those not starting with `_`,
 * on the instance or its prototypes), each returning a Promise, as a comlink proxy.
 *
 * - Each call runs on the server, atomic up to the method's first `await`.
 * - Arguments and results are copied (no `SharedArrayBuffer`s, no functions). Errors thrown by a
 *   method reject the call, with their class (for built-in classes), name, message, stack, cause
 *   and own properties.
 * - Typed with {@linkcode Managed}: `manager.create<typeof Counter>("Counter", 0)`.
 * - Revive a clone with `ManagedObject.from(data)`, typed with a cast:
 *   `ManagedObject.from(data) as Managed<Counter>`.
 *
 * @example
 * ```ts
 * import { type Managed, ManagedObject, Manager } from "@interlock/interlock";
 * import assert from "node:assert/strict";
 *
 * await using manager = await Manager.start();
 * await manager.register("Set", "data:text/javascript,export class S extends Set {}", "S");
 * const set = await manager.create<SetConstructor>("Set", [1, 2]) as Managed<Set<number>>;
 * assert.ok(set instanceof ManagedObject);
 * assert.equal(await set.has(2), true);
 * assert.ok(set.methods.includes("add"));
 * ```
 */
export class ManagedObject {
  /** The manager's mailbox (shared memory); carried by structured clones. */
  readonly buffer: SharedArrayBuffer;
  /** Where the mailbox starts in {@linkcode ManagedObject.buffer}. */
  readonly byteOffset: number;
  /** The object's id on the manager's server. */
  readonly id: number;
  /** What this proxy is a proxy of. */
  readonly kind: "object" = "object";
  /** The name the object's type was registered under. */
  readonly typeid: string;
  /** The names of the methods the proxy has. */
  readonly methods: readonly string[];

  private constructor({ s, id }: Parsed, typeid: string, methods: readonly string[]) {
    this.buffer = s.buffer as SharedArrayBuffer;
    this.byteOffset = s.byteOffset;
    this.id = id;
    this.typeid = typeid;
    this.methods = Object.freeze([...methods]);
    bind(this, s);
    for (const name of this.methods) {
      // Not enumerable: a structured clone carries only the data fields above.
      Object.defineProperty(this, name, {
        value: (...args: unknown[]) => call(this, name, args),
        enumerable: false,
        configurable: true,
        writable: false,
      });
    }
  }

  /**
   * Returns a working proxy for `value`, a `ManagedObject` or its structured clone.
   *
   * @param value The proxy or its clone.
   * @returns A proxy of the same managed object (cast it to `Managed<T>` for typed methods).
   * @throws {TypeError} if `value` is not a `ManagedObject` or a clone of one.
   *
   * @example
   * ```ts
   * import { ManagedObject } from "@interlock/interlock";
   * import assert from "node:assert/strict";
   *
   * assert.throws(() => ManagedObject.from({ kind: "object" }), TypeError);
   * ```
   */
  static from(value: unknown): ManagedObject {
    if (value instanceof ManagedObject) return value;
    const parsed = parse("ManagedObject", "object", value);
    const { typeid, methods } = value as { typeid?: unknown; methods?: unknown };
    if (
      typeof typeid !== "string" || !Array.isArray(methods) ||
      !methods.every((m) => typeof m === "string")
    ) {
      throw new TypeError(
        "Cannot revive ManagedObject: expected a ManagedObject or its structured clone, its 'typeid' or 'methods' is malformed",
      );
    }
    return new ManagedObject(parsed, typeid, methods);
  }
}

/** Revives any proxy's clone (the reviver registered for the `MNGR` tag). */
function reviveProxy(value: unknown): object {
  switch ((value as { kind?: unknown }).kind) {
    case "dict":
      return ManagedDict.from(value);
    case "list":
      return ManagedList.from(value);
    case "namespace":
      return ManagedNamespace.from(value);
    case "object":
      return ManagedObject.from(value);
  }
  // Not a proxy: a clone of the mailbox alone stays what it is.
  return value as object;
}

/** Internal: builds a proxy of a new object (used by `Manager`). */
export function proxyOf(
  s: Int32Array,
  id: number,
  kind: Kind,
  typeid?: string,
  methods?: readonly string[],
): object {
  return reviveProxy({ buffer: s.buffer, byteOffset: s.byteOffset, id, kind, typeid, methods });
}

// The constructors are private (proxies come from a manager or from `from`); `registerClass` only
// needs them to recognise live instances.
type Constructor = abstract new (...args: never[]) => object;
for (const cls of [ManagedDict, ManagedList, ManagedNamespace, ManagedObject]) {
  registerClass(TAG.Manager, cls as unknown as Constructor, reviveProxy);
}
