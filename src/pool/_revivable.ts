/**
 * Revival in a worker: loads, on demand, every class whose structured clone `revive()` turns back
 * into a working object, so that each registers its tag (`registerClass` in `src/_region.ts`) before
 * the first arguments that may hold one are revived; and {@linkcode reviveList}, the worker's cheap
 * path for argument lists.
 *
 * - Which classes: the primitives (`src/sync/`), shared data (`src/shared/`), the channels
 *   (`src/channel/`: queues, pipe connections) and the manager's proxies (`src/manager/proxies.ts`,
 *   which talk to the manager's server from any thread), all imported by `_revivable_classes.ts`.
 *   Nothing of the parent side (`Pool`, `Process`, `Executor`, `Manager` itself): a worker never
 *   imports that.
 * - Why here and not through `mod.ts`: the task module may import no Interlock code at all, and
 *   importing `mod.ts` would load every parent-side class into every worker.
 * - When: the first time arguments hold an object ({@linkcode needsClasses}), the worker awaits
 *   {@linkcode loadClasses} before reviving them. A worker whose tasks only ever get numbers,
 *   strings and typed arrays never loads them: ~50 modules fewer to load, compile and keep per
 *   worker (`bench/startup_bench.ts` measures start-up and idle memory against bare workers).
 * - A new revivable class is added to `_revivable_classes.ts` (the worker test of revival in
 *   `tests/pool/` lists them).
 * - **Imported by a computed URL**, never by a literal `import("./_revivable_classes.ts")`: Deno
 *   loads every module a literal dynamic import names (and all they import) along with the module
 *   that holds it, before anything runs, so a literal put the ~50 modules of the classes into every
 *   worker at start even though none was evaluated: idle `Pool(2)` RSS above base 37.0 MB (median
 *   of 5) with the literal, 34.3 MB with the computed URL, runs alternated (`bench/startup_bench.ts
 *   --child pool-2`; 2 bare workers: ~30.6 MB). A type-only import keeps the module in the
 *   package's graph (JSR's npm build transpiles only the graph's modules); it is erased at run time.
 *
 * @module
 */
import { revive } from "../_region.ts";
import { moduleUrl } from "../_module_url.ts";
import type {} from "./_revivable_classes.ts";

/** The module that registers the classes (`.ts` from source, `.js` in the npm build). */
const CLASSES = moduleUrl("./_revivable_classes", import.meta.url).href;

let loading: Promise<unknown> | undefined;
let loaded = false;

/** Whether every revivable class is loaded (registered) in this worker. */
export function classesLoaded(): boolean {
  return loaded;
}

/** Loads (once) every class whose clones may arrive in arguments; see the module doc. */
export async function loadClasses(): Promise<void> {
  if (loaded) return;
  await (loading ??= import(CLASSES));
  loaded = true;
}

/**
 * Whether reviving `list` may need the classes: it holds an object (a clone of an Interlock object
 * may sit in it, or deeper). Typed arrays hold none.
 */
export function needsClasses(list: unknown): boolean {
  if (loaded || !Array.isArray(list)) return false;
  for (let i = 0; i < list.length; i++) {
    const v = list[i];
    if (typeof v === "object" && v !== null) return true;
  }
  return false;
}

/** Revives Interlock objects in an argument list, without copying lists that hold none. */
export function reviveList(list: unknown[]): unknown[] {
  for (let i = 0; i < list.length; i++) {
    const v = list[i];
    if (typeof v === "object" && v !== null) return revive(list) as unknown[];
  }
  return list;
}
