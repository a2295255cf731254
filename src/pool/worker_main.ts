/**
 * The program every `Pool` worker and `Process` child runs (started with `node:worker_threads`; how
 * the parent stops one and knows it ended: `_stop.ts`). It imports no parent-side code: revival
 * knows its classes through `_revivable.ts`, not `mod.ts`.
 *
 * - **Errors never escape.** Handlers for uncaught errors and unhandled rejections are installed
 *   before anything else runs: the error is reported to the parent (serialized with its class, stack,
 *   cause and properties) and the worker exits with code 1. `process.exit`, `Deno.exit` and `close`
 *   are wrapped so that a task that calls them still reports (a pool worker first sends the results
 *   it holds; a process records its exit code).
 * - **Pool role.** After `init` (import the task module, run the initializer), the worker runs the
 *   tasks of each `run` batch in order, one at a time (awaiting a task that returns a Promise). Before
 *   running a task it claims the task's slot (`src/kernel/task_slot.ts`); a task the pool revoked is
 *   skipped. Results go back in batches: they are held only while the next task is one known to be
 *   tiny (< {@linkcode TINY_MS} on average), so a long task never delays the results before it.
 * - **Out of memory.** A worker with resource limits that reached its heap cap inside a Promise
 *   continuation reports an `ERR_WORKER_OUT_OF_MEMORY` error (a pool worker as `fatal`, a process in
 *   its exit report) and exits with code 1 (see `limits.ts` for why Deno does not end it).
 * - **Process role.** Runs one export with the given arguments, reports how it ended on the report
 *   port, closes the exit latch (`src/kernel/exit_latch.ts`), and exits with 0 (returned) or 1
 *   (threw; the error is also printed to stderr, as Python prints a child's traceback).
 *
 * @module
 */
import { parentPort, threadId, workerData } from "node:worker_threads";
import process from "node:process";
import v8 from "node:v8";
import { REAL } from "../_atomics.ts";
import { revive } from "../_region.ts";
import * as L from "../kernel/exit_latch.ts";
import * as S from "../kernel/task_slot.ts";
import { setCurrentProcess, setTaskSignal } from "./context.ts";
import { MEMORY_WATCH_MS, OUT_OF_MEMORY } from "./limits.ts";
import {
  CALL,
  type ExitReport,
  type Failure,
  type FromWorker,
  type Kind,
  MAP,
  rebuildThrown,
  type RunMessage,
  serializeThrown,
  type StartMessage,
  type ToWorker,
  type WorkerData,
} from "./protocol.ts";
// Loads every revivable class, so that revive() knows every tag it may meet in arguments.
import { reviveList } from "./_revivable.ts";

/** A task whose average run time is below this many milliseconds counts as tiny. */
export const TINY_MS = 0.05;
/** Results held at most before they are sent. */
const MAX_HELD = 256;

const port = parentPort!;
const data = workerData as WorkerData;
const realExit: (code?: number) => never = Deno.exit.bind(Deno);

// --- Errors never escape -------------------------------------------------------------------------
globalThis.addEventListener("error", (event) => {
  event.preventDefault();
  fatal(event.error);
});
globalThis.addEventListener("unhandledrejection", (event) => {
  event.preventDefault();
  fatal(event.reason);
});

let fatalSeen = false;
function fatal(error: unknown): void {
  if (fatalSeen) return;
  fatalSeen = true;
  if (data.role === "process") {
    printChildError(error);
    endProcess(1, error);
  } else {
    flush();
    send({ type: "fatal", error: serializeThrown(error) });
    realExit(1);
  }
}

