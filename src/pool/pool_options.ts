/**
 * The options of `Pool`: of the pool itself (`PoolOptions`, checked by `checkPoolOptions`), of one
 * task (`TaskOptions`, `ApplyAsyncOptions`) and of the map family (`MapOptions`, `MapAsyncOptions`),
 * what `stats()` returns (`PoolStats`), and how a task's `signal` and `timeout` combine
 * (`abortSignalOf`). Apart from `pool.ts` because its parts (`_dispatcher.ts`, `_map.ts`) read them
 * too.
 *
 * @module
 */
import type { WorkerCrashedError } from "../errors.ts";
import { cpuCount } from "./context.ts";
import { type ResourceLimits, resourceLimitsOf } from "./limits.ts";
import type { AnyModule, TaskName } from "./types.ts";

/**
 * The most workers a pool may have unless its `sizeLimit` option says otherwise: each worker is a
 * thread with its own JavaScript heap (some 10 MB idle) that takes ~100 ms of the creating
 * thread to start.
 */
export const SIZE_LIMIT = 256;

/** Options of `new Pool(...)`. */
export interface PoolOptions<M = AnyModule> {
  /**
   * Number of worker threads; at most `sizeLimit`.
   * @default {cpuCount()}
   */
  size?: number;
  /**
   * The largest `size` accepted: a larger one throws a `RangeError` (a typo such as `1e6` would
   * otherwise start threads until memory runs out). Raise it to run more workers.
   * @default {256}
   */
  sizeLimit?: number;
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
   * Heap and stack caps of every worker (replacements too), as `node:worker_threads`' option. A
   * worker that reaches its heap cap does not abort the whole program: the task it was running
   * rejects with {@linkcode WorkerCrashedError} ("Pool worker 3 ran out of memory ...";
   * `cause.code` is `"ERR_WORKER_OUT_OF_MEMORY"`), the tasks it had not started go to other
   * workers, and it is replaced. `maxOldGenerationSizeMb` defaults to this thread's own heap limit,
   * so a runaway task is caught even when no cap is given; `null` removes every cap (V8's default
   * heap, and a worker that runs out of memory aborts the whole program). Best effort: see
   * {@linkcode ResourceLimits} for what Deno 2.9 cannot catch.
   * @default {{ maxOldGenerationSizeMb: this thread's heap limit }}
   */
  resourceLimits?: ResourceLimits | null;
  /**
   * Called when a worker ends outside any task, so that no task's promise reports it: an error
   * thrown (or a rejection left unhandled) after its task returned, as by a stray timer, or a
   * `process.exit()` there. The worker is replaced either way. It receives a
   * {@linkcode WorkerCrashedError} whose `workerId` is the worker's id and whose `cause` is the
   * error. A worker that dies while running a task rejects that task instead.
   * @default {a warning on stderr with the worker's id and the error's stack}
   */
  onWorkerError?: (error: WorkerCrashedError) => void;
  /**
   * Called each time the pool's own queue empties after holding tasks back because no worker had
   * room (`stats().queued` dropped to 0): every task submitted so far has been handed to a worker,
   * the moment to submit more when feeding the pool from a source (piscina's `drain` event).
   * @default {undefined}
   */
  onDrain?: () => void;
}

/** What {@linkcode Pool.stats} reports: a snapshot of the pool's work. */
export interface PoolStats {
  /** Worker threads taking tasks now (they start in the background after `new Pool`). */
  readonly workers: number;
  /** Tasks waiting in the pool's own queue for a worker with room (piscina's `queueSize`). */
  readonly queued: number;
  /**
   * Tasks handed to a worker that has not started them yet: a worker runs one task at a time and
   * keeps the next ones of its batch (an idle worker may take them over).
   */
  readonly sent: number;
  /** Tasks a worker has started and whose result has not arrived yet. */
  readonly running: number;
  /** Tasks finished in a worker since the pool started (returned or threw). */
  readonly completed: number;
  /**
   * The share of the workers' time spent with work since the pool started, from 0 to 1: a worker
   * counts as busy from the moment tasks are handed to it until their last result is back.
   */
  readonly utilization: number;
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
   * Milliseconds from the call after which the task is aborted as by `signal` (time waiting for a
   * worker included), rejecting with a `DOMException` named `TimeoutError`. Unlike the `timeout`
   * of `AsyncResult.get()`, which only bounds a wait, this stops the task.
   * @default {Infinity}
   */
  timeout?: number;
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
  /**
   * Milliseconds from the call after which the whole map is aborted as by `signal`, rejecting with
   * a `DOMException` named `TimeoutError`.
   * @default {Infinity}
   */
  timeout?: number;
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

/**
 * The signal that aborts a task or a map: `options.signal`, and `options.timeout` ms from now
 * (a `TimeoutError` then); `undefined` when neither is set.
 *
 * @param what What is being done, for messages ("apply").
 * @param options The call's options.
 * @returns The combined signal.
 * @throws {TypeError} if `signal` is not an `AbortSignal` or `timeout` not a number.
 * @throws {RangeError} if `timeout` is negative or NaN.
 */
export function abortSignalOf(
  what: string,
  options: { signal?: AbortSignal; timeout?: number } | undefined,
): AbortSignal | undefined {
  const signal = options?.signal;
  if (signal !== undefined && !(signal instanceof AbortSignal)) {
    throw new TypeError(`Cannot ${what}: 'signal' must be an AbortSignal`);
  }
  const timeout = options?.timeout;
  if (timeout === undefined || timeout === Infinity) return signal;
  if (typeof timeout !== "number") {
    throw new TypeError(`Cannot ${what}: 'timeout' must be a number, received ${typeof timeout}`);
  }
  if (!(timeout >= 0)) {
    throw new RangeError(
      `Cannot ${what}: 'timeout' must be a non-negative number of milliseconds, received ${timeout}`,
    );
  }
  // AbortSignal.timeout's timer does not keep the program alive; its reason is reworded.
  const controller = new AbortController();
  AbortSignal.timeout(timeout).addEventListener("abort", () => {
    controller.abort(new DOMException(`The task timed out after ${timeout} ms`, "TimeoutError"));
  }, { once: true });
  return signal ? AbortSignal.any([signal, controller.signal]) : controller.signal;
}

/** A pool's options, checked, with their defaults filled in (what the dispatcher runs). */
export interface PoolConfig {
  readonly size: number;
  readonly initializer: string | null;
  readonly initArgs: unknown[];
  readonly maxTasksPerChild: number;
  readonly maxQueue: number;
  readonly abortGrace: number;
  readonly resourceLimits: ResourceLimits | undefined;
  /** Told of a worker that ended outside any task (see `PoolOptions.onWorkerError`). */
  readonly onWorkerError: (error: WorkerCrashedError) => void;
  readonly onDrain: (() => void) | undefined;
}

/**
 * Checks the options of `new Pool` and fills in their defaults.
 *
 * @param what What is being done, for messages ("create pool").
 * @param options The options.
 * @returns The pool's configuration.
 * @throws {TypeError} for an option of the wrong type.
 * @throws {RangeError} for an option out of range (`size` above `sizeLimit` included).
 */
export function checkPoolOptions<M>(what: string, options: PoolOptions<M>): PoolConfig {
  if (typeof options !== "object" || options === null) {
    throw new TypeError(`Cannot ${what}: options must be an object, received ${typeof options}`);
  }
  const sizeLimit = positiveInteger(what, "sizeLimit", options.sizeLimit ?? SIZE_LIMIT, true);
  const size = positiveInteger(
    what,
    "size",
    options.size ?? Math.min(cpuCount(), sizeLimit),
    false,
  );
  if (size > sizeLimit) {
    throw new RangeError(
      `Cannot ${what}: 'size' must be at most ${sizeLimit}, received ${size} (each worker ` +
        "is a thread with its own heap); to run more, raise the limit with the 'sizeLimit' option",
    );
  }
  const maxTasksPerChild = positiveInteger(
    what,
    "maxTasksPerChild",
    options.maxTasksPerChild ?? Infinity,
    true,
  );
  const maxQueue = positiveInteger(what, "maxQueue", options.maxQueue ?? Infinity, true);
  const grace = options.abortGrace ?? 1000;
  if (typeof grace !== "number" || !(grace >= 0)) {
    throw new RangeError(
      `Cannot ${what}: 'abortGrace' must be a non-negative number of milliseconds, received ${grace}`,
    );
  }
  const initializer = options.initializer;
  if (initializer !== undefined && typeof initializer !== "string") {
    throw new TypeError(
      `Cannot ${what}: 'initializer' must be an export name, received ${typeof initializer}`,
    );
  }
  const initArgs = options.initArgs ?? [];
  if (!Array.isArray(initArgs)) {
    throw new TypeError(`Cannot ${what}: 'initArgs' must be an array`);
  }
  try {
    structuredClone(initArgs); // before any worker exists
  } catch (error) {
    throw new TypeError(`Cannot ${what}: 'initArgs' cannot be cloned`, { cause: error });
  }
  const { onWorkerError = warnWorkerError, onDrain } = options;
  for (const [key, fn] of [["onWorkerError", onWorkerError], ["onDrain", onDrain]] as const) {
    if (fn !== undefined && typeof fn !== "function") {
      throw new TypeError(`Cannot ${what}: '${key}' must be a function, received ${typeof fn}`);
    }
  }
  return {
    size,
    initializer: initializer ?? null,
    initArgs,
    maxTasksPerChild,
    maxQueue,
    abortGrace: grace,
    resourceLimits: resourceLimitsOf(what, options.resourceLimits),
    onWorkerError,
    onDrain,
  };
}

function positiveInteger(what: string, key: string, value: unknown, infinite: boolean): number {
  if (typeof value !== "number") {
    throw new TypeError(`Cannot ${what}: '${key}' must be a number, received ${typeof value}`);
  }
  if (!(infinite && value === Infinity) && !(Number.isInteger(value) && value >= 1)) {
    throw new RangeError(`Cannot ${what}: '${key}' must be a positive integer, received ${value}`);
  }
  return value;
}

/** What `onWorkerError` does by default: a warning on stderr with the worker's id and the stack. */
function warnWorkerError(error: WorkerCrashedError): void {
  const cause = error.cause;
  const stack = cause instanceof Error ? (cause.stack ?? `${cause.name}: ${cause.message}`) : cause;
  if (stack === undefined) console.error(`Interlock: ${error.message}`);
  else console.error(`Interlock: ${error.message}:`, stack);
}
