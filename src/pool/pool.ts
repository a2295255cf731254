/**
 * `Pool`: a pool of worker threads running the exports of a task module, as Python's
 * `multiprocessing.Pool` (parent side; the workers run `worker_main.ts`).
 *
 * Dispatch: submitted tasks wait in a FIFO ({@linkcode TaskQueue}); the pool sends them to workers in
 * batches (one `postMessage` for up to {@linkcode MAX_BATCH} tasks, at most {@linkcode S.SLOTS} sent
 * and unanswered per worker), and workers answer in batches. Every task sent takes a slot in the
 * worker's slot region (`src/kernel/task_slot.ts`): a worker claims a slot before it runs the task,
 * and the pool can revoke a task that has not started, without any message. That makes batching
 * safe for long tasks too: a worker that runs out of work takes (steals) half of the unstarted tasks
 * of the busiest worker; an aborted task that has not started is simply revoked; and when a worker
 * dies, the pool knows exactly which task it was running (RUNNING), which it never started (QUEUED:
 * sent again elsewhere) and which finished without their result arriving (DONE: run again).
 *
 * Worker threads are started with `node:worker_threads`, whose `unref()` lets an idle pool's workers
 * not keep the program alive. Deno 2.9 cannot interrupt a worker that runs synchronous code (a busy
 * loop, a blocking call): a killed worker is given `TERMINATE_GRACE` ms to really end (see
 * `_stop.ts`), then abandoned. Its bookkeeping does not wait for that: as soon as it is killed, the
 * tasks it had not started are revoked (so the abandoned thread, which may run on until its current
 * job returns, can no longer start them) and sent elsewhere.
 *
 * @module
 */
import { threadId, type Worker } from "node:worker_threads";
import { REAL } from "../_atomics.ts";
import { allocate, revive, TAG } from "../_region.ts";
import { RuntimeError, WorkerCrashedError } from "../errors.ts";
import * as S from "../kernel/task_slot.ts";
import { AsyncResult } from "./async_result.ts";
import {
  CALL,
  type Failure,
  type FromWorker,
  type Kind,
  MAP,
  type RunMessage,
  serializeThrown,
  STARMAP,
  type ToWorker,
} from "./protocol.ts";
import { rebuild } from "./remote_error.ts";
import { heapCap, isOutOfMemory, type ResourceLimits, resourceLimitsOf } from "./limits.ts";
import { spawnWorker } from "./_spawn.ts";
import { stopWorker } from "./_stop.ts";
import { type Queued, TaskQueue } from "./task_queue.ts";
import {
  type AnyModule,
  moduleUrl,
  type TaskArgs,
  type TaskItem,
  type TaskModule,
  type TaskName,
  type TaskResult,
  type TerminateStatus,
} from "./types.ts";

/** Most tasks sent to one worker in one message. */
export const MAX_BATCH = 64;

let workerCount = 0;

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

interface Task extends Queued {
  readonly id: number;
  readonly name: string;
  readonly kind: Kind;
  readonly args: unknown[] | Int32Array | Float64Array;
  readonly transfer: Transferable[] | undefined;
  readonly promise: Promise<unknown>;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
  settled: boolean;
  signal: AbortSignal | undefined;
  onAbort: (() => void) | undefined;
  member: Member | undefined;
  slot: number;
  gen: number;
  grace: ReturnType<typeof setTimeout> | undefined;
}

interface Member {
  readonly worker: Worker;
  /**
   * Where the pool's messages to the worker go (see `Spawned.inbox` in `_spawn.ts`). Messages from
   * the worker come through its `parentPort`, which is as fast, and is ordered before the worker's
   * `exit` event.
   */
  readonly inbox: MessagePort;
  readonly id: number;
  readonly words: Int32Array;
  readonly gens: Int32Array;
  readonly free: number[];
  /** Tasks sent and not answered, in the order sent. */
  readonly assigned: Map<number, Task>;
  /** Tasks counted toward `maxTasksPerChild`. */
  sent: number;
  /** "starting" until the initializer ran; "leaving" once asked to stop or killed. */
  state: "starting" | "ready" | "leaving" | "exited";
  /** The uncaught error it reported before exiting, if any. */
  fatal: unknown;
  /** Whether it reached its heap cap (`fatal` is then the `ERR_WORKER_OUT_OF_MEMORY` error). */
  outOfMemory: boolean;
  /** Resolves when its thread has really ended (not just reported an `exit`; see `_stop.ts`). */
  readonly ended: Promise<void>;
  /** Set by the first kill: whether the thread ended within the grace period. */
  stopped: Promise<boolean> | undefined;
}

/**
 * A pool of worker threads that run the exported functions of one task module, with Python
 * `multiprocessing.Pool`'s methods, typed by the module.
 *
 * - **Typed tasks.** Functions cannot be sent to a worker, so work is named: `new Pool(tasks)` with
 *   `tasks = taskModule<typeof import("./tasks.ts")>(url)` (or `new Pool<typeof import("./tasks.ts")>(
 *   url)`), then `pool.map("square", [1, 2, 3])` is checked against the module and typed
 *   `Promise<number[]>`. Arguments and results are structured clones; Interlock objects in them
 *   arrive revived and working; `transfer` moves `ArrayBuffer`s.
 * - **Methods.** `apply`, `applyAsync` (an {@linkcode AsyncResult}), `map`, `starmap` (Promises),
 *   `imap`, `imapUnordered` (async iterables, lazy: they pull items as workers free up), `mapAsync`,
 *   `starmapAsync`; `chunksize` as in Python; `{ signal }` on every call.
 * - **Errors.** A task's error rejects only that task, rebuilt with its class (built-in and
 *   Interlock classes; others as `Error` with the original `name`), message, stack, cause and own
 *   properties.
 * - **Crashes.** A worker that dies (uncaught error outside a task, `process.exit()`, `Deno.exit()`,
 *   `close()`) rejects the task it was running with {@linkcode WorkerCrashedError} and is replaced;
 *   the tasks it had not started are sent elsewhere, nothing else is lost, every promise settles.
 * - **Out of memory.** With `resourceLimits: { maxOldGenerationSizeMb }`, a worker that reaches its
 *   heap cap is a crash like those (the error says it ran out of memory); without a cap, Deno aborts
 *   the whole program (see {@linkcode ResourceLimits}).
 * - **Abort.** A waiting task is dropped; a running one sees `taskSignal()` abort in the worker and
 *   has `abortGrace` ms to finish before its worker is replaced.
 * - **Life cycle.** Workers start at construction. `close()` then `join()` (or `await using`) lets
 *   submitted work finish; `terminate()` stops at once, rejecting unfinished tasks with an
 *   `AbortError`. An idle pool does not keep the program alive (its workers are daemons, as in
 *   Python); a pool with work does.
 * - `maxTasksPerChild` recycles workers; `initializer` runs once per worker before its first task.
 *
 * @typeParam M The task module's type (`typeof import("./tasks.ts")`).
 *
 * @example Square numbers in parallel
 * ```ts
 * import { Pool, taskModule } from "@interlock/interlock";
 * import assert from "node:assert/strict";
 *
 * // Usually `new URL("./tasks.ts", import.meta.url)`; a data: URL keeps the example in one file.
 * const tasks = taskModule<{ square(x: number): number }>(
 *   "data:text/javascript,export function square(x) { return x * x; }",
 * );
 * await using pool = new Pool(tasks, { size: 2 });
 * assert.deepEqual(await pool.map("square", [1, 2, 3, 4, 5]), [1, 4, 9, 16, 25]);
 * assert.equal(await pool.apply("square", [12]), 144);
 * ```
 */
