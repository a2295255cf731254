/**
 * `Process`: one function of a task module run in its own worker thread, as Python's
 * `multiprocessing.Process` (parent side; the child runs `worker_main.ts`).
 *
 * The child records its exit in a shared exit latch (`src/kernel/exit_latch.ts`) after posting an
 * exit report (code and error) on a dedicated port; so `joinSync()` blocks on the latch and then
 * reads the report with `receiveMessageOnPort`, without needing the event loop it blocks. Its
 * options and exit codes are in `process_options.ts`; `activeChildren()` lists the live ones.
 *
 * @module
 */
import { receiveMessageOnPort, threadId, type Worker } from "node:worker_threads";
import { ASYNC, REAL } from "../_atomics.ts";
import { runAsync } from "../_async.ts";
import { allocate, TAG } from "../_region.ts";
import { RuntimeError, WorkerCrashedError } from "../errors.ts";
import * as L from "../kernel/exit_latch.ts";
import * as G from "../kernel_gen/exit_latch.ts";
import { deadlineOf, type SyncWaitOptions, waitFailure, type WaitOptions } from "../options.ts";
import type { ExitReport, StartMessage } from "./protocol.ts";
import { rebuild } from "./remote_error.ts";
import { heapCap, isOutOfMemory, type ResourceLimits, resourceLimitsOf } from "./limits.ts";
import { KILLED, type ProcessOptions, TERMINATED } from "./process_options.ts";
import { spawnWorker } from "./_spawn.ts";
import { stopWorker } from "./_stop.ts";
import {
  type AnyModule,
  moduleUrl,
  type TaskArgs,
  type TaskModule,
  type TaskName,
  type TerminateStatus,
} from "./types.ts";

/** The processes this thread started that have not ended (see {@linkcode activeChildren}). */
const children = new Set<Process>();

let processCount = 0;

/**
 * Runs one exported function of a module in a new worker thread, as Python's
 * `multiprocessing.Process`.
 *
 * - `start()` starts it; `join()` (Promise, with `timeout`/`signal`) or `joinSync()` (blocks the
 *   thread) waits for it; `isAlive`, `exitCode`, `error`, `terminate()`.
 * - `exitCode`: `null` while running, `0` when the function returned (or its Promise resolved), `1`
 *   when it threw (the error is printed to stderr, as Python prints the child's traceback, and kept
 *   in `error`), the code passed to `process.exit()` / `Deno.exit()` if it called one, and `-15`
 *   after `terminate()`.
 * - Out of memory: a child that reaches its heap cap (by default this thread's own heap limit; see
 *   `resourceLimits`) ends with exit code `1` and `error` a {@linkcode WorkerCrashedError} saying so
 *   (its `cause` is the `ERR_WORKER_OUT_OF_MEMORY` error), instead of aborting the whole program.
 * - `kill()` stops it as `terminate()` does, with exit code `-9`; `close()` releases it once ended;
 *   {@linkcode activeChildren} lists the live ones; `onWorkerError` receives its uncaught error
 *   instead of stderr.
 * - A child's uncaught error never takes the parent down.
 * - `id` plays the role of a `pid`: the child sees it as `currentProcess().id`, and its parent's as
 *   `currentProcess().parentId`.
 * - `daemon: true`: the process does not keep the program alive and is stopped when the program
 *   exits.
 * - `terminate()` stops a child that is waiting for something asynchronous (a timer, a Promise, I/O)
 *   at once. Deno 2.9 cannot interrupt a thread that is running synchronous code (a busy loop, or a
 *   blocking call such as `Atomics.wait` or a `...Sync` file or subprocess call; denoland/deno PR
 *   #35657): the child then ends only when that code returns. `terminate()` never hangs: after 2 s
 *   it resolves `"unresponsive"`, the child is abandoned (it no longer keeps the program alive) and
 *   stays `isAlive` with `exitCode` `null` until it really ends; then its exit code becomes `-15`
 *   and `join()` returns.
 *
 * @typeParam M The module's type (`typeof import("./tasks.ts")`).
 * @typeParam K The export to run.
 *
 * @example Run a function in a child and check its exit code
 * ```ts
 * import { Process, taskModule } from "@interlock/interlock";
 * import assert from "node:assert/strict";
 *
 * const tasks = taskModule<{ work(n: number): void; fail(): void }>(
 *   "data:text/javascript,export function work(n) {} export function fail() { throw new RangeError('bad'); }",
 * );
 * const ok = new Process(tasks, "work", { args: [3], name: "worker-1" });
 * ok.start();
 * await ok.join();
 * assert.equal(ok.exitCode, 0);
 * ```
 */
