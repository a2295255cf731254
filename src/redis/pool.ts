/**
 * `RedisPool`: the caller side of a distributed pool. Tasks go to the pool's stream, workers in
 * any process ({@linkcode serve}, `serve.ts`) run them, and results come back on this caller's
 * result stream (wire format: `_pool_wire.ts`; keys and scripts: `_lua_stream.ts`).
 *
 * @module
 */
import type { AnyModule, TaskArgs, TaskItem, TaskName, TaskResult } from "../pool/types.ts";
import { checkOptions, type Core, type Tracked } from "./_core.ts";
import { type Arg, BINARY, type Blocking, connectionError } from "./_engine.ts";
import { decode, encode } from "./_codec.ts";
import { POOL_CANCEL, POOL_SUBMIT } from "./_lua_stream.ts";
import {
  CALL,
  encodeThrown,
  ERR,
  type Kind,
  MAP,
  OK,
  rebuildUntrusted,
  STARMAP,
} from "./_pool_wire.ts";
import { entries, type Fields } from "./_stream.ts";
import { RedisConnectionError } from "./errors.ts";

/**
 * The stream id right after `id` (`ms-seq`), for a trim that keeps nothing up to `id` (Redis
 * writes ids so; anything else gives `id` itself, which keeps that one entry).
 */
function after(id: string): string {
  const match = /^(\d+)-(\d+)$/.exec(id);
  return match === null ? id : `${match[1]}-${BigInt(match[2]!) + 1n}`;
}

/** A task's fields after its caller: `[id, export, kind, payload]` with their names. */
function withNames([id, name, kind, payload]: Arg[]): Arg[] {
  return ["i", id!, "x", name!, "k", kind!, "d", payload!];
}

/** Options of one submission (`apply`). */
export interface RedisTaskOptions {
  /**
   * Aborting it rejects the task with `signal.reason` at once: a task no worker took yet is
   * removed from the pool's stream; a running one sees its `taskSignal()` abort in its worker
   * (cooperative cancellation, as in the local `Pool`), and its result is dropped.
   * @default {undefined}
   */
  signal?: AbortSignal;
}

/** Options of `map` and `starmap`. */
export interface RedisMapOptions extends RedisTaskOptions {
  /**
   * Items per task: each chunk is one entry in Redis and runs in one worker, one item after the
   * other. Larger chunks cost fewer round trips.
   * @default {1}
   */
  chunksize?: number;
}

interface Pending {
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: unknown) => void;
  readonly what: string;
  /** The entry id in the pool's stream, once `XADD` answered. */
  entry: string | undefined;
  onAbort: (() => void) | undefined;
  signal: AbortSignal | undefined;
}

/**
 * A distributed pool, from the caller's side: `apply` and `map` send tasks, named by export,
 * to whichever worker process serves the pool ({@linkcode serve}), and resolve with their results
 * or reject with their errors as the local `Pool` does.
 *
 * - **Tasks are named, never closures**: the export of the module the pool's servers load, with
 *   structured-clone-compatible arguments. Type the pool with the module to check names,
 *   arguments and results: `ctx.Pool<typeof import("./tasks.ts")>("images")`. Every server of one
 *   pool must serve the same module (the same version of it).
 * - **Results and errors** come back as from the local `Pool`: the value, or the task's error
 *   rebuilt with its class (built-in and Interlock classes; others as `Error` with the original
 *   `name`), message, stack, cause and own properties. A result that does not decode rejects with
 *   {@linkcode CorruptPayloadError}.
 * - **At-least-once: tasks must be idempotent.** A worker that dies (or pauses, or loses Redis
 *   for the visibility timeout) mid-task has its task delivered to another worker; past
 *   `maxDeliveries` the task rejects with `WorkerCrashedError`. A task may thus run more than
 *   once; its caller still gets one result: a worker stores the result and acknowledges the task
 *   in one atomic step, only while the task is still its own. So make tasks idempotent, as BullMQ
 *   and Ray require.
 * - **Cancellation**: `{ signal }` rejects with `signal.reason` at once; the task is removed if
 *   no worker took it, else its `taskSignal()` aborts in the worker.
 * - Waiting for results costs no polling: one `XREAD BLOCK` on this caller's result stream.
 * - Tasks wait in Redis until a worker serves the pool: submitting with no server running is
 *   fine. Bound the wait with `signal: AbortSignal.timeout(ms)`.
 * - `close()` (or `await using`) waits for the tasks submitted through this object, then stops.
 *
 * @typeParam M The task module's type (`typeof import("./tasks.ts")`).
 *
 * @example A worker and a caller (two processes, usually two machines)
 * ```ts
 * import { connect, serve } from "@interlock/interlock/redis";
 * import { startRedisServer } from "@interlock/interlock/redis/testing";
 * import assert from "node:assert/strict";
 *
 * type Tasks = { square(x: number): number };
 * await using server = await startRedisServer();
 * // The worker: anywhere that reaches the server and can import the module.
 * await using worker = await connect(server.url);
 * await using _ = await serve<Tasks>(worker, "math", {
 *   module: "data:text/javascript,export const square = (x) => x * x;",
 *   concurrency: 4,
 * });
 * // The caller.
 * await using ctx = await connect(server.url);
 * const pool = ctx.Pool<Tasks>("math");
 * assert.equal(await pool.apply("square", [12]), 144);
 * assert.deepEqual(await pool.map("square", [1, 2, 3]), [1, 4, 9]);
 * ```
 */
