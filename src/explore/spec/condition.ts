/**
 * The sequential specification of `Condition`, over the specification of its lock.
 *
 * @module
 */
import { notOwnerError } from "../../sync/condition.ts";
import { BLOCKED, suspend, type Suspension } from "./_blocking.ts";
import { LockSpec, RLockSpec } from "./lock.ts";

/**
 * The sequential specification of a `Condition` over its lock (a {@linkcode LockSpec} or an
 * {@linkcode RLockSpec}): how many waiters are registered, and how many wake-up tokens `notify`
 * issued that no waiter has claimed yet. Operations that depend on the caller take its agent id.
 *
 * - `wait(me)` (lock held by the caller; for a `Lock`, held by anyone) releases the lock
 *   completely and registers; it returns `true` once it claimed a token *and* took the lock back,
 *   which it does in one step when both are free. Which registered waiter claims a token is not
 *   specified (the kernel's tokens are anonymous).
 * - A timed wait that times out unregisters (leaving at most as many tokens as waiters), then takes
 *   the lock back, whatever the time, and returns `false`.
 * - `notify(me, n)` issues one token for each of up to `n` registered waiters that have none.
 *
 * @example
 * ```ts
 * import { BLOCKED, ConditionSpec, LockSpec, Suspension } from "@interlock/interlock/explore";
 * import assert from "node:assert/strict";
 *
 * const c = new ConditionSpec(new LockSpec());
 * c.acquire(1);
 * const waiting = c.wait(1) as Suspension; // releases the lock and waits
 * c.acquire(2);
 * c.notify(2, 1);
 * assert.equal(waiting.resume.call(c, ...waiting.args), BLOCKED); // notified, but the lock is held
 * c.release(2);
 * assert.equal(waiting.resume.call(c, ...waiting.args), true); // notified, holding the lock again
 * ```
 */
export class ConditionSpec {
  /** The condition's lock. */
  lock: LockSpec | RLockSpec;
  /** Registered waiters. */
  waiting = 0;
  /** Wake-up tokens issued and not yet claimed (at most `waiting`). */
  tokens = 0;

  /** A condition over `lock` (a fresh unlocked `LockSpec` by default). */
  constructor(lock?: LockSpec | RLockSpec) {
    lock ??= new LockSpec();
    this.lock = lock;
  }

  /** Takes the lock (see {@linkcode LockSpec.acquire}, {@linkcode RLockSpec.acquire}). */
  acquire(me: number): void | typeof BLOCKED {
    return this.lock instanceof RLockSpec ? this.lock.acquire(me) : this.lock.acquire();
  }

  /** Releases the lock. */
  release(me: number): void {
    if (this.lock instanceof RLockSpec) this.lock.release(me);
    else this.lock.release();
  }

  /**
   * Releases the lock, waits for a token and the lock, takes both; `true` (notified) or, on
   * timeout, `false` with the lock held again.
   *
   * @throws {RuntimeError} if the caller does not hold the lock.
   */
  wait(me: number): Suspension {
    const lock = this.lock;
    if (!owns(this, me)) throw notOwnerError("wait on", lock instanceof RLockSpec);
    let saved = 1;
    if (lock instanceof RLockSpec) {
      saved = lock.count;
      lock.owner = 0;
      lock.count = 0;
    } else {
      lock.held = false;
    }
    this.waiting++;
    return suspend(this.woken, [me, saved], { onTimeout: this.timedOut });
  }

  /** The rest of a `wait`: claims a token and takes the lock back, when both are free. */
  woken(me: number, saved: number): boolean | typeof BLOCKED {
    if (this.tokens === 0 || !take(this, me, saved)) return BLOCKED;
    this.tokens--;
    this.waiting--;
    return true;
  }

  /** A `wait` that timed out: unregisters, then takes the lock back (without a deadline). */
  timedOut(me: number, saved: number): Suspension {
    this.waiting--;
    this.tokens = Math.min(this.tokens, this.waiting);
    return suspend(this.relock, [me, saved]);
  }

  /** The end of a timed-out `wait`: takes the lock back; `false`. */
  relock(me: number, saved: number): boolean | typeof BLOCKED {
    return take(this, me, saved) ? false : BLOCKED;
  }

  /**
   * Issues tokens for up to `n` registered waiters that have none; returns how many.
   *
   * @throws {RuntimeError} if the caller does not hold the lock.
   */
  notify(me: number, n?: number): number {
    n ??= 1;
    if (!owns(this, me)) throw notOwnerError("notify", this.lock instanceof RLockSpec);
    const k = Math.max(0, Math.min(n, this.waiting - this.tokens));
    this.tokens += k;
    return k;
  }

  /** Whether `me` holds the lock (for a `Lock`: whether anyone holds it), as a wait requires. */
  owns(me: number): boolean {
    return owns(this, me);
  }

  /** Issues a token for every registered waiter that has none; returns how many. */
  notifyAll(me: number): number {
    return this.notify(me, Infinity);
  }
}

/** Whether `me` holds the condition's lock (for a `Lock`: whether anyone holds it). */
function owns(c: ConditionSpec, me: number): boolean {
  const lock = c.lock;
  return lock instanceof RLockSpec ? lock.owner === me : lock.held;
}

/** Takes the lock with recursion count `saved` if it is free; whether it did. */
function take(c: ConditionSpec, me: number, saved: number): boolean {
  const lock = c.lock;
  if (lock instanceof RLockSpec) {
    if (lock.owner !== 0) return false;
    lock.owner = me;
    lock.count = saved;
  } else {
    if (lock.held) return false;
    lock.held = true;
  }
  return true;
}
