/**
 * `RLock`: a reentrant lock over shared memory, as Python's `threading.RLock` /
 * `multiprocessing.RLock`. The algorithm and its shared layout live in `src/kernel/rlock.ts`.
 *
 * @module
 */
import { agentId } from "../_agent.ts";
import { ASYNC, REAL } from "../_atomics.ts";
import { registerClass, TAG } from "../_region.ts";
import { RuntimeError } from "../errors.ts";
import * as K from "../kernel/rlock.ts";
import * as G from "../kernel_gen/rlock.ts";
import {
  type AcquireOptions,
  type AcquireSyncOptions,
  deadlineOf,
  ownerDiedHandler,
  waitFailure,
} from "../options.ts";
import { HoldGuard } from "./_guard.ts";
import { owing, pay } from "./_owed_wakes.ts";
import { type Presence, presenceId, reviveRobust, robustHome } from "./_presence.ts";
import { acquireRobust, acquireRobustSync, ownerDiedError, type Robust } from "./_robust.ts";

// Private twin of K.RELEASED for release()'s common case: V8 reads an imported binding through its
// module cell at every use, a private `const` is folded.
const RELEASED = 0;

/** This thread's presence id, what the lock's word holds while it holds it (see `Lock`'s `ME`). */
const WHO = presenceId();

/** What `RLock`'s acquires say they were doing, in errors (shared with `src/explore/sim/rlock.ts`). */
export const ACQUIRE = "acquire the RLock";

/**
 * The error of a failed release, from the kernel's status NOT_HELD, NOT_OWNER or OWNER_GONE
 * (shared with `src/explore/sim/rlock.ts`).
 */
export function releaseError(status: number): RuntimeError {
  if (status === K.NOT_HELD) return new RuntimeError("Cannot release an unlocked RLock");
  if (status === K.OWNER_GONE) {
    return new RuntimeError(
      "Cannot release an RLock whose owner died holding it (acquire it with onOwnerDied to take it over)",
    );
  }
  return new RuntimeError("Cannot release an RLock held by another agent");
}

/**
 * A reentrant lock: the agent (main thread or worker) that holds it may acquire it again, and must
 * release it as many times as it acquired it.
 *
 * - Ownership is per agent, as Python's is per thread: only the owner may release it (others get
 *   {@linkcode RuntimeError}). On one thread, concurrent async functions are the same agent, so
 *   they share the hold: use a {@linkcode Lock} to exclude async tasks of one thread from each other.
 * - Not fair; the first waiter spins briefly, then sleeps, later ones sleep at once (the same
 *   algorithm as {@linkcode Lock}).
 * - `acquire()` (Promise) never blocks the thread; `acquireSync()` blocks it (fine in workers).
 *   Both return a `Disposable` that releases one level.
 * - A timeout throws a `DOMException` named `TimeoutError`, an abort rejects with `signal.reason`;
 *   either leaves the lock as if the caller had never waited.
 * - Send it to a worker with `postMessage(rlock)` and call `RLock.from(data)` there.
 * - Robust, as {@linkcode Lock}: if its owner's thread dies holding it, a waiter learns so, the
 *   lock is abandoned, and acquires throw {@linkcode OwnerDiedError} until one passes
 *   `onOwnerDied` and takes it over (with recursion count 1). Its `release()` by anyone else
 *   throws {@linkcode RuntimeError} saying that the owner died.
 *
 * @example Nested acquisition by one agent
 * ```ts
 * import { RLock } from "@interlock/interlock";
 * import assert from "node:assert/strict";
 *
 * const rlock = new RLock();
 * function transfer() {
 *   using _ = rlock.acquireSync();
 *   return audit(); // takes the lock again: no deadlock
 * }
 * function audit() {
 *   using _ = rlock.acquireSync();
 *   return rlock.recursionCount();
 * }
 * assert.equal(transfer(), 2);
 * assert.equal(rlock.locked(), false);
 * ```
 */
export class RLock {
  // These fields, the constructor and the acquires' fast paths stand again in Lock, on purpose:
  // each fast path reads its class's private `#s`, which a shared base class could not hand down.
  /** The shared memory this lock lives in; shared, not copied, by `postMessage`. */
  readonly buffer: SharedArrayBuffer;
  /** Where the lock's region starts in {@linkcode RLock.buffer}. */
  readonly byteOffset: number;
  /**
   * The presence registry: shared memory where every thread that uses the lock shows that it is
   * alive, so that a waiter can tell a dead owner from a slow one (as {@linkcode Lock.registry}).
   */
  readonly registry: SharedArrayBuffer;
  readonly #s: Int32Array;
  /** The presence registry this thread joined for the lock (its slow path probes holders there). */
  readonly #presence: Presence;
  #robust: Robust | undefined;

