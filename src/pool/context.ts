/**
 * What code running in a `Process` or `Pool` worker can ask about where it runs: the process's name
 * and ids (`currentProcess()`, Python's `multiprocessing.current_process()` / `os.getpid()` /
 * `os.getppid()`), the running task's `AbortSignal` (`taskSignal()`), and the number of CPUs
 * (`cpuCount()`).
 *
 * The state lives on `globalThis` under registered symbols, so that a task module which reaches
 * Interlock through another URL than the worker's own copy still sees it.
 *
 * @module
 */
import { threadId } from "node:worker_threads";

/** Who a thread is, as Python's `multiprocessing.current_process()` tells it. */
export interface ProcessInfo {
  /**
   * The name: `"MainProcess"` on the main thread, a `Process`'s `name` (default `"Process-N"`), or
   * `"PoolWorker-N"` in a pool's worker.
   */
  readonly name: string;
  /** A number unique among the threads of this program (the role of a `pid`); 0 on the main thread. */
  readonly id: number;
  /** The `id` of the thread that started this one; `null` on the main thread or if unknown. */
  readonly parentId: number | null;
  /** Whether this is a daemon `Process` (pool workers count as daemons, as in Python). */
  readonly daemon: boolean;
}

const PROCESS = Symbol.for("interlock.currentProcess");
const TASK = Symbol.for("interlock.taskSignal");

type Slots = { [PROCESS]?: ProcessInfo; [TASK]?: () => AbortSignal };
const slots = globalThis as unknown as Slots;

/**
 * Tells who the calling thread is: its name, its id and its parent's id.
 *
 * - On the main thread: `{ name: "MainProcess", id: 0, parentId: null, daemon: false }`.
 * - In a `Process` child or a `Pool` worker: the name given (or generated), the worker's thread id,
 *   and the id of the thread that started it. Ids are unique within the program, including nested
 *   workers.
 * - In a worker that Interlock did not start: its `name` and id, with `parentId` null.
 *
 * @returns The calling thread's {@linkcode ProcessInfo}.
 *
 * @example On the main thread
 * ```ts
 * import { currentProcess } from "@interlock/interlock";
 * import assert from "node:assert/strict";
 *
 * const me = currentProcess();
 * assert.equal(me.name, "MainProcess");
 * assert.equal(me.id, 0);
 * assert.equal(me.parentId, null);
 * ```
 */
export function currentProcess(): ProcessInfo {
  const info = slots[PROCESS];
  if (info) return info;
  if (threadId === 0) return { name: "MainProcess", id: 0, parentId: null, daemon: false };
  const name = (globalThis as { name?: unknown }).name;
  return {
    name: typeof name === "string" && name !== "" ? name : `Thread-${threadId}`,
    id: threadId,
    parentId: null,
    daemon: false,
  };
}

/**
 * The `AbortSignal` of the pool task that is running in the calling worker.
 *
 * - A `Pool` worker runs one task at a time; while a task runs (including across its `await`s),
 *   this returns that task's signal. It aborts when the caller aborts the task (the `signal` option
 *   of `apply`, `map` ...), with the caller's reason.
 * - Cancellation is cooperative: check `signal.aborted` or listen for `abort`. A task that does not
 *   finish within the pool's `abortGrace` after the abort has its worker replaced.
 * - Outside a pool task (main thread, a `Process`), returns a signal that never aborts.
 *
 * @returns The running task's signal.
 *
 * @example Outside a task the signal never aborts
 * ```ts
 * import { taskSignal } from "@interlock/interlock";
 * import assert from "node:assert/strict";
 *
 * assert.equal(taskSignal().aborted, false);
 * ```
 */
export function taskSignal(): AbortSignal {
  return slots[TASK]?.() ?? NEVER;
}

const NEVER = new AbortController().signal;

/**
 * The number of logical CPUs the program may use (Python's `os.cpu_count()` /
 * `multiprocessing.cpu_count()`): the default size of a `Pool` and of an `Executor`.
 *
 * - It is `navigator.hardwareConcurrency`, which needs no permission; at least 1.
 *
 * @returns The number of logical CPUs.
 *
 * @example
 * ```ts
 * import { cpuCount } from "@interlock/interlock";
 * import assert from "node:assert/strict";
 *
 * assert.ok(Number.isInteger(cpuCount()) && cpuCount() >= 1);
 * ```
 */
export function cpuCount(): number {
  const n = globalThis.navigator?.hardwareConcurrency;
  return typeof n === "number" && Number.isInteger(n) && n >= 1 ? n : 1;
}

/** Sets what {@linkcode currentProcess} returns in this thread (worker side). */
export function setCurrentProcess(info: ProcessInfo): void {
  slots[PROCESS] = info;
}

/**
 * Sets (or clears) what {@linkcode taskSignal} returns in this thread (worker side): a function, so
 * that a task that never asks for its signal costs no `AbortController`.
 */
export function setTaskSignal(provider: (() => AbortSignal) | undefined): void {
  if (provider) slots[TASK] = provider;
  else delete slots[TASK];
}
