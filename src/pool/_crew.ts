/**
 * The worker threads of one pool (its crew): starting them in the background, knowing which take
 * tasks, keeping the program alive or not, and stopping them. What the workers say and what their
 * end means for the tasks is the dispatcher's (`_dispatcher.ts`), told through a
 * {@linkcode CrewHost}.
 *
 * - **Starting in the background.** Creating a thread blocks the creating thread for ~100 ms: Deno
 *   2.9 builds the thread's runtime synchronously (0.1-0.4 s measured on a busy 2-core machine, for
 *   an empty worker too; 64 workers made `new Pool` take 4-30 s). So no worker starts inside
 *   `new Pool` or a message handler: each starts in a macrotask of its own (`scheduleStart`), one
 *   after another, and the dispatcher hands tasks to the first as soon as it exists.
 * - **Keeping the program alive** (`ref`): while the pool has work, or is closing, its workers and
 *   its next start keep the program running; an idle pool does not (its workers are daemons, as in
 *   Python).
 * - **Stopping** (`kill`): see `_stop.ts`; the kills in progress are kept until their thread ended
 *   or was abandoned, so that `terminate()` can tell whether every thread really ended.
 *
 * Members: `members` holds every worker whose thread has not exited; `live` those of them that take
 * tasks (not leaving).
 *
 * @module
 */
import { setImmediate } from "node:timers";
import { WorkerCrashedError } from "../errors.ts";
import { isOutOfMemory, type ResourceLimits } from "./limits.ts";
import type { FromWorker, ToWorker } from "./protocol.ts";
import { busyMs, census, isIdle, type Member, spawnMember } from "./_member.ts";
import { spawnFailure, WORKER_MAIN } from "./_spawn.ts";
import { Grace, stopWorker } from "./_stop.ts";

let workerCount = 0;

/** What the crew asks of its pool's dispatcher. */
export interface CrewHost {
  /** Whether workers are wanted at all (the pool runs, or is closed with work left). */
  wantsWorkers(): boolean;
  /** Whether the pool has work (or is closing): its workers then keep the program alive. */
  keepsAlive(): boolean;
  /** A worker was started (and sent the task module): it may take tasks. */
  onStart(m: Member): void;
  /** No worker thread could be created (a missing permission, say): none ever will be. */
  onStartFailure(error: WorkerCrashedError): void;
  /** A message from worker `m`. */
  onMessage(m: Member, message: FromWorker): void;
  /** Worker `m` has exited (`code` null: abandoned after a kill; see `_stop.ts`). */
  onExit(m: Member, code: number | null): void;
}

/** What every worker of a crew is started with. */
export interface CrewConfig {
  /** Number of workers kept taking tasks. */
  readonly size: number;
  /** The task module's URL, its initializer and the initializer's arguments. */
  readonly module: string;
  readonly initializer: string | null;
  readonly initArgs: unknown[];
  readonly resourceLimits: ResourceLimits | undefined;
}

/** A pool's worker threads (see the module doc). */
export class Crew {
  /** Workers that take tasks. */
  readonly live: Member[] = [];
  /** Every worker whose thread has not exited yet. */
  readonly members: Set<Member> = new Set();
  /** Number of workers kept taking tasks. */
  readonly size: number;
  readonly #config: CrewConfig;
  readonly #host: CrewHost;
  /** Kills in progress (a worker stays here until its thread ended or was abandoned). */
  readonly #dying = new Set<Promise<boolean>>();
  /** The next start, while one is scheduled. */
  #starter: ReturnType<typeof setImmediate> | undefined;
  /** Busy milliseconds of the workers that have exited. */
  #pastBusyMs = 0;
  #readyWaiters: { resolve: () => void; reject: (error: unknown) => void }[] = [];

  /** A crew as `config` says; no worker starts before {@linkcode Crew.scheduleStart}. */
  constructor(config: CrewConfig, host: CrewHost) {
    this.size = config.size;
    this.#config = config;
    this.#host = host;
  }

  /** Ids of the workers that take tasks. */
  ids(): number[] {
    return this.live.map((m) => m.id);
  }

  /** Whether some worker holds tasks (sent and not answered). */
  anyAssigned(): boolean {
    for (const m of this.members) if (m.assigned.size > 0) return true;
    return false;
  }

