/**
 * `serve()`: the worker side of a distributed pool. Pulls tasks from the pool's stream
 * (`_stream.ts`), runs the named exports of one module in this process, and stores each result
 * for its caller while acknowledging the task, in one script (`POOL_FINISH`). Imports nothing of
 * the caller side (`pool.ts`).
 *
 * @module
 */
import { AsyncLocalStorage } from "node:async_hooks";
import { setTaskSignal } from "../pool/context.ts";
import { type AnyModule, moduleUrl, type TaskModule } from "../pool/types.ts";
import { named, type Tracked } from "./_core.ts";
import { decode, encode } from "./_codec.ts";
import { POOL_CLAIM, POOL_FINISH } from "./_lua_stream.ts";
import {
  CALL,
  crashPayload,
  encodeThrown,
  ERR,
  MAP,
  OK,
  rebuildUntrusted,
  STARMAP,
} from "./_pool_wire.ts";
import { Consumer, type Delivery, entries, type Fields, groupConfig } from "./_stream.ts";
import { CorruptPayloadError, LeaseLostError } from "./errors.ts";
import type { RedisContext } from "./context.ts";
import { type Arg, BINARY, type Blocking } from "./_engine.ts";

/** Options of {@linkcode serve}. */
export interface ServeOptions<M = AnyModule> {
  /**
   * The task module: a `TaskModule` from `taskModule()`, a `URL`, or an absolute URL string. Its
   * exported functions are the pool's tasks; nothing else can run (a task naming anything else
   * fails with `TypeError`).
   */
  module: TaskModule<M> | URL | string;
  /**
   * Tasks this server runs at once (in this process's event loop: for CPU-bound tasks, serve in
   * several processes, or hand the work to a local `Pool`).
   * @default {1}
   */
  concurrency?: number;
  /**
   * Milliseconds a worker may hold a task without renewing it: a worker's watchdog renews every
   * third of it while the process lives, so this is how long after a worker dies its tasks go to
   * another. Stored in Redis by the pool's first server; all must agree.
   * @default {the context's `lease` (30,000)}
   */
  visibility?: number;
  /**
   * Deliveries of one task before it fails with `WorkerCrashedError` (its workers kept dying).
   * Stored in Redis like `visibility`.
   * @default {3}
   */
  maxDeliveries?: number;
  /**
   * Milliseconds a result waits for its caller (a caller that died never reads it).
   * @default {3600000}
   */
  resultTtl?: number;
  /**
   * Dead letters kept (tasks given up or undecodable, in `{namespace:name}:pool:d`).
   * @default {10000}
   */
  deadLetters?: number;
}

/** The running task of each async context, for `taskSignal()`. */
const current = new AsyncLocalStorage<AbortSignal>();
let installed = false;

/** Makes `taskSignal()` answer the running distributed task's signal (once per process). */
function installTaskSignal(): void {
  if (installed) return;
  installed = true;
  const never = new AbortController().signal;
  setTaskSignal(() => current.getStore() ?? never);
}

interface Running {
  readonly delivery: Delivery;
  readonly controller: AbortController;
  lost: boolean;
}

function field(d: Delivery, name: string): string {
  const v = d.fields.get(name);
  return v === undefined ? "" : String(v);
}

/**
 * Serves the distributed pool `name` from this process: pulls its tasks, runs them
 * `concurrency` at a time, and stores their results for their callers ({@linkcode RedisPool}).
 * Start it in as many processes, on as many machines, as you like.
 *
 * - **Tasks are exports of `module`**, looked up by name among its own exported functions (never
 *   code from Redis); a task's `taskSignal()` (from `@interlock/interlock`) is its cancellation
 *   signal, as in a local `Pool` worker, so one task module serves both.
 * - **Nothing acknowledged is lost, nothing acknowledged before its result is stored**: a
 *   result is stored and its task acknowledged in one atomic step, and only while the task is
 *   still this worker's. A worker that dies mid-task (or pauses, or loses Redis, for the
 *   `visibility` timeout) has its task delivered to another (`XAUTOCLAIM`), at most
 *   `maxDeliveries` times; the late worker's result is dropped. Tasks must be idempotent.
 * - **Untrusted input**: a task whose payload does not decode, or that names no exported
 *   function, fails for its caller ({@linkcode CorruptPayloadError}, `TypeError`) and goes to the
 *   dead letters; the server carries on.
 * - A lost task (reclaimed by another worker) has its `taskSignal()` aborted with
 *   {@linkcode LeaseLostError}; a task its caller cancels, with the caller's reason.
 * - The server survives Redis going away: it retries with back-off.
 * - `close()` (or `await using`) stops pulling, lets the running tasks finish and store their
 *   results, and returns. Closing the context stops it at once (its running tasks go to other
 *   workers after the visibility timeout).
 *
 * @typeParam M The task module's type.
 * @param ctx The context to serve through.
 * @param name The pool's name in the context's namespace.
 * @param options The module, concurrency, visibility, delivery cap.
 * @returns The running server, once its module is loaded.
 * @throws {TypeError} if the module is not a URL or fails to load; {@linkcode RangeError} for an
 *   option out of range, or settings that differ from those Redis holds.
 *
 * @example
 * ```ts ignore
 * import { connect, serve } from "@interlock/interlock/redis";
 * import { taskModule } from "@interlock/interlock";
 *
 * const ctx = await connect("redis://redis.internal:6379");
 * const tasks = taskModule<typeof import("./tasks.ts")>(new URL("./tasks.ts", import.meta.url));
 * await using _ = await serve(ctx, "images", { module: tasks, concurrency: 8 });
 * await new Promise(() => {}); // serve until the process is stopped
 * ```
 */
