/**
 * The slow path of a *robust* acquire (`Lock`, `RLock`, a robust `Semaphore`, a `Condition`
 * taking its lock back): wait in stretches of growing patience, and after each stretch probe the
 * holder the primitive names, so that a waiter blocked on a holder that died learns it (see
 * `src/kernel/presence.ts` for the probe, `src/kernel/lock.ts` for abandoned locks).
 *
 * Nothing here runs on a fast path: an acquire that succeeds at once never comes here, and a waiter
 * probes only after it waited {@linkcode FIRST_PATIENCE} ms, then twice as long each time, up to
 * {@linkcode MAX_PATIENCE} ms, so a living holder is probed ~10 times in its first 10 s and once
 * a second after that. The blocking form counts its patience per sleep (`setNap`: a sleep that
 * nobody ended for that long), so its waits read no clock unless the caller gave a timeout; the
 * Promise form per stretch of waiting (an absolute deadline).
 *
 * @module
 */
import { type KernelGen, setNap } from "../_atomics.ts";
import { runAsync } from "../_async.ts";
import { OwnerDiedError } from "../errors.ts";
import { ACQUIRED, OWNER_DIED } from "../kernel/lock.ts";
import type { AcquireOptions } from "../options.ts";

/** How long a waiter sleeps before it first probes the holder (ms). */
export const FIRST_PATIENCE = 10;
/** The longest it sleeps between two probes (ms). */
export const MAX_PATIENCE = 1000;

/**
 * What the robust slow path needs from a primitive: its kernels, bound to its memory and ids. The
 * acquires return the lock kernel's statuses: ACQUIRED, TIMED_OUT or OWNER_DIED.
 */
export interface Robust {
  /** The blocking acquire (plain kernel): ACQUIRED, TIMED_OUT or OWNER_DIED. */
  acquire(deadline: number): number;
  /** The same acquire, derived (for `runAsync`). */
  acquireGen(deadline: number): KernelGen<number>;
  /** Probes the holder(s) the primitive names; whether it is abandoned now. */
  probe(): boolean;
  /** Takes the abandoned primitive over; false if it is not abandoned (any more). */
  takeOver(): boolean;
  /** The caller, holding it after a takeOver, gives it up as abandoned (its handler threw). */
  giveUp(): void;
}

type Handler = AcquireOptions["onOwnerDied"];

/**
 * The error of an acquire that found what it acquires abandoned (shared with the explorer's
 * wrappers); `what` names the action, as in `acquire the lock`.
 */
export function ownerDiedError(what: string): OwnerDiedError {
  return new OwnerDiedError(
    `Cannot ${what}: a holder died holding it, so the data it protects may be inconsistent ` +
      "(acquire with onOwnerDied to take it over and repair it)",
  );
}

/** The error a takeOver hands to `onOwnerDied` (shared with the explorer's wrappers). */
export function tookOverError(what: string): OwnerDiedError {
  return new OwnerDiedError(
    `Took over what a dead holder held (to ${what}): the data it protects may be inconsistent; ` +
      "repair it before onOwnerDied returns",
  );
}

/** The next patience after a probe that found the holder alive (or a nap that found nothing). */
export function longer(patience: number): number {
  return patience < MAX_PATIENCE ? Math.min(2 * patience, MAX_PATIENCE) : MAX_PATIENCE;
}

/**
 * The blocking slow path: acquires through `r` until `deadline`; returns false on timeout. Throws
 * {@linkcode OwnerDiedError} (nothing taken) if the primitive is abandoned and there is no
 * `handler`, or whatever the handler throws (then it is abandoned again).
 */
export function acquireRobustSync(
  r: Robust,
  deadline: number,
  handler: Handler,
  what: string,
): boolean {
  let patience = FIRST_PATIENCE;
  for (;;) {
    setNap(patience);
    let status: number;
    try {
      status = r.acquire(deadline);
    } finally {
      setNap(Infinity);
    }
    if (status === ACQUIRED) return true;
    if (status === OWNER_DIED) {
      if (handler === undefined) throw ownerDiedError(what);
      if (!r.takeOver()) continue; // another acquirer took it over first
      try {
        handler(tookOverError(what));
      } catch (error) {
        r.giveUp();
        throw error;
      }
      return true;
    }
    // TIMED_OUT: the deadline passed, or one sleep lasted the whole patience.
    if (deadline !== Infinity && performance.now() >= deadline) return false;
    if (!r.probe()) patience = longer(patience);
  }
}

/** The Promise form of {@linkcode acquireRobustSync}; an abort of `signal` returns false. */
export async function acquireRobust(
  r: Robust,
  deadline: number,
  handler: Handler,
  what: string,
  signal: AbortSignal | undefined,
): Promise<boolean> {
  let patience = FIRST_PATIENCE;
  for (;;) {
    const until = Math.min(deadline, performance.now() + patience);
    const status = await runAsync(r.acquireGen(until), signal);
    if (status === ACQUIRED) return true;
    if (status === OWNER_DIED) {
      if (handler === undefined) throw ownerDiedError(what);
      if (!r.takeOver()) continue;
      try {
        await handler(tookOverError(what));
      } catch (error) {
        r.giveUp();
        throw error;
      }
      return true;
    }
    if (until === deadline || signal?.aborted) return false;
    if (!r.probe()) patience = longer(patience);
  }
}
