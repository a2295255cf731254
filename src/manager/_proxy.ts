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
 * The connection (`_client.ts`, over comlink, an npm package) is loaded at a proxy's first call, not
 * when this module is: every pool worker loads the proxy classes to revive them (see
 * `src/pool/_revivable.ts`), and a worker must start without npm packages when the program has no
 * import map for them (`@interlock/interlock` is importable by path; see `tests/imports_test.ts`).
 *
 * @module
 */
import { attach, TAG, withArticle } from "../_region.ts";
import { moduleUrl } from "../_module_url.ts";
import * as K from "../kernel/manager.ts";
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

/** Each proxy's manager mailbox (set by `bind`), then its connection (after its first call). */
const mailboxOf = new WeakMap<object, Int32Array>();
const connectionOf = new WeakMap<object, Connection>();

/** What a proxy uses of its thread's connection to the manager (`Connection` in `_client.ts`). */
interface Connection {
  call(id: number, op: string, args: unknown[]): Promise<unknown>;
  release(id: number): Promise<unknown>;
}

/** What a proxy uses of `_client.ts`. */
interface Client {
  connect(s: Int32Array): Connection;
}

/** `_client.ts`, once a proxy of this thread has called. */
let client: Client | undefined;
/**
 * Where `_client.ts` is (`.js` in the npm build). Imported by a computed URL, and typed here rather
 * than by a type import of it: Deno loads every module a literal `import("...")` names, with what
 * it imports (comlink, the mailbox kernels), along with the module that holds it, before anything
 * runs; a worker that revives a proxy but never calls it (a pool worker loads the proxies with every
 * revivable class, `src/pool/_revivable.ts`) would load them for nothing: `import("./proxies.ts")`
 * took 8.7 ms with the literal, 5.2 ms without (medians of 3). `manager.ts` imports it statically,
 * which keeps it in the package's graph.
 */
const CLIENT = moduleUrl("./_client", import.meta.url).href;

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
      `Cannot revive ${what}: expected ${
        withArticle(what)
      } or its structured clone, received a proxy of kind '${String(clone.kind)}'`,
    );
  }
  if (typeof clone.id !== "number" || !Number.isInteger(clone.id) || clone.id < 1) {
    throw new TypeError(
      `Cannot revive ${what}: expected ${
        withArticle(what)
      } or its structured clone, its 'id' is not a positive integer`,
    );
  }
  return { s, id: clone.id };
}

/** Binds `proxy` to the manager whose mailbox is `s` (it connects at its first call). */
export function bind(proxy: object, s: Int32Array): void {
  mailboxOf.set(proxy, s);
}

/** Calls `op` on the proxy's object on the server. */
export function call(
  proxy: { readonly id: number },
  op: string,
  args: unknown[],
): Promise<unknown> {
  return through(proxy, (c) => c.call(proxy.id, op, args));
}

/**
 * Frees the proxy's object on the server, for every proxy of it in every thread: their later calls
 * reject with `ReferenceError`. Resolves to whether it was still there (releasing twice is
 * harmless).
 */
export function release(proxy: { readonly id: number }): Promise<boolean> {
  return through(proxy, (c) => c.release(proxy.id)) as Promise<boolean>;
}

/** Runs `use` with the proxy's connection, connecting first if it has none yet. */
function through(proxy: object, use: (c: Connection) => Promise<unknown>): Promise<unknown> {
  const connection = connectionOf.get(proxy);
  return connection !== undefined ? use(connection) : connectFirst(proxy).then(use);
}

/** Loads the client (once per thread) and connects `proxy` to its manager. */
async function connectFirst(proxy: object): Promise<Connection> {
  client ??= await import(CLIENT) as Client;
  const connection = client.connect(mailboxOf.get(proxy)!);
  connectionOf.set(proxy, connection);
  return connection;
}

/** Throws the `TypeError` of an update operation that is not a non-empty string. */
export function checkOp(what: string, op: unknown): void {
  if (typeof op !== "string" || op === "") {
    throw new TypeError(`Cannot ${what}: the operation must be a non-empty string`);
  }
}
