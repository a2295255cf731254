/**
 * The sequential specifications of `Lock` and `RLock`: what each operation does, as one atomic
 * step, in plain code (see `_blocking.ts` for how a waiting operation is written).
 *
 * @module
 */
import * as KR from "../../kernel/rlock.ts";
import { releaseError } from "../../sync/lock.ts";
import { releaseError as rlockReleaseError } from "../../sync/rlock.ts";
import { BLOCKED } from "./_blocking.ts";

/**
 * The sequential specification of a `Lock`: held or not; `acquire` waits while it is held; any
 * thread may `release` it (as Python's `Lock`), but releasing an unlocked lock is an error.
 *
 * The explorer's specification level runs `sim(lock)` operations as these methods, one atomic step
 * each, and the linearizability checker holds the `Lock` kernel to them.
 *
 * @example
 * ```ts
 * import { BLOCKED, LockSpec } from "@interlock/interlock/explore";
 * import assert from "node:assert/strict";
 *
 * const lock = new LockSpec();
 * assert.equal(lock.acquire(), undefined);
 * assert.equal(lock.acquire(), BLOCKED); // held: a second acquire waits
 * assert.equal(lock.tryAcquire(), false);
 * lock.release();
 * assert.throws(() => lock.release(), { name: "RuntimeError" });
 * ```
 */
export class LockSpec {
  /** Whether the lock is held. */
  held = false;

  /** Takes the lock; blocks while it is held. */
  acquire(): void | typeof BLOCKED {
    if (this.held) return BLOCKED;
    this.held = true;
  }

  /** Takes the lock if it is free; returns whether it did. */
  tryAcquire(): boolean {
    if (this.held) return false;
    this.held = true;
    return true;
  }

  /**
   * Releases the lock.
   *
   * @throws {RuntimeError} if it is not held.
   */
  release(): void {
    if (!this.held) throw releaseError();
    this.held = false;
  }

  /** Whether the lock is held. */
  locked(): boolean {
    return this.held;
  }
}

/**
 * The sequential specification of an `RLock`: an owner (an agent id, 0 while unheld) and a
 * recursion count. Operations that depend on the caller take its agent id `me` first.
 *
 * @example
 * ```ts
 * import { BLOCKED, RLockSpec } from "@interlock/interlock/explore";
 * import assert from "node:assert/strict";
 *
 * const r = new RLockSpec();
 * r.acquire(1);
 * r.acquire(1); // reentry
 * assert.equal(r.recursionCount(1), 2);
 * assert.equal(r.acquire(2), BLOCKED);
 * assert.throws(() => r.release(2), { name: "RuntimeError" });
 * ```
 */
export class RLockSpec {
  /** The holder's agent id, 0 while unheld. */
  owner = 0;
  /** The holder's recursion count, 0 while unheld. */
  count = 0;

  /** Takes the lock, or one more level of it for its holder; blocks while another agent holds it. */
  acquire(me: number): void | typeof BLOCKED {
    if (this.owner === me) {
      this.count++;
      return;
    }
    if (this.owner !== 0) return BLOCKED;
    this.owner = me;
    this.count = 1;
  }

  /** Takes the lock (or one more level) unless another agent holds it; returns whether it did. */
  tryAcquire(me: number): boolean {
    return this.acquire(me) !== BLOCKED;
  }

  /**
   * Releases one level of `me`'s hold.
   *
   * @throws {RuntimeError} if the lock is unheld or held by another agent.
   */
  release(me: number): void {
    if (this.owner !== me) {
      throw rlockReleaseError(this.owner === 0 ? KR.NOT_HELD : KR.NOT_OWNER);
    }
    if (--this.count === 0) this.owner = 0;
  }

  /** Whether any agent holds the lock. */
  locked(): boolean {
    return this.owner !== 0;
  }

  /** Whether `me` holds the lock. */
  owned(me: number): boolean {
    return this.owner === me;
  }

  /** `me`'s recursion count (0 unless it holds the lock). */
  recursionCount(me: number): number {
    return this.owner === me ? this.count : 0;
  }
}
