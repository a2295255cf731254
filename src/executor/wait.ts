/**
 * Waiting on many futures at once: `asCompleted` and `wait`, as Python's
 * `concurrent.futures.as_completed` and `concurrent.futures.wait`. Both take any `PromiseLike`s:
 * {@linkcode Future}s from an `Executor`, Pool `AsyncResult`s, or plain Promises.
 *
 * @module
 */
import { CancelledError } from "../errors.ts";
import { deadlineOf } from "../options.ts";
import { Future } from "./future.ts";

/**
 * `wait` returns as soon as any future settles (returns, throws or is cancelled).
 *
 * @example
 * ```ts
 * import { FIRST_COMPLETED, wait } from "@interlock/interlock";
 * import assert from "node:assert/strict";
 *
 * const never = new Promise<number>(() => {});
 * const { done, notDone } = await wait([never, Promise.resolve(1)], { returnWhen: FIRST_COMPLETED });
 * assert.equal(done.size, 1);
 * assert.equal(notDone.size, 1);
 * ```
 */
export const FIRST_COMPLETED = "FIRST_COMPLETED";
/**
 * `wait` returns as soon as any future throws (cancellation does not count), or when all have
 * settled.
 *
 * @example
 * ```ts
 * import { FIRST_EXCEPTION, wait } from "@interlock/interlock";
 * import assert from "node:assert/strict";
 *
 * const never = new Promise<number>(() => {});
 * const failed = Promise.reject(new Error("boom"));
 * const { done } = await wait([never, failed], { returnWhen: FIRST_EXCEPTION });
 * assert.equal(done.size, 1);
 * ```
 */
export const FIRST_EXCEPTION = "FIRST_EXCEPTION";
/**
 * `wait` returns when every future has settled (the default).
 *
 * @example
 * ```ts
 * import { ALL_COMPLETED, wait } from "@interlock/interlock";
 * import assert from "node:assert/strict";
 *
 * const { done, notDone } = await wait([Promise.resolve(1), Promise.reject(new Error("x"))], {
 *   returnWhen: ALL_COMPLETED,
 * });
 * assert.equal(done.size, 2);
 * assert.equal(notDone.size, 0);
 * ```
 */
export const ALL_COMPLETED = "ALL_COMPLETED";

/** When {@linkcode wait} returns. */
export type ReturnWhen = typeof FIRST_COMPLETED | typeof FIRST_EXCEPTION | typeof ALL_COMPLETED;

/** Options of {@linkcode asCompleted}. */
export interface AsCompletedOptions {
  /**
   * Milliseconds from the call after which asking for the next future, if none has settled by
   * then, throws a `DOMException` named `TimeoutError`. The futures keep running.
   * @default {Infinity}
   */
  timeout?: number;
  /**
   * Aborting it makes a pending `next()` reject with `signal.reason`.
   * @default {undefined}
   */
  signal?: AbortSignal;
}

/** Options of {@linkcode wait}. */
export interface WaitForOptions {
  /**
   * When to return.
   * @default {"ALL_COMPLETED"}
   */
  returnWhen?: ReturnWhen;
  /**
   * Milliseconds after which `wait` returns whatever has settled by then (it does not throw).
   * @default {Infinity}
   */
  timeout?: number;
  /**
   * Aborting it rejects the wait with `signal.reason`.
   * @default {undefined}
   */
  signal?: AbortSignal;
}

/** What {@linkcode wait} returns: the futures that settled and those that did not. */
export interface DoneAndNotDone<T> {
  /** The futures that have settled (returned, thrown or been cancelled). */
  done: Set<T>;
  /** The others. */
  notDone: Set<T>;
}

