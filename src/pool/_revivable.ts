/**
 * Revival in a worker: loads every class whose structured clone `revive()` turns back into a working
 * object, so that each registers its tag (`registerClass` in `src/_region.ts`) before the first
 * task's arguments arrive; and {@linkcode reviveList}, the worker's cheap path for argument lists.
 *
 * - Which classes: the primitives (`src/sync/`), shared data (`src/shared/`), the channels
 *   (`src/channel/`: queues, pipe connections) and the manager's proxies (`src/manager/proxies.ts`,
 *   which talk to the manager's server from any thread). Nothing of the parent side (`Pool`,
 *   `Process`, `Executor`, `Manager` itself): a worker never imports that.
 * - Why here and not through `mod.ts`: the task module may import no Interlock code at all, and
 *   importing `mod.ts` would load every parent-side class into every worker.
 * - A new revivable class is added here too (the worker test of revival in `tests/pool/` lists them).
 *
 * @module
 */
import { revive } from "../_region.ts";
import "../sync/lock.ts";
import "../sync/rlock.ts";
import "../sync/semaphore.ts";
import "../sync/event.ts";
import "../sync/condition.ts";
import "../sync/barrier.ts";
import "../shared/value.ts";
import "../shared/array.ts";
import "../channel/queue.ts";
import "../channel/simple_queue.ts";
import "../channel/pipe.ts";
import "../manager/proxies.ts";

/** Revives Interlock objects in an argument list, without copying lists that hold none. */
export function reviveList(list: unknown[]): unknown[] {
  for (let i = 0; i < list.length; i++) {
    const v = list[i];
    if (typeof v === "object" && v !== null) return revive(list) as unknown[];
  }
  return list;
}
