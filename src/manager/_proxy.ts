/**
 * What the proxies of managed objects share (`managed_dict.ts`, `managed_list.ts`,
 * `managed_namespace.ts`, `managed_object.ts`): reading a proxy's structured clone, the connection
 * to the manager's server each proxy calls through, and the checks of arguments they share.
 *
 * A proxy holds no data. Each method is one call to the manager's server, through the manager's
 * shared-memory mailbox (`src/kernel/manager.ts`) and comlink; so every proxy is asynchronous
 * (comlink's shape: `await dict.get("k")`), and every call from any thread reaches the same object.
 *
 * Revival: a proxy's structured clone keeps `buffer` and `byteOffset` (the manager's mailbox, shared
 * memory tagged `MNGR`), the object's `id`, its `kind`, and for registered types `typeid` and
 * `methods`. `ManagedDict.from(clone)` (each class has one) or `revive` rebuilds a working proxy
 * (`proxies.ts` registers the reviver); `Process` and `Pool` arguments are revived for you.
 *
 * @module
 */
import { attach, TAG } from "../_region.ts";
import * as K from "../kernel/manager.ts";
import { connect, type Connection } from "./_client.ts";
import type { Kind } from "./_protocol.ts";

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

/** What a proxy is built from: the manager's mailbox and the object's id. */
export interface Parsed {
  s: Int32Array;
  id: number;
}

/** Reads the clone of a proxy of `kind` (errors name the class `what`). */
export function parse(what: string, kind: Kind, value: unknown): Parsed {
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

/** Connects `proxy` to the manager whose mailbox is `s`. */
export function bind(proxy: object, s: Int32Array): void {
  connectionOf.set(proxy, connect(s));
}

/** Calls `op` on the proxy's object on the server. */
export function call(
  proxy: { readonly id: number },
  op: string,
  args: unknown[],
): Promise<unknown> {
  return connectionOf.get(proxy)!.call(proxy.id, op, args);
}

/** Throws the `TypeError` of an update operation that is not a non-empty string. */
export function checkOp(what: string, op: unknown): void {
  if (typeof op !== "string" || op === "") {
    throw new TypeError(`Cannot ${what}: the operation must be a non-empty string`);
  }
}
