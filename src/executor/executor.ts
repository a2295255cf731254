/**
 * `Executor`: Python's `concurrent.futures.ProcessPoolExecutor` on top of {@linkcode Pool}:
 * submitting work (a {@linkcode Future} per task) is separate from waiting for it (`await`,
 * `asCompleted`, `wait`).
 *
 * @module
 */
import { RuntimeError } from "../errors.ts";
import { deadlineOf } from "../options.ts";
import type { AsyncResult } from "../pool/async_result.ts";
import { Pool } from "../pool/pool.ts";
import type { PoolOptions } from "../pool/pool_options.ts";
import type {
  AnyModule,
  TaskArgs,
  TaskItem,
  TaskModule,
  TaskName,
  TaskResult,
} from "../pool/types.ts";
import { adopt, bounded, type Future } from "./future.ts";

/** Options of `new Executor(...)`. */
export interface ExecutorOptions<M = AnyModule> {
  /**
   * Number of worker threads (Python's `max_workers`).
   * @default {cpuCount()}
   */
  maxWorkers?: number;
  /**
   * An export of the task module each worker calls once, with `initArgs`, before its first task.
   * @default {undefined}
   */
  initializer?: TaskName<M>;
  /**
   * Arguments of the initializer.
   * @default {[]}
   */
  initArgs?: unknown[];
  /**
   * Tasks a worker runs before it is replaced (Python's `max_tasks_per_child`).
   * @default {Infinity}
   */
  maxTasksPerChild?: number;
}

/** Options of {@linkcode Executor.map}. */
export interface ExecutorMapOptions {
  /**
   * Milliseconds from the call to `map` after which asking for a result that is not ready throws a
   * `DOMException` named `TimeoutError` (and cancels the tasks not yet started).
   * @default {Infinity}
   */
  timeout?: number;
  /**
   * Items per task sent to a worker (Python's `chunksize`); results still come one per item.
   * @default {1}
   */
  chunksize?: number;
}

/** Options of {@linkcode Executor.shutdown}. */
export interface ShutdownOptions {
  /**
   * Whether the returned Promise waits until every submitted task has finished and every worker
   * has exited.
   * @default {true}
   */
  wait?: boolean;
  /**
   * Whether to cancel every future whose task has not started (they reject with
   * `CancelledError`). Running tasks finish either way.
   * @default {false}
   */
  cancelFutures?: boolean;
}

/**
 * Runs the exports of a task module in a pool of worker threads and hands back a
 * {@linkcode Future} per task, as Python's `concurrent.futures.ProcessPoolExecutor`.
 *
 * - `submit(name, ...args)` returns at once with a `Future` (a Promise with the task's `id` and
 *   `state`, `cancel()`, `result()`, `exception()`, `addDoneCallback()`).
 * - `map(name, items, { timeout, chunksize })` submits every item at once and yields the results
 *   in order, as an async iterable.
 * - Wait on futures with `await`, `Promise.all`, {@linkcode asCompleted} or {@linkcode wait}.
 * - `shutdown({ wait, cancelFutures })` (or leaving an `await using` block) stops taking work;
 *   `submit` and `map` then throw {@linkcode RuntimeError}.
 * - Typed by the task module, as `Pool`: `new Executor(taskModule<typeof import("./t.ts")>(url))`.
 * - A task's error rejects only its future (rebuilt with its class, message, stack and cause); a
 *   worker that dies rejects its running task's future with `WorkerCrashedError` and is replaced
 *   (Python instead breaks the whole executor).
 *
 * @typeParam M The task module's type (`typeof import("./tasks.ts")`).
 *
 * @example
 * ```ts
 * import { Executor, taskModule } from "@interlock/interlock";
 * import assert from "node:assert/strict";
 *
 * const tasks = taskModule<{ square(x: number): number }>(
 *   "data:text/javascript,export const square = (x) => x * x;",
 * );
 * await using executor = new Executor(tasks, { maxWorkers: 2 });
 * const future = executor.submit("square", 7);
 * assert.equal(typeof future.id, "number");
 * assert.equal(await future, 49);
 * const squares: number[] = [];
 * for await (const square of executor.map("square", [1, 2, 3])) squares.push(square);
 * assert.deepEqual(squares, [1, 4, 9]);
 * ```
 */
export class Executor<M extends object = AnyModule> implements AsyncDisposable {
  /** Number of worker threads. */
  readonly maxWorkers: number;
  readonly #pool: Pool<M>;
  readonly #pending = new Set<{ cancel(): boolean }>();
  #shutdown = false;