export class Process<M extends object = AnyModule, K extends TaskName<M> = TaskName<M>> {
  /** The process's name. */
  readonly name: string;
  /** Whether it is a daemon. */
  readonly daemon: boolean;
  /** The id of the thread that created it (the child's `currentProcess().parentId`). */
  readonly parentId: number;
  readonly #module: string;
  readonly #exportName: string;
  readonly #args: unknown[];
  readonly #transfer: Transferable[] | undefined;
  readonly #resourceLimits: ResourceLimits | undefined;
  readonly #latch: Int32Array;
  #worker: Worker | undefined;
  #port: MessagePort | undefined;
  #report: ExitReport | undefined;
  #error: unknown;
  #errorBuilt = false;
  /** The `error` event of a child stopped by Deno at its heap cap (no report comes then). */
  #outOfMemory: unknown;
  /** Set by `terminate()` / `kill()`: the exit code the process gets once its thread ended. */
  #stopCode: number | undefined;
  #closed = false;
  /** Whether `onWorkerError` was called. */
  #reported = false;
  readonly #onWorkerError: ((error: WorkerCrashedError) => void) | undefined;
  /** Resolves when the child's thread has really ended (see `_stop.ts`). */
  #ended: Promise<void> | undefined;

  /**
   * Prepares the process; nothing runs until {@linkcode Process.start}.
   *
   * @param module The module: a {@linkcode TaskModule}, a `URL` or an absolute URL string.
   * @param exportName The exported function to run.
   * @param options `args`, `name`, `daemon`, `transfer`, `resourceLimits`, `onWorkerError`
   *   (default: none set).
   * @throws {TypeError} for a bad module, export name or option.
   * @throws {RangeError} for a resource limit out of range.
   */
  constructor(
    module: TaskModule<M> | URL | string,
    exportName: K,
    options?: ProcessOptions<TaskArgs<M, K>>,
  ) {
    const what = "create process";
    options ??= {};
    this.#module = moduleUrl(what, module);
    if (typeof exportName !== "string") {
      throw new TypeError(
        `Cannot ${what}: the export name must be a string, received ${typeof exportName}`,
      );
    }
    this.#exportName = exportName;
    if (typeof options !== "object" || options === null) {
      throw new TypeError(`Cannot ${what}: options must be an object, received ${typeof options}`);
    }
    const args = options.args ?? [];
    if (!Array.isArray(args)) {
      throw new TypeError(`Cannot ${what}: 'args' must be an array, received ${typeof args}`);
    }
    this.#args = args;
    const name = options.name ?? `Process-${++processCount}`;
    if (typeof name !== "string") {
      throw new TypeError(`Cannot ${what}: 'name' must be a string, received ${typeof name}`);
    }
    this.name = name;
    const daemon = options.daemon ?? false;
    if (typeof daemon !== "boolean") {
      throw new TypeError(`Cannot ${what}: 'daemon' must be a boolean, received ${typeof daemon}`);
    }
    this.daemon = daemon;
    const transfer = options.transfer;
    if (transfer !== undefined && !Array.isArray(transfer)) {
      throw new TypeError(`Cannot ${what}: 'transfer' must be an array`);
    }
    this.#transfer = transfer;
    this.#resourceLimits = resourceLimitsOf(what, options.resourceLimits);
    const onWorkerError = options.onWorkerError;
    if (onWorkerError !== undefined && typeof onWorkerError !== "function") {
      throw new TypeError(
        `Cannot ${what}: 'onWorkerError' must be a function, received ${typeof onWorkerError}`,
      );
    }
    this.#onWorkerError = onWorkerError;
    this.parentId = threadId;
    this.#latch = allocate(TAG.ProcessLatch, L.BYTES);
  }

