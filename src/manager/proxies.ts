/**
 * Proxies of managed objects: `ManagedDict`, `ManagedList`, `ManagedNamespace` and `ManagedObject`
 * (instances of registered types), as a {@linkcode Manager} hands them out, one class per file over
 * the shared `_proxy.ts`; this module re-exports them and revives any proxy's clone.
 *
 * Revival: {@linkcode revive} (and so `Process` and `Pool` arguments) rebuilds a proxy from its
 * structured clone through the reviver this module registers for the manager's `MNGR` tag (see
 * `_proxy.ts` for what a clone keeps).
 *
 * @module
 */
import { registerClass, TAG } from "../_region.ts";
import type { Kind } from "./_protocol.ts";
import { ManagedDict } from "./managed_dict.ts";
import { ManagedList } from "./managed_list.ts";
import { ManagedNamespace } from "./managed_namespace.ts";
import { ManagedObject } from "./managed_object.ts";

export { type Key, ManagedDict } from "./managed_dict.ts";
export { ManagedList } from "./managed_list.ts";
export { ManagedNamespace } from "./managed_namespace.ts";
export { type AsyncMethods, type Managed, ManagedObject } from "./managed_object.ts";
export type { UpdateOp } from "./_proxy.ts";

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