export async function serve<M extends object = AnyModule>(
  ctx: RedisContext,
  name: string,
  options: ServeOptions<M>,
): Promise<RedisPoolServer> {
  const what = "serve a pool";
  if (typeof options !== "object" || options === null) {
    throw new TypeError(`Cannot ${what}: options must be an object with a 'module'`);
  }
  const url = moduleUrl(what, options.module);
  const concurrency = options.concurrency ?? 1;
  if (!Number.isInteger(concurrency) || concurrency < 1) {
    throw new RangeError(
      `Cannot ${what}: 'concurrency' must be a positive integer, received ${concurrency}`,
    );
  }
  const resultTtl = options.resultTtl ?? 3_600_000;
  if (!Number.isInteger(resultTtl) || resultTtl < 1) {
    throw new RangeError(
      `Cannot ${what}: 'resultTtl' must be a positive integer, received ${resultTtl}`,
    );
  }
  const keep = options.deadLetters ?? 10_000;
  if (!Number.isInteger(keep) || keep < 1) {
    throw new RangeError(
      `Cannot ${what}: 'deadLetters' must be a positive integer, received ${keep}`,
    );
  }
  let module: Record<string, unknown>;
  try {
    module = await import(url);
  } catch (error) {
    throw new TypeError(`Cannot ${what}: the module ${url} failed to load`, { cause: error });
  }
  installTaskSignal();
  const server = new RedisPoolServer(ctx, name, {
    concurrency,
    resultTtl,
    deadLetters: keep,
    visibility: options.visibility,
    maxDeliveries: options.maxDeliveries,
  }, module);
  await server.start();
  return server;
}

/**
 * A running server of a distributed pool (see {@linkcode serve}): `running` and `served` tell
 * what it does; `close()` (or `await using`) stops it gracefully.
 *
 * @example
 * ```ts ignore
 * await using server = await serve(ctx, "images", { module: tasks, concurrency: 4 });
 * console.log(`${server.running} running, ${server.served} served`);
 * ```
 */
export class RedisPoolServer implements AsyncDisposable {
  /** The pool's name. */
  readonly name: string;
  /** Tasks run at once. */
  readonly concurrency: number;
  readonly #ctx: RedisContext;
  readonly #stream: string;
  readonly #control: string;
  readonly #module: Record<string, unknown>;
  readonly #consumer: Consumer;
  readonly #resultTtl: number;
  readonly #keep: number;
  readonly #running = new Map<string, Running>();
  readonly #stop = new AbortController();
  readonly #tracked: Tracked;
  /** Recently cancelled entries not (yet) running here. */
  readonly #cancelled = new Set<string>();
  #finishing: { task: Running; args: Arg[] }[] = [];
  #inFlight = new Set<Promise<void>>();
  #slot: (() => void) | undefined;
  #drained: (() => void) | undefined;
  #loops: Promise<void>[] = [];
  #controlConn: Blocking | undefined;
  #served = 0;
  #closing = false;

