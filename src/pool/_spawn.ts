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
import { workerUrl } from "../_runtime.ts";
// The worker program is started by URL, never imported. This import (erased from the JavaScript)
// puts it, and all it imports, in the package's module graph: JSR's npm build transpiles only the
// modules of that graph, so Node and Bun find `worker_main.js` beside this module's `.js`.
import type {} from "./worker_main.ts";

const WORKER_MAIN = workerUrl("./worker_main", import.meta.url);

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
 */
export function spawnWorker(
  data: Omit<WorkerData, "memoryWatch">,
  limits: ResourceLimits | undefined,
): Spawned {
  const full: WorkerData = { ...data, memoryWatch: limits !== undefined };
  const worker = new Worker(WORKER_MAIN, {
    name: data.name,
    workerData: full,
    ...(limits === undefined ? {} : { resourceLimits: limits }),
  });
  const channel = new MessageChannel();
  const ended = threadEnd(channel.port1);
  const port: ToWorker = { type: "port", port: channel.port2 };
  worker.postMessage(port, [channel.port2 as unknown as NodeTransferable]);
  return { worker, inbox: channel.port1, ended };
}
