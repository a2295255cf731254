/**
 * `ManagedNamespace`: the proxy of a record of named fields held by a `Manager` (Python's
 * `manager.Namespace()`).
 *
 * @module
 */
import { bind, call, checkOp, parse, type Parsed, release, type UpdateOp } from "./_proxy.ts";

function checkName(what: string, name: unknown): void {
  if (typeof name !== "string") {
    throw new TypeError(`Cannot ${what}: the name must be a string, received ${typeof name}`);
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
 * import { Manager } from "@interlock/interlock/manager";
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
   * Returns a working proxy for `value`, a `ManagedNamespace` or its structured clone.
   *
   * @param value The proxy or its clone.
   * @returns A proxy of the same managed namespace.
   * @throws {TypeError} if `value` is not a `ManagedNamespace` or a clone of one.
   *
   * @example
   * ```ts
   * import { ManagedNamespace, Manager } from "@interlock/interlock/manager";
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

  /**
   * Frees the managed namespace on the manager's server, for every proxy of it in every thread: their
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
   * {
   *   await using ns = await manager.namespace({ x: 1 });
   *   assert.equal(await ns.get("x"), 1);
   * } // freed here
   * ```
   */
  async [Symbol.asyncDispose](): Promise<void> {
    await release(this);
  }
}
