/**
 * `Manager`: a server worker that holds ordinary objects and hands out proxies any thread can use,
 * as Python's `multiprocessing.Manager()`.
 *
 * How it works: the manager allocates a shared-memory mailbox (`src/kernel/manager.ts`) and starts
 * a dedicated worker thread (`src/manager/_server.ts`, through `node:worker_threads`, whose `exit`
 * event reports every way a thread can end and whose `unref()` keeps an idle manager from holding
 * the program open) that serves it. Proxies speak comlink's protocol
 * through the mailbox, so a proxy's structured clone is plain data plus the mailbox's
 * `SharedArrayBuffer`: it crosses `postMessage` and `Process`/`Pool` arguments without a transfer
 * list, and the revived proxy reaches the same server.
 *
 * @module
 */
import { Worker } from "node:worker_threads";
import { REAL } from "../_atomics.ts";
import { allocate, TAG } from "../_region.ts";
import { moduleUrl } from "../_module_url.ts";
// The server is started by URL, never imported; this erased import puts it in the module graph, so
// that JSR's npm build transpiles it (see `pool/_spawn.ts`).
import type {} from "./_server.ts";
import * as K from "../kernel/manager.ts";
import { spawnFailure } from "../pool/_spawn.ts";
import { connect, type Connection } from "./_client.ts";
import type { BuiltinKind, Created } from "./_protocol.ts";
import {
  type Key,
  type Managed,
  type ManagedDict,
  type ManagedList,
  type ManagedNamespace,
  proxyOf,
} from "./proxies.ts";

/** The program of a manager's server worker. */
const SERVER = moduleUrl("./_server", import.meta.url);

/** Options of {@linkcode Manager.start}. */
export interface ManagerOptions {
  /**
   * The server worker's name (shows in stack traces and debuggers).
   * @default {"interlock-manager"}
   */
  name?: string;
}

/** Where a manager is in its life. */
export type ManagerState = "running" | "shut-down" | "crashed";

/**
 * A class or factory function that `Manager.register` accepts, as a type argument of
 * `Manager.create`.
 */
// deno-lint-ignore no-explicit-any
export type ManagedType = (abstract new (...args: any[]) => object) | ((...args: any[]) => unknown);

/** The arguments of a {@linkcode ManagedType}'s constructor or factory. */
export type ArgsOf<C extends ManagedType> = C extends abstract new (...args: infer A) => unknown ? A
  : C extends (...args: infer A) => unknown ? A
  : never;

/** What a {@linkcode ManagedType} makes: its instance, or its factory's (awaited) result. */
export type InstanceOf<C extends ManagedType> = C extends abstract new (...args: never[]) => infer I
  ? I
  : C extends (...args: never[]) => infer R ? Awaited<R>
  : never;

