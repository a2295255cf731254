/**
 * A comlink transfer handler for Interlock objects. It imports nothing from comlink, not even its
 * types: the core package loads no npm package (its shape is checked against comlink's
 * `TransferHandler` in `tests/imports_test.ts`).
 *
 * @module
 */
import { isInterlockObject, type Region, revive } from "./_region.ts";

/**
 * Lets Interlock objects pass through comlink proxies as arguments and results: the other side
 * receives a working object over the same shared memory. Register it once per thread, under any
 * name: `Comlink.transferHandlers.set("interlock", interlockTransferHandler)`.
 *
 * @example
 * ```ts
 * import * as Comlink from "comlink";
 * import { interlockTransferHandler, Lock } from "@interlock/interlock";
 * import assert from "node:assert/strict";
 *
 * Comlink.transferHandlers.set("interlock", interlockTransferHandler);
 * const lock = new Lock();
 * assert.ok(interlockTransferHandler.canHandle(lock));
 * const [wire] = interlockTransferHandler.serialize(lock);
 * const revived = interlockTransferHandler.deserialize(structuredClone(wire)) as Lock;
 * assert.ok(revived.tryAcquire());
 * assert.ok(lock.locked());
 * ```
 */
export const interlockTransferHandler: InterlockTransferHandler = {
  canHandle: (value: unknown): value is Region => isInterlockObject(value),
  serialize: (value: Region): [unknown, Transferable[]] => [value, []],
  deserialize: (wire: unknown): Region => revive(wire) as Region,
};

/**
 * The shape of {@linkcode interlockTransferHandler}: comlink's `TransferHandler` for Interlock
 * objects (structurally identical, so it needs no comlink import in your types).
 */
export interface InterlockTransferHandler {
  /** Whether `value` is a live Interlock object. */
  canHandle(value: unknown): value is Region;
  /** The object's structured-clone form (its shared memory is shared, not copied). */
  serialize(value: Region): [unknown, Transferable[]];
  /** Revives a received clone into a working object. */
  deserialize(wire: unknown): Region;
}
