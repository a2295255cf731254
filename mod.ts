/**
 * Interlock: typed concurrency for Deno. Locks, semaphores, events, conditions and barriers over
 * `SharedArrayBuffer`, shared values and queues, processes and pools of Web Workers, with Python
 * `multiprocessing` semantics, and an interleaving explorer (`@interlock/interlock/explore`) that
 * proves race-freedom properties of code built on them.
 *
 * Every object lives in shared memory: send it to a worker with `postMessage` and revive it there
 * with `X.from(data)` (or {@linkcode revive}); both sides then use the same lock, queue or value.
 * Waiting methods come as a Promise (`acquire()`, any thread) and as a blocking form
 * (`acquireSync()`, for workers), with `timeout` and `signal` options.
 *
 * This module loads no npm package (import it by path without an import map if you like). The
 * parts that do are subpaths: `@interlock/interlock/manager` (`Manager`, over comlink),
 * `@interlock/interlock/explore` (fast-check) and `@interlock/interlock/redis` (node-redis).
 *
 * @example
 * ```ts
 * import { Lock } from "@interlock/interlock";
 * import assert from "node:assert/strict";
 *
 * const lock = new Lock();
 * {
 *   using _ = await lock.acquire();
 *   assert.ok(lock.locked());
 * }
 * assert.ok(!lock.locked());
 * ```
 *
 * @module
 */
export { Lock } from "./src/sync/lock.ts";
export type { LockLike } from "./src/sync/lock_like.ts";
export { RLock } from "./src/sync/rlock.ts";
export { BoundedSemaphore, Semaphore, type SemaphoreOptions } from "./src/sync/semaphore.ts";
export { Event } from "./src/sync/event.ts";
export { Condition } from "./src/sync/condition.ts";
export { Barrier, type BarrierOptions } from "./src/sync/barrier.ts";
export { BrokenBarrierError, OwnerDiedError, RuntimeError } from "./src/errors.ts";
export { ManagerCrashedError, ManagerShutdownError } from "./src/errors.ts";
export type {
  AcquireOptions,
  AcquireSyncOptions,
  SyncWaitOptions,
  WaitOptions,
} from "./src/options.ts";
export { type Region, revive } from "./src/_region.ts";
export { type InterlockTransferHandler, interlockTransferHandler } from "./src/comlink.ts";
export { Value } from "./src/shared/value.ts";
export { SharedArray } from "./src/shared/array.ts";
export type { ElementType, NumberOf, SharedOptions, Typecode, ViewOf } from "./src/shared/_type.ts";
export { Pool } from "./src/pool/pool.ts";
export type {
  ApplyAsyncOptions,
  MapAsyncOptions,
  MapOptions,
  PoolOptions,
  PoolStats,
  TaskOptions,
} from "./src/pool/pool_options.ts";
export { activeChildren, Process } from "./src/pool/process.ts";
export { KILLED, type ProcessOptions, TERMINATED } from "./src/pool/process_options.ts";
export type { ResourceLimits } from "./src/pool/limits.ts";
export { AsyncResult } from "./src/pool/async_result.ts";
export type { TaskState } from "./src/pool/async_result.ts";
export { cpuCount, currentProcess, taskSignal } from "./src/pool/context.ts";
export type { ProcessInfo } from "./src/pool/context.ts";
export { taskModule } from "./src/pool/types.ts";
export type {
  AnyModule,
  TaskArgs,
  TaskItem,
  TaskModule,
  TaskName,
  TaskResult,
  TerminateStatus,
} from "./src/pool/types.ts";
export { WorkerCrashedError } from "./src/errors.ts";
export { JoinableQueue, Queue, type QueueOptions } from "./src/channel/queue.ts";
export { SimpleQueue } from "./src/channel/simple_queue.ts";
export { Connection, Pipe, type PipeDirection, type PipeOptions } from "./src/channel/pipe.ts";
export {
  BrokenPipeError,
  EOFError,
  QueueClosedError,
  QueueEmptyError,
  QueueFullError,
} from "./src/errors.ts";
export { Executor } from "./src/executor/executor.ts";
export type {
  ExecutorMapOptions,
  ExecutorOptions,
  ShutdownOptions,
} from "./src/executor/executor.ts";
export { Future } from "./src/executor/future.ts";
export type { FutureState } from "./src/executor/future.ts";
export {
  ALL_COMPLETED,
  asCompleted,
  FIRST_COMPLETED,
  FIRST_EXCEPTION,
  wait,
} from "./src/executor/wait.ts";
export type {
  AsCompletedOptions,
  Completed,
  DoneAndNotDone,
  ReturnWhen,
  WaitForOptions,
} from "./src/executor/wait.ts";
export { CancelledError } from "./src/errors.ts";
