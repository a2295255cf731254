/**
 * What Redis lock-like objects keep on their side: the record of each hold they took
 * ({@linkcode Held}), and {@linkcode Holds}, the FIFO of one object's holds in one hold set that
 * `RedisLock` and `RedisSemaphore` share (`RedisRLock` keeps one `Held` with a level count).
 *
 * @module
 */
import { RuntimeError } from "../errors.ts";
import type { Core, Tracked } from "./_core.ts";
import type { Acquired, AcquireOptions, HoldSet } from "./_holdset.ts";
import { RedisHold } from "./hold.ts";

/** One hold of a hold-set primitive, as the object that took it tracks it. */
export class Held implements Tracked {
  /** The holder's id. */
  readonly holder: string;
  /** The hold's lease. */
  lease: Acquired["lease"];
  /** Releases the hold in Redis. */
  readonly give: () => Promise<number>;
  /** Set once released (by the object, the guard or the context): later releases do nothing. */
  done = false;

  /** Creates the record of `acquired` for `holder`; `give` releases it in Redis. */
  constructor(holder: string, lease: Acquired["lease"], give: () => Promise<number>) {
    this.holder = holder;
    this.lease = lease;
    this.give = give;
  }

  /** Stops the lease's watchdog (the context closes). */
  stop(): void {
    this.lease.end();
  }

  /** Releases quietly (the context closes). */
  async releaseQuietly(): Promise<void> {
    if (this.done) return;
    this.done = true;
    this.lease.end();
    await this.give().catch(() => {});
  }
}

/** Keys of the methods `RedisCondition` uses to release and retake its lock around a wait. */
export const SUSPEND: unique symbol = Symbol("suspend");
/** See {@linkcode SUSPEND}. */
export const RESUME: unique symbol = Symbol("resume");
/** Key of the method telling whether this object holds the lock (a live lease). */
export const HOLDING: unique symbol = Symbol("holding");

/** The `RuntimeError` of a condition used without holding its lock. */
export function notOwner(what: string): RuntimeError {
  return new RuntimeError(`Cannot ${what}: this context does not hold the condition's lock`);
}

/** Releases `held` in Redis for a condition wait; throws `LeaseLostError` if it was lost. */
export async function suspendHeld(held: Held): Promise<void> {
  if (held.lease.lost) throw held.lease.lostError();
  held.lease.end();
  if (await held.give() < 0) {
    held.lease.lose("its lease had ended in Redis when the condition released it");
    throw held.lease.lostError();
  }
}

/**
 * Gives back `held` (removed from `holds` first, so a failure never leaves it half-released):
 * throws the lease's `LeaseLostError` if it was lost, before or during the release.
 */
export async function releaseHeld(core: Core, holds: Held[], held: Held): Promise<void> {
  if (held.done) return;
  held.done = true;
  const index = holds.indexOf(held);
  if (index >= 0) holds.splice(index, 1);
  core.untrack(held);
  const lost = held.lease.lost;
  held.lease.end();
  if (lost) throw held.lease.lostError();
  if (await held.give() < 0) {
    held.lease.lose("its lease had ended in Redis when it was released");
    throw held.lease.lostError();
  }
}

/** The holds one object took in one hold set, oldest first. */
export class Holds {
  /** The holds, oldest first. */
  readonly list: Held[] = [];
  /** The object's core. */
  readonly core: Core;
  /** The hold set it takes holds in. */
  readonly set: HoldSet;

  /** The record of an object of `core` over `set`. */
  constructor(core: Core, set: HoldSet) {
    this.core = core;
    this.set = set;
  }

  /** Waits for a hold (see `HoldSet.take`) and records it. */
  async acquire(options: AcquireOptions | undefined): Promise<RedisHold> {
    const holder = this.core.nextId();
    return this.#record(holder, await this.set.take(holder, 1, options));
  }

  /** Takes a hold if one is free and nobody queues; records it. */
  async tryAcquire(): Promise<boolean> {
    const holder = this.core.nextId();
    const acquired = await this.set.tryTake(holder);
    if (acquired === undefined) return false;
    this.#record(holder, acquired);
    return true;
  }

  /** Gives back `held` (see {@linkcode releaseHeld}). */
  release(held: Held): Promise<void> {
    return releaseHeld(this.core, this.list, held);
  }

  #record(holder: string, acquired: Acquired): RedisHold {
    const held = new Held(holder, acquired.lease, () => this.set.release(holder, 1));
    this.list.push(held);
    this.core.track(held);
    return new RedisHold(held, () => this.release(held));
  }
}
