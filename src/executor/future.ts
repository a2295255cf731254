/**
 * `Future`: the Promise an `Executor` returns for a submitted task, with the task's id and state, as
 * Python's `concurrent.futures.Future`.
 *
 * @module
 */
import { CancelledError } from "../errors.ts";
import { deadlineOf, type WaitOptions } from "../options.ts";

/**
 * Where a {@linkcode Future} stands: `"pending"` (waiting for a worker), `"running"`,
 * `"cancelled"`, `"fulfilled"` (returned) or `"rejected"` (threw, or its worker crashed).
 */
export type FutureState = "pending" | "running" | "cancelled" | "fulfilled" | "rejected";

/** How a future reaches into whatever runs its task (internal). */
export interface FutureControl {
  /** Whether the task has started and not settled. */
  running(): boolean;
  /** Withdraws the task if it has not started; returns whether it did. */
  cancel(): boolean;
  /** Told once, when the future settles. */
  settled?(future: { cancel(): boolean }): void;
}

/** What the constructor's resolve/reject share with the future (they run before `this` exists). */
interface Cell {
  /** Whether resolve or reject was called: `cancel()` can no longer win. */
  resolved: boolean;
  /** The promise's own reject. */
  reject: (reason: unknown) => void;
  /** The future's settle, once constructed. */
  settle: ((state: "fulfilled" | "rejected", outcome: unknown) => void) | undefined;
  /** An outcome reached while still constructing. */
  early: ["fulfilled" | "rejected", unknown] | undefined;
}

function settled(cell: Cell, state: "fulfilled" | "rejected", outcome: unknown): void {
  if (cell.settle) cell.settle(state, outcome);
  else cell.early = [state, outcome];
}

function noop(): void {}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (typeof value === "object" || typeof value === "function") && value !== null &&
    typeof (value as { then?: unknown }).then === "function";
}

let adopting: { id: number; control: FutureControl } | undefined;

/**
 * The result of a task submitted to an {@linkcode Executor}: a real `Promise` (await it, pass it to
 * `Promise.all`) that also carries the task's `id` and `state`, with Python's `Future` methods.
 *
 * - A failure nobody observes is not an unhandled rejection (as in Python, the error waits in the
 *   future until someone asks).
 * - `cancel()` withdraws a task that has not started: the future rejects with
 *   {@linkcode CancelledError}. A running or finished task cannot be cancelled.
 * - `result()` / `exception()` wait with `{ timeout, signal }`; a timeout bounds the wait, not
 *   the task (it keeps running).
 * - `addDoneCallback(fn)` calls `fn(future)` once it settles (at once, in a microtask, if it has);
 *   an exception in `fn` is logged and ignored, as in Python.
 * - Promises derived with `then`/`catch`/`finally` are plain Promises, and `future.constructor` is
 *   `Promise`, so that `await` and `Promise.all` take their fast path (test with `instanceof
 *   Future`).
 * - `new Future(executor)` makes a future of your own (id 0), as Python allows for tests;
 *   `cancel()` then rejects it if it is still pending.
 *
 * @typeParam R The task's result type.
 *
 * @example
 * ```ts
 * import { Future } from "@interlock/interlock";
 * import assert from "node:assert/strict";
 *
 * const future = new Future<number>((resolve) => resolve(42));
 * assert.ok(future instanceof Promise);
 * assert.equal(await future, 42);
 * assert.equal(future.state, "fulfilled");
 * assert.equal(await future.exception(), undefined);
 * ```
 */
export class Future<R> extends Promise<R> {
  /** The task's id, unique within its executor (0 for a future made with `new Future`). */
  readonly id: number;
  readonly #control: FutureControl | undefined;
  readonly #cell: Cell;
  #state: "pending" | "cancelled" | "fulfilled" | "rejected" = "pending";
  #outcome: unknown;
  #callbacks: ((future: Future<R>) => void)[] | undefined;

