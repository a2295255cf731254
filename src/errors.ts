/**
 * Every error class Interlock throws. Bad arguments get the platform's `TypeError` / `RangeError`;
 * timeouts are `DOMException`s named `TimeoutError`; aborts reject with the signal's `reason`.
 * The classes below are for conditions callers catch by class, never by message text.
 * Each is written out with its own constructor and `name`: a shared base class would be one more
 * public type in every class's docs (deno doc --lint), for four lines saved per class.
 *
 * @module
 */

/**
 * A primitive was used in a way its current state forbids, as Python's `RuntimeError`: releasing a
 * lock that is not held, releasing an `RLock` the caller does not own, waiting on or notifying a
 * `Condition` without holding its lock, releasing a `BoundedSemaphore` above its initial value.
 *
 * @example
 * ```ts
 * import { Lock, RuntimeError } from "@interlock/interlock";
 * import assert from "node:assert/strict";
 *
 * assert.throws(() => new Lock().release(), RuntimeError);
 * ```
 */
export class RuntimeError extends Error {
  /** Creates the error (with its default message when `message` is omitted); `options.cause` is kept. */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "RuntimeError";
  }
}

/**
 * A `Barrier` was broken (aborted, reset while parties waited, or a waiter timed out) while a party
 * waited on it or tried to.
 *
 * @example
 * ```ts
 * import { Barrier, BrokenBarrierError } from "@interlock/interlock";
 * import assert from "node:assert/strict";
 *
 * const barrier = new Barrier(2);
 * const waiting = barrier.wait();
 * barrier.abort();
 * await assert.rejects(waiting, BrokenBarrierError);
 * // A party whose own timeout broke the barrier gets the TimeoutError as the cause.
 * barrier.reset();
 * const error = await barrier.wait({ timeout: 1 }).catch((e) => e);
 * assert.ok(error instanceof BrokenBarrierError);
 * assert.equal((error.cause as DOMException).name, "TimeoutError");
 * ```
 */
export class BrokenBarrierError extends Error {
  /** Creates the error (with its default message when `message` is omitted); `options.cause` is kept. */
  constructor(message?: string, options?: ErrorOptions) {
    super(message ?? "Barrier is broken", options);
    this.name = "BrokenBarrierError";
  }
}

/**
 * The holder of a lock (or of a robust semaphore's permit) died holding it: its thread was
 * terminated or ended without releasing. As POSIX's `EOWNERDEAD`, it warns that the data the lock
 * protects may be inconsistent: the dead holder may have stopped in the middle of changing it.
 *
 * - Thrown by `acquire`, `acquireSync` and `tryAcquire` of an *abandoned* `Lock` or `RLock` (and of
 *   a robust `Semaphore` with abandoned permits) when the caller passed no `onOwnerDied`: the
 *   caller does not hold it, and it stays abandoned, so every later acquirer learns it too.
 * - An acquirer that passes `onOwnerDied` takes the lock over instead: the callback gets this error
 *   while the caller holds the lock, repairs the data, and the acquire then succeeds.
 * - `Condition.wait` takes its lock back even then (as it always does) and throws this error with
 *   the lock held.
 *
 * @example A worker terminated while it holds the lock
 * ```ts
 * import { Lock, OwnerDiedError } from "@interlock/interlock";
 * import assert from "node:assert/strict";
 *
 * const lock = new Lock();
 * const balance = new Int32Array(new SharedArrayBuffer(4));
 * // A worker takes the lock, starts a change it never finishes, and is terminated.
 * const code = `import { Lock } from "${import.meta.resolve("@interlock/interlock")}";
 * self.onmessage = ({ data }) => {
 *   Lock.from(data.lock).acquireSync();
 *   data.balance[0] = -1; // half-changed
 *   self.postMessage("held");
 * };`;
 * const worker = new Worker(`data:text/javascript,${encodeURIComponent(code)}`, { type: "module" });
 * worker.postMessage({ lock, balance });
 * await new Promise((resolve) => worker.onmessage = resolve);
 * worker.terminate();
 *
 * // Without onOwnerDied, a waiter is told and takes nothing; the lock stays abandoned.
 * await assert.rejects(lock.acquire(), OwnerDiedError);
 * // With it, the acquirer takes the lock over and repairs the data before acquire returns.
 * {
 *   using _ = await lock.acquire({ onOwnerDied: () => void (balance[0] = 100) });
 *   assert.equal(balance[0], 100);
 * }
 * assert.equal(lock.locked(), false);
 * ```
 */
