/**
 * `ManagedList`: the proxy of a list held by a `Manager` (Python's `manager.list()`).
 *
 * @module
 */
import { bind, call, checkOp, parse, type Parsed, release, type UpdateOp } from "./_proxy.ts";

function checkIndex(what: string, index: unknown): void {
  if (typeof index !== "number" || !Number.isInteger(index)) {
    throw new TypeError(`Cannot ${what}: the index must be an integer, received ${String(index)}`);
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
 * import { Manager } from "@interlock/interlock/manager";
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
   * Returns a working proxy for `value`, a `ManagedList` or its structured clone.
   *
   * @param value The proxy or its clone.
   * @returns A proxy of the same managed list.
   * @throws {TypeError} if `value` is not a `ManagedList` or a clone of one.
   *
   * @example
   * ```ts
   * import { ManagedList, Manager } from "@interlock/interlock/manager";
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
   * @param index The index (negative: from the end; default `-1`, the last item).
   * @returns The item, or `undefined` if the list is empty.
   * @throws {RangeError} if the list is not empty and `index` is out of range.
   */
  async pop(index?: number): Promise<T | undefined> {
    if (index === undefined) index = -1;
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
   * import { Manager } from "@interlock/interlock/manager";
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

  /**
   * Frees the managed list on the manager's server, for every proxy of it in every thread: their
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
   * const list = await manager.list([1, 2]);
   * await list[Symbol.asyncDispose]();
   * await assert.rejects(list.toArray(), ReferenceError);
   * await list[Symbol.asyncDispose](); // harmless
   * ```
   */
  async [Symbol.asyncDispose](): Promise<void> {
    await release(this);
  }
}
