/**
 * Task-slot kernel: how a `Pool` and one of its workers agree, without a message, on who owns a task
 * that was sent to the worker but may not have started yet. The pool assigns and revokes slots in
 * `src/pool/_member.ts` (for the steals and cancels `src/pool/_dispatcher.ts` decides); the worker
 * claims and finishes them in `src/pool/_worker_pool.ts`.
 *
 * The pool sends tasks to a worker in batches (one `postMessage` for many tasks). Each task sent
 * takes one slot of that worker's slot region. Before running a task the worker *claims* its slot;
 * the pool may *revoke* a task that is still only queued, to give it to an idle worker (work stealing)
 * or to drop it (its caller aborted). Claim and revoke are compare-exchanges on the same word, so
 * exactly one of them wins: a task runs at most once, and a revoked task never runs in this worker.
 *
 * Shared layout: Int32Array `s` over the worker's slot region ({@linkcode BYTES} bytes).
 * | index        | field  | written by                         | meaning                         |
 * | 0            | tag    | the pool, once                     | TAG.PoolSlots                   |
 * | FIRST + k    | slot k | pool (assign, revoke), worker      | `gen << 2 \| state`, see below  |
 * |              |        | (claim, finish)                    |                                 |
 *
 * Slot states (low 2 bits); `gen` (upper bits) changes every time the pool reuses the slot:
 * | value | state   | meaning                                                             |
 * | 0     | DONE    | free, or the task with this `gen` finished (its result is on its way) |
 * | 1     | QUEUED  | sent; not started; the pool may still revoke it                     |
 * | 2     | RUNNING | the worker claimed it and runs it                                    |
 * | 3     | REVOKED | the pool took it back; the worker skips it                           |
 *
 * Transitions: assign any->QUEUED(gen+1) (pool, store: only the pool reuses a slot, and only when it
 * no longer waits for the previous task in it) | claim QUEUED(g)->RUNNING(g) (worker, CAS) |
 * revoke QUEUED(g)->REVOKED(g) (pool, CAS) | finish RUNNING(g)->DONE(g) (worker, store).
 *
 * Why the generation: the worker learns of a task from a message that may still be in flight when the
 * pool revokes the task and reuses its slot for another task. That stale message carries the old
 * `gen`, so its claim compares against a word that no longer holds `QUEUED(old gen)` and fails.
 * Messages to one worker arrive in the order they were sent, so a slot's new task is never seen
 * before its old one.
 *
 * Synchronizes-with: the pool's assigning store happens before it posts the message, which happens
 * before the worker's claim reads it. No thread ever waits on a slot, so no wake-up can be lost.
 *
 * @module
 */
import type { Seam } from "../_atomics.ts";

// The functions below use module-private twins of the exported constants: V8 reads an exported
// binding through its module cell at every use (~7% of an uncontended pair, see src/kernel/lock.ts).
const $FIRST = 1;
const $DONE = 0;
const $QUEUED = 1;
const $RUNNING = 2;
const $REVOKED = 3;

/** Word index of slot 0. */
export const FIRST: number = $FIRST;
/** Slots per worker: the most tasks a pool keeps sent to one worker and not yet answered. */
export const SLOTS = 256;
/** Bytes of one worker's slot region. */
export const BYTES = (FIRST + SLOTS) * 4;
/** Mask of the generation after shifting out the state. */
export const GEN_MASK = 0x1fffffff;

/** Free, or finished (state bits). */
export const DONE: number = $DONE;
/** Sent, not started; revocable (state bits). */
export const QUEUED: number = $QUEUED;
/** Claimed by the worker (state bits). */
export const RUNNING: number = $RUNNING;
/** Taken back by the pool (state bits). */
export const REVOKED: number = $REVOKED;

/** Marks slot `k` as holding a freshly sent task of generation `gen`. Pool side. */
export function assign(A: Seam, s: Int32Array, k: number, gen: number): void {
  A.store(s, $FIRST + k, (gen << 2) | $QUEUED);
}

/** Claims the task of generation `gen` in slot `k`; false if the pool revoked it. Worker side. */
export function claim(A: Seam, s: Int32Array, k: number, gen: number): boolean {
  const queued = (gen << 2) | $QUEUED;
  return A.compareExchange(s, $FIRST + k, queued, (gen << 2) | $RUNNING) === queued;
}

/** Records that the task of generation `gen` in slot `k` finished. Worker side. */
export function finish(A: Seam, s: Int32Array, k: number, gen: number): void {
  A.store(s, $FIRST + k, (gen << 2) | $DONE);
}

/**
 * Takes back the task of generation `gen` in slot `k` if the worker has not claimed it; returns
 * whether it did. Pool side.
 */
export function revoke(A: Seam, s: Int32Array, k: number, gen: number): boolean {
  const queued = (gen << 2) | $QUEUED;
  return A.compareExchange(s, $FIRST + k, queued, (gen << 2) | $REVOKED) === queued;
}

/**
 * The state bits of slot `k` if it still holds generation `gen`, or -1 if the slot moved on (it was
 * reused). Pool side, to learn what a worker that died was doing.
 */
export function stateOf(A: Seam, s: Int32Array, k: number, gen: number): number {
  const word = A.load(s, $FIRST + k);
  if ((word >>> 2) !== gen) return -1;
  return word & 3;
}