export class Pool<M extends object = AnyModule> implements AsyncDisposable {
  /** Number of workers the pool keeps running. */
  readonly size: number;
  readonly #module: string;
  readonly #initializer: string | null;
  readonly #initArgs: unknown[];
  readonly #maxTasksPerChild: number;
  readonly #maxQueue: number;
  readonly #abortGrace: number;
  readonly #resourceLimits: ResourceLimits | undefined;
  readonly #queue = new TaskQueue<Task>();
  /** Workers that take tasks. */
  readonly #live: Member[] = [];
  /** Every worker whose thread has not exited yet. */
  readonly #members = new Set<Member>();
  #state: "running" | "closed" | "terminated" | "broken" = "running";
  #broken: WorkerCrashedError | undefined;
  #nextId = 1;
  #outstanding = 0;
  #pumpScheduled = false;
  /** Kills in progress (a worker stays here until its thread ended or was abandoned). */
  readonly #dying = new Set<Promise<boolean>>();
  #joiners: (() => void)[] = [];
  #roomWaiters: (() => void)[] = [];

  /**
   * Starts `size` workers that load the task module and run the initializer.
   *
   * @param module The task module: a {@linkcode TaskModule} from `taskModule()`, a `URL`, or an
   *   absolute URL string.
   * @param options Pool size, initializer, recycling, queue bound, abort grace, resource limits.
   * @throws {TypeError} if the module is not a URL, an option has the wrong type, or
   *   `resourceLimits` has an unknown key.
   * @throws {RangeError} if `size`, `maxTasksPerChild`, `maxQueue`, `abortGrace` or a resource limit
   *   is out of range.
   */
  constructor(module: TaskModule<M> | URL | string, options: PoolOptions<M> = {}) {
    const what = "create pool";
    this.#module = moduleUrl(what, module);
    if (typeof options !== "object" || options === null) {
      throw new TypeError(`Cannot ${what}: options must be an object, received ${typeof options}`);
    }
    this.size = positiveInteger(what, "size", options.size ?? navigator.hardwareConcurrency, false);
    this.#maxTasksPerChild = positiveInteger(
      what,
      "maxTasksPerChild",
      options.maxTasksPerChild ?? Infinity,
      true,
    );
    this.#maxQueue = positiveInteger(what, "maxQueue", options.maxQueue ?? Infinity, true);
    const grace = options.abortGrace ?? 1000;
    if (typeof grace !== "number" || !(grace >= 0)) {
      throw new RangeError(
        `Cannot ${what}: 'abortGrace' must be a non-negative number of milliseconds, received ${grace}`,
      );
    }
    this.#abortGrace = grace;
    const initializer = options.initializer;
    if (initializer !== undefined && typeof initializer !== "string") {
      throw new TypeError(
        `Cannot ${what}: 'initializer' must be an export name, received ${typeof initializer}`,
      );
    }
    this.#initializer = initializer ?? null;
    const initArgs = options.initArgs ?? [];
    if (!Array.isArray(initArgs)) {
      throw new TypeError(`Cannot ${what}: 'initArgs' must be an array`);
    }
    try {
      structuredClone(initArgs); // before any worker exists
    } catch (error) {
      throw new TypeError(`Cannot ${what}: 'initArgs' cannot be cloned`, { cause: error });
    }
    this.#initArgs = initArgs;
    this.#resourceLimits = resourceLimitsOf(what, options.resourceLimits);
    for (let i = 0; i < this.size; i++) this.#spawn();
  }

  /**
   * Runs `name(...args)` in a worker and resolves with its result (Python's `apply`, which blocks;
   * here, await it).
   *
   * @param name The export to call.
   * @param args Its arguments.
   * @param options `signal` and `transfer`.
   * @returns The task's result.
   * @throws The task's error, rebuilt; {@linkcode WorkerCrashedError} if its worker died;
   *   `signal.reason` on abort; {@linkcode RuntimeError} if the pool is closed; `RangeError` if
   *   `maxQueue` tasks already wait.
   *
   * @example
   * ```ts
   * import { Pool, taskModule } from "@interlock/interlock";
   * import assert from "node:assert/strict";
   *
   * const tasks = taskModule<{ add(a: number, b: number): number }>(
   *   "data:text/javascript,export const add = (a, b) => a + b;",
   * );
   * await using pool = new Pool(tasks, { size: 1 });
   * assert.equal(await pool.apply("add", [2, 3]), 5);
   * ```
   */
  apply<K extends TaskName<M>>(
    name: K,
    args: TaskArgs<M, K>,
    options?: TaskOptions,
  ): Promise<TaskResult<M, K>> {
    try {
      return this.#submit("apply", name, CALL, args as unknown[], options, true)
        .promise as Promise<TaskResult<M, K>>;
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /**
   * Submits `name(...args)` and returns at once with an {@linkcode AsyncResult} (Python's
   * `apply_async`): await it, or call `get()`, `ready()`, `successful()`, `cancel()`.
   *
   * @param name The export to call.
   * @param args Its arguments.
   * @param options `signal`, `transfer`, `callback`, `errorCallback`.
   * @returns The pending result; its failures are not unhandled rejections.
   * @throws {RuntimeError} if the pool is closed.
   * @throws {RangeError} if `maxQueue` tasks already wait.
   *
   * @example
   * ```ts
   * import { Pool, taskModule } from "@interlock/interlock";
   * import assert from "node:assert/strict";
   *
   * const tasks = taskModule<{ square(x: number): number }>(
   *   "data:text/javascript,export const square = (x) => x * x;",
   * );
   * await using pool = new Pool(tasks, { size: 2 });
   * const results = [1, 2, 3].map((x) => pool.applyAsync("square", [x]));
   * assert.deepEqual(await Promise.all(results), [1, 4, 9]);
   * assert.ok(results[0]!.ready() && results[0]!.successful());
   * ```
   */
  applyAsync<K extends TaskName<M>>(
    name: K,
    args: TaskArgs<M, K>,
    options?: ApplyAsyncOptions<TaskResult<M, K>>,
  ): AsyncResult<TaskResult<M, K>> {
    const task = this.#submit("applyAsync", name, CALL, args as unknown[], options, true);
    const result = new AsyncResult(
      task.id,
      task.promise as Promise<TaskResult<M, K>>,
      this.#control(task),
    );
    callbacks(result, options?.callback, options?.errorCallback);
    return result;
  }

  /**
   * Calls `name(item)` for every item, in parallel, and resolves with the results in order (Python's
   * `map`). Items go to workers in chunks of `chunksize`.
   *
   * @param name The export to call; it takes one item.
   * @param items The items (read to the end first, as Python does).
   * @param options `chunksize` and `signal`.
   * @returns The results, in the order of `items`.
   * @throws The first failing item's error (the other chunks are dropped or aborted), or as `apply`.
   *
   * @example
   * ```ts
   * import { Pool, taskModule } from "@interlock/interlock";
   * import assert from "node:assert/strict";
   *
   * const tasks = taskModule<{ square(x: number): number }>(
   *   "data:text/javascript,export const square = (x) => x * x;",
   * );
   * await using pool = new Pool(tasks, { size: 2 });
   * const squares = await pool.map("square", Array.from({ length: 100 }, (_, i) => i));
   * assert.equal(squares[99], 9801);
   * ```
   */
  map<K extends TaskName<M>>(
    name: K,
    items: Iterable<TaskItem<M, K>>,
    options?: MapOptions,
  ): Promise<TaskResult<M, K>[]> {
    return this.#mapAll("map", name, MAP, items, options) as Promise<TaskResult<M, K>[]>;
  }

  /**
   * Like {@linkcode Pool.map}, with each item an argument list (Python's `starmap`).
   *
   * @param name The export to call.
   * @param items Argument lists.
   * @param options `chunksize` and `signal`.
   * @returns The results, in order.
   * @throws As `map`.
   *
   * @example
   * ```ts
   * import { Pool, taskModule } from "@interlock/interlock";
   * import assert from "node:assert/strict";
   *
   * const tasks = taskModule<{ pow(x: number, y: number): number }>(
   *   "data:text/javascript,export const pow = (x, y) => x ** y;",
   * );
   * await using pool = new Pool(tasks, { size: 2 });
   * assert.deepEqual(await pool.starmap("pow", [[2, 3], [3, 2]]), [8, 9]);
   * ```
   */
  starmap<K extends TaskName<M>>(
    name: K,
    items: Iterable<TaskArgs<M, K>>,
    options?: MapOptions,
  ): Promise<TaskResult<M, K>[]> {
    return this.#mapAll("starmap", name, STARMAP, items, options) as Promise<
      TaskResult<M, K>[]
    >;
  }

  /**
   * `map` in the background (Python's `map_async`): returns an {@linkcode AsyncResult} of the list.
   *
   * @param name The export to call.
   * @param items The items.
   * @param options `chunksize`, `signal`, `callback`, `errorCallback`.
   * @returns The pending list of results; `cancel()` drops the chunks not yet started.
   * @throws {RuntimeError} if the pool is closed.
   *
   * @example
   * ```ts
   * import { Pool, taskModule } from "@interlock/interlock";
   * import assert from "node:assert/strict";
   *
   * const tasks = taskModule<{ double(x: number): number }>(
   *   "data:text/javascript,export const double = (x) => 2 * x;",
   * );
   * await using pool = new Pool(tasks, { size: 2 });
   * const result = pool.mapAsync("double", [1, 2, 3]);
   * assert.deepEqual(await result.get(), [2, 4, 6]);
   * ```
   */
  mapAsync<K extends TaskName<M>>(
    name: K,
    items: Iterable<TaskItem<M, K>>,
    options?: MapAsyncOptions<TaskResult<M, K>>,
  ): AsyncResult<TaskResult<M, K>[]> {
    return this.#mapAsync(
      "mapAsync",
      name,
      MAP,
      items,
      options as MapAsyncOptions<unknown>,
    ) as AsyncResult<
      TaskResult<M, K>[]
    >;
  }

  /**
   * `starmap` in the background (Python's `starmap_async`).
   *
   * @param name The export to call.
   * @param items Argument lists.
   * @param options `chunksize`, `signal`, `callback`, `errorCallback`.
   * @returns The pending list of results.
   * @throws {RuntimeError} if the pool is closed.
   *
   * @example
   * ```ts
   * import { Pool, taskModule } from "@interlock/interlock";
   * import assert from "node:assert/strict";
   *
   * const tasks = taskModule<{ add(a: number, b: number): number }>(
   *   "data:text/javascript,export const add = (a, b) => a + b;",
   * );
   * await using pool = new Pool(tasks, { size: 2 });
   * assert.deepEqual(await pool.starmapAsync("add", [[1, 2], [3, 4]]), [3, 7]);
   * ```
   */
  starmapAsync<K extends TaskName<M>>(
    name: K,
    items: Iterable<TaskArgs<M, K>>,
    options?: MapAsyncOptions<TaskResult<M, K>>,
  ): AsyncResult<TaskResult<M, K>[]> {
    return this.#mapAsync(
      "starmapAsync",
      name,
      STARMAP,
      items,
      options as MapAsyncOptions<unknown>,
    ) as AsyncResult<
      TaskResult<M, K>[]
    >;
  }

  /**
   * Calls `name(item)` for every item and yields the results in order as they become available
   * (Python's `imap`). Lazy: items are read only as workers free up, so the source may be large,
   * infinite or async. Leaving the loop early drops the chunks not yet started.
   *
   * @param name The export to call.
   * @param items The items, sync or async.
   * @param options `chunksize` (default 1) and `signal`.
   * @returns An async iterable of the results, in order.
   * @throws (while iterating) the first failing item's error, after the results before it.
   *
   * @example
   * ```ts
   * import { Pool, taskModule } from "@interlock/interlock";
   * import assert from "node:assert/strict";
   *
   * const tasks = taskModule<{ square(x: number): number }>(
   *   "data:text/javascript,export const square = (x) => x * x;",
   * );
   * await using pool = new Pool(tasks, { size: 2 });
   * const seen: number[] = [];
   * for await (const square of pool.imap("square", [1, 2, 3])) seen.push(square);
   * assert.deepEqual(seen, [1, 4, 9]);
   * ```
   */
  imap<K extends TaskName<M>>(
    name: K,
    items: Iterable<TaskItem<M, K>> | AsyncIterable<TaskItem<M, K>>,
    options?: MapOptions,
  ): AsyncIterableIterator<TaskResult<M, K>> {
    return this.#imap("imap", name, items, options, true) as AsyncIterableIterator<
      TaskResult<M, K>
    >;
  }

  /**
   * Like {@linkcode Pool.imap}, but yields each result as soon as its chunk finishes (Python's
   * `imap_unordered`).
   *
   * @param name The export to call.
   * @param items The items, sync or async.
   * @param options `chunksize` (default 1) and `signal`.
   * @returns An async iterable of the results, in completion order.
   * @throws (while iterating) the first failing item's error.
   *
   * @example
   * ```ts
   * import { Pool, taskModule } from "@interlock/interlock";
   * import assert from "node:assert/strict";
   *
   * const tasks = taskModule<{ square(x: number): number }>(
   *   "data:text/javascript,export const square = (x) => x * x;",
   * );
   * await using pool = new Pool(tasks, { size: 2 });
   * const seen: number[] = [];
   * for await (const square of pool.imapUnordered("square", [1, 2, 3])) seen.push(square);
   * assert.deepEqual(seen.sort((a, b) => a - b), [1, 4, 9]);
   * ```
   */
  imapUnordered<K extends TaskName<M>>(
    name: K,
    items: Iterable<TaskItem<M, K>> | AsyncIterable<TaskItem<M, K>>,
    options?: MapOptions,
  ): AsyncIterableIterator<TaskResult<M, K>> {
    return this.#imap("imapUnordered", name, items, options, false) as AsyncIterableIterator<
      TaskResult<M, K>
    >;
  }

  /**
   * Ids of the pool's current workers (their `currentProcess().id`).
   *
   * @returns One id per running worker.
   */
  workerIds(): number[] {
    return this.#live.map((m) => m.id);
  }

  /**
   * Stops accepting tasks (Python's `close`); workers exit once every submitted task is done.
   *
   * @example
   * ```ts
   * import { Pool, RuntimeError, taskModule } from "@interlock/interlock";
   * import assert from "node:assert/strict";
   *
   * const tasks = taskModule<{ id(x: number): number }>("data:text/javascript,export const id = (x) => x;");
   * const pool = new Pool(tasks, { size: 1 });
   * const pending = pool.apply("id", [1]);
   * pool.close();
   * await assert.rejects(pool.apply("id", [2]), RuntimeError);
   * assert.equal(await pending, 1);
   * await pool.join();
   * ```
   */
  close(): void {
    if (this.#state !== "running") return;
    this.#state = "closed";
    for (const m of this.#members) m.worker.ref();
    this.#wakeRoomWaiters();
    this.#maybeFinish();
  }

  /**
   * Waits until every worker has exited (Python's `join`), after {@linkcode Pool.close} or
   * {@linkcode Pool.terminate}.
   *
   * @throws {RuntimeError} if the pool is still running.
   */
  async join(): Promise<void> {
    if (this.#state === "running") {
      throw new RuntimeError("Cannot join a running pool: call close() or terminate() first");
    }
    if (this.#members.size === 0) return;
    await new Promise<void>((resolve) => this.#joiners.push(resolve));
  }

  /**
   * Stops every worker now (Python's `terminate`): unfinished tasks reject at once with a
   * `DOMException` named `AbortError`.
   *
   * - Deno 2.9 cannot interrupt a worker that runs synchronous code (a busy loop, `Atomics.wait`, a
   *   blocking `...Sync` call): such a worker ends only when that code returns. `terminate()` waits
   *   at most 2 s for every worker's thread to end, and never hangs.
   * - Workers killed earlier because an aborted task ignored its abort count too, while their 2 s
   *   run.
   *
   * @returns `"terminated"` (every thread ended), `"not-running"` if it already was stopped, or
   *   `"unresponsive"` if some thread had not ended 2 s later (it is abandoned: it no longer keeps
   *   the program alive, and runs on until its current synchronous code returns).
   *
   * @example
   * ```ts
   * import { Pool, taskModule } from "@interlock/interlock";
   * import assert from "node:assert/strict";
   *
   * const tasks = taskModule<{ id(x: number): number }>("data:text/javascript,export const id = (x) => x;");
   * const pool = new Pool(tasks, { size: 1 });
   * assert.equal(await pool.terminate(), "terminated");
   * assert.equal(await pool.terminate(), "not-running");
   * ```
   */
  async terminate(): Promise<TerminateStatus> {
    if (this.#state === "terminated" || (this.#state !== "running" && this.#members.size === 0)) {
      this.#state = "terminated";
      return "not-running";
    }
    this.#stop(
      "terminated",
      new DOMException("The pool was terminated before the task finished", "AbortError"),
    );
    // Every kill in progress counts, including those of workers replaced after an abort.
    const stopped = await Promise.all(this.#dying);
    return stopped.every(Boolean) ? "terminated" : "unresponsive";
  }

  /** `close()` then `join()`: lets submitted work finish, so `await using pool = ...` is safe. */
  async [Symbol.asyncDispose](): Promise<void> {
    if (this.#state === "running") this.close();
    await this.join();
  }

  // --- submission --------------------------------------------------------------------------------

  #submit(
    what: string,
    name: string,
    kind: Kind,
    args: unknown[] | Int32Array | Float64Array,
    options: TaskOptions | undefined,
    bounded: boolean,
  ): Task {
    if (typeof name !== "string") {
      throw new TypeError(
        `Cannot ${what}: the task name must be a string, received ${typeof name}`,
      );
    }
    if (!Array.isArray(args) && !(args instanceof Int32Array) && !(args instanceof Float64Array)) {
      throw new TypeError(`Cannot ${what}: 'args' must be an array, received ${typeof args}`);
    }
    const signal = options?.signal;
    if (signal !== undefined && !(signal instanceof AbortSignal)) {
      throw new TypeError(`Cannot ${what}: 'signal' must be an AbortSignal`);
    }
    const transfer = options?.transfer;
    if (transfer !== undefined && !Array.isArray(transfer)) {
      throw new TypeError(`Cannot ${what}: 'transfer' must be an array`);
    }
    this.#checkRunning(what);
    if (bounded && this.#queue.length >= this.#maxQueue) {
      throw new RangeError(
        `Cannot ${what}: ${this.#maxQueue} tasks already wait, the pool's maxQueue`,
      );
    }
    let transferred: Transferable[] | undefined;
    if (transfer !== undefined && transfer.length > 0) {
      // Detach the buffers now, as postMessage would: the caller may reuse nothing it transferred.
      ({ args, transfer: transferred } = structuredClone({ args, transfer }, { transfer }));
    }
    let resolve!: (value: unknown) => void;
    let reject!: (error: unknown) => void;
    const promise = new Promise<unknown>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    const task: Task = {
      id: this.#nextId++,
      name,
      kind,
      args,
      transfer: transferred,
      promise,
      resolve,
      reject,
      settled: false,
      signal,
      onAbort: undefined,
      member: undefined,
      slot: -1,
      gen: 0,
      grace: undefined,
      queued: false,
    };
    if (signal?.aborted) {
      task.settled = true;
      reject(signal.reason);
      return task;
    }
    if (signal) {
      task.onAbort = () => this.#abort(task, signal.reason);
      signal.addEventListener("abort", task.onAbort, { once: true });
    }
    if (this.#outstanding++ === 0) { for (const m of this.#members) m.worker.ref(); }
    this.#queue.push(task);
    this.#schedulePump();
    return task;
  }

  /** Throws unless the pool takes work: the error that broke it, or a `RuntimeError`. */
  #checkRunning(what: string): void {
    if (this.#state === "broken") throw this.#broken!;
    if (this.#state !== "running") {
      throw new RuntimeError(`Cannot ${what}: the pool is ${this.#state}`);
    }
  }

  #control(task: Task): { running(): boolean; cancel(): boolean } {
    return {
      running: () => {
        const m = task.member;
        if (task.settled || !m) return false;
        return S.stateOf(REAL, m.words, task.slot, task.gen) === S.RUNNING;
      },
      cancel: () => this.#cancel(task),
    };
  }

  /** Drops `task` if no worker started it (it rejects with an `AbortError`); returns whether it did. */
  #cancel(task: Task): boolean {
    if (task.settled) return false;
    return this.#cancelWith(task, new DOMException("The task was cancelled", "AbortError"));
  }

  #abort(task: Task, reason: unknown): void {
    if (task.settled) return;
    if (this.#cancelWith(task, reason)) return;
    const m = task.member;
    this.#settle(task, false, reason);
    if (!m || m.state === "leaving" || m.state === "exited") return;
    // Running (or finished with its result on the way): ask it to stop, replace it if it does not.
    const message: ToWorker = { type: "abort", id: task.id, reason: serializeThrown(reason) };
    m.inbox.postMessage(message);
    task.grace = setTimeout(() => {
      task.grace = undefined;
      if (m.assigned.get(task.id) === task) void this.#kill(m);
    }, this.#abortGrace);
  }

  /** Drops `task`, rejecting it with `reason`, if no worker started it; returns whether it did. */
  #cancelWith(task: Task, reason: unknown): boolean {
    if (this.#queue.remove(task)) {
      this.#settle(task, false, reason);
      this.#wakeRoomWaiters();
      return true;
    }
    const m = task.member;
    if (m && S.revoke(REAL, m.words, task.slot, task.gen)) {
      this.#unassign(m, task);
      this.#settle(task, false, reason);
      this.#schedulePump();
      return true;
    }
    return false;
  }

  #settle(task: Task, ok: boolean, value: unknown): void {
    if (task.settled) return;
    task.settled = true;
    if (task.onAbort) task.signal!.removeEventListener("abort", task.onAbort);
    task.onAbort = undefined;
    if (--this.#outstanding === 0 && this.#state === "running") {
      for (const m of this.#members) m.worker.unref();
    }
    if (ok) task.resolve(value);
    else task.reject(value);
  }

  #unassign(m: Member, task: Task): void {
    m.assigned.delete(task.id);
    m.free.push(task.slot);
    m.sent--;
    task.member = undefined;
  }

  // --- dispatch ----------------------------------------------------------------------------------

  #schedulePump(): void {
    if (this.#pumpScheduled) return;
    this.#pumpScheduled = true;
    queueMicrotask(() => {
      this.#pumpScheduled = false;
      this.#pump();
    });
  }

  #capacity(m: Member): number {
    if (m.state !== "ready" && m.state !== "starting") return 0;
    return Math.min(m.free.length, this.#maxTasksPerChild - m.sent);
  }

  #pump(): void {
    if (this.#state === "terminated" || this.#state === "broken") return;
    while (this.#queue.length > 0) {
      let best: Member | undefined;
      let room = 0;
      for (const m of this.#live) {
        const c = this.#capacity(m);
        if (c > room) {
          room = c;
          best = m;
        }
      }
      if (!best) break;
      const share = Math.ceil(this.#queue.length / this.#live.length);
      const n = Math.min(room, share, MAX_BATCH);
      const batch: Task[] = [];
      for (let i = 0; i < n; i++) {
        const task = this.#queue.shift();
        if (!task) break;
        batch.push(task);
      }
      this.#send(best, batch);
    }
    this.#wakeRoomWaiters();
    if (this.#queue.length === 0) this.#steal();
    this.#maybeFinish();
  }

  /** Gives idle workers half of the unstarted tasks of the busiest one. */
  #steal(): void {
    for (const thief of this.#live) {
      if (thief.assigned.size > 0 || this.#capacity(thief) === 0) continue;
      let victim: Member | undefined;
      for (const m of this.#live) {
        if (m !== thief && m.assigned.size >= 2 && m.assigned.size > (victim?.assigned.size ?? 1)) {
          victim = m;
        }
      }
      if (!victim) return;
      const tasks = [...victim.assigned.values()];
      const want = Math.min(tasks.length >> 1, this.#capacity(thief));
      const stolen: Task[] = [];
      for (let i = tasks.length - 1; i >= 1 && stolen.length < want; i--) {
        const task = tasks[i]!;
        // Tasks whose buffers were transferred cannot be sent again: they stay.
        if (task.transfer !== undefined) break;
        // Tasks start in the order sent: once one is claimed, every earlier one is too.
        if (!S.revoke(REAL, victim.words, task.slot, task.gen)) break;
        this.#unassign(victim, task);
        stolen.push(task);
      }
      if (stolen.length > 0) this.#send(thief, stolen.reverse());
    }
  }

  #send(m: Member, tasks: Task[]): void {
    const n = tasks.length;
    const ids = new Array<number>(n);
    const slots = new Array<number>(n);
    const gens = new Array<number>(n);
    const names = new Array<string>(n);
    const kinds = new Array<Kind>(n);
    const args = new Array<unknown[] | Int32Array | Float64Array>(n);
    let transfer: Transferable[] | undefined;
    for (let i = 0; i < n; i++) {
      const task = tasks[i]!;
      const k = m.free.pop()!;
      const gen = (m.gens[k]! + 1) & S.GEN_MASK;
      m.gens[k] = gen;
      S.assign(REAL, m.words, k, gen);
      task.member = m;
      task.slot = k;
      task.gen = gen;
      m.assigned.set(task.id, task);
      m.sent++;
      ids[i] = task.id;
      slots[i] = k;
      gens[i] = gen;
      names[i] = task.name;
      kinds[i] = task.kind;
      args[i] = task.args;
      if (task.transfer?.length) (transfer ??= []).push(...task.transfer);
    }
    const message: RunMessage = { type: "run", ids, slots, gens, names, kinds, args };
    try {
      m.inbox.postMessage(message, transfer ?? []);
    } catch {
      // Something in the batch cannot be cloned: send the tasks one by one and fail only those.
      for (let i = 0; i < n; i++) {
        const task = tasks[i]!;
        const one: RunMessage = {
          type: "run",
          ids: [ids[i]!],
          slots: [slots[i]!],
          gens: [gens[i]!],
          names: [names[i]!],
          kinds: [kinds[i]!],
          args: [args[i]!],
        };
        try {
          m.inbox.postMessage(one, task.transfer ?? []);
        } catch (error) {
          S.revoke(REAL, m.words, task.slot, task.gen);
          this.#unassign(m, task);
          this.#settle(task, false, error);
        }
      }
    }
  }

  // --- workers -----------------------------------------------------------------------------------

  #spawn(): void {
    const name = `PoolWorker-${++workerCount}`;
    const { worker, inbox, ended } = spawnWorker(
      { role: "pool", name, parentId: threadId, daemon: true },
      this.#resourceLimits,
    );
    const words = allocate(TAG.PoolSlots, S.BYTES);
    const m: Member = {
      worker,
      inbox,
      id: worker.threadId,
      words,
      gens: new Int32Array(S.SLOTS),
      free: Array.from({ length: S.SLOTS }, (_, k) => S.SLOTS - 1 - k),
      assigned: new Map(),
      sent: 0,
      state: "starting",
      fatal: undefined,
      outOfMemory: false,
      ended,
      stopped: undefined,
    };
    this.#live.push(m);
    this.#members.add(m);
    worker.on("message", (message: FromWorker) => this.#onMessage(m, message));
    worker.on("exit", (code: number) => this.#onExit(m, code));
    worker.on("error", (error: unknown) => {
      // worker_main reports the errors of the code it runs itself: an `error` event comes from Deno,
      // such as the one of a worker stopped at its heap cap (see limits.ts).
      if (isOutOfMemory(error)) {
        m.outOfMemory = true;
        m.fatal = error;
      } else m.fatal ??= error;
    });
    if (this.#outstanding === 0 && this.#state === "running") worker.unref();
    const init: ToWorker = {
      type: "init",
      module: this.#module,
      initializer: this.#initializer,
      initArgs: this.#initArgs,
      slots: words.buffer as SharedArrayBuffer,
    };
    m.inbox.postMessage(init);
  }

  #onMessage(m: Member, message: FromWorker): void {
    switch (message.type) {
      case "results":
        this.#onResults(m, message.ids, message.values, message.failed);
        break;
      case "ready":
        if (m.state === "starting") m.state = "ready";
        break;
      case "init-failed":
        this.#breakPool(
          new WorkerCrashedError(
            `Cannot start pool worker ${m.id}: the task module failed to load or its initializer threw`,
            { cause: rebuild(message.error), workerId: m.id, exitCode: null },
          ),
        );
        break;
      case "fatal":
        m.fatal = rebuild(message.error);
        if (message.outOfMemory) m.outOfMemory = true;
        break;
    }
  }

  #onResults(m: Member, ids: number[], values: unknown[], failed: number[]): void {
    let f = 0;
    for (let i = 0; i < ids.length; i++) {
      const task = m.assigned.get(ids[i]!);
      const failure = f < failed.length && failed[f] === i;
      if (failure) f++;
      if (!task) continue;
      m.assigned.delete(task.id);
      m.free.push(task.slot);
      task.member = undefined;
      if (task.grace !== undefined) {
        clearTimeout(task.grace);
        task.grace = undefined;
      }
      if (task.settled) continue;
      if (failure) this.#settle(task, false, rebuild((values[i] as Failure).error));
      else this.#settle(task, true, reviveResult(values[i]));
    }
    if (m.sent >= this.#maxTasksPerChild && m.assigned.size === 0 && m.state !== "leaving") {
      this.#retire(m);
    }
    this.#pump();
  }

  /** Lets `m` exit after its last task and starts its replacement. */
  #retire(m: Member): void {
    this.#leave(m);
    const stop: ToWorker = { type: "stop" };
    m.inbox.postMessage(stop);
    this.#fill();
  }

  #leave(m: Member): void {
    if (m.state === "leaving" || m.state === "exited") return;
    m.state = "leaving";
    const i = this.#live.indexOf(m);
    if (i >= 0) this.#live.splice(i, 1);
  }

  /** Starts workers until `size` take tasks, while there is or may be work. */
  #fill(): void {
    const needed = this.#state === "running" ||
      (this.#state === "closed" && (this.#queue.length > 0 || this.#anyAssigned()));
    if (!needed) return;
    while (this.#live.length < this.size) this.#spawn();
  }

  #anyAssigned(): boolean {
    for (const m of this.#members) if (m.assigned.size > 0) return true;
    return false;
  }

  /**
   * Terminates `m` (once) and retires it at once (its `exit` event follows within milliseconds and
   * runs `#onExit`); the returned promise tells whether its thread really ended
   * within `TERMINATE_GRACE` ms. Until then the kill is in `#dying`.
   */
  #kill(m: Member): Promise<boolean> {
    if (m.stopped) return m.stopped;
    this.#leave(m);
    const stopped = stopWorker(m.worker, m.ended).then((ended) => {
      this.#dying.delete(stopped);
      if (!ended) this.#onExit(m, null);
      return ended;
    });
    m.stopped = stopped;
    this.#dying.add(stopped);
    return stopped;
  }

  #onExit(m: Member, code: number | null): void {
    if (m.state === "exited") return;
    const wasReady = m.state === "ready";
    const expected = m.state === "leaving";
    m.state = "exited";
    const i = this.#live.indexOf(m);
    if (i >= 0) this.#live.splice(i, 1);
    this.#members.delete(m);
    // A worker stopped at its heap cap: by Deno (its `error` event), or by itself (its `fatal`
    // report; see limits.ts); either way m.fatal is the ERR_WORKER_OUT_OF_MEMORY error.
    const ended = m.outOfMemory
      ? `Pool worker ${m.id} ran out of memory (${heapCap(this.#resourceLimits)})`
      : `Worker ${m.id} ended`;
    const crashed = (message: string) =>
      new WorkerCrashedError(message, { cause: m.fatal, workerId: m.id, exitCode: code });
    const again: Task[] = [];
    for (const task of m.assigned.values()) {
      if (task.grace !== undefined) {
        clearTimeout(task.grace);
        task.grace = undefined;
      }
      let state = S.stateOf(REAL, m.words, task.slot, task.gen);
      // A killed thread may run on until its current job returns (see _stop.ts), and start the
      // tasks of its batch meanwhile: take back what it has not started before sending it again.
      if (state === S.QUEUED && !S.revoke(REAL, m.words, task.slot, task.gen)) {
        state = S.stateOf(REAL, m.words, task.slot, task.gen);
      }
      task.member = undefined;
      if (task.settled) continue;
      if (state === S.RUNNING) {
        this.#settle(
          task,
          false,
          crashed(
            `${ended} while running task ${task.id} ('${task.name}')` +
              (code === null ? "" : `, exit code ${code}`),
          ),
        );
      } else if (task.transfer !== undefined) {
        this.#settle(
          task,
          false,
          crashed(
            `${ended} before task ${task.id} ('${task.name}') could finish, and the buffers ` +
              "transferred to it were lost with it",
          ),
        );
      } else {
        // QUEUED: never started; DONE: finished, its result lost with the worker. Run it again.
        again.push(task);
      }
    }
    m.assigned.clear();
    if (again.length > 0) this.#queue.unshiftAll(again);
    // m.inbox is not closed: closing it would fire the `close` event that tells the thread's end;
    // it closes itself when the thread ends.
    if (!expected && !wasReady && this.#state === "running") {
      this.#breakPool(
        crashed(
          m.outOfMemory
            ? `${ended} before it was ready`
            : `Pool worker ${m.id} exited before it was ready`,
        ),
      );
    } else if (this.#state === "running" || this.#state === "closed") {
      this.#fill();
      this.#pump();
    }
    this.#maybeFinish();
  }

  #breakPool(error: WorkerCrashedError): void {
    if (this.#state === "broken" || this.#state === "terminated") return;
    this.#broken = error;
    this.#stop("broken", error);
  }

  /** The one way to stop at once (terminate, or a broken pool): every unfinished task rejects. */
  #stop(state: "terminated" | "broken", reason: unknown): void {
    this.#state = state;
    for (const task of this.#queue.drain()) this.#settle(task, false, reason);
    this.#wakeRoomWaiters();
    for (const m of [...this.#members]) {
      for (const task of m.assigned.values()) this.#settle(task, false, reason);
      void this.#kill(m);
    }
  }

  /** After close(): once no work is left, asks every worker to exit; resolves join() when all did. */
  #maybeFinish(): void {
    if (this.#state === "closed" && this.#queue.length === 0 && !this.#anyAssigned()) {
      for (const m of [...this.#members]) {
        if (m.state === "starting" || m.state === "ready") {
          this.#leave(m);
          const stop: ToWorker = { type: "stop" };
          m.inbox.postMessage(stop);
        }
      }
    }
    if (this.#state !== "running" && this.#members.size === 0) {
      const joiners = this.#joiners;
      this.#joiners = [];
      for (const resolve of joiners) resolve();
    }
  }

  // --- map family ----------------------------------------------------------------------------------

  /** Waits until fewer than `maxQueue` tasks wait (or the pool stops running). */
  #room(): Promise<void> | undefined {
    if (this.#queue.length < this.#maxQueue || this.#state !== "running") return undefined;
    return new Promise((resolve) => this.#roomWaiters.push(resolve));
  }

  #wakeRoomWaiters(): void {
    if (this.#roomWaiters.length === 0) return;
    if (this.#queue.length >= this.#maxQueue && this.#state === "running") return;
    const waiters = this.#roomWaiters;
    this.#roomWaiters = [];
    for (const wake of waiters) wake();
  }

  async #mapAll(
    what: string,
    name: string,
    kind: Kind,
    items: Iterable<unknown>,
    options: MapOptions | undefined,
  ): Promise<unknown[]> {
    const list = Array.isArray(items) ? items : Array.from(checkIterable(what, items));
    let chunksize = options?.chunksize;
    if (chunksize === undefined) {
      chunksize = Math.max(1, Math.ceil(list.length / (this.size * 4)));
    }
    const parts: ArrayLike<unknown>[] = [];
    let total = 0;
    for await (
      const [index, values] of this.#chunks(what, name, kind, list, chunksize, options, true)
    ) {
      parts[index] = values;
      total += values.length;
    }
    if (parts.length === 1 && Array.isArray(parts[0])) return parts[0];
    const out = new Array<unknown>(total);
    let at = 0;
    for (const part of parts) {
      for (let i = 0; i < part.length; i++) out[at++] = part[i];
    }
    return out;
  }

  #mapAsync(
    what: string,
    name: string,
    kind: Kind,
    items: Iterable<unknown>,
    options: MapAsyncOptions<unknown> | undefined,
  ): AsyncResult<unknown[]> {
    this.#checkRunning(what);
    const controller = new AbortController();
    const user = options?.signal;
    const signal = user ? AbortSignal.any([user, controller.signal]) : controller.signal;
    const promise = this.#mapAll(what, name, kind, items, { ...options, signal });
    let done = false;
    promise.then(() => done = true, () => done = true);
    const id = this.#nextId++;
    const result = new AsyncResult(id, promise, {
      // A map counts as running from submission until its last chunk settles.
      running: () => !done,
      cancel: () => {
        if (done) return false;
        controller.abort(new DOMException("The task was cancelled", "AbortError"));
        return true;
      },
    });
    callbacks(result, options?.callback, options?.errorCallback);
    return result;
  }

  async *#imap(
    what: string,
    name: string,
    items: Iterable<unknown> | AsyncIterable<unknown>,
    options: MapOptions | undefined,
    ordered: boolean,
  ): AsyncGenerator<unknown> {
    for await (
      const [, values] of this.#chunks(
        what,
        name,
        MAP,
        items,
        options?.chunksize ?? 1,
        options,
        ordered,
      )
    ) {
      for (let i = 0; i < values.length; i++) yield values[i];
    }
  }

  /**
   * The engine of the map family: reads `items` in chunks as room frees up (at most a window of
   * chunks in flight), submits each chunk as one task, and yields `[chunk index, results]`, in
   * order or as they finish. On early exit or error, drops the chunks not started.
   */
  async *#chunks(
    what: string,
    name: string,
    kind: Kind,
    items: Iterable<unknown> | AsyncIterable<unknown>,
    chunksize: number,
    options: MapOptions | undefined,
    ordered: boolean,
  ): AsyncGenerator<[number, ArrayLike<unknown>]> {
    if (typeof chunksize !== "number" || !Number.isInteger(chunksize) || chunksize < 1) {
      throw new RangeError(
        `Cannot ${what}: 'chunksize' must be a positive integer, received ${chunksize}`,
      );
    }
    const signal = options?.signal;
    if (signal !== undefined && !(signal instanceof AbortSignal)) {
      throw new TypeError(`Cannot ${what}: 'signal' must be an AbortSignal`);
    }
    signal?.throwIfAborted();
    this.#checkRunning(what);
    const source = chunkSource(what, items, chunksize);
    const window = Math.max(16, this.size * 32);
    const pending = new Map<number, Task>();
    let next = 0;
    let wanted = 0;
    let exhausted = false;
    const taskOptions: TaskOptions = signal ? { signal } : {};
    try {
      for (;;) {
        while (!exhausted && pending.size < window) {
          const room = this.#room();
          if (room) await room;
          let chunk = source.next();
          if (chunk instanceof Promise) chunk = await chunk;
          if (chunk === undefined) {
            exhausted = true;
            break;
          }
          const task = this.#submit(
            what,
            name,
            kind,
            kind === MAP ? packNumbers(chunk) : chunk,
            taskOptions,
            false,
          );
          task.promise.catch(() => {}); // observed below; never an unhandled rejection
          pending.set(next++, task);
        }
        if (pending.size === 0) return;
        if (ordered) {
          const task = pending.get(wanted)!;
          const values = await task.promise as ArrayLike<unknown>;
          pending.delete(wanted);
          yield [wanted++, values];
        } else {
          const [index, values] = await Promise.race(
            [...pending].map(([index, task]) =>
              task.promise.then((values) => [index, values] as [number, ArrayLike<unknown>])
            ),
          );
          pending.delete(index);
          yield [index, values];
        }
      }
    } finally {
      for (const task of pending.values()) this.#cancel(task);
      await source.return?.();
    }
  }
}

