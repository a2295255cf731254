/**
 * `Pool`: a pool of worker threads running the exports of a task module, as Python's
 * `multiprocessing.Pool` (parent side; the workers run `worker_main.ts`).
 *
 * This file holds the public class, its docs and the checks of its options. Its parts:
 * - `_dispatcher.ts`: the queue, dispatch, results, crash recovery, close/terminate, statistics;
 * - `_placement.ts`: where queued tasks go and how many at once (batches, work stealing);
 * - `_worker_end.ts`: what a worker's end means for its tasks (rejected or run again);
 * - `_crew.ts`: the worker threads: started in the background, kept alive or not, killed;
 * - `_member.ts`: the task and worker records, and the task-slot bookkeeping;
 * - `_map.ts`: the map family, over the dispatcher's `submitTo` / `cancel` / `room`;
 * - `_chunking.ts`: reading items in chunks, packing numbers, reviving results;
 * - `pool_options.ts`: the options' types and docs.
 *
 * @module
 */
import { AsyncResult, settledCallbacks } from "./async_result.ts";
import {
  type ApplyAsyncOptions,
  checkPoolOptions,
  type MapAsyncOptions,
  type MapOptions,
  type PoolOptions,
  type PoolStats,
  type TaskOptions,
} from "./pool_options.ts";
import { CALL, MAP, STARMAP } from "./protocol.ts";
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
import { Dispatcher } from "./_dispatcher.ts";
import { imap, mapAll, mapAsync } from "./_map.ts";

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
 * - **Errors outside tasks.** A worker that dies outside any task (an error thrown by a timer after
 *   its task returned, say) is replaced too, and reported to `onWorkerError` (by default a warning on
 *   stderr with the worker's id and the error's stack): never lost silently.
 * - **Out of memory.** Every worker's heap is capped (by default at this thread's own heap limit;
 *   `resourceLimits` sets the cap): a worker that reaches it is a crash like those (the error says
 *   it ran out of memory), not an abort of the whole program (see {@linkcode ResourceLimits}).
 * - **Abort and timeout.** A waiting task is dropped; a running one sees `taskSignal()` abort in the
 *   worker and has `abortGrace` ms to finish before its worker is replaced. `timeout` on any call
 *   aborts it after that many milliseconds.
 * - **Life cycle.** `new Pool` returns at once: the workers start in the background, one after
 *   another (each takes the creating thread ~100 ms), and tasks go to the first as soon as it is
 *   up; `await pool.ready()` waits for all of them. `size` is at most `sizeLimit` (256 by default).
 *   `close()` then `join()` (or `await using`) lets submitted work finish; `terminate()` stops at
 *   once, rejecting unfinished tasks with an `AbortError`. An idle pool does not keep the program
 *   alive (its workers are daemons, as in Python); a pool with work does.
 * - **Watching.** `stats()` tells what is queued, running and completed, and how busy the workers
 *   were; `onDrain` says when the pool's queue has emptied (piscina's `drain`).
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
  readonly #dispatcher: Dispatcher;

  /**
   * Creates the pool and returns at once: its `size` workers start in the background, one after
   * another, each loading the task module and running the initializer; tasks submitted meanwhile
   * wait for the first.
   *
   * @param module The task module: a {@linkcode TaskModule} from `taskModule()`, a `URL`, or an
   *   absolute URL string.
   * @param options Pool size, initializer, recycling, queue bound, abort grace, resource limits,
   *   `onWorkerError`, `onDrain` (default: none set).
   * @throws {TypeError} if the module is not a URL, an option has the wrong type, or
   *   `resourceLimits` has an unknown key.
   * @throws {RangeError} if `size` (above `sizeLimit`, 256 unless raised), `maxTasksPerChild`,
   *   `maxQueue`, `abortGrace` or a resource limit is out of range.
   */
  constructor(module: TaskModule<M> | URL | string, options?: PoolOptions<M>) {
    const what = "create pool";
    const url = moduleUrl(what, module);
    const config = checkPoolOptions(what, options ?? {});
    this.size = config.size;
    this.#dispatcher = new Dispatcher({ ...config, module: url });
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
      return this.#dispatcher.submit("apply", name, CALL, args as unknown[], options, true)
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
    const task = this.#dispatcher.submit(
      "applyAsync",
      name,
      CALL,
      args as unknown[],
      options,
      true,
    );
    const result = new AsyncResult(
      task.id,
      task.promise as Promise<TaskResult<M, K>>,
      this.#dispatcher.control(task),
    );
    settledCallbacks(result, options?.callback, options?.errorCallback);
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
    const results = mapAll(this.#dispatcher, "map", name, MAP, items, options);
    return results as Promise<TaskResult<M, K>[]>;
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
    const results = mapAll(this.#dispatcher, "starmap", name, STARMAP, items, options);
    return results as Promise<TaskResult<M, K>[]>;
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
    const typeless = options as MapAsyncOptions<unknown> | undefined;
    const result = mapAsync(this.#dispatcher, "mapAsync", name, MAP, items, typeless);
    return result as AsyncResult<TaskResult<M, K>[]>;
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
    const typeless = options as MapAsyncOptions<unknown> | undefined;
    const result = mapAsync(this.#dispatcher, "starmapAsync", name, STARMAP, items, typeless);
    return result as AsyncResult<TaskResult<M, K>[]>;
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
    const results = imap(this.#dispatcher, "imap", name, items, options, true);
    return results as AsyncIterableIterator<TaskResult<M, K>>;
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
    const results = imap(this.#dispatcher, "imapUnordered", name, items, options, false);
    return results as AsyncIterableIterator<TaskResult<M, K>>;
  }

  /**
   * Ids of the pool's current workers (their `currentProcess().id`).
   *
   * - Workers start in the background after `new Pool`: right after it, the list may still be
   *   short (`await pool.ready()` first to see them all); the same holds while a replaced worker's
   *   successor starts.
   *
   * @returns One id per worker that takes tasks.
   *
   * @example
   * ```ts
   * import { Pool, taskModule } from "@interlock/interlock";
   * import assert from "node:assert/strict";
   *
   * const tasks = taskModule<{ id(x: number): number }>("data:text/javascript,export const id = (x) => x;");
   * await using pool = new Pool(tasks, { size: 2 });
   * await pool.ready();
   * assert.equal(pool.workerIds().length, 2);
   * ```
   */
  workerIds(): number[] {
    return this.#dispatcher.workerIds();
  }

  /**
   * Resolves once all `size` workers have started and run the initializer. Tasks never need it
   * (they are served as soon as one worker is up); it is for a program that wants its workers warm
   * before timing something, or their ids.
   *
   * @returns A promise that resolves when every worker is ready.
   * @throws (rejects) the pool's {@linkcode WorkerCrashedError} if a worker cannot start (the task
   *   module failed to load, the initializer threw, a permission is missing), or a
   *   {@linkcode RuntimeError} if the pool is closed or terminated before.
   *
   * @example
   * ```ts
   * import { Pool, taskModule } from "@interlock/interlock";
   * import assert from "node:assert/strict";
   *
   * const tasks = taskModule<{ id(x: number): number }>("data:text/javascript,export const id = (x) => x;");
   * await using pool = new Pool(tasks, { size: 2 });
   * await pool.ready();
   * assert.equal(pool.stats().workers, 2);
   * ```
   */
  ready(): Promise<void> {
    return this.#dispatcher.ready();
  }

  /**
   * A snapshot of the pool's work: tasks queued, handed to a worker, running and completed, the
   * workers taking tasks, and their utilization since the pool started (piscina's `queueSize`,
   * `completed` and `utilization`).
   *
   * @returns The figures at this moment (see {@linkcode PoolStats}).
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
   * await pool.map("square", [1, 2, 3, 4]);
   * const stats = pool.stats();
   * assert.equal(stats.queued + stats.sent + stats.running, 0); // nothing left to do
   * assert.ok(stats.completed >= 1); // chunks of map count as tasks
   * assert.ok(stats.utilization >= 0 && stats.utilization <= 1);
   * ```
   */
  stats(): PoolStats {
    return this.#dispatcher.stats();
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
    this.#dispatcher.close();
  }

  /**
   * Waits until every worker has exited (Python's `join`), after {@linkcode Pool.close} or
   * {@linkcode Pool.terminate}.
   *
   * @throws {RuntimeError} if the pool is still running.
   */
  join(): Promise<void> {
    return this.#dispatcher.join();
  }

  /**
   * Stops every worker now (Python's `terminate`): unfinished tasks reject at once with a
   * `DOMException` named `AbortError`.
   *
   * - Deno 2.9 cannot interrupt a worker that runs synchronous code (a busy loop, `Atomics.wait`, a
   *   blocking `...Sync` call): such a worker ends only when that code returns. `terminate()` waits
   *   for every worker's thread to end, until 2 s have passed without one ending (threads end one
   *   after another, 64 idle ones in about a second on 2 cores), and never hangs. A worker that was
   *   idle (no task running or waiting in its batch, initializer done) runs no synchronous code and
   *   is given 30 s instead: on a loaded machine (load 20, 2 cores) 64 idle threads took up to 14 s
   *   to end, with gaps over 2 s between two.
   * - Workers killed earlier because an aborted task ignored its abort count too, while their grace
   *   runs.
   *
   * @returns `"terminated"` (every thread ended, whatever the pool's size), `"not-running"` if it
   *   already was stopped, or `"unresponsive"` if some thread had not ended 2 s after the last one
   *   did (30 s for an idle one; it is abandoned: it no longer keeps the program alive, and runs on until its current
   *   synchronous code returns).
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
  terminate(): Promise<TerminateStatus> {
    return this.#dispatcher.terminate();
  }

  /** `close()` then `join()`: lets submitted work finish, so `await using pool = ...` is safe. */
  async [Symbol.asyncDispose](): Promise<void> {
    this.close(); // nothing once closed or stopped
    await this.join();
  }
}
