/**
 * The engine behind `Pool`: the queue of submitted tasks, dispatch to workers, results, crash
 * recovery and stopping. `pool.ts` holds the public class and checks its options; the map family
 * (`_map.ts`) is written over this module's `submitTo`, `cancel` and `room`; the worker threads
 * themselves (started in the background, kept alive or not, killed) are the crew's (`_crew.ts`);
 * the records and slot bookkeeping are `_member.ts`; where tasks go and how many at once (batches,
 * stealing) is `_placement.ts`; what a worker's end means for its tasks is `_worker_end.ts`.
 *
 * Dispatch: submitted tasks wait in a FIFO ({@linkcode TaskQueue}); the pool sends them to workers in
 * batches (one `postMessage` for up to `MAX_BATCH` tasks, at most `S.SLOTS` sent and unanswered per
 * worker), and workers answer in batches. Every task sent takes a slot in the worker's slot region
 * (`src/kernel/task_slot.ts`): a worker claims a slot before it runs the task, and the pool can
 * revoke a task that has not started, without any message. That makes batching safe for long tasks
 * too: a worker that runs out of work takes (steals) half of the unstarted tasks of the busiest
 * worker; an aborted task that has not started is simply revoked; and when a worker dies, the pool
 * knows exactly which task it was running (RUNNING), which it never started (QUEUED: sent again
 * elsewhere) and which finished without their result arriving (DONE: run again).
 *
 * Deno 2.9 cannot interrupt a worker that runs synchronous code (a busy loop, a blocking call): a
 * killed worker is given a grace period to really end (see `_stop.ts`), then abandoned. Its
 * bookkeeping does not wait for that: as soon as it is killed, the tasks it had not started are
 * revoked (so the abandoned thread, which may run on until its current job returns, can no longer
 * start them) and sent elsewhere.
 *
 * States: "running" -> "closed" (close: no new tasks, workers leave once the work is done) |
 * "running"/"closed" -> "broken" (a worker could not start: every unfinished task rejects) |
 * any -> "terminated" (terminate: every unfinished task rejects). "broken" and "terminated" stop
 * through the one `#stop`.
 *
 * @module
 */
import { RuntimeError, WorkerCrashedError } from "../errors.ts";
import type { TaskControl } from "./async_result.ts";
import {
  type Failure,
  type FromWorker,
  type Kind,
  serializeThrown,
  type ToWorker,
  type WireArgs,
} from "./protocol.ts";
import { rebuild } from "./remote_error.ts";
import {
  abortSignalOf,
  type PoolConfig,
  type PoolStats,
  type TaskOptions,
} from "./pool_options.ts";
import { TaskQueue } from "./task_queue.ts";
import type { TerminateStatus } from "./types.ts";
import { reviveResult } from "./_chunking.ts";
import { Crew } from "./_crew.ts";
import { assign, isRunning, type Member, release, runOne, type Task, withdraw } from "./_member.ts";
import { nextBatch, steal } from "./_placement.ts";
import { endOf } from "./_worker_end.ts";

/** What a dispatcher runs: the pool's options, checked by `Pool`, and the task module's URL. */
export interface DispatcherConfig extends PoolConfig {
  readonly module: string;
}

/** A pool's engine (see the module doc); `Pool` and the map family call it. */
export class Dispatcher {
  /** Number of workers kept running. */
  readonly size: number;
  readonly #config: DispatcherConfig;
  readonly #maxTasksPerChild: number;
  readonly #maxQueue: number;
  readonly #queue = new TaskQueue<Task>();
  readonly #crew: Crew;
  /** Workers that take tasks (the crew's). */
  readonly #live: Member[];
  #state: "running" | "closed" | "terminated" | "broken" = "running";
  #broken: WorkerCrashedError | undefined;
  #nextId = 1;
  #outstanding = 0;
  #pumpScheduled = false;
  #joiners: (() => void)[] = [];
  #roomWaiters: (() => void)[] = [];
  /** Whether tasks waited in the queue after a pump (`onDrain` is due when it empties). */
  #backlog = false;
  readonly #createdAt = performance.now();
  #completed = 0;