/** Pulls `chunksize` items at a time from a sync or async iterable; `undefined` at the end. */
function chunkSource(
  what: string,
  items: Iterable<unknown> | AsyncIterable<unknown>,
  chunksize: number,
): { next(): unknown[] | undefined | Promise<unknown[] | undefined>; return?(): unknown } {
  if (Array.isArray(items)) {
    let at = 0;
    return {
      next: () => {
        if (at >= items.length) return undefined;
        const chunk = items.slice(at, at + chunksize);
        at += chunksize;
        return chunk;
      },
    };
  }
  if (items !== null && typeof items === "object" && Symbol.asyncIterator in items) {
    const it = (items as AsyncIterable<unknown>)[Symbol.asyncIterator]();
    let done = false;
    return {
      next: async () => {
        if (done) return undefined;
        const chunk: unknown[] = [];
        while (chunk.length < chunksize) {
          const r = await it.next();
          if (r.done) {
            done = true;
            break;
          }
          chunk.push(r.value);
        }
        return chunk.length > 0 ? chunk : undefined;
      },
      return: () => done ? undefined : it.return?.(),
    };
  }
  const it = checkIterable(what, items as Iterable<unknown>)[Symbol.iterator]();
  let done = false;
  return {
    next: () => {
      if (done) return undefined;
      const chunk: unknown[] = [];
      while (chunk.length < chunksize) {
        const r = it.next();
        if (r.done) {
          done = true;
          break;
        }
        chunk.push(r.value);
      }
      return chunk.length > 0 ? chunk : undefined;
    },
    return: () => done ? undefined : it.return?.(),
  };
}

