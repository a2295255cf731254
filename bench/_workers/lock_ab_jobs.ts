/**
 * The jobs `bench/lock_ab_bench.ts` posts to its workers (`./lock_ab_worker.ts`), and the words of
 * their control array.
 *
 * @module
 */

/** One job: `contended` loops until `ctl[STOP]`; `ping` plays `rounds` round trips as `player`. */
export interface AbJob {
  readonly job: "contended" | "ping";
  /** `mod.ts` of the copy to use; null: the raw futex lock (contended) or raw wait/notify (ping). */
  readonly mod: string | null;
  /** contended: "lock" or "semaphore"; ping: "lock", "event" or "condition" ("raw", "raw-spin"). */
  readonly kind: string;
  readonly ctl: Int32Array;
  readonly data: Int32Array;
  readonly parties: number;
  readonly player: number;
  readonly rounds: number;
  readonly objects: unknown[];
}

/** Index of the start barrier's counter in `ctl`. */
export const READY = 0;
/** Index of the stop flag in `ctl`. */
export const STOP = 1;