export class OwnerDiedError extends Error {
  /** Creates the error; `options.cause` is kept. */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "OwnerDiedError";
  }
}

/**
 * The worker running a task ended before the task did: an uncaught error outside any task, a call to
 * `process.exit()` / `Deno.exit()` / `close()`, or the worker was stopped. Only the task that was
 * running in that worker rejects with it; the pool replaces the worker and loses no other task. Also
 * rejects every task of a pool whose workers cannot start (the task module failed to load, or the
 * initializer threw: then `cause` holds that error).
 *
 * - `workerId`: the `id` of the worker that ended (see `currentProcess()`).
 * - `exitCode`: the worker's exit code, when known.
 * - `cause`: the uncaught error, when there was one.
 *
 * @example
 * ```ts
 * import { WorkerCrashedError } from "@interlock/interlock";
 * import assert from "node:assert/strict";
 *
 * const error = new WorkerCrashedError("Worker 3 exited with code 1", { workerId: 3, exitCode: 1 });
 * assert.equal(error.name, "WorkerCrashedError");
 * assert.equal(error.exitCode, 1);
 * ```
 */
export class WorkerCrashedError extends Error {
  /** The `id` of the worker that ended, or -1 if it never started. */
  readonly workerId: number;
  /** The worker's exit code, or null if unknown. */
  readonly exitCode: number | null;

  /** Creates the error (with its default message when `message` is omitted); `options.cause` is kept. */
  constructor(
    message?: string,
    options?: ErrorOptions & { workerId?: number; exitCode?: number | null },
  ) {
    super(message ?? "The worker running the task ended before the task did", options);
    this.name = "WorkerCrashedError";
    this.workerId = options?.workerId ?? -1;
    this.exitCode = options?.exitCode ?? null;
  }
}

/**
 * `putNowait()` found the queue full (a bounded `Queue` at its `maxsize`, or its storage at its
 * `maxBytes` bound), as Python's `queue.Full`.
 *
 * @example
 * ```ts
 * import { Queue, QueueFullError } from "@interlock/interlock";
 * import assert from "node:assert/strict";
 *
 * const queue = new Queue<number>(1);
 * queue.putNowait(1);
 * assert.throws(() => queue.putNowait(2), QueueFullError);
 * ```
 */
export class QueueFullError extends Error {
  /** Creates the error (with its default message when `message` is omitted); `options.cause` is kept. */
  constructor(message?: string, options?: ErrorOptions) {
    super(message ?? "Queue is full", options);
    this.name = "QueueFullError";
  }
}

/**
 * `getNowait()` found the queue empty, as Python's `queue.Empty`.
 *
 * @example
 * ```ts
 * import { Queue, QueueEmptyError } from "@interlock/interlock";
 * import assert from "node:assert/strict";
 *
 * assert.throws(() => new Queue().getNowait(), QueueEmptyError);
 * ```
 */
export class QueueEmptyError extends Error {
  /** Creates the error (with its default message when `message` is omitted); `options.cause` is kept. */
  constructor(message?: string, options?: ErrorOptions) {
    super(message ?? "Queue is empty", options);
    this.name = "QueueEmptyError";
  }
}

/**
 * The queue was closed: a `put` after `close()`, or a `get` once a closed queue is drained (which
 * also ends `for await` loops over the queue).
 *
 * @example
 * ```ts
 * import { Queue, QueueClosedError } from "@interlock/interlock";
 * import assert from "node:assert/strict";
 *
 * const queue = new Queue<string>();
 * queue.putNowait("last");
 * queue.close();
 * assert.throws(() => queue.putNowait("more"), QueueClosedError);
 * assert.equal(queue.getNowait(), "last");
 * assert.throws(() => queue.getNowait(), QueueClosedError);
 * ```
 */
export class QueueClosedError extends Error {
  /** Creates the error (with its default message when `message` is omitted); `options.cause` is kept. */
  constructor(message?: string, options?: ErrorOptions) {
    super(message ?? "Queue is closed", options);
    this.name = "QueueClosedError";
  }
}