function checkIterable(what: string, items: Iterable<unknown>): Iterable<unknown> {
  if (
    items === null || typeof items !== "object" && typeof items !== "string" ||
    typeof (items as Iterable<unknown>)[Symbol.iterator] !== "function"
  ) {
    throw new TypeError(
      `Cannot ${what}: 'items' must be iterable, received ${
        items === null ? "null" : typeof items
      }`,
    );
  }
  return items;
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

/**
 * A chunk of `map` items packed in a typed array over shared memory if every item is a number: an
 * `Int32Array` when all are 32-bit integers (so the task receives small integers, which V8 handles
 * faster than doubles), else a `Float64Array`; else the chunk itself. Over shared memory because a
 * `SharedArrayBuffer` crosses to a worker by reference. Never transferred: a chunk may have to be
 * sent again (to another worker, or after a crash).
 */
function packNumbers(chunk: unknown[]): unknown[] | Int32Array | Float64Array {
  const n = chunk.length;
  let ints = true;
  for (let i = 0; i < n; i++) {
    const v = chunk[i];
    if (typeof v !== "number") return chunk;
    if (ints && ((v | 0) !== v || Object.is(v, -0))) ints = false;
  }
  const packed = ints
    ? new Int32Array(new SharedArrayBuffer(n * 4))
    : new Float64Array(new SharedArrayBuffer(n * 8));
  for (let i = 0; i < n; i++) packed[i] = chunk[i] as number;
  return packed;
}

/** Revives Interlock objects in a result, without copying results that hold none. */
function reviveResult(value: unknown): unknown {
  if (typeof value !== "object" || value === null || ArrayBuffer.isView(value)) return value;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const v = value[i];
      if (typeof v === "object" && v !== null) return revive(value);
    }
    return value;
  }
  return revive(value);
}

function callbacks<R>(
  result: AsyncResult<R>,
  callback: ((value: R) => void) | undefined,
  errorCallback: ((error: unknown) => void) | undefined,
): void {
  if (callback !== undefined && typeof callback !== "function") {
    throw new TypeError("Cannot submit task: 'callback' must be a function");
  }
  if (errorCallback !== undefined && typeof errorCallback !== "function") {
    throw new TypeError("Cannot submit task: 'errorCallback' must be a function");
  }
  if (callback || errorCallback) {
    result.then(
      (value) => callback?.(value),
      (error) => errorCallback?.(error),
    );
  }
}
