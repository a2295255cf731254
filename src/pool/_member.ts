/**
 * The pool's records, `Task` (one submission, from `submit` until it settles) and `Member` (one
 * worker thread, started by `spawnMember`), and the bookkeeping of a member's task slots over the
 * task-slot kernel (`src/kernel/task_slot.ts`): the only place the pool touches a worker's slots.
 *
 * A member owns `S.SLOTS` slots, each with a generation. Sending a task takes a free slot, bumps its
 * generation and marks it QUEUED (`assign`); the worker claims it (RUNNING) before it runs the task
 * and marks it DONE after. The slot comes back to `free` when the result arrives (`release`), when
 * the pool revokes the task before the worker claimed it (`withdraw`, `takeUnstarted`: cancel,
 * steal), or when the worker is gone (`reclaim`).
 *
 * Invariant: `m.assigned` holds exactly the tasks whose slot of `m` is taken, and `task.member` is
 * `m` exactly while `task` is in `m.assigned`; `m.free` holds the other slots.
 *
 * @module
 */
import { threadId, type Worker } from "node:worker_threads";
import { REAL } from "../_atomics.ts";
import { allocate, TAG } from "../_region.ts";
import * as S from "../kernel/task_slot.ts";
import type { ResourceLimits } from "./limits.ts";
import type { Kind, RunMessage, WireArgs } from "./protocol.ts";
import { encodeRun } from "./_run_batch.ts";
import { spawnWorker } from "./_spawn.ts";
import type { Queued } from "./task_queue.ts";

/** One submitted task. */
export interface Task extends Queued {
  readonly id: number;
  readonly name: string;
  readonly kind: Kind;
  readonly args: WireArgs;
  readonly transfer: Transferable[] | undefined;
  readonly promise: Promise<unknown>;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
  settled: boolean;
  signal: AbortSignal | undefined;
  onAbort: (() => void) | undefined;
  /** The worker it was sent to, while it holds one of that worker's slots. */
  member: Member | undefined;
  slot: number;
  gen: number;
  /** After an abort of a running task: the timer that replaces its worker if it runs on. */
  grace: ReturnType<typeof setTimeout> | undefined;
}

/** One worker thread of a pool. */
export interface Member {
  readonly worker: Worker;
  /**
   * Where the pool's messages to the worker go (see `Spawned.inbox` in `_spawn.ts`). Messages from
   * the worker come through its `parentPort`, which is as fast, and is ordered before the worker's
   * `exit` event.
   */
  readonly inbox: MessagePort;
  readonly id: number;
  readonly words: Int32Array;
  readonly gens: Int32Array;
  readonly free: number[];
  /** Tasks sent and not answered, in the order sent. */
  readonly assigned: Map<number, Task>;
  /** Tasks counted toward `maxTasksPerChild`. */
  sent: number;
  /** "starting" until the initializer ran; "leaving" once asked to stop or killed. */
  state: "starting" | "ready" | "leaving" | "exited";
  /** The uncaught error it reported before exiting, if any. */
  fatal: unknown;
  /** Whether it reached its heap cap (`fatal` is then the `ERR_WORKER_OUT_OF_MEMORY` error). */
  outOfMemory: boolean;
  /** Resolves when its thread has really ended (not just reported an `exit`; see `_stop.ts`). */
  readonly ended: Promise<void>;
  /** Set by the first kill: whether the thread ended within the grace period. */
  stopped: Promise<boolean> | undefined;
  /** Milliseconds it has held tasks (sent and not answered), over its past busy spells. */
  busyMs: number;
  /** When its current busy spell began (`performance.now()`), while `assigned` is not empty. */
  busySince: number;
}

/** Starts a pool worker named `name` and returns its record, every slot free. */
export function spawnMember(name: string, limits: ResourceLimits | undefined): Member {
  const { worker, inbox, ended } = spawnWorker(
    { role: "pool", name, parentId: threadId, daemon: true },
    limits,
  );
  return {
    worker,
    inbox,
    id: worker.threadId,
    words: allocate(TAG.PoolSlots, S.BYTES),
    gens: new Int32Array(S.SLOTS),
    free: Array.from({ length: S.SLOTS }, (_, k) => S.SLOTS - 1 - k),
    assigned: new Map(),
    sent: 0,
    state: "starting",
    fatal: undefined,
    outOfMemory: false,
    ended,
    stopped: undefined,
    busyMs: 0,
    busySince: 0,
  };
}

/** How many more tasks `m` takes now: its free slots, within `maxTasksPerChild`; 0 once leaving. */
export function capacity(m: Member, maxTasksPerChild: number): number {
  if (m.state !== "ready" && m.state !== "starting") return 0;
  return Math.min(m.free.length, maxTasksPerChild - m.sent);
}

/** A batch ready to post: the message and what it transfers. */
export interface Batch {
  readonly message: RunMessage;
  readonly transfer: Transferable[] | undefined;
}

/**
 * Gives each of `tasks` a free slot of `m` (QUEUED, with a fresh generation) and returns the one
 * message that sends them all. The caller checked that `m` has room for them.
 */