function unique<T extends PromiseLike<unknown>>(what: string, futures: Iterable<T>): T[] {
  if (futures === null || typeof (futures as Iterable<T>)?.[Symbol.iterator] !== "function") {
    throw new TypeError(`Cannot ${what}: 'futures' must be an iterable of promises`);
  }
  const list = [...new Set(futures)];
  for (const f of list) {
    if (
      (typeof f !== "object" && typeof f !== "function") || f === null ||
      typeof (f as PromiseLike<unknown>).then !== "function"
    ) {
      throw new TypeError(`Cannot ${what}: every future must be a Promise or PromiseLike`);
    }
  }
  return list;
}

/**
 * One settled future, as {@linkcode asCompleted} yields it: a `PromiseSettledResult` (`status` and
 * `value` or `reason`) plus the `future` itself.
 *
 * (Python's `as_completed` yields the futures; an async iterator cannot: `for await` would unwrap
 * them, so the record carries the future and its outcome side by side.)
 */
export type Completed<T extends PromiseLike<unknown>> =
  | { readonly status: "fulfilled"; readonly value: Awaited<T>; readonly future: T }
  | { readonly status: "rejected"; readonly reason: unknown; readonly future: T };

/**
 * Yields the given futures' outcomes as they settle (Python's `as_completed`): one
 * {@linkcode Completed} record per future, with the `future`, its `status`, and its `value` or
 * `reason`. A failing future does not end the loop.
 *
 * - Futures that had settled before the call come first; duplicates are yielded once.
 * - With `timeout`, asking for the next outcome throws a `TimeoutError` `DOMException` once
 *   `timeout` ms have passed since the call and none is ready; the futures keep running.
 * - Works with any `PromiseLike`: `Future`s, Pool `AsyncResult`s, plain Promises.
 *
 * @typeParam T The futures' type.
 * @param futures The futures to watch.
 * @param options `timeout` (ms, from the call) and `signal`.
 * @returns An async iterable of settled records, in the order the futures settle.
 * @throws {TypeError} if `futures` is not an iterable of promises.
 *
 * @example
 * ```ts
 * import { asCompleted } from "@interlock/interlock";
 * import assert from "node:assert/strict";
 *
 * const { promise: slow, resolve: release } = Promise.withResolvers<string>();
 * const broken = Promise.reject(new Error("broken"));
 * const order: string[] = [];
 * for await (const done of asCompleted([slow, broken])) {
 *   order.push(done.status === "fulfilled" ? done.value : (done.reason as Error).message);
 *   release("slow");
 * }
 * assert.deepEqual(order, ["broken", "slow"]);
 * ```
 */
export function asCompleted<T extends PromiseLike<unknown>>(
  futures: Iterable<T>,
  options?: AsCompletedOptions,
): AsyncIterableIterator<Completed<T>> {
  const what = "iterate futures as they complete";
  const deadline = deadlineOf(what, options);
  const list = unique(what, futures);
  const ready: Completed<T>[] = [];
  let wake: (() => void) | undefined;
  for (const future of list) {
    future.then((value) => {
      ready.push({ status: "fulfilled", value: value as Awaited<T>, future });
      wake?.();
    }, (reason) => {
      ready.push({ status: "rejected", reason, future });
      wake?.();
    });
  }
  return (async function* () {
    for (let yielded = 0; yielded < list.length; yielded++) {
      if (ready.length === 0) {
        await new Promise<void>((resolve, reject) => {
          let timer: ReturnType<typeof setTimeout> | undefined;
          const signal = options?.signal;
          const onAbort = () => finish(() => reject(signal!.reason));
          const finish = (then: () => void) => {
            wake = undefined;
            clearTimeout(timer);
            signal?.removeEventListener("abort", onAbort);
            then();
          };
          wake = () => finish(resolve);
          if (signal?.aborted) return onAbort();
          signal?.addEventListener("abort", onAbort, { once: true });
          if (deadline !== Infinity) {
            const timeout = options!.timeout!;
            timer = setTimeout(() =>
              finish(() =>
                reject(
                  new DOMException(
                    `Timed out after ${timeout} ms waiting for ${
                      list.length - yielded
                    } of ${list.length} futures`,
                    "TimeoutError",
                  ),
                )
              ), Math.max(0, deadline - performance.now()));
          }
        });
      }
      yield ready.shift()!;
    }
  })();
}

