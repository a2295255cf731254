/**
 * The job protocol between `bench/lock_bench.ts` and its workers (`./lock_worker.ts`): control
 * words, job and result shapes. It imports nothing, so the main thread can use it without loading
 * the worker module, whose `multithreading` peer patches `Atomics.waitAsync` in the realm that
 * imports it (its patch keeps the event loop turning while any async waiter is pending: on the main
 * thread, whose presence waiters never settle, the script would never exit).
 *
 * @module
 */
/** Word indices of the control array `ctl` (each on its own cache line). */
export const READY = 0;
/** Set to 1 by the main thread to end a timed run. */
export const STOP = 16;
/** Int32 words the control array needs. */
export const CTL_WORDS = 32;

/** Which lock the contended run uses. */
export type LockKind =
  | "raw-futex"
  | "raw-spin"
  | "futex-linear-spin"
  | "kernel"
  | "interlock"
  | "interlock-using"
  | "multithreading"
  | "semaphore"
  | "semaphore-kernel"
  | "kernel-nap"
  | "kernel-alloc";
/** Which hand-off the ping-pong run uses. */
export type PingKind =
  | "raw-wait"
  | "raw-spin"
  | "raw-spin-then-wait"
  | "lock"
  | "event"
  | "condition";

/** A contended run: locked non-atomic increments of `data[0]` until `ctl[STOP]` is set. */
export interface ContendedJob {
  job: "contended";
  kind: LockKind;
  ctl: Int32Array;
  /**
   * `data[0]` is the counter, `data[1]` the last worker to hold the lock and `data[2]` the number
   * of turns (changes of holder); the raw locks use `data[16]` (own cache line) as their state.
   */
  data: Int32Array;
  /** This worker's id, 1 .. parties. */
  me: number;
  /** How many workers run the job together (the start barrier waits for all of them). */
  parties: number;
  /** The Interlock lock (a structured clone; revived here). */
  lock: unknown;
  /** An Interlock `Semaphore(1)` used as the lock by the "semaphore" kinds (a clone). */
  sem: unknown;
  /** The `multithreading` Mutex's own buffer (it locks word 0 of a buffer of its own). */
  peer: SharedArrayBuffer;
}

/** A ping-pong run: `rounds` round trips between player 0 and player 1. */
export interface PingJob {
  job: "ping";
  kind: PingKind;
  player: 0 | 1;
  rounds: number;
  ctl: Int32Array;
  /** `turn[0]`: whose turn it is, for the raw variants. */
  turn: Int32Array;
  /** Two Interlock objects (Locks or Events; a Condition and null), clones. */
  pair: [unknown, unknown];
}

/** What a worker reports after a job. */
export interface JobResult {
  /** Transactions (contended) or round trips (ping) done by this worker. */
  count: number;
  /** Wall-clock start and end, in ms since the epoch. */
  start: number;
  end: number;
}
