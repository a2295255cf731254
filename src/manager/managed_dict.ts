/**
 * `ManagedDict`: the proxy of a dictionary held by a `Manager` (Python's `manager.dict()`).
 *
 * @module
 */
import { bind, call, checkOp, parse, type Parsed, release, type UpdateOp } from "./_proxy.ts";

/** Keys a {@linkcode ManagedDict} accepts: compared by value on the server. */
export type Key = string | number | bigint | boolean;

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
 * import { Manager } from "@interlock/interlock/manager";
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

  // The fields above and this constructor are written out in each proxy class: a shared base class
  // would be a public type (deno doc --lint), and a clone carries only own fields.
  /** @ignore Created by the manager (or revived by `from`). */
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
   * import { ManagedDict, Manager } from "@interlock/interlock/manager";
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
   * import { Manager } from "@interlock/interlock/manager";
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
   * import { Manager } from "@interlock/interlock/manager";
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

  /**
   * Frees the managed dict on the manager's server, for every proxy of it in every thread: their
   * later calls reject with `ReferenceError`. Releasing it again is harmless. Without this (or
   * `await using`), a managed object lives until the manager shuts down.
   *
   * @returns A Promise that settles once the server freed it; it rejects only if the manager has
   *   ended (`ManagerShutdownError`, `ManagerCrashedError`).
   *
   * @example
   * ```ts
   * import { Manager } from "@interlock/interlock/manager";
   * import assert from "node:assert/strict";
   *
   * await using manager = await Manager.start();
   * const scores = await manager.dict<string, number>();
   * {
   *   await using temporary = await manager.dict([["a", 1]]);
   *   assert.equal(await temporary.get("a"), 1);
   * } // freed here
   * await scores.set("kept", 1);
   * await scores[Symbol.asyncDispose]();
   * await assert.rejects(scores.get("kept"), ReferenceError);
   * ```
   */
  async [Symbol.asyncDispose](): Promise<void> {
    await release(this);
  }
}
