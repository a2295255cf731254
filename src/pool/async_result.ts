/**
 * `AsyncResult`: the handle `Pool.applyAsync` / `mapAsync` / `starmapAsync` return, as Python's
 * `multiprocessing.pool.AsyncResult` (and the shape a futures executor builds on).
 *
 * @module
 */
import { RuntimeError } from "../errors.ts";
import { deadlineOf, type WaitOptions } from "../options.ts";

/** Where a task submitted with `applyAsync` / `mapAsync` stands. */
export type TaskState = "pending" | "running" | "fulfilled" | "rejected";

/** How an {@linkcode AsyncResult} reaches into the pool (internal). */
export interface TaskControl {
  /** Whether a worker has started the task (and it has not settled). */
  running(): boolean;
  /** Drops the task if no worker started it; returns whether it did. */
  cancel(): boolean;
}

/**
 * The pending result of a task submitted with `applyAsync`, `mapAsync` or `starmapAsync`.
 *
 * - It is `PromiseLike`: `await pool.applyAsync(...)` gives the result or throws the task's error.
 * - Unlike a Promise, a failure nobody observes is not an unhandled rejection: fire-and-forget with
 *   an `errorCallback` is fine, as in Python.
 * - `get()` waits with `{ timeout, signal }`; a timeout rejects with a `DOMException` named
 *   `TimeoutError` and leaves the task running. `ready()`, `successful()` and `state` tell where it
 *   stands without waiting; `cancel()` drops it if it has not started.
 *
 * @typeParam R The task's result type.
 *
 * @example
 * ```ts
 * import { Pool, taskModule } from "@interlock/interlock";
 * import assert from "node:assert/strict";
 *
 * const tasks = taskModule<{ square(x: number): number }>(
 *   "data:text/javascript,export const square = (x) => x * x;",
 * );
 * await using pool = new Pool(tasks, { size: 1 });
 * const result = pool.applyAsync("square", [7]);
 * assert.equal(await result.get({ timeout: 120_000 }), 49); // bounds the wait, not the task
 * assert.ok(result.ready() && result.successful());
 * assert.equal(result.state, "fulfilled");
 * ```
 */
export class AsyncResult<R> implements PromiseLike<R> {
  /** The task's id, unique within its pool. */
  readonly id: number;
  readonly #promise: Promise<R>;
  readonly #control: TaskControl;
  #state: "pending" | "fulfilled" | "rejected" = "pending";

  /** @ignore Wraps `promise`, the task's outcome (internal: pools create these). */
  constructor(id: number, promise: Promise<R>, control: TaskControl) {
    this.id = id;
    this.#control = control;
    this.#promise = promise;
    promise.then(
      () => this.#state = "fulfilled",
      () => this.#state = "rejected",
    );
  }

