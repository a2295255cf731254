/**
 * `ManagedObject`: the proxy of an instance of a type registered with `manager.register`.
 *
 * @module
 */
import { bind, call, parse, type Parsed, release } from "./_proxy.ts";

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
 * import { type Managed, ManagedObject, Manager } from "@interlock/interlock/manager";
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

  // The fields above and this constructor are written out in each proxy class: a shared base class
  // would be a public type (deno doc --lint), and a clone carries only own fields.
  /** @ignore Created by the manager (or revived by `from`). */
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
   * import { ManagedObject } from "@interlock/interlock/manager";
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

  /**
   * Frees the managed object on the manager's server, for every proxy of it in every thread: their
   * later calls reject with `ReferenceError`. Releasing it again is harmless. Without this (or
   * `await using`), a managed object lives until the manager shuts down.
   *
   * @returns A Promise that settles once the server freed it; it rejects only if the manager has
   *   ended (`ManagerShutdownError`, `ManagerCrashedError`).
   *
   * @example
   * ```ts
   * import { type Managed, Manager } from "@interlock/interlock/manager";
   * import assert from "node:assert/strict";
   *
   * await using manager = await Manager.start();
   * await manager.register("Set", "data:text/javascript,export class S extends Set {}", "S");
   * const set = await manager.create<SetConstructor>("Set", [1]) as Managed<Set<number>>;
   * await set[Symbol.asyncDispose]();
   * await assert.rejects(set.has(1), ReferenceError);
   * ```
   */
  async [Symbol.asyncDispose](): Promise<void> {
    await release(this);
  }
}