// --- Out of memory -------------------------------------------------------------------------------
// A worker with resource limits that reaches its heap cap inside a Promise continuation (every task
// runs in one: messages are dispatched from Promises) is not ended by Deno 2.9: only that
// continuation stops, and V8's heap limit is raised (see limits.ts). A timer, which runs as a
// macrotask, notices the raise and ends the worker as Deno does for a cap reached in a macrotask.
if (data.memoryWatch) {
  const initialLimit = v8.getHeapStatistics().heap_size_limit;
  const timer = setInterval(() => {
    if (v8.getHeapStatistics().heap_size_limit > initialLimit) outOfMemory();
  }, MEMORY_WATCH_MS);
  Deno.unrefTimer(timer);
}

function outOfMemory(): void {
  if (fatalSeen) return;
  fatalSeen = true;
  const error = new Error("Worker terminated due to reaching memory limit: JS heap out of memory");
  Object.assign(error, { code: OUT_OF_MEMORY });
  error.stack = `Error [${OUT_OF_MEMORY}]: ${error.message}`;
  if (data.role === "process") {
    printChildError(error);
    endProcess(1, error, true);
  } else {
    flush();
    send({ type: "fatal", error: serializeThrown(error), outOfMemory: true });
    realExit(1);
  }
}

function exitWrapper(code: unknown): never {
  const n = typeof code === "number" && Number.isInteger(code) ? code : 0;
  if (data.role === "process") endProcess(n, undefined);
  flush();
  return realExit(n);
}
process.exit = exitWrapper as typeof process.exit;
Deno.exit = exitWrapper as typeof Deno.exit;
(globalThis as { close?: () => void }).close = () => exitWrapper(0);

setCurrentProcess({ name: data.name, id: threadId, parentId: data.parentId, daemon: data.daemon });

function send(message: FromWorker): void {
  port.postMessage(message);
}

// --- Pool role -----------------------------------------------------------------------------------
interface Pending {
  id: number;
  slot: number;
  gen: number;
  name: string;
  kind: Kind;
  args: unknown[] | Int32Array | Float64Array;
}

let module: Record<string, unknown> = {};
let words: Int32Array = new Int32Array(0);
let ready = false;
let draining = false;
let stopping = false;
const queue: Pending[] = [];
let head = 0;

// Results held for the next batch.
let outIds: number[] = [];
let outValues: unknown[] = [];
let outFailed: number[] = [];

/** Average run time (ms) per task name and kind: decides whether results may wait for the next. */
const averages = new Map<string, number>();

/** The running task: its id, and its abort controller once someone asked for the signal. */
let current: { id: number; controller: AbortController | undefined; reason: unknown } | undefined;
let currentAborted = false;

setTaskSignal(() => {
  const task = current;
  if (!task) return NEVER;
  if (!task.controller) {
    task.controller = new AbortController();
    if (currentAborted) task.controller.abort(task.reason);
  }
  return task.controller.signal;
});
const NEVER = new AbortController().signal;

function flush(): void {
  if (outIds.length === 0) return;
  const message: FromWorker = {
    type: "results",
    ids: outIds,
    values: outValues,
    failed: outFailed,
  };
  try {
    port.postMessage(message);
  } catch {
    // Some value cannot be cloned: send one result at a time, turning each that fails into an error.
    for (let i = 0; i < outIds.length; i++) {
      const failed = outFailed.includes(i);
      try {
        port.postMessage(
          {
            type: "results",
            ids: [outIds[i]!],
            values: [outValues[i]],
            failed: failed ? [0] : [],
          } satisfies FromWorker,
        );
      } catch (error) {
        const failure: Failure = { error: serializeThrown(error), index: -1 };
        port.postMessage(
          {
            type: "results",
            ids: [outIds[i]!],
            values: [failure],
            failed: [0],
          } satisfies FromWorker,
        );
      }
    }
  }
  outIds = [];
  outValues = [];
  outFailed = [];
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (typeof value === "object" || typeof value === "function") && value !== null &&
    typeof (value as { then?: unknown }).then === "function";
}

/**
 * Starts one task: returns its result, or a Promise of it once some call returned a thenable (only
 * then does the task cost an `await`). A chunk's failing item throws an {@linkcode ItemFailure}.
 */