  /**
   * Where the task stands: `"pending"` (queued), `"running"` (a worker started it), `"fulfilled"`
   * or `"rejected"`.
   */
  get state(): TaskState {
    if (this.#state !== "pending") return this.#state;
    return this.#control.running() ? "running" : "pending";
  }

  /**
   * Whether the task has settled (Python's `ready()`).
   *
   * @returns True once the result or error is known.
   */
  ready(): boolean {
    return this.#state !== "pending";
  }

  /**
   * Whether the task succeeded (Python's `successful()`).
   *
   * @returns True if it returned, false if it threw, was aborted or its worker crashed.
   * @throws {RuntimeError} if the task has not settled yet (Python raises `ValueError`).
   */
  successful(): boolean {
    if (this.#state === "pending") {
      throw new RuntimeError(`Cannot tell whether task ${this.id} succeeded: it has not finished`);
    }
    return this.#state === "fulfilled";
  }

  /**
   * Waits for the result (Python's `get(timeout)`).
   *
   * @param options `timeout` (ms) and `signal` bound the wait, not the task.
   * @returns The task's result.
   * @throws The task's error (rebuilt with its class), a `TimeoutError` `DOMException` on timeout,
   *   or `signal.reason` on abort.
   */
  get(options?: WaitOptions): Promise<R> {
    const deadline = deadlineOf("get the task's result", options);
    if (deadline === Infinity && options?.signal === undefined) return this.#promise;
    return bounded(this.#promise, options?.timeout, options?.signal);
  }

  /**
   * Waits until the task settles, without throwing its error (Python's `wait(timeout)`).
   *
   * @param options `timeout` (ms) and `signal` bound the wait.
   * @throws {DOMException} `TimeoutError` on timeout, or `signal.reason` on abort.
   */
  async wait(options?: WaitOptions): Promise<void> {
    deadlineOf("wait for the task", options);
    const settled = this.#promise.then(() => {}, () => {});
    await bounded(settled, options?.timeout, options?.signal);
  }

  /**
   * Drops the task if no worker has started it: it rejects with a `DOMException` named `AbortError`.
   *
   * - When it returns `true`, `state` is already `"rejected"` and `ready()` is `true`.
   *
   * @returns Whether the task was dropped (false once it runs or has settled).
   *
   * @example
   * ```ts
   * import { Pool, taskModule } from "@interlock/interlock";
   * import assert from "node:assert/strict";
   *
   * const tasks = taskModule<{ square(x: number): number }>(
   *   "data:text/javascript,export const square = (x) => x * x;",
   * );
   * await using pool = new Pool(tasks, { size: 1 });
   * const first = pool.applyAsync("square", [2]);
   * const second = pool.applyAsync("square", [3]); // queued behind the first
   * assert.ok(second.cancel()); // not started yet: dropped
   * assert.equal(second.state, "rejected"); // at once, not a microtask later
   * assert.ok(second.ready());
   * await assert.rejects(second.get(), { name: "AbortError" });
   * assert.equal(await first, 4);
   * ```
   */
  cancel(): boolean {
    if (this.#state !== "pending" || !this.#control.cancel()) return false;
    // The promise rejects a microtask later; the state says so at once.
    this.#state = "rejected";
    return true;
  }

  /** Attaches callbacks, as `Promise.prototype.then`; makes `await result` work. */
  then<T1 = R, T2 = never>(
    onfulfilled?: ((value: R) => T1 | PromiseLike<T1>) | null,
    onrejected?: ((reason: unknown) => T2 | PromiseLike<T2>) | null,
  ): Promise<T1 | T2> {
    return this.#promise.then(onfulfilled, onrejected);
  }

  /** Attaches a rejection handler, as `Promise.prototype.catch`. */
  catch<T = never>(onrejected?: ((reason: unknown) => T | PromiseLike<T>) | null): Promise<R | T> {
    return this.#promise.catch(onrejected);
  }

  /** Attaches a settlement handler, as `Promise.prototype.finally`. */
  finally(onfinally?: (() => void) | null): Promise<R> {
    return this.#promise.finally(onfinally);
  }
}

/** `promise`, or a rejection at `timeout` ms / on `signal`, whichever comes first. */
function bounded<T>(
  promise: Promise<T>,
  timeout: number | undefined,
  signal: AbortSignal | undefined,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal!.reason);
    };
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
    };
    if (timeout !== undefined && timeout !== Infinity) {
      timer = setTimeout(() => {
        signal?.removeEventListener("abort", onAbort);
        reject(
          new DOMException(`Timed out after ${timeout} ms waiting for the task`, "TimeoutError"),
        );
      }, timeout);
    }
    signal?.addEventListener("abort", onAbort, { once: true });
    promise.then((v) => {
      done();
      resolve(v);
    }, (e) => {
      done();
      reject(e);
    });
  });
}

/**
 * Calls `callback` with the value or `errorCallback` with the error once `result` settles, as the
 * `callback` / `errorCallback` options of `applyAsync` and `mapAsync` (internal).
 *
 * @throws {TypeError} if either is given and is not a function.
 */
export function settledCallbacks<R>(
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
