/**
 * `resourceLimits` of `Pool` and `Process`: the heap and stack caps every worker they start gets,
 * so that a worker that runs out of memory is stopped alone instead of aborting the whole program.
 * Without the option, a worker's heap is capped at the starting thread's own heap limit
 * ({@linkcode defaultHeapCapMb}): as large as V8's default, but caught; `null` removes the caps.
 *
 * What Deno 2.9 does (measured on 2.9.6, `node:worker_threads`):
 * - Without a heap cap, a worker that runs out of memory aborts the whole process ("Fatal
 *   JavaScript out of memory"). A Web Worker has no cap option at all.
 * - With `maxOldGenerationSizeMb`, reaching the cap while JavaScript runs in a *macrotask* (a module's
 *   top level, a timer callback) ends the worker: the parent gets an `error` event whose `code` is
 *   `ERR_WORKER_OUT_OF_MEMORY`, then `exit` with code 1.
 * - Reaching it in a *microtask* (a Promise continuation, an `await`, and every message handler,
 *   which Deno dispatches from a Promise) only stops that microtask: no `error`, no `exit`, the
 *   worker's event loop runs on, and the V8 heap limit it reports (`heap_size_limit`) has been
 *   raised. Tasks run in message handlers, so this is the usual case; the worker watches for that
 *   raise ({@linkcode MEMORY_WATCH_MS}), reports the same `ERR_WORKER_OUT_OF_MEMORY` error and exits
 *   with code 1, so both cases reach the parent's crash path alike.
 * - Without `resourceLimits`, the worker gets V8's default heap limit (derived from the machine's
 *   memory, some 4 GB on a 24 GB machine) and reaching it aborts the whole process, with no way to
 *   catch it. A cap as large as the parent's own heap limit is just as roomy but caught, hence the
 *   default (measured: a pool worker filling its heap under `--v8-flags=--max-old-space-size=128`
 *   aborted the program without a cap, and was replaced with the parent's limit as its cap).
 *
 * @module
 */
import { workerHeapCaps } from "../_runtime.ts";
import v8 from "node:v8";

/**
 * Caps on a worker's JavaScript engine, as `node:worker_threads`' `resourceLimits`; `Pool` and
 * `Process` pass them to every worker they start (a pool's replacements too).
 *
 * - **Why.** Without a cap, a worker that runs out of memory takes the whole Deno process down. With
 *   `maxOldGenerationSizeMb`, the worker alone is stopped: a pool rejects the task it was running with
 *   {@linkcode WorkerCrashedError} (message "... ran out of memory ...", `cause` an `Error` whose
 *   `code` is `"ERR_WORKER_OUT_OF_MEMORY"`) and replaces the worker; a `Process` ends with exit code
 *   1 and that `WorkerCrashedError` as its `error`.
 * - **Not on Bun**: Bun 1 ignores `resourceLimits` (its workers' heaps are not capped), so on Bun
 *   setting any limit throws a `NotSupportedError` `DOMException` instead of promising a cap.
 * - **On Node** the runtime ends a worker at its cap in every case (no code of the worker runs
 *   then), so a `Process` child's exit latch is not closed: `joinSync()` on the parent's thread
 *   returns only at its timeout (`join()` and the pool see the exit as usual).
 * - **Best effort** (Deno 2.9): a single allocation far larger than the cap (`new Array(3e7)` at
 *   32 MB) can still abort the process, or not be stopped at all; `ArrayBuffer` and typed array
 *   memory is not counted; a global `--v8-flags=--max-old-space-size=...` overrides the cap. Caps
 *   below 16 MB (the library refuses them) can abort the process while the worker starts, and
 *   `stackSizeMb: 1` on deep recursion (hence a minimum of 2).
 * - **Default.** Without `resourceLimits`, or without `maxOldGenerationSizeMb` in it, the cap is the
 *   heap limit of the thread that starts the worker: as roomy as an uncapped worker, but a worker
 *   that fills it is stopped alone. Pass `resourceLimits: null` for no cap at all (then a worker
 *   that runs out of memory aborts the whole program, as V8 does).
 * - Detection can lag up to 50 ms when the cap is reached inside a Promise continuation: the worker
 *   checks its heap on a timer, as Deno does not stop it there.
 *
 * @example A task that allocates without bound only loses its own worker
 * ```ts
 * import { Pool, taskModule, WorkerCrashedError } from "@interlock/interlock";
 * import assert from "node:assert/strict";
 *
 * const tasks = taskModule<{ hog(): never; square(x: number): number }>(
 *   "data:text/javascript,export function hog() { const keep = []; for (;;) keep.push({ a: [1, 2, 3] }); }" +
 *     " export const square = (x) => x * x;",
 * );
 * await using pool = new Pool(tasks, { size: 1, resourceLimits: { maxOldGenerationSizeMb: 32 } });
 * const error = await pool.apply("hog", []).catch((e) => e);
 * assert.ok(error instanceof WorkerCrashedError);
 * assert.equal((error.cause as { code?: string }).code, "ERR_WORKER_OUT_OF_MEMORY");
 * assert.equal(await pool.apply("square", [7]), 49);
 * ```
 */
export interface ResourceLimits {
  /**
   * Most megabytes of the main (old generation) heap; at least 16. Reaching it stops the worker.
   * @default {the heap limit of the thread that starts the worker (V8's default, derived from the machine's memory, or --max-old-space-size)}
   */
  maxOldGenerationSizeMb?: number;
  /**
   * Most megabytes of the heap space for new objects; a positive number.
   * @default {V8's default}
   */
  maxYoungGenerationSizeMb?: number;
  /**
   * Megabytes reserved for generated code; a positive number.
   * @default {V8's default}
   */
  codeRangeSizeMb?: number;
  /**
   * The thread's stack size in megabytes; at least 2 (deep recursion past it throws a
   * `RangeError` in the task, as usual).
   * @default {4}
   */
  stackSizeMb?: number;
}