  /**
   * Creates an unheld reentrant lock in fresh shared memory.
   *
   * @example
   * ```ts
   * import { RLock } from "@interlock/interlock";
   * import assert from "node:assert/strict";
   *
   * assert.equal(new RLock().locked(), false);
   * ```
   */
  constructor() {
    const { s, presence } = robustHome(TAG.RLock, K.BYTES);
    this.buffer = s.buffer as SharedArrayBuffer;
    this.byteOffset = s.byteOffset;
    this.registry = presence.buffer;
    this.#s = s;
    this.#presence = presence;
  }

  /**
   * Returns a working `RLock` over the memory of `value`, an `RLock` or its structured clone (what a
   * worker receives from `postMessage(rlock)`).
   *
   * @param value An `RLock` or its structured clone.
   * @returns An `RLock` over the same shared memory.
   * @throws {TypeError} if `value` is not an `RLock` or a clone of one.
   *
   * @example
   * ```ts
   * import { RLock } from "@interlock/interlock";
   * import assert from "node:assert/strict";
   *
   * const rlock = new RLock();
   * const twin = RLock.from(structuredClone(rlock));
   * assert.ok(twin.tryAcquire());
   * assert.ok(rlock.owned()); // same memory, same agent
   * assert.throws(() => RLock.from({}), TypeError);
   * ```
   */
  static from(value: unknown): RLock {
    if (value instanceof RLock) return value;
    reviveRobust("RLock", TAG.RLock, value, K.BYTES);
    return new RLock();
  }