  /**
   * Schedules the start of one missing worker in a macrotask of its own (then of the next one), so
   * that the ~100 ms each takes never runs inside `new Pool` or a message handler.
   */
  scheduleStart(): void {
    if (this.#starter !== undefined || !this.#missing()) return;
    this.#starter = setImmediate(() => {
      this.#starter = undefined;
      if (!this.#missing()) return;
      if (this.#start()) this.scheduleStart();
    });
    if (!this.#keepsAlive()) this.#starter.unref();
  }

  /** Whether the workers keep the program alive: the pool has work, or someone awaits `ready()`. */
  #keepsAlive(): boolean {
    return this.#host.keepsAlive() || this.#readyWaiters.length > 0;
  }

  /** Cancels a scheduled start (the pool stops). */
  stopStarting(): void {
    if (this.#starter === undefined) return;
    clearImmediate(this.#starter);
    this.#starter = undefined;
  }

  #missing(): boolean {
    return this.live.length < this.size && this.#host.wantsWorkers();
  }

  /** Starts one worker and sends it the task module; returns whether it could. */
  #start(): boolean {
    const config = this.#config;
    let m: Member;
    try {
      m = spawnMember(`PoolWorker-${++workerCount}`, config.resourceLimits);
    } catch (error) {
      const clear = spawnFailure(error, WORKER_MAIN);
      const message = clear instanceof Error ? clear.message : String(clear);
      this.#host.onStartFailure(
        new WorkerCrashedError(message, { cause: error, workerId: -1, exitCode: null }),
      );
      return false;
    }
    const worker = m.worker;
    this.live.push(m);
    this.members.add(m);
    worker.on("message", (message: FromWorker) => this.#host.onMessage(m, message));
    worker.on("exit", (code: number) => this.#host.onExit(m, code));
    worker.on("error", (error: unknown) => {
      // worker_main reports the errors of the code it runs itself: an `error` event comes from Deno,
      // such as the one of a worker stopped at its heap cap (see limits.ts).
      if (isOutOfMemory(error)) {
        m.outOfMemory = true;
        m.fatal = error;
      } else m.fatal ??= error;
    });
    if (!this.#keepsAlive()) worker.unref();
    const init: ToWorker = {
      type: "init",
      module: config.module,
      initializer: config.initializer,
      initArgs: config.initArgs,
      slots: m.words.buffer as SharedArrayBuffer,
    };
    m.inbox.postMessage(init);
    this.#host.onStart(m);
    return true;
  }

  /** Lets the workers (and the next start) keep the program alive, or not (not while awaited). */
  ref(on: boolean): void {
    if (!on && this.#readyWaiters.length > 0) return;
    for (const m of this.members) on ? m.worker.ref() : m.worker.unref();
    if (on) this.#starter?.ref();
    else this.#starter?.unref();
  }

  /** Takes `m` out of the workers that take tasks (asked to stop, or killed). */
  leave(m: Member): void {
    if (m.state === "leaving" || m.state === "exited") return;
    m.state = "leaving";
    const i = this.live.indexOf(m);
    if (i >= 0) this.live.splice(i, 1);
  }

  /**
   * Records that `m` has exited; returns false if it already had. The caller then deals with its
   * tasks.
   */
  exited(m: Member): boolean {
    if (m.state === "exited") return false;
    m.state = "exited";
    const i = this.live.indexOf(m);
    if (i >= 0) this.live.splice(i, 1);
    this.members.delete(m);
    this.#pastBusyMs += busyMs(m, performance.now());
    return true;
  }

  /**
   * Terminates `m` (once) and takes it out of `live` at once (its `exit` event follows within
   * milliseconds); the returned promise tells whether its thread really ended within the grace
   * period (`grace`, shared by the workers stopped together; the longer one if `m` is idle, see
   * `_stop.ts`). A thread that did not is abandoned and reported as exited (code `null`).
   */
  kill(m: Member, grace?: Grace): Promise<boolean> {
    if (m.stopped) return m.stopped;
    const idle = isIdle(m);
    this.leave(m);
    const stopped = stopWorker(m.worker, m.ended, grace, idle).then((ended) => {
      this.#dying.delete(stopped);
      if (!ended) this.#host.onExit(m, null);
      return ended;
    });
    m.stopped = stopped;
    this.#dying.add(stopped);
    return stopped;
  }

  /** Kills every worker, with one grace period for all (see `_stop.ts`). */
  killAll(): void {
    this.stopStarting();
    const grace = new Grace();
    for (const m of [...this.members]) void this.kill(m, grace);
  }

  /** Resolves, once every kill in progress is over, with whether every thread really ended. */
  async allStopped(): Promise<boolean> {
    const stopped = await Promise.all(this.#dying);
    return stopped.every(Boolean);
  }

  /** Asks `m` to exit once the tasks it received are done. */
  dismiss(m: Member): void {
    this.leave(m);
    const stop: ToWorker = { type: "stop" };
    m.inbox.postMessage(stop);
  }

  /** What the workers do now, and how long they have been busy (for `Pool.stats`). */
  census(): { running: number; waiting: number; busyMs: number } {
    const now = performance.now();
    let running = 0;
    let waiting = 0;
    let busy = this.#pastBusyMs;
    for (const m of this.members) {
      const counts = census(m);
      running += counts.running;
      waiting += counts.waiting;
      busy += busyMs(m, now);
    }
    return { running, waiting, busyMs: busy };
  }

  /** Resolves once `size` workers take tasks and have run the initializer (see `Pool.ready`). */
  ready(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#readyWaiters.push({ resolve, reject });
      this.ref(true);
      this.checkReady();
    });
  }

  /**
   * Settles the `ready()` waiters that can be: all of them with `error` when given (the pool broke
   * or stopped), else all of them once every worker is ready.
   */
  checkReady(error?: unknown): void {
    if (this.#readyWaiters.length === 0) return;
    if (error === undefined) {
      if (this.live.length < this.size || this.live.some((m) => m.state !== "ready")) return;
    }
    const waiters = this.#readyWaiters;
    this.#readyWaiters = [];
    if (!this.#host.keepsAlive()) this.ref(false);
    for (const w of waiters) error === undefined ? w.resolve() : w.reject(error);
  }
}