function startTask(fn: (...args: unknown[]) => unknown, task: Pending): unknown {
  if (task.kind === CALL) return fn(...reviveList(task.args as unknown[]));
  const star = task.kind !== MAP;
  const items: ArrayLike<unknown> = !Array.isArray(task.args)
    ? task.args
    : star
    ? revive(task.args) as unknown[]
    : reviveList(task.args);
  const n = items.length;
  // Results go back packed in a typed array over shared memory while every one of them is a number
  // (an Int32Array while they are 32-bit integers): it crosses to the parent by reference, where an
  // array of numbers is serialized element by element.
  let ints: Int32Array | undefined = new Int32Array(new SharedArrayBuffer(n * 4));
  let doubles: Float64Array | undefined;
  let out: unknown[] | undefined;
  for (let i = 0; i < n; i++) {
    let r: unknown;
    try {
      r = star ? fn(...(items[i] as unknown[])) : fn(items[i]);
    } catch (error) {
      throw new ItemFailure(error, i);
    }
    if (typeof r === "number") {
      if (ints !== undefined) {
        if ((r | 0) === r && !Object.is(r, -0)) {
          ints[i] = r;
          continue;
        }
        doubles = new Float64Array(new SharedArrayBuffer(n * 8));
        for (let k = 0; k < i; k++) doubles[k] = ints[k]!;
        ints = undefined;
      }
      if (doubles !== undefined) {
        doubles[i] = r;
        continue;
      }
    }
    if (out === undefined) {
      const packed = ints ?? doubles!;
      out = new Array<unknown>(n);
      for (let k = 0; k < i; k++) out[k] = packed[k];
      ints = doubles = undefined;
    }
    if (isThenable(r)) return finishChunk(fn, star, items, out, i, r);
    out[i] = r;
  }
  return ints ?? doubles ?? out;
}

async function finishChunk(
  fn: (...args: unknown[]) => unknown,
  star: boolean,
  items: ArrayLike<unknown>,
  out: unknown[],
  first: number,
  pending: PromiseLike<unknown>,
): Promise<unknown[]> {
  let i = first;
  try {
    out[i] = await pending;
    for (i++; i < items.length; i++) {
      const r = star ? fn(...(items[i] as unknown[])) : fn(items[i]);
      out[i] = isThenable(r) ? await r : r;
    }
  } catch (error) {
    throw new ItemFailure(error, i);
  }
  return out;
}

class ItemFailure {
  constructor(readonly error: unknown, readonly index: number) {}
}

function lookup(name: string): (...args: unknown[]) => unknown {
  const fn = module[name];
  if (typeof fn !== "function") {
    throw new TypeError(
      `Cannot run task: the task module has no exported function '${name}', found ${typeof fn}`,
    );
  }
  return fn as (...args: unknown[]) => unknown;
}

async function drain(): Promise<void> {
  draining = true;
  try {
    while (head < queue.length) {
      const task = queue[head]!;
      queue[head++] = undefined as unknown as Pending;
      if (head > 1024 && head * 2 > queue.length) {
        queue.splice(0, head);
        head = 0;
      }
      if (!S.claim(REAL, words, task.slot, task.gen)) continue; // revoked by the pool
      const key = task.kind === CALL ? task.name : `${task.kind}:${task.name}`;
      const average = averages.get(key);
      // Hold results only while the task about to run is known to be tiny.
      if (outIds.length > 0 && (average === undefined || average >= TINY_MS)) flush();
      current = { id: task.id, controller: undefined, reason: undefined };
      currentAborted = false;
      const start = performance.now();
      let value: unknown;
      let failure: Failure | undefined;
      try {
        value = startTask(lookup(task.name), task);
        if (isThenable(value)) value = await value;
      } catch (error) {
        failure = error instanceof ItemFailure
          ? { error: serializeThrown(error.error), index: error.index }
          : { error: serializeThrown(error), index: -1 };
      }
      const took = performance.now() - start;
      averages.set(key, average === undefined ? took : average * 0.75 + took * 0.25);
      current = undefined;
      S.finish(REAL, words, task.slot, task.gen);
      if (failure) outFailed.push(outIds.length);
      outIds.push(task.id);
      outValues.push(failure ?? value);
      if (outIds.length >= MAX_HELD) flush();
    }
  } finally {
    draining = false;
  }
  flush();
  if (stopping) realExit(0);
}