  /**
   * Makes a future settled by `executor`, as `new Promise(executor)`.
   *
   * @param executor Receives `resolve` and `reject`.
   *
   * @example
   * ```ts
   * import { Future } from "@interlock/interlock";
   * import assert from "node:assert/strict";
   *
   * const future = new Future<string>(() => {});
   * assert.equal(future.cancel(), true);
   * await assert.rejects(future, { name: "CancelledError" });
   * assert.equal(future.cancelled(), true);
   * ```
   */
  constructor(
    executor: (
      resolve: (value: R | PromiseLike<R>) => void,
      reject: (reason?: unknown) => void,
    ) => void,
  ) {
    const cell: Cell = { resolved: false, reject: noop, settle: undefined, early: undefined };
    super((res, rej) => {
      cell.reject = rej;
      const resolve = (value: R | PromiseLike<R>) => {
        if (cell.resolved) return;
        cell.resolved = true;
        if (isThenable(value)) {
          // Its outcome becomes ours; watching it also handles our rejection before it happens.
          value.then((v) => settled(cell, "fulfilled", v), (e) => settled(cell, "rejected", e));
        } else {
          settled(cell, "fulfilled", value);
        }
        res(value);
      };
      const reject = (reason?: unknown) => {
        if (cell.resolved) return;
        cell.resolved = true;
        settled(cell, "rejected", reason);
        rej(reason);
      };
      try {
        executor(resolve, reject);
      } catch (error) {
        reject(error);
      }
    });
    const adopted = adopting;
    adopting = undefined;
    this.id = adopted?.id ?? 0;
    this.#control = adopted?.control;
    this.#cell = cell;
    cell.settle = (state, outcome) => this.#settle(state, outcome);
    if (cell.early) this.#settle(cell.early[0], cell.early[1]);
  }