/**
 * A server that holds objects (dicts, lists, namespaces, instances of registered types) in a
 * dedicated worker and hands out proxies that any thread can use, as Python's
 * `multiprocessing.Manager()`.
 *
 * - Proxies ({@linkcode ManagedDict}, {@linkcode ManagedList}, {@linkcode ManagedNamespace},
 *   {@linkcode ManagedObject}) are asynchronous, comlink-style: every method returns a Promise.
 * - Every operation is one call, atomic on the server: no other call, from any thread, runs in the
 *   middle of it. Sequences of calls are not atomic; use `update(key, op)` or a registered type's
 *   method for a read-modify-write.
 * - Proxies pass to workers through `postMessage` and as `Process`/`Pool` arguments (no transfer
 *   list); revive them with `ManagedDict.from(data)` (etc.) or `revive(data)`.
 * - A managed object lives until one of its proxies releases it (`await using` on the proxy, or
 *   `await proxy[Symbol.asyncDispose]()`), for every proxy in every thread, or until the manager
 *   stops. Python's manager frees an object when its last proxy is garbage-collected; proxies
 *   here are plain data in every thread they reach, so releasing is explicit.
 * - `shutdown()` (or leaving an `await using` block) stops the server: later calls, from any
 *   thread, reject with `ManagerShutdownError`. If the server's thread ends any other way (an
 *   uncaught error or unhandled rejection in hosted code, `process.exit()`, `Deno.exit()`, running
 *   out of memory), pending and later calls reject with `ManagerCrashedError` instead of hanging.
 * - The server does not keep the program alive by itself (as a Python manager, it goes when the
 *   program ends); a pending call does.
 * - Up to 32 calls can be in flight at once over all threads; more wait for a free slot. The slot
 *   of a worker terminated in the middle of a call is reclaimed once a caller finds none free (each
 *   thread registers its presence once per manager, at its first call, and the server probes the
 *   holders' presence; see `src/kernel/manager.ts`).
 *
 * @example Several callers share one dictionary
 * ```ts
 * import { Manager } from "@interlock/interlock/manager";
 * import assert from "node:assert/strict";
 *
 * await using manager = await Manager.start();
 * const inventory = await manager.dict<string, number>([["apples", 3]]);
 * await Promise.all([
 *   inventory.update("apples", "add", -1),
 *   inventory.update("pears", "add", 4),
 * ]);
 * assert.deepEqual(await inventory.toMap(), new Map([["apples", 2], ["pears", 4]]));
 * ```
 */
export class Manager implements AsyncDisposable {
  readonly #s: Int32Array;
  readonly #worker: Worker;
  readonly #connection: Connection;

  /** @ignore Created by the manager (or revived by `from`). */
  private constructor(s: Int32Array, worker: Worker) {
    this.#s = s;
    this.#worker = worker;
    this.#connection = connect(s);
    const connection = this.#connection;
    worker.on("error", (error: unknown) => {
      connection.crashCause ??= error instanceof Error ? error : new Error(String(error));
    });
    worker.on("exit", (code: number) => {
      // Unless shutdown() ended the manager first, the server died: fail every call in every thread.
      connection.crashCause ??= new Error(`The manager's server thread exited with code ${code}`);
      K.end(REAL, s, K.CRASHED);
    });
    worker.unref();
  }

  /**
   * Starts a manager: a dedicated worker that will hold the managed objects.
   *
   * @param options The worker's `name`.
   * @returns The running manager, once its server answers.
   * @throws {ManagerCrashedError} if the server worker fails to start.
   *
   * @example
   * ```ts
   * import { Manager } from "@interlock/interlock/manager";
   * import assert from "node:assert/strict";
   *
   * const manager = await Manager.start({ name: "inventory" });
   * assert.equal(manager.state, "running");
   * await manager.shutdown();
   * assert.equal(manager.state, "shut-down");
   * ```
   */
  static async start(options?: ManagerOptions): Promise<Manager> {
    if (options !== undefined && (typeof options !== "object" || options === null)) {
      throw new TypeError(
        `Cannot start manager: options must be an object, received ${
          options === null ? "null" : typeof options
        }`,
      );
    }
    const name = options?.name ?? "interlock-manager";
    if (typeof name !== "string") {
      throw new TypeError(`Cannot start manager: 'name' must be a string, received ${typeof name}`);
    }
    const s = allocate(TAG.Manager, K.BYTES);
    K.init(REAL, s, K.SLOTS);
    let worker: Worker;
    try {
      worker = new Worker(SERVER, {
        name,
        workerData: { buffer: s.buffer, byteOffset: s.byteOffset },
      });
    } catch (error) {
      throw spawnFailure(error, SERVER); // names the missing --allow-read
    }
    const manager = new Manager(s, worker);
    try {
      await manager.#connection.invoke((api) => api.ping());
    } catch (error) {
      K.end(REAL, s, K.CRASHED);
      await worker.terminate();
      throw error;
    }
    return manager;
  }