  /** @ignore Use {@linkcode serve}. */
  constructor(
    ctx: RedisContext,
    name: string,
    options: {
      concurrency: number;
      resultTtl: number;
      deadLetters: number;
      visibility?: number | undefined;
      maxDeliveries?: number | undefined;
    },
    module: Record<string, unknown>,
  ) {
    const core = ctx.core;
    const { base } = named(core, "pool", name);
    this.#ctx = ctx;
    this.name = name;
    this.concurrency = options.concurrency;
    this.#stream = base + "s";
    this.#control = base + "x";
    this.#module = module;
    this.#resultTtl = options.resultTtl;
    this.#keep = options.deadLetters;
    const [config, explicit] = groupConfig("serve a pool", core, {
      ...(options.visibility === undefined ? {} : { visibility: options.visibility }),
      maxDeliveries: options.maxDeliveries ?? 3,
    }, undefined);
    if (options.maxDeliveries === undefined) explicit.delete("maxDeliveries");
    this.#consumer = new Consumer(core, {
      stream: this.#stream,
      what: `pool '${name}'`,
      config,
      explicit,
      claim: POOL_CLAIM,
      claimArgs: () => [
        crashPayload(name, this.#consumer.config.maxDeliveries),
        String(this.#resultTtl),
      ],
      keep: this.#keep,
      onLost: (ids) => {
        for (const id of ids) {
          const task = this.#running.get(id);
          if (task === undefined) continue;
          task.lost = true;
          task.controller.abort(
            new LeaseLostError(
              `Lost task ${id} of pool '${name}': it was not renewed within the visibility timeout and went to another worker`,
            ),
          );
        }
      },
    });
    this.#tracked = {
      stop: () => {
        this.#closing = true;
        this.#consumer.stop();
        this.#stop.abort();
      },
      releaseQuietly: () => {
        for (const task of this.#running.values()) {
          task.controller.abort(new DOMException("The context closed", "AbortError"));
        }
        return Promise.resolve();
      },
    };
  }

  /** How many tasks are running here now. */
  get running(): number {
    return this.#running.size;
  }

  /** How many tasks this server finished (their results stored). */
  get served(): number {
    return this.#served;
  }

  /** @ignore Creates the group, then starts pulling tasks and cancellations. */
  async start(): Promise<void> {
    const core = this.#ctx.core;
    core.checkOpen(`serve pool '${this.name}'`);
    await this.#consumer.init();
    core.track(this.#tracked);
    this.#loops = [this.#pull(), this.#listen()];
  }

  async #pull(): Promise<void> {
    let backoff = 50;
    while (!this.#closing) {
      const free = this.concurrency - this.#running.size;
      if (free <= 0) {
        await new Promise<void>((resolve) => this.#slot = resolve);
        continue;
      }
      let got: Delivery[];
      try {
        got = await this.#consumer.read(free, Infinity, this.#stop.signal);
        backoff = 50;
      } catch {
        if (this.#closing) break;
        // Redis is away: try again with back-off (the held tasks' visibility decides the rest).
        await new Promise((resolve) => setTimeout(resolve, backoff));
        backoff = Math.min(backoff * 2, 2_000);
        continue;
      }
      for (const d of got) this.#start(d);
    }
  }

  async #listen(): Promise<void> {
    const engine = this.#ctx.core.engine;
    let last = "$";
    let backoff = 50;
    while (!this.#closing) {
      try {
        this.#controlConn ??= await engine.blocking(this.#control);
        if (this.#closing) break;
        const reply = await engine.block(this.#controlConn, [
          "XREAD",
          "BLOCK",
          String(this.#ctx.lease),
          "STREAMS",
          this.#control,
          last,
        ], BINARY);
        backoff = 50;
        if (reply === null || reply === undefined) continue;
        const list = entries((reply as unknown[])[1], () => 0);
        if (list.length > 0) last = list.at(-1)!.id;
        for (const { id, fields } of list) this.#cancel(id, fields);
      } catch {
        if (this.#controlConn !== undefined) {
          this.#controlConn.broken = true;
          engine.giveBack(this.#controlConn);
          this.#controlConn = undefined;
        }
        if (this.#closing) break;
        await new Promise((resolve) => setTimeout(resolve, backoff));
        backoff = Math.min(backoff * 2, 2_000);
      }
    }
    if (this.#controlConn !== undefined) engine.giveBack(this.#controlConn);
    this.#controlConn = undefined;
  }

  #cancel(id: string, fields: Fields): void {
    const entry = String(fields.get("e") ?? "");
    let reason: unknown;
    try {
      reason = rebuildUntrusted(
        decode(fields.get("r"), id, () => `cancellation ${id}`),
        id,
        "reason",
      );
    } catch {
      reason = new DOMException("The task was cancelled", "AbortError");
    }
    const task = this.#running.get(entry);
    if (task !== undefined) task.controller.abort(reason);
    else {
      this.#cancelled.add(entry);
      if (this.#cancelled.size > 1_000) {
        this.#cancelled.delete(this.#cancelled.values().next().value!);
      }
    }
  }

  #start(d: Delivery): void {
    const task: Running = { delivery: d, controller: new AbortController(), lost: false };
    this.#running.set(d.id, task);
    if (this.#cancelled.size > 0 && this.#cancelled.delete(d.id)) {
      task.controller.abort(new DOMException("The task was cancelled", "AbortError"));
    }
    this.#execute(task).then((args) => {
      this.#running.delete(d.id);
      this.#slot?.();
      this.#slot = undefined;
      if (task.lost) {
        this.#consumer.release([d.id]);
        if (this.#running.size === 0) this.#drained?.();
        return;
      }
      if (this.#finishing.length === 0) queueMicrotask(() => this.#flush());
      this.#finishing.push({ task, args });
      if (this.#running.size === 0) queueMicrotask(() => this.#drained?.());
    });
  }

  /** Runs one task; returns the finish arguments after the entry id (see `POOL_FINISH`). */
  async #execute(task: Running): Promise<Arg[]> {
    const d = task.delivery;
    const caller = field(d, "c");
    const head = [caller.length <= 200 ? caller : "", field(d, "i")];
    const what = `task ${d.id} of pool '${this.name}'`;
    let args: unknown;
    const kind = Number(field(d, "k"));
    try {
      args = decode(d.fields.get("d"), d.id, () => what);
      if (!Array.isArray(args) || (kind !== CALL && kind !== MAP && kind !== STARMAP)) {
        throw new CorruptPayloadError(`Cannot run ${what}: its shape is malformed`, { id: d.id });
      }
      if (kind === STARMAP && !args.every(Array.isArray)) {
        throw new CorruptPayloadError(`Cannot run ${what}: its argument lists are malformed`, {
          id: d.id,
        });
      }
    } catch (error) {
      const reason = `corrupt: ${(error as Error).message}`.slice(0, 500);
      return [...head, ERR, encodeThrown(error), reason];
    }
    const exportName = field(d, "x");
    const found = Object.hasOwn(this.#module, exportName) ? this.#module[exportName] : undefined;
    if (typeof found !== "function") {
      const error = new TypeError(
        `Cannot run ${what}: the pool's module has no exported function '${
          exportName.slice(0, 200)
        }'`,
      );
      return [...head, ERR, encodeThrown(error), ""];
    }
    const fn = found as (...args: unknown[]) => unknown;
    try {
      const value = await current.run(task.controller.signal, async () => {
        if (kind === CALL) return await fn(...(args as unknown[]));
        const out: unknown[] = [];
        for (const item of args as unknown[]) {
          out.push(await (kind === MAP ? fn(item) : fn(...(item as unknown[]))));
        }
        return out;
      });
      return [...head, OK, encode(`return the result of ${what}`, value), ""];
    } catch (error) {
      return [...head, ERR, encodeThrown(error), ""];
    }
  }

  #flush(): void {
    const batch = this.#finishing;
    this.#finishing = [];
    const args: Arg[] = [this.#consumer.name, String(this.#resultTtl), String(this.#keep)];
    for (const { task, args: tail } of batch) args.push(task.delivery.id, ...tail);
    const ids = batch.map((f) => f.task.delivery.id);
    const done = this.#ctx.core.engine.script(POOL_FINISH, [this.#stream], args).then(
      (stale) => {
        this.#served += batch.length - (stale as unknown[]).length;
      },
      () => {}, // unreachable: the tasks stay pending and go to a worker after the visibility timeout
    ).finally(() => {
      this.#consumer.release(ids);
      this.#inFlight.delete(done);
    });
    this.#inFlight.add(done);
  }

  /**
   * Stops pulling tasks, waits for the running ones to finish and their results to be stored,
   * then stops. Idempotent.
   *
   * @example
   * ```ts ignore
   * const server = await serve(ctx, "images", { module: tasks });
   * Deno.addSignalListener("SIGTERM", () => server.close());
   * ```
   */
  async close(): Promise<void> {
    if (!this.#closing) {
      this.#closing = true;
      this.#stop.abort();
      const conn = this.#controlConn;
      if (conn !== undefined) this.#ctx.core.engine.interrupt(conn, this.#control);
      this.#slot?.();
    }
    await Promise.all(this.#loops);
    if (this.#running.size > 0) await new Promise<void>((resolve) => this.#drained = resolve);
    while (this.#inFlight.size > 0) await Promise.all(this.#inFlight);
    this.#consumer.stop();
    this.#ctx.core.untrack(this.#tracked);
  }

  /** Same as {@linkcode RedisPoolServer.close}. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}