  /** Starts `config.size` workers in the background (see `_crew.ts`). */
  constructor(config: DispatcherConfig) {
    this.size = config.size;
    this.#config = config;
    this.#maxTasksPerChild = config.maxTasksPerChild;
    this.#maxQueue = config.maxQueue;
    this.#crew = new Crew(config, {
      wantsWorkers: () =>
        this.#state === "running" ||
        (this.#state === "closed" && (this.#queue.length > 0 || this.#crew.anyAssigned())),
      keepsAlive: () => this.#outstanding > 0 || this.#state !== "running",
      onStart: () => this.#pump(),
      onStartFailure: (error) => this.#breakPool(error),
      onMessage: (m, message) => this.#onMessage(m, message),
      onExit: (m, code) => this.#onExit(m, code),
    });
    this.#live = this.#crew.live;
    this.#crew.scheduleStart();
  }

  // --- submission --------------------------------------------------------------------------------

  /**
   * Queues `name(...args)` and returns its record, whose `promise` settles with the outcome;
   * `bounded` submissions throw a `RangeError` once `maxQueue` tasks wait.
   */
  submit(
    what: string,
    name: string,
    kind: Kind,
    args: WireArgs,
    options: TaskOptions | undefined,
    bounded: boolean,
  ): Task {
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
    const signal = options === undefined ? undefined : abortSignalOf(what, options);
    const transfer = options?.transfer;
    if (transfer !== undefined && !Array.isArray(transfer)) {
      throw new TypeError(`Cannot ${what}: 'transfer' must be an array`);
    }
    this.checkRunning(what);
    if (bounded && this.#queue.length >= this.#maxQueue) {
      throw new RangeError(
        `Cannot ${what}: ${this.#maxQueue} tasks already wait, the pool's maxQueue`,
      );
    }
    let transferred: Transferable[] | undefined;
    if (transfer !== undefined && transfer.length > 0) {
      // Detach the buffers now, as postMessage would: the caller may reuse nothing it transferred.
      ({ args, transfer: transferred } = structuredClone({ args, transfer }, { transfer }));
    }
    // Built here, not in a function of _member.ts: that made 24-26 scavenges instead of 14-15 for
    // 700k tiny tasks (main thread alone, workers stubbed out), and slower dispatch.
    let resolve!: (value: unknown) => void;
    let reject!: (error: unknown) => void;
    const promise = new Promise<unknown>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    const task: Task = {
      id: this.#nextId++,
      name,
      kind,
      args,
      transfer: transferred,
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
    };
    if (signal?.aborted) {
      task.settled = true;
      reject(signal.reason);
      return task;
    }
    if (signal) {
      task.onAbort = () => this.#abort(task, signal.reason);
      signal.addEventListener("abort", task.onAbort, { once: true });
    }
    if (this.#outstanding++ === 0) this.#crew.ref(true);
    this.#queue.push(task);
    this.#schedulePump();
    return task;
  }

  /**
   * `submit`, its outcome going to `resolve` or `reject` instead of the record's promise (the map
   * family's chunks: awaiting a promise per chunk, and a second one to observe it, cost more than a
   * chunk of one tiny item). `submit` itself is left as it is: how V8 allocates its record and
   * promise sets the rate of tiny tasks (bench/RESULTS.md, "Pool tiny tasks").
   */
  submitTo(
    what: string,
    name: string,
    kind: Kind,
    args: WireArgs,
    options: TaskOptions | undefined,
    resolve: (value: unknown) => void,
    reject: (error: unknown) => void,
  ): Task {
    const task = this.submit(what, name, kind, args, options, false);
    if (task.settled) task.promise.then(resolve, reject); // its signal had aborted already
    else {
      task.resolve = resolve;
      task.reject = reject;
    }
    return task;
  }

  /** Throws unless the pool takes work: the error that broke it, or a `RuntimeError`. */
  checkRunning(what: string): void {
    if (this.#state === "broken") throw this.#broken!;
    if (this.#state !== "running") {
      throw new RuntimeError(`Cannot ${what}: the pool is ${this.#state}`);
    }
  }

  /** A fresh id, from the sequence task ids come from. */
  newId(): number {
    return this.#nextId++;
  }

  /** How an `AsyncResult` of `task` sees and cancels it. */
  control(task: Task): TaskControl {
    return { running: () => isRunning(task), cancel: () => this.cancel(task) };
  }

  /** Drops `task` if no worker started it (it rejects with an `AbortError`); returns whether it did. */
  cancel(task: Task): boolean {
    if (task.settled) return false;
    return this.#cancelWith(task, new DOMException("The task was cancelled", "AbortError"));
  }

  /** Waits until fewer than `maxQueue` tasks wait (or the pool stops running). */
  room(): Promise<void> | undefined {
    if (this.#queue.length < this.#maxQueue || this.#state !== "running") return undefined;
    return new Promise((resolve) => this.#roomWaiters.push(resolve));
  }

  #wakeRoomWaiters(): void {
    if (this.#roomWaiters.length === 0) return;
    if (this.#queue.length >= this.#maxQueue && this.#state === "running") return;
    const waiters = this.#roomWaiters;
    this.#roomWaiters = [];
    for (const wake of waiters) wake();
  }

  #abort(task: Task, reason: unknown): void {
    if (task.settled) return;
    if (this.#cancelWith(task, reason)) return;
    const m = task.member;
    this.#settle(task, false, reason);
    if (!m || m.state === "leaving" || m.state === "exited") return;
    // Running (or finished with its result on the way): ask it to stop, replace it if it does not.
    const message: ToWorker = { type: "abort", id: task.id, reason: serializeThrown(reason) };
    m.inbox.postMessage(message);
    task.grace = setTimeout(() => {
      task.grace = undefined;
      if (m.assigned.get(task.id) === task) void this.#crew.kill(m);
    }, this.#config.abortGrace);
  }

  /** Drops `task`, rejecting it with `reason`, if no worker started it; returns whether it did. */
  #cancelWith(task: Task, reason: unknown): boolean {
    if (this.#queue.remove(task)) {
      this.#settle(task, false, reason);
      this.#wakeRoomWaiters();
      this.#checkDrain();
      return true;
    }
    if (withdraw(task)) {
      this.#settle(task, false, reason);
      this.#schedulePump();
      return true;
    }
    return false;
  }

  #settle(task: Task, ok: boolean, value: unknown): void {
    if (task.settled) return;
    task.settled = true;
    if (task.onAbort) task.signal!.removeEventListener("abort", task.onAbort);
    task.onAbort = undefined;
    if (--this.#outstanding === 0 && this.#state === "running") this.#crew.ref(false);
    if (ok) task.resolve(value);
    else task.reject(value);
  }

  // --- the pool's life cycle (Pool.close, join, terminate, ready, stats) -------------------------

  /** Ids of the workers that take tasks. */
  workerIds(): number[] {
    return this.#crew.ids();
  }

  /** A snapshot of the pool's work (see `PoolStats`). */
  stats(): PoolStats {
    const { running, waiting, busyMs } = this.#crew.census();
    const capacity = (performance.now() - this.#createdAt) * this.size;
    return {
      workers: this.#live.length,
      queued: this.#queue.length,
      sent: waiting,
      running,
      completed: this.#completed,
      utilization: capacity > 0 ? Math.min(1, busyMs / capacity) : 0,
    };
  }

  /** Resolves once `size` workers have started and run the initializer (see `Pool.ready`). */
  ready(): Promise<void> {
    try {
      this.checkRunning("wait for the pool's workers");
    } catch (error) {
      return Promise.reject(error);
    }
    return this.#crew.ready();
  }

  /** Stops accepting tasks; workers leave once every submitted task is done. */
  close(): void {
    if (this.#state !== "running") return;
    this.#state = "closed";
    this.#crew.ref(true);
    this.#wakeRoomWaiters();
    this.#crew.checkReady(
      new RuntimeError("Cannot wait for the pool's workers: the pool is closed"),
    );
    this.#maybeFinish();
  }

  /** Waits until every worker has exited; throws a `RuntimeError` while the pool runs. */
  async join(): Promise<void> {
    if (this.#state === "running") {
      throw new RuntimeError("Cannot join a running pool: call close() or terminate() first");
    }
    if (this.#finished()) return;
    await new Promise<void>((resolve) => this.#joiners.push(resolve));
  }

  /** Stops every worker now; unfinished tasks reject with an `AbortError`. */
  async terminate(): Promise<TerminateStatus> {
    if (
      this.#state === "terminated" || (this.#state !== "running" && this.#crew.members.size === 0)
    ) {
      this.#state = "terminated";
      return "not-running";
    }
    this.#stop(
      "terminated",
      new DOMException("The pool was terminated before the task finished", "AbortError"),
    );
    // Every kill in progress counts, including those of workers replaced after an abort.
    return await this.#crew.allStopped() ? "terminated" : "unresponsive";
  }

  #breakPool(error: WorkerCrashedError): void {
    if (this.#state === "broken" || this.#state === "terminated") return;
    this.#broken = error;
    this.#stop("broken", error);
  }

  /** The one way to stop at once (terminate, or a broken pool): every unfinished task rejects. */
  #stop(state: "terminated" | "broken", reason: unknown): void {
    this.#state = state;
    for (const task of this.#queue.drain()) this.#settle(task, false, reason);
    this.#wakeRoomWaiters();
    this.#crew.checkReady(
      state === "broken"
        ? reason
        : new RuntimeError("Cannot wait for the pool's workers: the pool is terminated"),
    );
    for (const m of this.#crew.members) {
      for (const task of m.assigned.values()) this.#settle(task, false, reason);
    }
    this.#crew.killAll();
  }

  /** Whether the pool has stopped and has nothing left: no worker, and no task for one to start. */
  #finished(): boolean {
    return this.#state !== "running" && this.#crew.members.size === 0 && this.#queue.length === 0;
  }

  /** After close(): once no work is left, asks every worker to exit; resolves join() when all did. */
  #maybeFinish(): void {
    const members = this.#crew.members;
    if (this.#state === "closed" && this.#queue.length === 0 && !this.#crew.anyAssigned()) {
      for (const m of [...members]) {
        if (m.state === "starting" || m.state === "ready") this.#crew.dismiss(m);
      }
    }
    if (this.#finished()) {
      const joiners = this.#joiners;
      this.#joiners = [];
      for (const resolve of joiners) resolve();
    }
  }

  // --- dispatch ----------------------------------------------------------------------------------

  #schedulePump(): void {
    if (this.#pumpScheduled) return;
    this.#pumpScheduled = true;
    queueMicrotask(() => {
      this.#pumpScheduled = false;
      this.#pump();
    });
  }

  #pump(): void {
    if (this.#state === "terminated" || this.#state === "broken") return;
    while (this.#queue.length > 0) {
      const next = nextBatch(this.#live, this.#maxTasksPerChild, this.#queue.length);
      if (!next) break;
      const [m, n] = next;
      const batch: Task[] = [];
      for (let i = 0; i < n; i++) {
        const task = this.#queue.shift();
        if (!task) break;
        batch.push(task);
      }
      this.#send(m, batch);
    }
    this.#wakeRoomWaiters();
    if (this.#queue.length === 0) steal(this.#live, this.#maxTasksPerChild, this.#sendTo);
    this.#checkDrain();
    this.#maybeFinish();
  }

  /** Calls `onDrain` when the queue, which held tasks back after a pump, has emptied. */
  #checkDrain(): void {
    if (this.#queue.length > 0) {
      // Tasks that a pump left waiting (no room), not those waiting for a pump to come.
      if (!this.#pumpScheduled) this.#backlog = true;
      return;
    }
    if (!this.#backlog) return;
    this.#backlog = false;
    const onDrain = this.#config.onDrain;
    if (onDrain && this.#state === "running") queueMicrotask(onDrain);
  }

  /** `#send`, bound (for `steal`). */
  readonly #sendTo = (m: Member, tasks: Task[]): void => this.#send(m, tasks);

  #send(m: Member, tasks: Task[]): void {
    const { message, transfer } = assign(m, tasks);
    try {
      m.inbox.postMessage(message, transfer ?? []);
    } catch {
      // Something in the batch cannot be cloned: send the tasks one by one and fail only those.
      for (const task of tasks) {
        try {
          m.inbox.postMessage(runOne(task), task.transfer ?? []);
        } catch (error) {
          withdraw(task); // it never reached the worker: its slot is still QUEUED
          this.#settle(task, false, error);
        }
      }
    }
  }

  // --- workers ----------------------------------------------------------------------------------

  #onMessage(m: Member, message: FromWorker): void {
    switch (message.type) {
      case "results":
        this.#onResults(m, message.ids, message.values, message.failed);
        break;
      case "ready":
        if (m.state === "starting") m.state = "ready";
        this.#crew.checkReady();
        break;
      case "init-failed":
        this.#breakPool(
          new WorkerCrashedError(
            `Cannot start pool worker ${m.id}: the task module failed to load or its initializer threw`,
            { cause: rebuild(message.error), workerId: m.id, exitCode: null },
          ),
        );
        break;
      case "fatal":
        m.fatal = rebuild(message.error);
        if (message.outOfMemory) m.outOfMemory = true;
        break;
    }
  }

  #onResults(m: Member, ids: number[], values: unknown[], failed: number[]): void {
    this.#completed += ids.length;
    let f = 0;
    for (let i = 0; i < ids.length; i++) {
      const task = m.assigned.get(ids[i]!);
      const failure = f < failed.length && failed[f] === i;
      if (failure) f++;
      if (!task) continue;
      release(m, task);
      if (task.settled) continue;
      if (failure) this.#settle(task, false, rebuild((values[i] as Failure).error));
      else this.#settle(task, true, reviveResult(values[i]));
    }
    if (m.sent >= this.#maxTasksPerChild && m.assigned.size === 0 && m.state !== "leaving") {
      // Recycled: it exits after its last task, and a fresh worker replaces it.
      this.#crew.dismiss(m);
      this.#crew.scheduleStart();
    }
    this.#pump();
  }

  #onExit(m: Member, code: number | null): void {
    const wasReady = m.state === "ready";
    const expected = m.state === "leaving";
    if (!this.#crew.exited(m)) return;
    // A worker stopped at its heap cap: by Deno (its `error` event), or by itself (its `fatal`
    // report; see limits.ts); either way m.fatal is the ERR_WORKER_OUT_OF_MEMORY error.
    const end = endOf(m, code, this.#config.resourceLimits);
    for (const [task, error] of end.failed) this.#settle(task, false, error);
    if (end.again.length > 0) this.#queue.unshiftAll(end.again);
    // m.inbox is not closed: closing it would fire the `close` event that tells the thread's end;
    // it closes itself when the thread ends.
    if (!expected && !wasReady && this.#state === "running") {
      this.#breakPool(end.beforeReady());
    } else if (this.#state === "running" || this.#state === "closed") {
      if (!expected && !end.blamed) {
        // It ended outside any task (an error thrown after its task returned, say): no task's
        // promise tells of it, so the pool's onWorkerError does.
        const report = end.outsideTask();
        queueMicrotask(() => this.#config.onWorkerError(report));
      }
      this.#crew.scheduleStart();
      this.#pump();
    }
    this.#maybeFinish();
  }
}