  #settle(state: "cancelled" | "fulfilled" | "rejected", outcome: unknown): void {
    if (this.#state !== "pending") return;
    // A rejection nobody observes is not an unhandled rejection: the future keeps it for result().
    if (state !== "fulfilled") Promise.prototype.then.call(this, undefined, noop);
    this.#state = state;
    this.#outcome = outcome;
    this.#control?.settled?.(this);
    const callbacks = this.#callbacks;
    this.#callbacks = undefined;
    if (callbacks) { for (const callback of callbacks) queueMicrotask(() => this.#run(callback)); }
  }

  #run(callback: (future: Future<R>) => void): void {
    try {
      callback(this);
    } catch (error) {
      console.error("Exception in a Future's done callback:", error);
    }
  }

  /**
   * Where the task stands (see {@linkcode FutureState}).
   *
   * @example
   * ```ts
   * import { Future } from "@interlock/interlock";
   * import assert from "node:assert/strict";
   *
   * const future = new Future<number>((_, reject) => reject(new Error("no")));
   * await future.catch(() => {});
   * assert.equal(future.state, "rejected");
   * ```
   */
  get state(): FutureState {
    if (this.#state !== "pending") return this.#state;
    return this.#control?.running() ? "running" : "pending";
  }

  /**
   * Withdraws the task if it has not started (Python's `cancel()`): the future rejects with
   * {@linkcode CancelledError}.
   *
   * @returns `true` if the future is (now) cancelled; `false` if its task runs or has finished.
   */
  cancel(): boolean {
    if (this.#state === "cancelled") return true;
    if (this.#state !== "pending" || this.#cell.resolved) return false;
    if (this.#control !== undefined && !this.#control.cancel()) return false;
    this.#cell.resolved = true;
    const error = new CancelledError(`Task ${this.id} was cancelled`);
    this.#settle("cancelled", error);
    this.#cell.reject(error);
    return true;
  }

  /** Whether the future was cancelled (Python's `cancelled()`). */
  cancelled(): boolean {
    return this.#state === "cancelled";
  }

  /** Whether a worker runs the task now (Python's `running()`). */
  running(): boolean {
    return this.state === "running";
  }

  /** Whether the future has settled: returned, threw or was cancelled (Python's `done()`). */
  done(): boolean {
    return this.#state !== "pending";
  }

  /**
   * Waits for the task's result (Python's `result(timeout)`).
   *
   * @param options `timeout` (ms) and `signal` bound the wait.
   * @returns The result.
   * @throws The task's error; {@linkcode CancelledError} if cancelled; a `DOMException` named
   *   `TimeoutError` on timeout; `signal.reason` on abort.
   *
   * @example
   * ```ts
   * import { Future } from "@interlock/interlock";
   * import assert from "node:assert/strict";
   *
   * const never = new Future<number>(() => {});
   * await assert.rejects(never.result({ timeout: 5 }), { name: "TimeoutError" });
   * never.cancel();
   * ```
   */
  result(options?: WaitOptions): Promise<R> {
    return bounded(this, "get the task's result", options);
  }

  /**
   * Waits for the task, then returns its error, or `undefined` if it returned (Python's
   * `exception(timeout)`).
   *
   * @param options `timeout` (ms) and `signal` bound the wait.
   * @returns The error the task threw, or `undefined`.
   * @throws {CancelledError} if cancelled; a `TimeoutError` or `signal.reason` as `result()`.
   *
   * @example
   * ```ts
   * import { Future } from "@interlock/interlock";
   * import assert from "node:assert/strict";
   *
   * const failed = new Future<number>((_, reject) => reject(new RangeError("bad")));
   * assert.ok(await failed.exception() instanceof RangeError);
   * ```
   */
  async exception(options?: WaitOptions): Promise<unknown> {
    const settled = Promise.prototype.then.call(this, () => undefined, () => undefined);
    await bounded(settled, "get the task's exception", options);
    if (this.#state === "cancelled") throw this.#outcome;
    return this.#state === "rejected" ? this.#outcome : undefined;
  }

  /**
   * Calls `callback(future)` once the future settles; at once (in a microtask) if it has.
   *
   * @param callback Receives this future. Its exceptions are logged and ignored.
   *
   * @example
   * ```ts
   * import { Future } from "@interlock/interlock";
   * import assert from "node:assert/strict";
   *
   * const seen: string[] = [];
   * const future = new Future<number>((resolve) => resolve(1));
   * await new Promise<void>((done) => future.addDoneCallback((f) => {
   *   seen.push(f.state);
   *   done();
   * }));
   * assert.deepEqual(seen, ["fulfilled"]);
   * ```
   */
  addDoneCallback(callback: (future: Future<R>) => void): void {
    if (typeof callback !== "function") {
      throw new TypeError("Cannot add a done callback: 'callback' must be a function");
    }
    if (this.#state === "pending") (this.#callbacks ??= []).push(callback);
    else queueMicrotask(() => this.#run(callback));
  }
}

// `await future` and `Promise.all` skip a wrapping promise and two jobs only when the value's
// `constructor` is `Promise`; derived promises (`then`) use `Promise` too (its @@species).
Object.defineProperty(Future.prototype, "constructor", {
  value: Promise,
  writable: true,
  enumerable: false,
  configurable: true,
});

/** Makes the future of a task (internal: executors call it). */
export function adopt<R>(id: number, outcome: PromiseLike<R>, control: FutureControl): Future<R> {
  let resolve!: (value: R) => void;
  let reject!: (error: unknown) => void;
  adopting = { id, control };
  const future = new Future<R>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  // After a successful cancel() the future has settled already; the task's own AbortError is moot.
  outcome.then(resolve, reject);
  return future;
}

/**
 * `promise`, or a `TimeoutError` after `options.timeout` ms, or `signal.reason` on abort, whichever
 * comes first.
 */
export function bounded<T>(
  promise: PromiseLike<T>,
  what: string,
  options: WaitOptions | undefined,
): Promise<T> {
  const deadline = deadlineOf(what, options);
  const signal = options?.signal;
  if (deadline === Infinity && signal === undefined) return Promise.resolve(promise);
  return new Promise<T>((resolve, reject) => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal!.reason);
    };
    if (deadline !== Infinity) {
      timer = setTimeout(() => {
        signal?.removeEventListener("abort", onAbort);
        reject(
          new DOMException(
            `Timed out after ${options!.timeout} ms waiting to ${what}`,
            "TimeoutError",
          ),
        );
      }, options!.timeout);
    }
    signal?.addEventListener("abort", onAbort, { once: true });
    promise.then((value) => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
      resolve(value);
    }, (error) => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
      reject(error);
    });
  });
}