  /**
   * The child's id (its `currentProcess().id`), or `null` before `start()`.
   *
   * @example
   * ```ts
   * import { Process, taskModule } from "@interlock/interlock";
   * import assert from "node:assert/strict";
   *
   * const tasks = taskModule<{ noop(): void }>("data:text/javascript,export function noop() {}");
   * const p = new Process(tasks, "noop");
   * assert.equal(p.id, null);
   * p.start();
   * assert.equal(typeof p.id, "number");
   * await p.join();
   * ```
   */
  get id(): number | null {
    return this.#worker?.threadId ?? null;
  }

  /**
   * Whether the child has started and not ended (Python's `is_alive()`).
   *
   * @example
   * ```ts
   * import { Process, taskModule } from "@interlock/interlock";
   * import assert from "node:assert/strict";
   *
   * const tasks = taskModule<{ noop(): void }>("data:text/javascript,export function noop() {}");
   * const p = new Process(tasks, "noop");
   * assert.equal(p.isAlive, false);
   * p.start();
   * await p.join();
   * assert.equal(p.isAlive, false);
   * ```
   */
  get isAlive(): boolean {
    return this.#worker !== undefined && L.exitCode(REAL, this.#latch) === null;
  }

  /**
   * The exit code: `null` while running or before `start()`; `0` returned; `1` threw; the code of
   * an explicit exit; `-15` terminated.
   *
   * @example
   * ```ts
   * import { Process, taskModule } from "@interlock/interlock";
   * import assert from "node:assert/strict";
   *
   * const tasks = taskModule<{ fail(): void }>(
   *   "data:text/javascript,export function fail() { throw new Error('no'); }",
   * );
   * const p = new Process(tasks, "fail");
   * p.start();
   * await p.join();
   * assert.equal(p.exitCode, 1);
   * ```
   */
  get exitCode(): number | null {
    const code = L.exitCode(REAL, this.#latch);
    // A child that could not be interrupted may close the latch itself, with its own code, when
    // its code returns; terminate() was called while it ran, so it counts as terminated.
    return code !== null && this.#stopCode !== undefined ? this.#stopCode : code;
  }

  /**
   * The child's uncaught exception, rebuilt with its class, `name`, `message`, `stack`, `cause` and
   * own enumerable properties; `undefined` if it has not ended with one.
   *
   * - A child stopped at its heap cap (`resourceLimits`) has no exception of its own: `error` is then
   *   a {@linkcode WorkerCrashedError} that says it ran out of memory, whose `cause` is the
   *   `ERR_WORKER_OUT_OF_MEMORY` error.
   *
   * @example
   * ```ts
   * import { Process, taskModule } from "@interlock/interlock";
   * import assert from "node:assert/strict";
   *
   * const tasks = taskModule<{ fail(): void }>(
   *   "data:text/javascript,export function fail() { throw new RangeError('out of range'); }",
   * );
   * const p = new Process(tasks, "fail");
   * p.start();
   * await p.join();
   * assert.ok(p.error instanceof RangeError);
   * assert.equal(p.error.message, "out of range");
   * ```
   */
  get error(): unknown {
    if (this.#errorBuilt) return this.#error;
    const report = this.#readReport();
    let error: unknown;
    let outOfMemory = false;
    if (report) {
      error = report.error === null ? undefined : rebuild(report.error);
      outOfMemory = report.outOfMemory === true;
    } else if (this.#outOfMemory !== undefined && L.exitCode(REAL, this.#latch) !== null) {
      // Stopped by Deno at its heap cap: no report comes.
      error = this.#outOfMemory;
      outOfMemory = true;
    } else {
      return undefined;
    }
    this.#errorBuilt = true;
    this.#error = outOfMemory
      ? new WorkerCrashedError(
        `Process ${this.name} ran out of memory (${heapCap(this.#resourceLimits)}) while running ` +
          `'${this.#exportName}'`,
        { cause: error, workerId: this.id ?? -1, exitCode: 1 },
      )
      : error;
    return this.#error;
  }

  /**
   * Starts the child (Python's `start()`).
   *
   * @throws {RuntimeError} if it was started before, or closed.
   * @throws {DOMException} `DataCloneError` if `args` cannot be cloned (nothing starts).
   */
  start(): void {
    this.#checkOpen("start");
    if (this.#worker) throw new RuntimeError(`Cannot start process ${this.name} twice`);
    const channel = new MessageChannel();
    const message: StartMessage = {
      type: "start",
      module: this.#module,
      exportName: this.#exportName,
      args: this.#args,
      latch: this.#latch.buffer as SharedArrayBuffer,
      port: channel.port2,
    };
    // Check the arguments clone before a thread exists.
    structuredClone(this.#args);
    // The start message goes through the inbox, a MessagePort (see `Spawned.inbox` in _spawn.ts).
    const { worker, inbox, ended } = spawnWorker(
      {
        role: "process",
        name: this.name,
        parentId: threadId,
        daemon: this.daemon,
        printErrors: this.#onWorkerError === undefined,
      },
      this.#resourceLimits,
    );
    children.add(this as unknown as Process);
    this.#worker = worker;
    this.#port = channel.port1;
    if (this.daemon) worker.unref();
    this.#ended = ended;
    let finished = false;
    const finish = (code: number) => {
      if (finished) return;
      finished = true;
      L.close(REAL, this.#latch, code);
      this.#readReport();
      this.#port?.close();
      inbox.close();
      children.delete(this as unknown as Process);
      this.#reportError();
    };
    // After terminate() the `exit` event fires at once even if the thread runs on (see _stop.ts):
    // the process ends (latch closed, joiners woken) only when its thread really has.
    worker.on("exit", (code: number) => {
      if (this.#stopCode === undefined) finish(code);
      else void ended.then(() => finish(this.#stopCode!));
    });
    void ended.then(() => {
      if (this.#stopCode !== undefined) finish(this.#stopCode);
    });
    worker.on("error", (error: unknown) => {
      // worker_main reports the errors of the code it runs itself: an `error` event comes from Deno,
      // such as the one of a child stopped at its heap cap (it precedes `exit`; see limits.ts).
      if (isOutOfMemory(error)) this.#outOfMemory = error;
    });
    inbox.postMessage(message, [channel.port2, ...(this.#transfer ?? [])]);
  }

  /**
   * Waits until the child ends (Python's `join()`).
   *
   * @param options `timeout` (ms) and `signal`.
   * @throws {RuntimeError} if the process was not started.
   * @throws {DOMException} `TimeoutError` on timeout (the child keeps running), or `signal.reason`.
   *
   * @example
   * ```ts
   * import { Process, taskModule } from "@interlock/interlock";
   * import assert from "node:assert/strict";
   *
   * const tasks = taskModule<{ noop(): void }>("data:text/javascript,export function noop() {}");
   * const p = new Process(tasks, "noop");
   * p.start();
   * await p.join({ timeout: 120_000 });
   * assert.equal(p.exitCode, 0);
   * ```
   */
  async join(options?: WaitOptions): Promise<void> {
    const deadline = deadlineOf("join process", options);
    this.#checkStarted("join");
    if (
      L.exitCode(REAL, this.#latch) === null &&
      !await runAsync(G.join(ASYNC, this.#latch, deadline), options?.signal)
    ) {
      throw waitFailure("join process", options);
    }
    this.#reportError(); // before join() returns, even if the exit event has not come yet
  }

  /**
   * Blocks the calling thread until the child ends. Fine in workers; on the main thread it freezes
   * the event loop while it waits.
   *
   * - A child that ends by itself (returns, throws, exits, or notices it reached its heap cap in a
   *   task) releases `joinSync()` directly, through shared memory.
   * - A child that Deno stops at its heap cap while it runs a timer callback cannot: only the `exit`
   *   event, handled by the event loop of the thread that started it, ends it. `joinSync()` on that
   *   thread then waits until its `timeout`; use `join()` there when `resourceLimits` are set.
   *
   * @param options `timeout` (ms).
   * @throws {RuntimeError} if the process was not started.
   * @throws {DOMException} `TimeoutError` on timeout.
   *
   * @example
   * ```ts
   * import { Process, taskModule } from "@interlock/interlock";
   * import assert from "node:assert/strict";
   *
   * const tasks = taskModule<{ noop(): void }>("data:text/javascript,export function noop() {}");
   * const p = new Process(tasks, "noop");
   * p.start();
   * p.joinSync();
   * assert.equal(p.exitCode, 0);
   * ```
   */
  joinSync(options?: SyncWaitOptions): void {
    const deadline = deadlineOf("join process", options);
    this.#checkStarted("join");
    if (!L.join(REAL, this.#latch, deadline)) throw waitFailure("join process", options);
    this.#reportError();
  }

  /**
   * Stops the child now (Python's `terminate()`); its exit code becomes `-15` once its thread has
   * ended.
   *
   * - A child waiting for something asynchronous stops at once.
   * - A child running synchronous code (a busy loop, `Atomics.wait`, a blocking `...Sync` call)
   *   cannot be interrupted in Deno 2.9: it ends when that code returns. If it has not ended after
   *   2 s, `terminate()` resolves `"unresponsive"` and abandons it: it no longer keeps the program
   *   alive; `isAlive` stays `true` and `exitCode` `null` until it really ends, then `exitCode` is
   *   `-15` and `join()` returns.
   *
   * @returns `"terminated"` (its thread ended), `"not-running"` (not started, or already ended), or
   *   `"unresponsive"` (its thread had not ended 2 s later).
   * @throws {RuntimeError} if the process was closed.
   *
   * @example
   * ```ts
   * import { Process, taskModule } from "@interlock/interlock";
   * import assert from "node:assert/strict";
   *
   * const tasks = taskModule<{ forever(): Promise<void> }>(
   *   "data:text/javascript,export function forever() { return new Promise(() => setInterval(() => {}, 1000)); }",
   * );
   * const p = new Process(tasks, "forever");
   * p.start();
   * assert.equal(await p.terminate(), "terminated");
   * assert.equal(p.exitCode, -15);
   * ```
   */
  terminate(): Promise<TerminateStatus> {
    return this.#stop("terminate", TERMINATED);
  }

  /**
   * Stops the child now (Python's `kill()`), as {@linkcode Process.terminate} does, except that its
   * exit code becomes `-9` ({@linkcode KILLED}). Threads have no signals: both stop the thread the
   * same way, and the same limits apply to a child running synchronous code.
   *
   * @returns As `terminate()`.
   * @throws {RuntimeError} if the process was closed.
   *
   * @example
   * ```ts
   * import { Process, taskModule } from "@interlock/interlock";
   * import assert from "node:assert/strict";
   *
   * const tasks = taskModule<{ forever(): Promise<void> }>(
   *   "data:text/javascript,export function forever() { return new Promise(() => setInterval(() => {}, 1000)); }",
   * );
   * const p = new Process(tasks, "forever");
   * p.start();
   * assert.equal(await p.kill(), "terminated");
   * assert.equal(p.exitCode, -9);
   * ```
   */
  kill(): Promise<TerminateStatus> {
    return this.#stop("kill", KILLED);
  }

  /**
   * Releases what the process holds in this thread (Python's `close()`): its ports and its place
   * in {@linkcode activeChildren}. Afterwards `start`, `join`, `joinSync`, `terminate` and `kill`
   * throw a `RuntimeError`; `exitCode`, `error`, `isAlive` and `id` still answer.
   *
   * @throws {RuntimeError} if the child is still running (started and not ended).
   *
   * @example
   * ```ts
   * import { Process, RuntimeError, taskModule } from "@interlock/interlock";
   * import assert from "node:assert/strict";
   *
   * const tasks = taskModule<{ noop(): void }>("data:text/javascript,export function noop() {}");
   * const p = new Process(tasks, "noop");
   * p.start();
   * await p.join();
   * p.close();
   * assert.equal(p.exitCode, 0);
   * assert.throws(() => p.start(), RuntimeError);
   * ```
   */
  close(): void {
    if (this.#closed) return;
    if (this.isAlive) {
      throw new RuntimeError(
        `Cannot close process ${this.name}: it is still running (join, terminate or kill it first)`,
      );
    }
    this.#closed = true;
    this.#readReport();
    this.#port?.close();
    children.delete(this as unknown as Process);
  }

  async #stop(what: string, code: number): Promise<TerminateStatus> {
    this.#checkOpen(what);
    const worker = this.#worker;
    if (!worker || L.exitCode(REAL, this.#latch) !== null) return "not-running";
    this.#stopCode ??= code;
    return await stopWorker(worker, this.#ended!) ? "terminated" : "unresponsive";
  }

  #checkStarted(what: string): void {
    this.#checkOpen(what);
    if (!this.#worker) {
      throw new RuntimeError(`Cannot ${what} process ${this.name}: it was not started`);
    }
  }

  #checkOpen(what: string): void {
    if (this.#closed) throw new RuntimeError(`Cannot ${what} process ${this.name}: it is closed`);
  }

  /** Calls `onWorkerError` if the child ended with an uncaught error (or out of memory). */
  /**
   * Calls `onWorkerError` (once) if the child has ended with an uncaught error (or out of memory),
   * not stopped by `terminate()` / `kill()`.
   */
  #reportError(): void {
    if (this.#reported || !this.#onWorkerError || this.#stopCode !== undefined) return;
    if (L.exitCode(REAL, this.#latch) === null) return;
    const error = this.error;
    if (error === undefined) return;
    this.#reported = true;
    const crash = error instanceof WorkerCrashedError ? error : new WorkerCrashedError(
      `Process ${this.name} (id ${this.id}) ended with an uncaught error`,
      { cause: error, workerId: this.id ?? -1, exitCode: this.exitCode },
    );
    this.#onWorkerError!(crash);
  }

  #readReport(): ExitReport | undefined {
    if (this.#report || !this.#port) return this.#report;
    const received = receiveMessageOnPort(this.#port as never) as
      | { message: ExitReport }
      | undefined;
    if (received) this.#report = received.message;
    return this.#report;
  }
}

/**
 * The processes started by the calling thread that have not ended yet (Python's
 * `multiprocessing.active_children()`), in the order they were started.
 *
 * - A process leaves the list as soon as its thread has ended (Python's joining of finished
 *   children is not needed: nothing is left to reap), or when it is closed.
 * - Only `Process` objects: a `Pool`'s workers are listed by `pool.workerIds()`.
 *
 * @returns The live children.
 *
 * @example
 * ```ts
 * import { activeChildren, Process, taskModule } from "@interlock/interlock";
 * import assert from "node:assert/strict";
 *
 * const tasks = taskModule<{ forever(): Promise<void> }>(
 *   "data:text/javascript,export function forever() { return new Promise(() => setInterval(() => {}, 1000)); }",
 * );
 * const p = new Process(tasks, "forever");
 * p.start();
 * assert.ok(activeChildren().includes(p));
 * await p.terminate();
 * assert.ok(!activeChildren().includes(p));
 * ```
 */
export function activeChildren(): Process[] {
  return [...children].filter((p) => p.isAlive);
}