export class RedisPool<M extends object = AnyModule> implements AsyncDisposable {
  /** The pool's name in its namespace. */
  readonly name: string;
  readonly #core: Core;
  readonly #stream: string;
  readonly #caller: string;
  readonly #results: string;
  readonly #pending = new Map<string, Pending>();
  readonly #tracked: Tracked;
  #nextId = 0;
  #reader: Promise<void> | undefined;
  #conn: Blocking | undefined;
  #lastId = "0-0";
  /** Tasks submitted in this microtask, sent together by `#send`. */
  #outbox: { id: string; task: Pending; fields: Arg[] }[] = [];
  #closed = false;
  #idle: (() => void)[] = [];

  /** @ignore Use `ctx.Pool(name)`. */
  constructor(core: Core, name: string, base: string) {
    this.#core = core;
    this.name = name;
    this.#stream = base + "s";
    this.#caller = core.nextId();
    this.#results = `${base}r:${this.#caller}`;
    this.#tracked = {
      stop: () => {},
      releaseQuietly: () => {
        this.#closed = true;
        this.#fail(
          new RedisConnectionError(`Cannot run a task of pool '${name}': the context closed`),
        );
        return Promise.resolve();
      },
    };
  }

  /** How many tasks submitted through this object have not settled. */
  get pending(): number {
    return this.#pending.size;
  }

  #submit(exportName: string, kind: Kind, args: unknown, signal: AbortSignal | undefined) {
    const what = `run task '${exportName}' of pool '${this.name}'`;
    this.#core.checkOpen(what);
    if (this.#closed) throw new RedisConnectionError(`Cannot ${what}: the pool object is closed`);
    if (typeof exportName !== "string" || exportName === "") {
      throw new TypeError(
        `Cannot run a task: 'name' must be an export name, received ${String(exportName)}`,
      );
    }
    if (signal !== undefined && !(signal instanceof AbortSignal)) {
      throw new TypeError(`Cannot ${what}: 'signal' must be an AbortSignal`);
    }
    signal?.throwIfAborted();
    const payload = encode(what, args); // TypeError before anything is sent
    const id = (++this.#nextId).toString(36);
    return new Promise<unknown>((resolve, reject) => {
      const task: Pending = { resolve, reject, what, entry: undefined, onAbort: undefined, signal };
      this.#pending.set(id, task);
      if (this.#pending.size === 1) this.#core.track(this.#tracked);
      if (signal !== undefined) {
        task.onAbort = () => this.#abort(id, task, signal.reason);
        signal.addEventListener("abort", task.onAbort, { once: true });
      }
      if (this.#outbox.length === 0) queueMicrotask(() => this.#send());
      this.#outbox.push({ id, task, fields: [id, exportName, String(kind), payload] });
      this.#read();
    });
  }

  /**
   * Sends the tasks submitted in one go (a `map`, or `apply`s in a loop): one `XADD`, or one
   * `POOL_SUBMIT` script for several, so a burst of small tasks costs one command, not one each.
   */
  #send(): void {
    const batch = this.#outbox;
    this.#outbox = [];
    const engine = this.#core.engine;
    const stream = this.#stream;
    const sent = batch.length === 1
      ? engine.command(stream, [
        "XADD",
        stream,
        "*",
        "c",
        this.#caller,
        ...withNames(batch[0]!.fields),
      ])
        .then((entry) => [entry])
      : engine.script(POOL_SUBMIT, [stream], [this.#caller, ...batch.flatMap((b) => b.fields)]);
    sent.then((entries) => {
      (entries as unknown[]).forEach((entry, k) => {
        const { task } = batch[k]!;
        task.entry = String(entry);
        if (task.signal?.aborted) this.#cancel(task, task.signal.reason);
      });
    }, (error) => {
      for (const { id, task } of batch) {
        this.#settle(id, undefined, connectionError(task.what, error));
      }
    });
  }

  #abort(id: string, task: Pending, reason: unknown): void {
    if (!this.#settle(id, undefined, reason)) return;
    if (task.entry !== undefined) this.#cancel(task, reason);
  }

  #cancel(task: Pending, reason: unknown): void {
    this.#core.engine.script(POOL_CANCEL, [this.#stream], [task.entry!, encodeThrown(reason)])
      .catch(() => {}); // best effort: the task may have finished, or Redis be gone
  }

  /** Settles task `id` once; false if it had settled. */
  #settle(id: string, value: unknown, error?: unknown): boolean {
    const task = this.#pending.get(id);
    if (task === undefined) return false;
    this.#pending.delete(id);
    if (task.onAbort !== undefined) task.signal!.removeEventListener("abort", task.onAbort);
    if (error !== undefined) task.reject(error);
    else task.resolve(value);
    if (this.#pending.size === 0) {
      this.#core.untrack(this.#tracked);
      if (this.#conn !== undefined) {
        this.#core.engine.interrupt(this.#conn, this.#results);
      }
      for (const wake of this.#idle.splice(0)) wake();
    }
    return true;
  }

  #fail(error: unknown): void {
    for (const id of [...this.#pending.keys()]) this.#settle(id, undefined, error);
  }

  /** Starts the result reader if it is not running. */
  #read(): void {
    this.#reader ??= this.#readLoop().catch((error) => {
      this.#fail(connectionError(`read the results of pool '${this.name}'`, error));
    }).finally(() => {
      this.#reader = undefined;
      if (this.#pending.size > 0 && !this.#core.closedNow()) this.#read();
    });
  }

  async #readLoop(): Promise<void> {
    const engine = this.#core.engine;
    const conn = await engine.blocking(this.#results);
    this.#conn = conn;
    try {
      while (this.#pending.size > 0) {
        const reply = await engine.block(conn, [
          "XREAD",
          "COUNT",
          "1024",
          "BLOCK",
          String(this.#core.lease),
          "STREAMS",
          this.#results,
          this.#lastId,
        ], BINARY);
        if (reply === null || reply === undefined) continue;
        const list = entries((reply as unknown[])[1], () => 0);
        if (list.length === 0) continue;
        this.#lastId = list.at(-1)!.id;
        // Everything up to the last id is read (this caller alone reads its results): one trim,
        // cheaper for the server than deleting each entry. Best effort: the stream's expiry
        // removes what this misses.
        engine.command(this.#results, ["XTRIM", this.#results, "MINID", after(this.#lastId)])
          .catch(() => {});
        for (const { id, fields } of list) this.#deliver(id, fields);
      }
    } catch (error) {
      conn.broken = true;
      throw error;
    } finally {
      this.#conn = undefined;
      engine.giveBack(conn);
    }
  }

  #deliver(entry: string, fields: Fields): void {
    const id = String(fields.get("i") ?? "");
    const task = this.#pending.get(id);
    if (task === undefined) return; // aborted, or not ours
    const status = String(fields.get("s") ?? "");
    const what = () => `the result of task ${id} of pool '${this.name}'`; // made only if needed
    let value: unknown;
    try {
      value = decode(fields.get("d"), entry, what);
    } catch (error) {
      this.#settle(id, undefined, error);
      return;
    }
    if (status === OK) this.#settle(id, value);
    else if (status === ERR) this.#settle(id, undefined, rebuildUntrusted(value, entry, what()));
    else this.#settle(id, undefined, rebuildUntrusted(undefined, entry, what()));
  }

  /**
   * Runs export `name` with `args` on a worker; resolves with its result (Python's `apply`).
   *
   * @param name The export to call.
   * @param args Its arguments (structured-clone-compatible).
   * @param options `signal` cancels it.
   * @returns The task's result.
   * @throws The task's error, rebuilt; `WorkerCrashedError` if its workers kept dying;
   *   `signal.reason` on abort; {@linkcode CorruptPayloadError} for a result that does not decode.
   * @throws {TypeError} if an argument cannot be cloned (nothing is sent).
   *
   * @example
   * ```ts ignore
   * const bytes = await ctx.Pool<typeof import("./tasks.ts")>("images").apply("resize", [url, 64]);
   * ```
   */
  apply<K extends TaskName<M>>(
    name: K,
    args: TaskArgs<M, K>,
    options?: RedisTaskOptions,
  ): Promise<TaskResult<M, K>> {
    const opts = checkOptions(`run task '${name}'`, options);
    if (!Array.isArray(args)) {
      return Promise.reject(
        new TypeError(
          `Cannot run task '${name}': 'args' must be an array, received ${typeof args}`,
        ),
      );
    }
    try {
      return this.#submit(name, CALL, args, opts.signal) as Promise<TaskResult<M, K>>;
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /**
   * Calls export `name` on each item, in chunks spread over the workers; resolves with the results
   * in order (Python's `map`). The first failing chunk rejects the map and cancels the rest.
   *
   * @param name The export to call with each item.
   * @param items The items.
   * @param options `chunksize` (items per task) and `signal`.
   * @returns The results, in the order of the items.
   *
   * @example
   * ```ts ignore
   * const sizes = await ctx.Pool<typeof import("./tasks.ts")>("images").map("size", urls, { chunksize: 8 });
   * ```
   */
  map<K extends TaskName<M>>(
    name: K,
    items: Iterable<TaskItem<M, K>>,
    options?: RedisMapOptions,
  ): Promise<TaskResult<M, K>[]> {
    return this.#chunks(name, MAP, items, options) as Promise<TaskResult<M, K>[]>;
  }

  /**
   * Calls export `name` with each argument list (Python's `starmap`).
   *
   * @param name The export to call.
   * @param argLists One argument list per call.
   * @param options `chunksize` and `signal`.
   * @returns The results, in order.
   *
   * @example
   * ```ts ignore
   * await ctx.Pool<typeof import("./tasks.ts")>("math").starmap("add", [[1, 2], [3, 4]]); // [3, 7]
   * ```
   */
  starmap<K extends TaskName<M>>(
    name: K,
    argLists: Iterable<TaskArgs<M, K>>,
    options?: RedisMapOptions,
  ): Promise<TaskResult<M, K>[]> {
    return this.#chunks(name, STARMAP, argLists, options) as Promise<TaskResult<M, K>[]>;
  }

  async #chunks(
    name: string,
    kind: Kind,
    items: Iterable<unknown>,
    options: RedisMapOptions | undefined,
  ): Promise<unknown[]> {
    const what = `map task '${name}' over pool '${this.name}'`;
    const opts = checkOptions(what, options);
    const size = opts.chunksize ?? 1;
    if (!Number.isInteger(size) || size < 1) {
      throw new RangeError(
        `Cannot ${what}: 'chunksize' must be a positive integer, received ${size}`,
      );
    }
    if (items === null || typeof (items as Iterable<unknown>)[Symbol.iterator] !== "function") {
      throw new TypeError(`Cannot ${what}: 'items' must be iterable`);
    }
    const list = [...items];
    if (kind === STARMAP && !list.every(Array.isArray)) {
      throw new TypeError(`Cannot ${what}: every argument list must be an array`);
    }
    const chunks: unknown[][] = [];
    for (let i = 0; i < list.length; i += size) chunks.push(list.slice(i, i + size));
    for (const chunk of chunks) encode(what, chunk); // refuse an uncloneable item before sending
    const controller = new AbortController();
    const signal = opts.signal === undefined
      ? controller.signal
      : AbortSignal.any([opts.signal, controller.signal]);
    const all = chunks.map((chunk) => this.#submit(name, kind, chunk, signal));
    try {
      return (await Promise.all(all)).flat();
    } catch (error) {
      controller.abort(error); // the other chunks are cancelled
      for (const p of all) p.catch(() => {});
      throw error;
    }
  }

  /**
   * Stops taking tasks and waits until every task submitted through this object has settled
   * (the pool's servers and other callers go on). Idempotent.
   *
   * @example
   * ```ts ignore
   * await using pool = ctx.Pool("math"); // closed at block end, after its tasks settled
   * ```
   */
  async close(): Promise<void> {
    this.#closed = true;
    if (this.#pending.size > 0) await new Promise<void>((resolve) => this.#idle.push(resolve));
  }

  /** Same as {@linkcode RedisPool.close}. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}