export function assign(m: Member, tasks: readonly Task[]): Batch {
  const n = tasks.length;
  let transfer: Transferable[] | undefined;
  if (m.assigned.size === 0 && n > 0) m.busySince = performance.now();
  for (let i = 0; i < n; i++) {
    const task = tasks[i]!;
    const k = m.free.pop()!;
    const gen = (m.gens[k]! + 1) & S.GEN_MASK;
    m.gens[k] = gen;
    S.assign(REAL, m.words, k, gen);
    task.member = m;
    task.slot = k;
    task.gen = gen;
    m.assigned.set(task.id, task);
    m.sent++;
    if (task.transfer?.length) (transfer ??= []).push(...task.transfer);
  }
  return { message: encodeRun(tasks), transfer };
}

/** The message that sends one assigned task alone (when its batch could not be cloned). */
export function runOne(task: Task): RunMessage {
  return encodeRun([task]);
}

/** Whether a worker has started `task` (claimed its slot) and not finished it. */
export function isRunning(task: Task): boolean {
  const m = task.member;
  if (task.settled || !m) return false;
  return S.stateOf(REAL, m.words, task.slot, task.gen) === S.RUNNING;
}

/**
 * Takes `task` back from its worker if the worker has not started it (revokes its slot, so the
 * worker skips it; it does not count toward `maxTasksPerChild`); returns whether it did.
 */
export function withdraw(task: Task): boolean {
  const m = task.member;
  if (!m || !S.revoke(REAL, m.words, task.slot, task.gen)) return false;
  unassign(m, task);
  return true;
}

/**
 * Takes back up to `want` of the unstarted tasks at the end of `victim`'s batch (never its first
 * task, nor a task whose buffers were transferred), returned in the order they were sent.
 */
export function takeUnstarted(victim: Member, want: number): Task[] {
  const tasks = [...victim.assigned.values()];
  const stolen: Task[] = [];
  for (let i = tasks.length - 1; i >= 1 && stolen.length < want; i--) {
    const task = tasks[i]!;
    // Tasks whose buffers were transferred cannot be sent again: they stay.
    if (task.transfer !== undefined) break;
    // Tasks start in the order sent: once one is claimed, every earlier one is too.
    if (!S.revoke(REAL, victim.words, task.slot, task.gen)) break;
    unassign(victim, task);
    stolen.push(task);
  }
  return stolen.reverse();
}

/** Frees the slot of `task`, whose result (or failure) arrived from `m`. */
export function release(m: Member, task: Task): void {
  m.assigned.delete(task.id);
  m.free.push(task.slot);
  task.member = undefined;
  clearGrace(task);
  if (m.assigned.size === 0) idle(m);
}

/**
 * Milliseconds `m` has held tasks so far (what `Pool.stats().utilization` adds up): a worker counts
 * as busy from the moment tasks are sent to it until the last result is back.
 */
export function busyMs(m: Member, now: number): number {
  return m.assigned.size > 0 ? m.busyMs + (now - m.busySince) : m.busyMs;
}

/** Ends the busy spell of `m`, whose last task is answered or taken back. */
function idle(m: Member): void {
  m.busyMs += performance.now() - m.busySince;
}

/**
 * Empties the slots of `m`, a worker that is gone, and returns its unsettled tasks, in the order
 * sent, each with whether the worker had started it (RUNNING). The rest never started (QUEUED) or
 * finished with their result lost (DONE).
 */
export function reclaim(m: Member): [task: Task, started: boolean][] {
  const left: [Task, boolean][] = [];
  for (const task of m.assigned.values()) {
    clearGrace(task);
    let state = S.stateOf(REAL, m.words, task.slot, task.gen);
    // A killed thread may run on until its current job returns (see _stop.ts), and start the
    // tasks of its batch meanwhile: take back what it has not started before sending it again.
    if (state === S.QUEUED && !S.revoke(REAL, m.words, task.slot, task.gen)) {
      state = S.stateOf(REAL, m.words, task.slot, task.gen);
    }
    task.member = undefined;
    if (!task.settled) left.push([task, state === S.RUNNING]);
  }
  if (m.assigned.size > 0) idle(m);
  m.assigned.clear();
  return left;
}

/**
 * Whether `m` is idle: it runs no task, nor its initializer (it is ready), and has no task it could
 * start (every slot it was given is done or revoked). A worker killed while idle runs no synchronous
 * code, so its thread ends as soon as it is scheduled (see `_stop.ts`).
 */
export function isIdle(m: Member): boolean {
  if (m.state !== "ready" && m.state !== "leaving") return false;
  for (const task of m.assigned.values()) {
    const state = S.stateOf(REAL, m.words, task.slot, task.gen);
    if (state === S.QUEUED || state === S.RUNNING) return false;
  }
  return true;
}

/**
 * Counts the tasks sent to `m` and not answered: those it has started (`running`; including those
 * finished whose result is on its way) and those waiting in its batch (`waiting`).
 */
export function census(m: Member): { running: number; waiting: number } {
  let running = 0;
  for (const task of m.assigned.values()) {
    if (S.stateOf(REAL, m.words, task.slot, task.gen) !== S.QUEUED) running++;
  }
  return { running, waiting: m.assigned.size - running };
}

function unassign(m: Member, task: Task): void {
  m.assigned.delete(task.id);
  m.free.push(task.slot);
  m.sent--;
  task.member = undefined;
  if (m.assigned.size === 0) idle(m);
}

function clearGrace(task: Task): void {
  if (task.grace !== undefined) {
    clearTimeout(task.grace);
    task.grace = undefined;
  }
}