/** The smallest `maxOldGenerationSizeMb` accepted (see {@linkcode ResourceLimits}). */
export const MIN_OLD_GENERATION_MB = 16;
/** The smallest `stackSizeMb` accepted. */
export const MIN_STACK_MB = 2;
/**
 * Milliseconds between a capped worker's checks of whether it reached its heap cap inside a
 * Promise continuation (see the module doc).
 */
export const MEMORY_WATCH_MS = 50;
/** The `code` of the error that tells a worker ran out of memory. */
export const OUT_OF_MEMORY = "ERR_WORKER_OUT_OF_MEMORY";

/** Each limit's smallest accepted value (MB; 0: any positive number) and, if above 0, why. */
const MINIMUM: Readonly<Record<keyof ResourceLimits, readonly [number, string]>> = {
  maxOldGenerationSizeMb: [
    MIN_OLD_GENERATION_MB,
    "a smaller heap can abort the whole program while the worker starts",
  ],
  maxYoungGenerationSizeMb: [0, ""],
  codeRangeSizeMb: [0, ""],
  stackSizeMb: [MIN_STACK_MB, "1 MB can abort the whole program on deep recursion"],
};
const KEYS = Object.keys(MINIMUM) as (keyof ResourceLimits)[];

/**
 * The heap cap (MB) a worker gets when `resourceLimits` sets none: the heap limit of the calling
 * thread (V8's default, which V8 derives from the machine's memory, or `--max-old-space-size`).
 *
 * @returns Megabytes, at least {@linkcode MIN_OLD_GENERATION_MB}.
 */
export function defaultHeapCapMb(): number {
  const mb = Math.floor(v8.getHeapStatistics().heap_size_limit / 2 ** 20);
  return Math.max(MIN_OLD_GENERATION_MB, mb);
}

/**
 * Validates a `resourceLimits` option and returns a copy with only its set keys, the default heap
 * cap ({@linkcode defaultHeapCapMb}) filled in when it has none.
 *
 * @param what What is being done, for messages ("create pool").
 * @param value The option.
 * @returns The limits, or `undefined` if `value` is `null` (no caps at all).
 * @throws {TypeError} if it is not an object, has an unknown key, or a value is not a number.
 * @throws {RangeError} if a value is not finite or below its minimum.
 * @throws {DOMException} `NotSupportedError` on Bun, whose workers take no caps.
 */
export function resourceLimitsOf(what: string, value: unknown): ResourceLimits | undefined {
  if (value === null) return undefined;
  // Bun's workers take no caps: there the default is none, and an explicit cap is refused below.
  if (value === undefined) {
    return workerHeapCaps ? { maxOldGenerationSizeMb: defaultHeapCapMb() } : undefined;
  }
  if (typeof value !== "object" || Array.isArray(value)) {
    throw new TypeError(
      `Cannot ${what}: 'resourceLimits' must be an object or null, received ${
        Array.isArray(value) ? "an array" : typeof value
      }`,
    );
  }
  for (const key of Object.keys(value)) {
    if (!(KEYS as readonly string[]).includes(key)) {
      throw new TypeError(
        `Cannot ${what}: 'resourceLimits.${key}' is not a resource limit (expected ${
          KEYS.join(", ")
        })`,
      );
    }
  }
  const limits: ResourceLimits = {};
  for (const key of KEYS) {
    const n = (value as Record<string, unknown>)[key];
    if (n === undefined) continue;
    if (typeof n !== "number") {
      throw new TypeError(
        `Cannot ${what}: 'resourceLimits.${key}' must be a number, received ${
          n === null ? "null" : typeof n
        }`,
      );
    }
    const [min, why] = MINIMUM[key];
    if (!Number.isFinite(n) || !(n >= min) || n === 0) {
      throw new RangeError(
        `Cannot ${what}: 'resourceLimits.${key}' must be ${
          min > 0
            ? `a finite number of at least ${min} (MB; ${why})`
            : "a positive finite number (MB)"
        }, received ${n}`,
      );
    }
    limits[key] = n;
  }
  if (!workerHeapCaps && Object.keys(limits).length > 0) {
    throw new DOMException(
      `Cannot ${what}: 'resourceLimits' needs a runtime that caps workers' heaps (Deno, Node); ` +
        `Bun ignores them`,
      "NotSupportedError",
    );
  }
  limits.maxOldGenerationSizeMb ??= defaultHeapCapMb();
  return limits;
}

/**
 * Whether `error` says a worker ran out of memory: the `error` event of a worker stopped at its heap
 * cap, or the error a worker reports when it saw it reached its cap.
 *
 * @param error What the worker's `error` event or its report carried.
 * @returns Whether its `code` is `"ERR_WORKER_OUT_OF_MEMORY"`.
 */
export function isOutOfMemory(error: unknown): boolean {
  return typeof error === "object" && error !== null &&
    (error as { code?: unknown }).code === OUT_OF_MEMORY;
}

/**
 * How to name a worker's heap cap in a message: `"resourceLimits.maxOldGenerationSizeMb = 32"`, or
 * `"its heap limit"` when the cap is V8's default.
 *
 * @param limits The worker's limits.
 * @returns The phrase.
 */
export function heapCap(limits: ResourceLimits | undefined): string {
  const mb = limits?.maxOldGenerationSizeMb;
  return mb === undefined ? "its heap limit" : `resourceLimits.maxOldGenerationSizeMb = ${mb}`;
}
