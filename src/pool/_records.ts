/**
 * The records of a pool's tasks (`Task`, `_member.ts`): made for each submission, or, for a plain
 * call (an `apply` without options, see `task_queue.ts`), when it leaves the queue; and the
 * promises `apply` returns. The dispatcher (`_dispatcher.ts`) owns one `Records`.
 *
 * - **Reuse.** The record of a plain call that settled on its result is kept for the next plain
 *   call (at most {@linkcode SPARE}): nothing but the dispatcher ever held it (no caller's handle,
 *   no signal). Records made anew for each call were ~160 bytes of garbage per `apply`, and more
 *   garbage means more young-generation collections, each of which copies every pending call.
 * - **One executor.** Every promise is made with one shared executor that keeps the resolving
 *   functions in fields, for the caller to take at once: a closure per promise (and the context
 *   holding its `resolve` and `reject`) was ~70 bytes of garbage more.
 *
 * @module
 */
import { CALL, type Kind, type WireArgs } from "./protocol.ts";
import type { Task } from "./_member.ts";
import type { PlainCall, Settle } from "./task_queue.ts";

/** Most records kept for reuse: more than a pool has in flight (`S.SLOTS` per worker) is waste. */
const SPARE = 1024;
/** What a spare record holds instead of its last call's arguments and resolving functions. */
const NO_ARGS: WireArgs = [];
const ignore = (): void => {};

/** A pool's task ids, records and promises (see the module doc). */
export class Records {
  #nextId = 1;
  readonly #spare: Task[] = [];
  /** The resolving functions of the promise made last (`#keep` sets them, the caller takes them). */
  resolve: Settle = ignore;
  reject: Settle = ignore;
  readonly #keep = (resolve: Settle, reject: Settle): void => {
    this.resolve = resolve;
    this.reject = reject;
  };

  /** A fresh id, from the sequence task ids come from. */
  newId(): number {
    return this.#nextId++;
  }

  /** A promise whose resolving functions are `resolve` and `reject` until the next one. */
  promise(): Promise<unknown> {
    return new Promise<unknown>(this.#keep);
  }

  /** Drops the resolving functions of the promise made last (its caller took them). */
  taken(): void {
    this.resolve = this.reject = ignore;
  }

  /** A task's record, not yet queued. */
  make(
    name: string,
    kind: Kind,
    args: WireArgs,
    transfer: Transferable[] | undefined,
    signal: AbortSignal | undefined,
    promise: Promise<unknown> | undefined,
    resolve: Settle,
    reject: Settle,
  ): Task {
    return {
      id: this.#nextId++,
      name,
      kind,
      args,
      transfer,
      promise,
      resolve,
      reject,
      settled: false,
      signal,
      onAbort: undefined,
      member: undefined,
      slot: -1,
      gen: 0,
      grace: undefined,
      queued: false,
      plain: false,
    };
  }

  /** The record of a plain call leaving the queue: a spare one, or a new one. */
  ofCall({ name, args, resolve, reject }: PlainCall): Task {
    const spare = this.#spare.pop();
    if (spare === undefined) {
      const record = this.make(name, CALL, args, undefined, undefined, undefined, resolve, reject);
      record.plain = true;
      return record;
    }
    spare.id = this.#nextId++;
    spare.name = name;
    spare.args = args;
    spare.resolve = resolve;
    spare.reject = reject;
    spare.settled = false;
    return spare;
  }

  /** Keeps `task` for reuse if it is a plain call's (settled on its result; see the module doc). */
  recycle(task: Task): void {
    if (!task.plain || this.#spare.length >= SPARE) return;
    task.args = NO_ARGS;
    task.resolve = task.reject = ignore;
    this.#spare.push(task);
  }
}

/** Throws a `TypeError` unless `name` and `args` can name a task. */
export function checkCall(what: string, name: string, args: WireArgs): void {
  if (typeof name !== "string") {
    throw new TypeError(
      `Cannot ${what}: the task name must be a string, received ${typeof name}`,
    );
  }
  if (
    !Array.isArray(args) && !(args instanceof Int32Array) && !(args instanceof Float64Array) &&
    !(args instanceof Uint8Array)
  ) {
    throw new TypeError(`Cannot ${what}: 'args' must be an array, received ${typeof args}`);
  }
}
