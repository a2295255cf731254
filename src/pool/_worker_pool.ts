/**
 * The pool role of the worker program (`worker_main.ts`): runs the tasks a `Pool` sends.
 *
 * - After `init` (import the task module, run the initializer), the worker runs the tasks of each
 *   `run` batch in order, one at a time (awaiting a task that returns a Promise). Before running a
 *   task it claims the task's slot (`src/kernel/task_slot.ts`); a task the pool revoked is skipped.
 * - Results go back in batches: they are held only while the next task is one known to be tiny
 *   (< {@linkcode TINY_MS} on average), so a long task never delays the results before it.
 * - `abort` aborts the running task's `taskSignal()`; `stop` exits once the tasks received ran.
 * - On an uncaught error or a call of `process.exit` (see `_worker_core.ts`), it first sends the
 *   results it holds.
 *
 * @module
 */
import { REAL } from "../_atomics.ts";
import { revive } from "../_region.ts";
import * as S from "../kernel/task_slot.ts";
import { setTaskSignal } from "./context.ts";
import {
  CALL,
  type Failure,
  type FromWorker,
  MAP,
  rebuildThrown,
  type RunMessage,
  serializeThrown,
  type ToWorker,
} from "./protocol.ts";
import { packStrings, unpackStrings } from "./_packed_strings.ts";
import { decodeRun, type RunEntry } from "./_run_batch.ts";
import { loadClasses, needsClasses, reviveList } from "./_revivable.ts";
import { port, realExit, type Role, send } from "./_worker_core.ts";

/** A task whose average run time is below this many milliseconds counts as tiny. */
export const TINY_MS = 0.05;
/**
 * Results held at most before they are sent: half a worker's slots (`S.SLOTS`), so that the pool
 * frees slots and sends the next batch while this worker still runs the rest of the one it holds.
 */
const MAX_HELD = S.SLOTS >> 1;

type Pending = RunEntry;

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

// The running task, as fields rather than one object per task (one allocation fewer per task):
/** Its id, or -1 between tasks (ids start at 1). */
let currentId = -1;
/** Its abort controller, once someone asked for its signal. */
let currentController: AbortController | undefined;
/** Whether the pool asked to abort it, and why. */
let currentAborted = false;
let currentReason: unknown;

const NEVER = new AbortController().signal;

/** The pool role; installs the provider of `taskSignal()`. */
export function poolRole(): Role {
  setTaskSignal(() => {
    if (currentId < 0) return NEVER;
    if (!currentController) {
      currentController = new AbortController();
      if (currentAborted) currentController.abort(currentReason);
    }
    return currentController.signal;
  });
  return {
    fail(error, outOfMemory) {
      flush();
      send(
        outOfMemory
          ? { type: "fatal", error: serializeThrown(error), outOfMemory }
          : { type: "fatal", error: serializeThrown(error) },
      );
      realExit(1);
    },
    exit(code) {
      flush();
      return realExit(code);
    },
    onMessage,
  };
}

function onMessage(message: ToWorker): void {
  switch (message.type) {
    case "run":
      enqueue(message);
      break;
    case "abort":
      if (currentId === message.id && !currentAborted) {
        currentAborted = true;
        currentReason = rebuildThrown(message.reason);
        currentController?.abort(currentReason);
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
  }
}

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
  const items: ArrayLike<unknown> = task.args instanceof Uint8Array
    ? unpackStrings(task.args)
    : !Array.isArray(task.args)
    ? task.args
    : star
    ? revive(task.args) as unknown[]
    : reviveList(task.args);
  const n = items.length;
  // Results go back packed in a typed array over shared memory while every one of them is a number
  // (an Int32Array while they are 32-bit integers): it crosses to the parent by reference, where an
  // array of numbers is serialized element by element. Strings only go back packed too
  // (`_packed_strings.ts`).
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
  return ints ?? doubles ?? packStrings(out!) ?? out;
}

async function finishChunk(
  fn: (...args: unknown[]) => unknown,
  star: boolean,
  items: ArrayLike<unknown>,
  out: unknown[],
  first: number,
  pending: PromiseLike<unknown>,
): Promise<unknown[] | Uint8Array> {
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
  return packStrings(out) ?? out;
}

class ItemFailure {
  readonly error: unknown;
  readonly index: number;
  constructor(error: unknown, index: number) {
    this.error = error;
    this.index = index;
  }
}

/** The task module's functions by name, once looked up. */
const functions = new Map<string, (...args: unknown[]) => unknown>();

function lookup(name: string): (...args: unknown[]) => unknown {
  // A Map, not `module[name]` at every task: a keyed load of a module namespace by a changing name
  // made V8 deoptimize `drain` again and again (~350 times per million tiny tasks).
  const known = functions.get(name);
  if (known !== undefined) return known;
  const fn = module[name];
  if (typeof fn !== "function") {
    throw new TypeError(
      `Cannot run task: the task module has no exported function '${name}', found ${typeof fn}`,
    );
  }
  functions.set(name, fn as (...args: unknown[]) => unknown);
  return fn as (...args: unknown[]) => unknown;
}

async function drain(): Promise<void> {
  draining = true;
  // When the last task ended (or the last flush): the next one's run time is measured from it, one
  // clock reading per task instead of two (reading it cost a tiny task ~7% of the worker's time).
  let clock = performance.now();
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
      if (outIds.length > 0 && (average === undefined || average >= TINY_MS)) {
        flush();
        clock = performance.now();
      }
      currentId = task.id;
      currentController = undefined;
      currentAborted = false;
      currentReason = undefined;
      let value: unknown;
      let failure: Failure | undefined;
      try {
        // A Starmap chunk is a list of argument lists: objects, as far as this check goes.
        if (needsClasses(task.args)) await loadClasses();
        value = startTask(lookup(task.name), task);
        if (isThenable(value)) value = await value;
      } catch (error) {
        failure = error instanceof ItemFailure
          ? { error: serializeThrown(error.error), index: error.index }
          : { error: serializeThrown(error), index: -1 };
      }
      const now = performance.now();
      const took = now - clock;
      clock = now;
      averages.set(key, average === undefined ? took : average * 0.75 + took * 0.25);
      currentId = -1;
      currentController = undefined;
      currentReason = undefined;
      S.finish(REAL, words, task.slot, task.gen);
      if (failure) outFailed.push(outIds.length);
      outIds.push(task.id);
      outValues.push(failure ?? value);
      if (outIds.length >= MAX_HELD) {
        flush();
        clock = performance.now();
      }
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
      if (needsClasses(message.initArgs)) await loadClasses();
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
  decodeRun(message, (task) => queue.push(task));
  // Tasks run one at a time: a drain in progress (awaiting an async task) picks these up.
  if (ready && !draining) void drain();
}