  /**
   * Waits for the lock without blocking the thread, then holds it (one more level if the calling
   * agent already holds it: that never waits).
   *
   * @param options `timeout` in ms, an abort `signal`, and `onOwnerDied` (see {@linkcode Lock}).
   * @returns A guard that releases one level when disposed.
   * @throws {DOMException} named `TimeoutError` when `timeout` passes first.
   * @throws {RangeError} if the recursion count would exceed 2^31 - 1.
   * @throws {OwnerDiedError} if the lock is abandoned (its owner died holding it) and there is no
   *   `onOwnerDied` (nothing taken); whatever `onOwnerDied` throws (the lock stays abandoned).
   *
   * @example
   * ```ts
   * import { RLock } from "@interlock/interlock";
   * import assert from "node:assert/strict";
   *
   * const rlock = new RLock();
   * {
   *   using _outer = await rlock.acquire();
   *   using _inner = await rlock.acquire({ timeout: 10 }); // reentry: immediate
   *   assert.equal(rlock.recursionCount(), 2);
   * }
   * assert.equal(rlock.locked(), false);
   * ```
   */
  async acquire(options?: AcquireOptions): Promise<Disposable> {
    // Written out as in Lock.acquire: the fast path inlined, the waiting shared (_robust.ts).
    const deadline = deadlineOf(ACQUIRE, options);
    const handler = options === undefined ? undefined : ownerDiedHandler(ACQUIRE, options);
    if (
      !K.tryAcquire(REAL, this.#s, agentId(), WHO) &&
      !await acquireRobust(this.#slow(), deadline, handler, ACQUIRE, options?.signal)
    ) {
      throw waitFailure(ACQUIRE, options);
    }
    return new HoldGuard(this);
  }

  /**
   * Blocks the calling thread until it holds the lock (at once if it already does).
   *
   * @param options `timeout` in ms, and `onOwnerDied` (see {@linkcode Lock}).
   * @returns A guard that releases one level when disposed.
   * @throws {DOMException} named `TimeoutError` when `timeout` passes first.
   * @throws {RangeError} if the recursion count would exceed 2^31 - 1.
   * @throws {OwnerDiedError} if the lock is abandoned (its owner died holding it) and there is no
   *   `onOwnerDied` (nothing taken); whatever `onOwnerDied` throws (the lock stays abandoned).
   *
   * @example
   * ```ts
   * import { RLock } from "@interlock/interlock";
   * import assert from "node:assert/strict";
   *
   * const rlock = new RLock();
   * using _ = rlock.acquireSync({ timeout: 100 });
   * assert.ok(rlock.owned());
   * ```
   */
  acquireSync(options?: AcquireSyncOptions): Disposable {
    const deadline = deadlineOf(ACQUIRE, options);
    const handler = options === undefined ? undefined : ownerDiedHandler(ACQUIRE, options);
    if (
      !K.tryAcquire(REAL, this.#s, agentId(), WHO) &&
      !acquireRobustSync(this.#slow(), deadline, handler, ACQUIRE)
    ) {
      throw waitFailure(ACQUIRE, options);
    }
    return new HoldGuard(this);
  }

  /**
   * Takes the lock if it is free or already held by the calling agent, without waiting.
   *
   * @returns `true` if the caller now holds the lock (one more level).
   * @throws {RangeError} if the recursion count would exceed 2^31 - 1.
   * @throws {OwnerDiedError} if the lock is abandoned (its owner died holding it): take it over
   *   with `acquireSync({ onOwnerDied })`.
   *
   * @example
   * ```ts
   * import { RLock } from "@interlock/interlock";
   * import assert from "node:assert/strict";
   *
   * const rlock = new RLock();
   * assert.equal(rlock.tryAcquire(), true);
   * assert.equal(rlock.tryAcquire(), true); // reentry
   * rlock.release();
   * rlock.release();
   * ```
   */
  tryAcquire(): boolean {
    if (K.tryAcquire(REAL, this.#s, agentId(), WHO)) return true;
    if (K.abandoned(REAL, this.#s)) throw ownerDiedError(ACQUIRE);
    return false;
  }

  /**
   * Releases one level of the calling agent's hold; the last level frees the lock and wakes one
   * waiter.
   *
   * @throws {RuntimeError} if the calling agent does not hold the lock (nothing changes); its
   *   message says so when the owner died holding it.
   *
   * @example
   * ```ts
   * import { RLock, RuntimeError } from "@interlock/interlock";
   * import assert from "node:assert/strict";
   *
   * const rlock = new RLock();
   * rlock.acquireSync();
   * rlock.acquireSync();
   * rlock.release();
   * assert.ok(rlock.locked()); // still held once
   * rlock.release();
   * assert.throws(() => rlock.release(), RuntimeError);
   * ```
   */
  release(): void {
    const me = agentId();
    let status = K.release(REAL, this.#s, me, WHO);
    if (status === RELEASED) {
      // Wait morphing: the wake-ups a notify under this lock owes, once the lock is let go.
      if (owing() && K.recursionCount(REAL, this.#s, me) === 0) pay();
      return;
    }
    // Held by another agent: say so only if it lives (the probe marks a dead one's lock abandoned).
    if (status === K.NOT_OWNER && K.probeHolder(REAL, this.#s, this.#presence.words)) {
      status = K.OWNER_GONE;
    }
    throw releaseError(status);
  }

  /**
   * Whether any agent holds the lock (a snapshot).
   *
   * @example
   * ```ts
   * import { RLock } from "@interlock/interlock";
   * import assert from "node:assert/strict";
   *
   * const rlock = new RLock();
   * rlock.acquireSync();
   * assert.equal(rlock.locked(), true);
   * rlock.release();
   * assert.equal(rlock.locked(), false);
   * ```
   */
  locked(): boolean {
    return K.locked(REAL, this.#s);
  }

  /**
   * Whether the calling agent holds the lock (exact: only the owner can change the answer).
   *
   * @example
   * ```ts
   * import { RLock } from "@interlock/interlock";
   * import assert from "node:assert/strict";
   *
   * const rlock = new RLock();
   * assert.equal(rlock.owned(), false);
   * using _ = rlock.acquireSync();
   * assert.equal(rlock.owned(), true);
   * ```
   */
  owned(): boolean {
    return K.owned(REAL, this.#s, agentId());
  }

  /**
   * How many times the calling agent holds the lock: 0 if it does not hold it.
   *
   * @example
   * ```ts
   * import { RLock } from "@interlock/interlock";
   * import assert from "node:assert/strict";
   *
   * const rlock = new RLock();
   * using _a = rlock.acquireSync();
   * using _b = rlock.acquireSync();
   * assert.equal(rlock.recursionCount(), 2);
   * ```
   */
  recursionCount(): number {
    return K.recursionCount(REAL, this.#s, agentId());
  }

  /** The slow path's view of this lock for the calling agent (made on first use). */
  #slow(): Robust {
    if (this.#robust !== undefined) return this.#robust;
    const s = this.#s;
    const me = agentId();
    const who = WHO;
    const registry = this.#presence.words;
    return this.#robust = {
      acquire: (deadline) => K.acquire(REAL, s, me, who, deadline),
      acquireGen: (deadline) => G.acquire(ASYNC, s, me, who, deadline),
      probe: () => K.probeHolder(REAL, s, registry),
      takeOver: () => K.takeOver(REAL, s, me, who, 1),
      giveUp: () => void K.giveUp(REAL, s, me, who),
    };
  }
}

registerClass(TAG.RLock, RLock, RLock.from);