async function init(message: Extract<ToWorker, { type: "init" }>): Promise<void> {
  words = new Int32Array(message.slots);
  try {
    module = await import(message.module) as Record<string, unknown>;
    if (message.initializer !== null) {
      const fn = module[message.initializer];
      if (typeof fn !== "function") {
        throw new TypeError(
          `Cannot initialize worker: the task module has no exported function '${message.initializer}', found ${typeof fn}`,
        );
      }
      await fn(...reviveList(message.initArgs));
    }
  } catch (error) {
    send({ type: "init-failed", error: serializeThrown(error) });
    return;
  }
  ready = true;
  send({ type: "ready" });
  if (!draining) void drain();
}

function enqueue(message: RunMessage): void {
  const { ids, slots, gens, names, kinds, args } = message;
  for (let i = 0; i < ids.length; i++) {
    queue.push({
      id: ids[i]!,
      slot: slots[i]!,
      gen: gens[i]!,
      name: names[i]!,
      kind: kinds[i]!,
      args: args[i]!,
    });
  }
  // Tasks run one at a time: a drain in progress (awaiting an async task) picks these up.
  if (ready && !draining) void drain();
}

// --- Process role --------------------------------------------------------------------------------
let latch: Int32Array | undefined;
let reportPort: MessagePort | undefined;
let ended = false;

function printChildError(error: unknown): void {
  const text = error instanceof Error ? (error.stack ?? `${error.name}: ${error.message}`) : error;
  console.error(`Process ${data.name}:`, text);
}

/** Reports how the process ended (first the report, then the latch) and exits. */
function endProcess(code: number, error: unknown, outOfMemory = false): never {
  if (!ended) {
    ended = true;
    const report: ExitReport = {
      type: "exit",
      code,
      error: error === undefined ? null : serializeThrown(error),
      ...(outOfMemory ? { outOfMemory } : {}),
    };
    reportPort?.postMessage(report);
    if (latch) L.close(REAL, latch, code);
  }
  return realExit(code);
}

async function start(message: StartMessage): Promise<void> {
  latch = new Int32Array(message.latch);
  reportPort = message.port;
  try {
    const mod = await import(message.module) as Record<string, unknown>;
    const fn = mod[message.exportName];
    if (typeof fn !== "function") {
      throw new TypeError(
        `Cannot start process: the module has no exported function '${message.exportName}', found ${typeof fn}`,
      );
    }
    await fn(...reviveList(message.args));
  } catch (error) {
    printChildError(error);
    endProcess(1, error);
  }
  endProcess(0, undefined);
}

// --- Messages ------------------------------------------------------------------------------------
function onMessage(message: ToWorker): void {
  switch (message.type) {
    case "port":
      message.port.onmessage = (event: MessageEvent<ToWorker>) => onMessage(event.data);
      break;
    case "run":
      enqueue(message);
      break;
    case "abort":
      if (current?.id === message.id && !currentAborted) {
        currentAborted = true;
        current.reason = rebuildThrown(message.reason);
        current.controller?.abort(current.reason);
      }
      break;
    case "init":
      void init(message);
      break;
    case "stop":
      stopping = true;
      if (!draining) {
        flush();
        realExit(0);
      }
      break;
    case "start":
      void start(message);
      break;
  }
}

port.on("message", onMessage);
