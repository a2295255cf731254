/**
 * The options of `Pool`: of the pool itself (`PoolOptions`), of one task (`TaskOptions`,
 * `ApplyAsyncOptions`) and of the map family (`MapOptions`, `MapAsyncOptions`). Apart from
 * `pool.ts` because its parts (`_dispatcher.ts`, `_map.ts`) read them too.
 *
 * @module
 */
import type { ResourceLimits } from "./limits.ts";
import type { AnyModule, TaskName } from "./types.ts";

/** Options of `new Pool(...)`. */
export interface PoolOptions<M = AnyModule> {
  /**
   * Number of worker threads.
   * @default {navigator.hardwareConcurrency}
   */
  size?: number;
  /**
   * An export of the task module that each worker calls once, with `initArgs`, before its first
   * task (Python's `initializer`). If it throws, the pool is broken: every task rejects with
   * {@linkcode WorkerCrashedError} whose `cause` is that error.
   * @default {undefined}
   */
  initializer?: TaskName<M>;
  /**
   * Arguments of the initializer.
   * @default {[]}
   */
  initArgs?: unknown[];
  /**
   * Tasks a worker runs before it is replaced by a fresh one (Python's `maxtasksperchild`); a chunk
   * of `map` counts as one task.
   * @default {Infinity}
   */
  maxTasksPerChild?: number;
  /**
   * Most tasks waiting to be sent to a worker; `apply` / `applyAsync` beyond it reject with a
   * `RangeError`, while `map` and friends wait for room.
   * @default {Infinity}
   */
  maxQueue?: number;
  /**
   * Milliseconds an aborted running task has to finish (cooperatively, through `taskSignal()`)
   * before its worker is replaced.
   * @default {1000}
   */
  abortGrace?: number;
  /**
   * Heap and stack caps of every worker (replacements too), as `node:worker_threads`' option. With
   * `maxOldGenerationSizeMb`, a worker that runs out of memory no longer aborts the whole program:
   * the task it was running rejects with {@linkcode WorkerCrashedError} ("Pool worker 3 ran out of
   * memory ..."; `cause.code` is `"ERR_WORKER_OUT_OF_MEMORY"`), the tasks it had not started go to
   * other workers, and it is replaced. Best effort: see {@linkcode ResourceLimits} for what Deno 2.9
   * cannot catch.
   * @default {undefined}
   */
  resourceLimits?: ResourceLimits;
}

/** Options of one task submission. */
export interface TaskOptions {
  /**
   * Aborting it rejects the task with `signal.reason`: a task still waiting is dropped; a running
   * task's `taskSignal()` aborts in the worker, and if it does not finish within `abortGrace` its
   * worker is replaced. Other tasks are never disturbed.
   * @default {undefined}
   */
  signal?: AbortSignal;
  /**
   * `ArrayBuffer`s (and other transferables) in the arguments to move to the worker instead of
   * copying them; they become detached here.
   * @default {[]}
   */
  transfer?: Transferable[];
}

/** Options of `applyAsync`. */
export interface ApplyAsyncOptions<R> extends TaskOptions {
  /**
   * Called with the result when the task succeeds (Python's `callback`).
   * @default {undefined}
   */
  callback?: (result: R) => void;
  /**
   * Called with the error when the task fails (Python's `error_callback`).
   * @default {undefined}
   */
  errorCallback?: (error: unknown) => void;
}

/** Options of `map`, `starmap`, `imap` and `imapUnordered`. */
export interface MapOptions {
  /**
   * Items per task. `map` / `starmap` default to Python's choice, `ceil(items / (4 * size))`;
   * `imap` / `imapUnordered` to 1 (the pool batches small tasks anyway).
   * @default {undefined}
   */
  chunksize?: number;
  /**
   * Aborting it rejects the whole map with `signal.reason` and aborts its unfinished chunks.
   * @default {undefined}
   */
  signal?: AbortSignal;
}

/** Options of `mapAsync` and `starmapAsync`. */
export interface MapAsyncOptions<R> extends MapOptions {
  /**
   * Called with the results when every item succeeded.
   * @default {undefined}
   */
  callback?: (results: R[]) => void;
  /**
   * Called with the first error.
   * @default {undefined}
   */
  errorCallback?: (error: unknown) => void;
}