/**
 * Waits until the given futures have settled, or the first has, or the first has thrown (Python's
 * `concurrent.futures.wait`), and tells which settled.
 *
 * - `returnWhen`: `"ALL_COMPLETED"` (default), `"FIRST_COMPLETED"` (any settled, including
 *   cancelled), or `"FIRST_EXCEPTION"` (any threw; cancellation does not count; else all settled).
 * - With `timeout`, returns after `timeout` ms with whatever has settled; it does not throw.
 * - Works with any `PromiseLike`; duplicates count once.
 *
 * @typeParam T The futures' type.
 * @param futures The futures to wait for.
 * @param options `returnWhen`, `timeout` (ms) and `signal`.
 * @returns The sets of settled (`done`) and unsettled (`notDone`) futures.
 * @throws {TypeError} if `futures` is not an iterable of promises.
 * @throws {RangeError} if `returnWhen` is not one of the three values.
 *
 * @example
 * ```ts
 * import { FIRST_COMPLETED, wait } from "@interlock/interlock";
 * import assert from "node:assert/strict";
 *
 * const never = new Promise<number>(() => {});
 * const now = Promise.resolve(1);
 * const { done, notDone } = await wait([never, now], { returnWhen: FIRST_COMPLETED });
 * assert.deepEqual([...done], [now]);
 * assert.deepEqual([...notDone], [never]);
 * ```
 */
export function wait<T extends PromiseLike<unknown>>(
  futures: Iterable<T>,
  options?: WaitForOptions,
): Promise<DoneAndNotDone<T>> {
  const what = "wait for futures";
  try {
    const deadline = deadlineOf(what, options);
    const returnWhen = options?.returnWhen ?? ALL_COMPLETED;
    if (
      returnWhen !== ALL_COMPLETED && returnWhen !== FIRST_COMPLETED &&
      returnWhen !== FIRST_EXCEPTION
    ) {
      throw new RangeError(
        `Cannot ${what}: 'returnWhen' must be "FIRST_COMPLETED", "FIRST_EXCEPTION" or "ALL_COMPLETED", received ${
          String(returnWhen)
        }`,
      );
    }
    const list = unique(what, futures);
    return new Promise((resolve, reject) => {
      const done = new Set<T>();
      let threw = false;
      let finished = false;
      let timer: ReturnType<typeof setTimeout> | undefined;
      const signal = options?.signal;
      const onAbort = () => {
        finished = true;
        clearTimeout(timer);
        reject(signal!.reason);
      };
      const finish = () => {
        if (finished) return;
        finished = true;
        clearTimeout(timer);
        signal?.removeEventListener("abort", onAbort);
        resolve({ done: new Set(done), notDone: new Set(list.filter((f) => !done.has(f))) });
      };
      const check = () => {
        if (
          done.size === list.length ||
          (returnWhen === FIRST_COMPLETED && done.size > 0) ||
          (returnWhen === FIRST_EXCEPTION && threw)
        ) finish();
      };
      const settled = (f: T, error: unknown, failed: boolean) => {
        done.add(f);
        const cancelled = f instanceof Future ? f.cancelled() : error instanceof CancelledError;
        if (failed && !cancelled) threw = true;
      };
      for (const f of list) {
        if (f instanceof Future && f.done()) {
          settled(f, undefined, f.state === "rejected");
          continue;
        }
        f.then(() => {
          settled(f, undefined, false);
          check();
        }, (error) => {
          settled(f, error, true);
          check();
        });
      }
      check();
      if (finished) return;
      if (signal?.aborted) return onAbort();
      signal?.addEventListener("abort", onAbort, { once: true });
      if (deadline !== Infinity) {
        timer = setTimeout(finish, Math.max(0, deadline - performance.now()));
      }
    });
  } catch (error) {
    return Promise.reject(error);
  }
}
