/**
 * The options of `Process` (`ProcessOptions`) and the exit codes it gives a child it stopped
 * (`TERMINATED`, `KILLED`). Apart from `process.ts`, which holds the class.
 *
 * @module
 */
import type { WorkerCrashedError } from "../errors.ts";
import type { ResourceLimits } from "./limits.ts";

/**
 * The exit code of a process stopped by `terminate()`, as Python's `-signal.SIGTERM`.
 *
 * @example
 * ```ts
 * import { Process, taskModule, TERMINATED } from "@interlock/interlock";
 * import assert from "node:assert/strict";
 *
 * const tasks = taskModule<{ forever(): Promise<void> }>(
 *   "data:text/javascript,export function forever() { return new Promise(() => setInterval(() => {}, 1000)); }",
 * );
 * const p = new Process(tasks, "forever");
 * p.start();
 * await p.terminate();
 * assert.equal(p.exitCode, TERMINATED);
 * ```
 */
export const TERMINATED: number = -15;

/**
 * The exit code of a process stopped by `kill()`, as Python's `-signal.SIGKILL`.
 *
 * @example
 * ```ts
 * import { KILLED, Process, taskModule } from "@interlock/interlock";
 * import assert from "node:assert/strict";
 *
 * const tasks = taskModule<{ forever(): Promise<void> }>(
 *   "data:text/javascript,export function forever() { return new Promise(() => setInterval(() => {}, 1000)); }",
 * );
 * const p = new Process(tasks, "forever");
 * p.start();
 * await p.kill();
 * assert.equal(p.exitCode, KILLED);
 * ```
 */
export const KILLED: number = -9;

/** Options of `new Process(...)`. */
export interface ProcessOptions<A extends unknown[] = unknown[]> {
  /**
   * Arguments of the function (structured clones; Interlock objects arrive revived).
   * @default {[]}
   */
  args?: A;
  /**
   * The process's name, as `currentProcess().name` reports it in the child.
   * @default {"Process-N"}
   */
  name?: string;
  /**
   * A daemon process does not keep the program alive: when the rest of the program is done, it is
   * stopped with it. A non-daemon process keeps the program running until it ends, as in Python.
   * @default {false}
   */
  daemon?: boolean;
  /**
   * `ArrayBuffer`s in `args` to move to the child instead of copying.
   * @default {[]}
   */
  transfer?: Transferable[];
  /**
   * Heap and stack caps of the child, as `node:worker_threads`' option. A child that reaches its
   * heap cap does not abort the whole program: it ends with exit code 1 and `error` a
   * {@linkcode WorkerCrashedError} ("Process P ran out of memory ..."; its `cause.code` is
   * `"ERR_WORKER_OUT_OF_MEMORY"`). `maxOldGenerationSizeMb` defaults to this thread's own heap
   * limit; `null` removes every cap (then a child that runs out of memory aborts the program).
   * Best effort: see {@linkcode ResourceLimits}.
   * @default {{ maxOldGenerationSizeMb: this thread's heap limit }}
   */
  resourceLimits?: ResourceLimits | null;
  /**
   * Called in this thread with a {@linkcode WorkerCrashedError} when the child ends because of an
   * uncaught error (its function threw, or an error escaped it later) or ran out of memory; the
   * error's `cause` is what was thrown, as in {@linkcode Process.error}, and its `workerId` the
   * child's id. When it is given, the child no longer prints the error to stderr itself.
   * @default {undefined: the child prints "Process NAME (id N):" and the error's stack to stderr}
   */
  onWorkerError?: (error: WorkerCrashedError) => void;
}