  /**
   * Starts the worker threads.
   *
   * @param module The task module: a `TaskModule` from `taskModule()`, a `URL`, or an absolute URL
   *   string.
   * @param options `maxWorkers`, `initializer`, `initArgs`, `maxTasksPerChild` (all optional).
   * @throws {TypeError} if the module is not a URL or an option has the wrong type.
   * @throws {RangeError} if `maxWorkers` or `maxTasksPerChild` is out of range.
   *
   * @example
   * ```ts
   * import { Executor, taskModule } from "@interlock/interlock";
   * import assert from "node:assert/strict";
   *
   * const tasks = taskModule<{ id(x: number): number }>("data:text/javascript,export const id = (x) => x;");
   * await using executor = new Executor(tasks, { maxWorkers: 1 });
   * assert.equal(executor.maxWorkers, 1);
   * ```
   */
  constructor(module: TaskModule<M> | URL | string, options?: ExecutorOptions<M>) {
    if (options === undefined) options = {};
    if (typeof options !== "object" || options === null) {
      throw new TypeError(
        `Cannot create executor: options must be an object, received ${
          options === null ? "null" : typeof options
        }`,
      );
    }
    const pool: PoolOptions<M> = {};
    if (options.maxWorkers !== undefined) pool.size = options.maxWorkers;
    if (options.initializer !== undefined) pool.initializer = options.initializer;
    if (options.initArgs !== undefined) pool.initArgs = options.initArgs;
    if (options.maxTasksPerChild !== undefined) pool.maxTasksPerChild = options.maxTasksPerChild;
    this.#pool = new Pool<M>(module, pool);
    this.maxWorkers = this.#pool.size;
  }

