/**
 * The core of the worker program (`worker_main.ts`), the same in both roles: the port to the parent,
 * errors that never escape, the exit wrappers, the memory watch and `currentProcess()`. A
 * {@linkcode Role} (`_worker_pool.ts`, `_worker_process.ts`) says how the worker reports its end and
 * handles the parent's messages.
 *
 * - **Errors never escape.** Handlers for uncaught errors and unhandled rejections are installed
 *   before anything else runs: the role reports the error to the parent (serialized with its class,
 *   stack, cause and properties) and the worker exits with code 1. `process.exit`, `Deno.exit` and
 *   `close` are wrapped so that a task that calls them still reports (a pool worker first sends the
 *   results it holds; a process records its exit code).
 * - **Out of memory.** A worker with resource limits that reached its heap cap inside a Promise
 *   continuation reports an `ERR_WORKER_OUT_OF_MEMORY` error (a pool worker as `fatal`, a process in
 *   its exit report) and exits with code 1 (see `limits.ts` for why Deno does not end it).
 *
 * @module
 */
import { parentPort, threadId, workerData } from "node:worker_threads";
import v8 from "node:v8";
import { exitThread, onUncaught, replaceExit, unrefTimer } from "../_runtime.ts";
import { setCurrentProcess } from "./context.ts";
import { MEMORY_WATCH_MS, OUT_OF_MEMORY } from "./limits.ts";
import type { FromWorker, ToWorker, WorkerData } from "./protocol.ts";

/** The parent's end of messages from this worker (and the first message to it: the inbox port). */
export const port = parentPort!;
/** What this worker was started as. */
export const data = workerData as WorkerData;
/** The runtime's own exit, before the wrapper replaces it. */
export const realExit: (code?: number) => never = exitThread;

/** Sends `message` to the parent. */
export function send(message: FromWorker): void {
  port.postMessage(message);
}

/** What a worker does in its role: how it ends, and what it does with the parent's messages. */
export interface Role {
  /**
   * Reports an uncaught error (`outOfMemory`: reaching the heap cap) to the parent and exits with
   * code 1. Called at most once.
   */
  fail(error: unknown, outOfMemory: boolean): void;
  /** Ends the worker with `code`, for a task that called `process.exit`, `Deno.exit` or `close`. */
  exit(code: number): never;
  /** Handles a message from the parent (every one but the first, `port`). */
  onMessage(message: ToWorker): void;
}

/** Installs the core (error handlers, memory watch, exit wrappers) and starts listening. */
export function runWorker(role: Role): void {
  // --- Errors never escape -----------------------------------------------------------------------
  let failed = false;
  const fail = (error: unknown, outOfMemory: boolean) => {
    if (failed) return;
    failed = true;
    role.fail(error, outOfMemory);
  };
  onUncaught((error) => fail(error, false), true);

  // --- Out of memory -----------------------------------------------------------------------------
  // A worker with resource limits that reaches its heap cap inside a Promise continuation (every
  // task runs in one: messages are dispatched from Promises) is not ended by Deno 2.9: only that
  // continuation stops, and V8's heap limit is raised (see limits.ts). A timer, which runs as a
  // macrotask, notices the raise and ends the worker as Deno does for a cap reached in a macrotask.
  if (data.memoryWatch) {
    const initialLimit = v8.getHeapStatistics().heap_size_limit;
    const timer = setInterval(() => {
      if (!failed && v8.getHeapStatistics().heap_size_limit > initialLimit) {
        fail(outOfMemoryError(), true);
      }
    }, MEMORY_WATCH_MS);
    unrefTimer(timer);
  }

  // --- Exit wrappers -----------------------------------------------------------------------------
  const exit = (code: unknown): never =>
    role.exit(typeof code === "number" && Number.isInteger(code) ? code : 0);
  replaceExit(exit);
  (globalThis as { close?: () => void }).close = () => exit(0);

  setCurrentProcess({
    name: data.name,
    id: threadId,
    parentId: data.parentId,
    daemon: data.daemon,
  });

  // --- Messages ----------------------------------------------------------------------------------
  const onMessage = (message: ToWorker) => {
    if (message.type === "port") {
      message.port.onmessage = (event: MessageEvent<ToWorker>) => onMessage(event.data);
    } else role.onMessage(message);
  };
  port.on("message", onMessage);
}

/** The error of a worker stopped at its heap cap, as Deno reports it for a macrotask. */
function outOfMemoryError(): Error {
  const error = new Error("Worker terminated due to reaching memory limit: JS heap out of memory");
  Object.assign(error, { code: OUT_OF_MEMORY });
  error.stack = `Error [${OUT_OF_MEMORY}]: ${error.message}`;
  return error;
}