  /**
   * Where the manager is in its life: `"running"`, `"shut-down"` or `"crashed"`.
   *
   * @example
   * ```ts
   * import { Manager } from "@interlock/interlock/manager";
   * import assert from "node:assert/strict";
   *
   * const manager = await Manager.start();
   * assert.equal(manager.state, "running");
   * await manager.shutdown();
   * assert.equal(manager.state, "shut-down");
   * ```
   */
  get state(): ManagerState {
    const state = K.state(REAL, this.#s);
    return state === K.RUNNING ? "running" : state === K.SHUT_DOWN ? "shut-down" : "crashed";
  }

  async #make(kind: BuiltinKind, init: unknown): Promise<object> {
    const id = await this.#connection.invoke((api) => api.make(kind, init)) as number;
    return proxyOf(this.#s, id, kind);
  }

  /**
   * Creates a managed dictionary, optionally filled with `entries`.
   *
   * @param entries Initial key-value pairs (copied).
   * @returns Its proxy.
   * @throws {ManagerShutdownError} after `shutdown()`.
   *
   * @example
   * ```ts
   * import { Manager } from "@interlock/interlock/manager";
   * import assert from "node:assert/strict";
   *
   * await using manager = await Manager.start();
   * const ages = await manager.dict<string, number>(new Map([["ada", 36]]));
   * assert.equal(await ages.get("ada"), 36);
   * ```
   */
  async dict<K extends Key = Key, V = unknown>(
    entries?: Iterable<readonly [K, V]>,
  ): Promise<ManagedDict<K, V>> {
    const list = entries === undefined ? [] : [...entries];
    for (const entry of list) {
      const type = typeof entry?.[0];
      if (type !== "string" && type !== "number" && type !== "bigint" && type !== "boolean") {
        throw new TypeError(
          `Cannot create a managed dict: keys must be strings, numbers, bigints or booleans, received ${type}`,
        );
      }
    }
    return await this.#make("dict", list) as ManagedDict<K, V>;
  }

  /**
   * Creates a managed list, optionally filled with `items`.
   *
   * @param items Initial items (copied).
   * @returns Its proxy.
   * @throws {ManagerShutdownError} after `shutdown()`.
   *
   * @example
   * ```ts
   * import { Manager } from "@interlock/interlock/manager";
   * import assert from "node:assert/strict";
   *
   * await using manager = await Manager.start();
   * const queue = await manager.list(["a"]);
   * assert.equal(await queue.length(), 1);
   * ```
   */
  async list<T = unknown>(items?: Iterable<T>): Promise<ManagedList<T>> {
    return await this.#make("list", items === undefined ? [] : [...items]) as ManagedList<T>;
  }

  /**
   * Creates a managed namespace with the fields of `fields`.
   *
   * @param fields Initial fields (copied).
   * @returns Its proxy.
   * @throws {ManagerShutdownError} after `shutdown()`.
   *
   * @example
   * ```ts
   * import { Manager } from "@interlock/interlock/manager";
   * import assert from "node:assert/strict";
   *
   * await using manager = await Manager.start();
   * const ns = await manager.namespace({ phase: "init" });
   * assert.equal(await ns.get("phase"), "init");
   * ```
   */
  async namespace<T extends Record<string, unknown> = Record<string, unknown>>(
    fields?: T,
  ): Promise<ManagedNamespace<T>> {
    if (fields !== undefined && (typeof fields !== "object" || fields === null)) {
      throw new TypeError("Cannot create a managed namespace: 'fields' must be an object");
    }
    return await this.#make("namespace", { ...fields }) as ManagedNamespace<T>;
  }

  /**
   * Registers the class or function exported as `exportName` by `moduleUrl` under `typeid`, as
   * Python's `BaseManager.register(typeid, callable)`. The server imports the module.
   *
   * - `manager.create(typeid, ...args)` then makes an instance (`new` for a class, a call for a
   *   function, whose result, awaited, must be an object) and returns its proxy.
   * - A registered *function* can also serve as an update operation:
   *   `dict.update(key, typeid, ...args)` stores `fn(value, ...args)` atomically.
   * - Registering a `typeid` again replaces it for later `create`s.
   *
   * @param typeid The name to register under.
   * @param moduleUrl The module's URL (`new URL("./counter.ts", import.meta.url)`).
   * @param exportName The export's name (default: `typeid`).
   * @throws {TypeError} if the module has no such exported class or function.
   *
   * @example
   * ```ts
   * import { Manager } from "@interlock/interlock/manager";
   * import assert from "node:assert/strict";
   *
   * await using manager = await Manager.start();
   * await manager.register("double", "data:text/javascript,export const d = (x) => 2 * x;", "d");
   * const dict = await manager.dict<string, number>([["n", 21]]);
   * assert.equal(await dict.update("n", "double"), 42);
   * ```
   */
  async register(
    typeid: string,
    moduleUrl: URL | string,
    exportName?: string,
  ): Promise<void> {
    if (exportName === undefined) exportName = typeid;
    if (typeof typeid !== "string" || typeid === "") {
      throw new TypeError("Cannot register a type: 'typeid' must be a non-empty string");
    }
    if (typeof exportName !== "string" || exportName === "") {
      throw new TypeError(`Cannot register '${typeid}': 'exportName' must be a non-empty string`);
    }
    let url: string;
    try {
      url = new URL(moduleUrl).href;
    } catch {
      throw new TypeError(
        `Cannot register '${typeid}': 'moduleUrl' must be an absolute URL, received ${
          String(moduleUrl)
        }`,
      );
    }
    await this.#connection.invoke((api) => api.register(typeid, url, exportName));
  }

  /**
   * Makes an instance of the type registered as `typeid` on the server and returns its proxy,
   * whose methods are the instance's public methods, async.
   *
   * @typeParam C The registered class or factory (`typeof Counter`), for typed arguments and methods.
   * @param typeid The name it was registered under.
   * @param args The constructor's or factory's arguments (copied).
   * @returns The proxy.
   * @throws {RangeError} if nothing is registered as `typeid`.
   *
   * @example
   * ```ts
   * import { Manager } from "@interlock/interlock/manager";
   * import assert from "node:assert/strict";
   *
   * await using manager = await Manager.start();
   * await manager.register("Date", "data:text/javascript,export const D = Date;", "D");
   * const date = await manager.create<DateConstructor>("Date", 0);
   * assert.equal(await date.getTime(), 0);
   * ```
   */
  async create<C extends ManagedType = ManagedType>(
    typeid: string,
    ...args: ArgsOf<C>
  ): Promise<Managed<InstanceOf<C>>> {
    if (typeof typeid !== "string") {
      throw new TypeError(`Cannot create a managed object: 'typeid' must be a string`);
    }
    const { id, methods } = await this.#connection.invoke((api) =>
      api.create(typeid, args)
    ) as Created;
    return proxyOf(this.#s, id, "object", typeid, methods) as Managed<InstanceOf<C>>;
  }

  /**
   * Stops the server. Pending calls, and every later call through any proxy in any thread, reject
   * with {@linkcode ManagerShutdownError}. Does nothing if the manager has ended already.
   *
   * @example
   * ```ts
   * import { Manager, ManagerShutdownError } from "@interlock/interlock/manager";
   * import assert from "node:assert/strict";
   *
   * const manager = await Manager.start();
   * const list = await manager.list<number>();
   * await manager.shutdown();
   * await assert.rejects(list.append(1), ManagerShutdownError);
   * await assert.rejects(manager.list(), ManagerShutdownError);
   * ```
   */
  async shutdown(): Promise<void> {
    K.end(REAL, this.#s, K.SHUT_DOWN);
    await this.#worker.terminate();
  }

  /** Shuts the manager down when an `await using` block ends (see {@linkcode Manager.shutdown}). */
  [Symbol.asyncDispose](): Promise<void> {
    return this.shutdown();
  }
}
