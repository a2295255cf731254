/**
 * `@interlock/interlock/manager`: Python's `multiprocessing.managers` for Interlock. A
 * {@linkcode Manager} holds ordinary objects (dicts, lists, namespaces, instances of registered
 * classes) in a server worker and hands out proxies that every thread can call; the proxies cross
 * into workers like every Interlock object.
 *
 * - Why a subpath: the manager's protocol is comlink's (npm `comlink`), which only this subpath
 *   loads. `@interlock/interlock` itself loads no npm package, so a program can import it by path,
 *   without an import map, and a pool worker starts without one.
 * - Proxies passed to `Pool` and `Process` tasks are revived in the worker even when the task module
 *   imports nothing from here (those workers know every proxy class); their first call loads
 *   comlink. A thread that revives clones itself (`ManagedDict.from`, or `revive` in a worker you
 *   started yourself) imports this subpath first, so that `revive` knows the proxy classes.
 * - Errors a manager throws when it is gone, `ManagerCrashedError` and `ManagerShutdownError`, are
 *   exported here and from `@interlock/interlock`.
 *
 * @example
 * ```ts
 * import { Manager } from "@interlock/interlock/manager";
 * import assert from "node:assert/strict";
 *
 * await using manager = await Manager.start();
 * const scores = await manager.dict<string, number>();
 * await scores.set("alice", 1);
 * await scores.update("alice", "add", 2); // atomic on the server
 * assert.equal(await scores.get("alice"), 3);
 * ```
 *
 * @module
 */
export { Manager } from "./manager.ts";
export type { ArgsOf, InstanceOf, ManagedType, ManagerOptions, ManagerState } from "./manager.ts";
export { ManagedDict, ManagedList, ManagedNamespace, ManagedObject } from "./proxies.ts";
export type { AsyncMethods, Key, Managed, UpdateOp } from "./proxies.ts";
export { ManagerCrashedError, ManagerShutdownError } from "../errors.ts";