/**
 * `recv()` on a `Pipe` connection whose other end is closed and whose data is drained, as Python's
 * `EOFError`.
 *
 * @example
 * ```ts
 * import { EOFError, Pipe } from "@interlock/interlock";
 * import assert from "node:assert/strict";
 *
 * const [a, b] = Pipe();
 * b.send("bye");
 * b.close();
 * assert.equal(a.recvSync(), "bye");
 * assert.throws(() => a.recvSync(), EOFError);
 * ```
 */
export class EOFError extends Error {
  /** Creates the error (with its default message when `message` is omitted); `options.cause` is kept. */
  constructor(message?: string, options?: ErrorOptions) {
    super(message ?? "The other end of the pipe is closed", options);
    this.name = "EOFError";
  }
}

/**
 * `send()` on a `Pipe` connection whose other end is closed, as Python's `BrokenPipeError`.
 *
 * @example
 * ```ts
 * import { BrokenPipeError, Pipe } from "@interlock/interlock";
 * import assert from "node:assert/strict";
 *
 * const [a, b] = Pipe();
 * b.close();
 * assert.throws(() => a.send("anyone?"), BrokenPipeError);
 * ```
 */
export class BrokenPipeError extends Error {
  /** Creates the error (with its default message when `message` is omitted); `options.cause` is kept. */
  constructor(message?: string, options?: ErrorOptions) {
    super(message ?? "The other end of the pipe is closed", options);
    this.name = "BrokenPipeError";
  }
}

/**
 * A managed object was used after its `Manager` was shut down, or a call was still
 * pending when `shutdown()` ended the server.
 *
 * - Every proxy of the manager, in every thread, throws it from then on: the manager's state lives
 *   in shared memory, so a worker's proxy knows without asking the (gone) server.
 *
 * @example
 * ```ts
 * import { Manager, ManagerShutdownError } from "@interlock/interlock/manager";
 * import assert from "node:assert/strict";
 *
 * const manager = await Manager.start();
 * const scores = await manager.dict<string, number>();
 * await manager.shutdown();
 * await assert.rejects(scores.get("ada"), ManagerShutdownError);
 * ```
 */
export class ManagerShutdownError extends Error {
  /** Creates the error (with its default message when `message` is omitted); `options.cause` is kept. */
  constructor(message?: string, options?: ErrorOptions) {
    super(message ?? "The manager has been shut down", options);
    this.name = "ManagerShutdownError";
  }
}

/**
 * The thread that hosts a `Manager`'s objects ended without `shutdown()` (an uncaught
 * error or unhandled rejection in a hosted object's code, `process.exit()` or `Deno.exit()` there,
 * running out of memory): every pending call rejects with it, in every thread, and so does every
 * later call.
 *
 * - `cause` holds the server's error or exit code when the thread that started the manager had
 *   seen it by then.
 *
 * @example
 * ```ts
 * import { ManagerCrashedError } from "@interlock/interlock";
 * import assert from "node:assert/strict";
 *
 * const error = new ManagerCrashedError(undefined, { cause: new Error("boom") });
 * assert.equal(error.name, "ManagerCrashedError");
 * assert.equal((error.cause as Error).message, "boom");
 * ```
 */
export class ManagerCrashedError extends Error {
  /** Creates the error (with its default message when `message` is omitted); `options.cause` is kept. */
  constructor(message?: string, options?: ErrorOptions) {
    super(message ?? "The manager's server worker crashed", options);
    this.name = "ManagerCrashedError";
  }
}

/**
 * A {@linkcode Future} was cancelled before its task started, as Python's
 * `concurrent.futures.CancelledError`: awaiting the future, or its `result()`, rejects with it.
 *
 * @example
 * ```ts
 * import { CancelledError, Future } from "@interlock/interlock";
 * import assert from "node:assert/strict";
 *
 * const future = new Future<number>(() => {});
 * future.cancel();
 * await assert.rejects(future.result(), CancelledError);
 * ```
 */
export class CancelledError extends Error {
  /** Creates the error (with its default message when `message` is omitted); `options.cause` is kept. */
  constructor(message?: string, options?: ErrorOptions) {
    super(message ?? "The future was cancelled", options);
    this.name = "CancelledError";
  }
}