  #checkOpen(what: string): void {
    if (this.#shutdown) {
      throw new RuntimeError(`Cannot ${what}: the executor has been shut down`);
    }
  }

  readonly #untrack = (future: { cancel(): boolean }) => {
    this.#pending.delete(future);
  };

  /** The future of a pool task, tracked until it settles (for `shutdown({ cancelFutures })`). */
  #adopt<R>(result: AsyncResult<R>): Future<R> {
    const future = adopt(result.id, result, {
      running: () => result.state === "running",
      cancel: () => result.cancel(),
      settled: this.#untrack,
    });
    if (!future.done()) this.#pending.add(future);
    return future;
  }

  /**
   * Schedules `name(...args)` on a worker and returns its {@linkcode Future} at once (Python's
   * `submit`).
   *
   * @param name The export to call.
   * @param args Its arguments (structured clones; Interlock objects and manager proxies arrive
   *   working).
   * @returns The task's future.
   * @throws {RuntimeError} after `shutdown()`.
   * @throws {WorkerCrashedError} if the executor is broken: its `initializer` failed (Python's
   *   `BrokenProcessPool`).
   *
   * @example
   * ```ts
   * import { Executor, RuntimeError, taskModule } from "@interlock/interlock";
   * import assert from "node:assert/strict";
   *
   * const tasks = taskModule<{ add(a: number, b: number): number }>(
   *   "data:text/javascript,export const add = (a, b) => a + b;",
   * );
   * const executor = new Executor(tasks, { maxWorkers: 1 });
   * const sum = executor.submit("add", 2, 3);
   * assert.equal(await sum.result({ timeout: 10_000 }), 5);
   * assert.equal(sum.state, "fulfilled");
   * await executor.shutdown();
   * assert.throws(() => executor.submit("add", 1, 1), RuntimeError);
   * ```
   */
  submit<K extends TaskName<M>>(name: K, ...args: TaskArgs<M, K>): Future<TaskResult<M, K>> {
    this.#checkOpen("submit a task");
    return this.#adopt(this.#pool.applyAsync(name, args));
  }

  /**
   * Calls `name(item)` for every item (Python's `Executor.map`): submits them all now, in chunks
   * of `chunksize`, and yields the results in the order of `items`.
   *
   * - A failing item's error is thrown when its turn comes; the results before it are yielded.
   * - With `timeout`, a result not ready `timeout` ms after the call throws a `TimeoutError`.
   * - Leaving the loop early, an error or a timeout cancels the tasks not yet started.
   *
   * @param name The export to call; it takes one item.
   * @param items The items (read at once, as Python does).
   * @param options `timeout` (ms, from the call) and `chunksize`.
   * @returns An async iterable of the results, in order.
   * @throws {RuntimeError} after `shutdown()`.
   * @throws {WorkerCrashedError} if the executor is broken (its `initializer` failed).
   *
   * @example
   * ```ts
   * import { Executor, taskModule } from "@interlock/interlock";
   * import assert from "node:assert/strict";
   *
   * const tasks = taskModule<{ cube(x: number): number }>(
   *   "data:text/javascript,export const cube = (x) => x ** 3;",
   * );
   * await using executor = new Executor(tasks, { maxWorkers: 2 });
   * const cubes = [];
   * for await (const c of executor.map("cube", [1, 2, 3, 4], { chunksize: 2, timeout: 30_000 })) {
   *   cubes.push(c);
   * }
   * assert.deepEqual(cubes, [1, 8, 27, 64]);
   * ```
   */
  map<K extends TaskName<M>>(
    name: K,
    items: Iterable<TaskItem<M, K>>,
    options?: ExecutorMapOptions,
  ): AsyncIterableIterator<TaskResult<M, K>> {
    const what = "map over the executor";
    const deadline = deadlineOf(what, options);
    const chunksize = options?.chunksize ?? 1;
    if (typeof chunksize !== "number" || !Number.isInteger(chunksize) || chunksize < 1) {
      throw new RangeError(
        `Cannot ${what}: 'chunksize' must be a positive integer, received ${String(chunksize)}`,
      );
    }
    if (items === null || typeof (items as Iterable<unknown>)?.[Symbol.iterator] !== "function") {
      throw new TypeError(`Cannot ${what}: 'items' must be iterable`);
    }
    this.#checkOpen(what);
    const all = [...items];
    const futures: Future<TaskResult<M, K>[]>[] = [];
    for (let start = 0; start < all.length; start += chunksize) {
      const chunk = all.slice(start, start + chunksize);
      futures.push(this.#adopt(this.#pool.mapAsync(name, chunk, { chunksize: chunk.length })));
    }
    return results(futures, deadline, options?.timeout);
  }

  /**
   * Stops taking work (Python's `shutdown`): `submit` and `map` throw {@linkcode RuntimeError}
   * from now on. Calling it again is harmless.
   *
   * @param options `wait` (default `true`): resolve only once every submitted task has finished and
   *   every worker has exited; `cancelFutures` (default `false`): cancel the tasks not yet started.
   *
   * @example
   * ```ts
   * import { CancelledError, Executor, taskModule } from "@interlock/interlock";
   * import assert from "node:assert/strict";
   *
   * const tasks = taskModule<{ id(x: number): number }>("data:text/javascript,export const id = (x) => x;");
   * const executor = new Executor(tasks, { maxWorkers: 1 });
   * const futures = Array.from({ length: 50 }, (_, i) => executor.submit("id", i));
   * await executor.shutdown({ cancelFutures: true });
   * for (const f of futures) assert.ok(f.state === "fulfilled" || f.state === "cancelled");
   * const last = futures.at(-1)!;
   * if (last.cancelled()) await assert.rejects(last, CancelledError);
   * ```
   */
  async shutdown(options?: ShutdownOptions): Promise<void> {
    if (options !== undefined && (typeof options !== "object" || options === null)) {
      throw new TypeError(
        `Cannot shut down the executor: options must be an object, received ${
          options === null ? "null" : typeof options
        }`,
      );
    }
    const wait = options?.wait ?? true;
    const cancelFutures = options?.cancelFutures ?? false;
    if (typeof wait !== "boolean" || typeof cancelFutures !== "boolean") {
      throw new TypeError(
        "Cannot shut down the executor: 'wait' and 'cancelFutures' must be booleans",
      );
    }
    this.#shutdown = true;
    if (cancelFutures) { for (const future of [...this.#pending]) future.cancel(); }
    this.#pool.close();
    if (wait) await this.#pool.join();
  }

  /** `shutdown({ wait: true })`, so `await using executor = new Executor(...)` is safe. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.shutdown();
  }
}

/** Yields the results of chunked futures in order; cancels what is left when it stops. */
async function* results<R>(
  futures: Future<R[]>[],
  deadline: number,
  timeout: number | undefined,
): AsyncGenerator<R, void, undefined> {
  try {
    for (const future of futures) {
      const left = deadline === Infinity ? undefined : Math.max(0, deadline - performance.now());
      const chunk = left === undefined
        ? await future
        : await bounded(future, `get the next map result (${timeout} ms from the call)`, {
          timeout: left,
        });
      yield* chunk;
    }
  } finally {
    for (const future of futures) future.cancel();
  }
}
