/**
 * Starting a worker thread that runs `worker_main.ts`: the one place where `Pool` and `Process`
 * create their workers.
 *
 * @module
 */
import { type Transferable as NodeTransferable, Worker } from "node:worker_threads";
import type { ResourceLimits } from "./limits.ts";
import type { ToWorker, WorkerData } from "./protocol.ts";
import { threadEnd } from "./_stop.ts";
import { moduleUrl } from "../_module_url.ts";
// The worker program is started by URL, never imported. This import (erased from the JavaScript)
// puts it, and all it imports, in the package's module graph: JSR's npm build transpiles only the
// modules of that graph, so Node and Bun find `worker_main.js` beside this module's `.js`.
import type {} from "./worker_main.ts";

/** The program every pool worker and process child runs (`.ts` from source, `.js` in the npm build). */
export const WORKER_MAIN: URL = moduleUrl("./worker_main", import.meta.url);

/** A started worker, with the port the parent talks to it through. */
export interface Spawned {
  /** The thread. */
  readonly worker: Worker;
  /**
   * Where the parent's messages to the worker go: a Web `MessagePort`, because in Deno 2.9 a message
   * through `node:worker_threads`' `Worker.postMessage` costs about 5x more (and a typed array in it
   * about 100x more) than through a `MessagePort`. Never close it before `ended` resolved: it closes
   * itself when the thread ends, which is what `ended` tells.
   */
  readonly inbox: MessagePort;
  /** Resolves when the thread has really ended (see `_stop.ts`). */
  readonly ended: Promise<void>;
}

/**
 * Starts `worker_main.ts` in a new thread with `data` and `limits`, and hands it the other end of
 * {@linkcode Spawned.inbox} (its first message, through `parentPort`).
 *
 * @param data What the worker is started as (`memoryWatch` is set from `limits`).
 * @param limits Its resource limits, already validated.
 * @returns The worker, its inbox and its end.
 * @throws The error of the thread's creation; a missing permission reworded to name the flag (see
 *   {@linkcode spawnFailure}).
 */
export function spawnWorker(
  data: Omit<WorkerData, "memoryWatch">,
  limits: ResourceLimits | undefined,
): Spawned {
  const full: WorkerData = { ...data, memoryWatch: limits !== undefined };
  let worker: Worker;
  try {
    worker = new Worker(WORKER_MAIN, {
      name: data.name,
      workerData: full,
      ...(limits === undefined ? {} : { resourceLimits: limits }),
    });
  } catch (error) {
    throw spawnFailure(error, WORKER_MAIN);
  }
  const channel = new MessageChannel();
  const ended = threadEnd(channel.port1);
  const port: ToWorker = { type: "port", port: channel.port2 };
  worker.postMessage(port, [channel.port2 as unknown as NodeTransferable]);
  return { worker, inbox: channel.port1, ended };
}

/**
 * The error to report when a worker thread cannot be created. Deno refuses to read the worker's
 * program without `--allow-read` (a `NotCapable` error whose stack points into Interlock's code):
 * that one is reworded to say what needs the permission and which flag grants it, keeping its class
 * and the original as `cause`; any other error is returned as it is.
 *
 * @param error What creating the thread threw.
 * @param program The program the thread was to run (`worker_main.ts`, the manager's server).
 * @returns The error to throw.
 */
export function spawnFailure(error: unknown, program: URL): unknown {
  const name = (error as { name?: unknown } | null)?.name;
  if (!(error instanceof Error) || (name !== "NotCapable" && name !== "PermissionDenied")) {
    return error;
  }
  const path = decodeURIComponent(program.pathname);
  const message =
    `Cannot start a worker thread: it runs Interlock's program ${path}, which Deno may not read: ` +
    `run with --allow-read (or --allow-read=${path.slice(0, path.lastIndexOf("/src/"))} ` +
    "and the directories of your task modules)";
  try {
    const Class = error.constructor as new (message: string, options: ErrorOptions) => Error;
    const clear = new Class(message, { cause: error });
    if (clear instanceof Error && clear.message === message) {
      Error.captureStackTrace?.(clear, spawnFailure); // the stack starts where the thread was asked for
      return clear;
    }
  } catch {
    // A class whose constructor takes other arguments: a plain Error below.
  }
  const clear = new Error(message, { cause: error });
  clear.name = String(name);
  return clear;
}
