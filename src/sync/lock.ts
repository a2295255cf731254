/**
 * `Lock`: a mutual-exclusion lock over shared memory, as Python's `multiprocessing.Lock`.
 * The algorithm and its shared layout live in `src/kernel/lock.ts`.
 *
 * @module
 */
import { ASYNC, REAL } from "../_atomics.ts";
import { registerClass, TAG } from "../_region.ts";
import { RuntimeError } from "../errors.ts";
import * as K from "../kernel/lock.ts";
import * as G from "../kernel_gen/lock.ts";
import {
  type AcquireOptions,
  type AcquireSyncOptions,
  deadlineOf,
  ownerDiedHandler,
  waitFailure,
} from "../options.ts";
import { HoldGuard } from "./_guard.ts";
import { type Presence, presenceId, reviveRobust, robustHome } from "./_presence.ts";
import { acquireRobust, acquireRobustSync, ownerDiedError, type Robust } from "./_robust.ts";

/**
 * This thread's presence id, what the lock's word holds while it holds it: a module constant, so
 * the fast paths read no field for it (a field read cost 2-3% of an uncontended pair, ab_bench).
 */
const ME = presenceId();

/** What `Lock`'s acquires say they were doing, in errors (shared with `src/explore/sim/lock.ts`). */
export const ACQUIRE = "acquire the lock";

/** The error of a release of an unlocked lock (shared with `src/explore/sim/lock.ts`). */
export function releaseError(): RuntimeError {
  return new RuntimeError("Cannot release an unlocked lock");
}

/**
 * A non-reentrant mutual-exclusion lock that works across the main thread and any number of
 * workers.
 *
 * - Any thread may release it, as Python's `Lock` (use {@linkcode RLock} for owner checks and
 *   reentrancy). Releasing an unlocked lock throws {@linkcode RuntimeError}.
 * - Not fair: a releasing thread may take it again before a sleeper wakes (like a futex lock, and
 *   for the same reason: throughput). The first waiter spins briefly, then sleeps; while one
 *   waits, later waiters sleep at once (with more threads than cores, spinners would take the
 *   holder's core); and while a waiter a release woke has not run yet, further releases wake
 *   nobody (as Go's `sync.Mutex`), so a thread may keep the lock for several turns.
 * - `acquire()` (Promise) works on any thread without blocking it; `acquireSync()` blocks the
 *   calling thread (fine in workers; on the main thread it freezes the event loop while it waits).
 * - Both return a `Disposable`, so `using _ = await lock.acquire();` releases at block end.
 * - A timeout throws a `DOMException` named `TimeoutError`, an abort rejects with `signal.reason`;
 *   either leaves the lock exactly as if the caller had never waited.
 * - Send it to a worker with `postMessage(lock)` and call `Lock.from(data)` there (or pass it to a
 *   `Process`/`Pool` task, which revives it for you).
 * - Robust: if the thread holding it dies (a worker terminated or ended without releasing), a
 *   thread waiting for it learns so within about a second, as from a POSIX robust mutex: the lock
 *   is *abandoned*, and the data it protects may be half-changed. Every acquire of an abandoned
 *   lock then throws {@linkcode OwnerDiedError} and takes nothing, until one passes
 *   `onOwnerDied`: that caller takes the lock over, repairs the data in the callback, and its
 *   acquire succeeds. `tryAcquire()` throws it too; a `release()` of an abandoned lock frees it
 *   (the release its holder never made). Nothing of this costs the uncontended path anything: the
 *   lock's word holds the holder's id in place of a plain "locked", and only a waiter that has
 *   waited ~10 ms probes whether the holder still runs (see `src/kernel/presence.ts`).
 *
 * @example Protect a read-modify-write
 * ```ts
 * import { Lock } from "@interlock/interlock";
 * import assert from "node:assert/strict";
 *
 * const lock = new Lock();
 * let balance = 100;
 * {
 *   using _ = await lock.acquire();
 *   assert.ok(lock.locked());
 *   balance = balance - 1;
 * }
 * assert.equal(lock.locked(), false);
 * assert.equal(balance, 99);
 * ```
 */
export class Lock {
  // These fields, the constructor and the acquires' fast paths stand again in RLock, on purpose:
  // each fast path reads its class's private `#s`, which a shared base class could not hand down.
  /** The shared memory this lock lives in; shared, not copied, by `postMessage`. */
  readonly buffer: SharedArrayBuffer;
  /** Where the lock's region starts in {@linkcode Lock.buffer}. */
  readonly byteOffset: number;
  /**
   * The presence registry: shared memory where every thread that uses the lock shows that it is
   * alive, so that a waiter can tell a dead holder from a slow one. One per program, shared by
   * every robust primitive, and carried (shared, not copied) by their clones.
   */
  readonly registry: SharedArrayBuffer;
  readonly #s: Int32Array;
  /** The presence registry this thread joined for the lock (its slow path probes holders there). */
  readonly #presence: Presence;
  #robust: Robust | undefined;

  /**
   * Creates an unlocked lock in fresh shared memory.
   *
   * @example
   * ```ts
   * import { Lock } from "@interlock/interlock";
   * import assert from "node:assert/strict";
   *
   * assert.equal(new Lock().locked(), false);
   * ```
   */
  constructor() {
    const { s, presence } = robustHome(TAG.Lock, K.BYTES);
    this.buffer = s.buffer as SharedArrayBuffer;
    this.byteOffset = s.byteOffset;
    this.registry = presence.buffer;
    this.#s = s;
    this.#presence = presence;
  }

  /**
   * Returns a working `Lock` over the memory of `value`, a `Lock` or its structured clone (what a
   * worker receives from `postMessage(lock)`).
   *
   * @throws {TypeError} if `value` is not a `Lock` or a clone of one.
   *
   * @example
   * ```ts
   * import { Lock } from "@interlock/interlock";
   * import assert from "node:assert/strict";
   *
   * const lock = new Lock();
   * const inWorker = Lock.from(structuredClone(lock));
   * assert.ok(inWorker.tryAcquire());
   * assert.ok(lock.locked());
   * assert.throws(() => Lock.from({}), TypeError);
   * ```
   */
  static from(value: unknown): Lock {
    if (value instanceof Lock) return value;
    reviveRobust("Lock", TAG.Lock, value, K.BYTES);
    return new Lock();
  }

  /**
   * Waits for the lock without blocking the thread, then holds it.
   *
   * @param options `timeout` in ms, an abort `signal`, and `onOwnerDied` (see the class doc).
   * @returns A guard that releases the lock when disposed.
   * @throws {DOMException} named `TimeoutError` when `timeout` passes first.
   * @throws {OwnerDiedError} if the lock is abandoned (its holder died holding it) and there is no
   *   `onOwnerDied` (nothing taken); whatever `onOwnerDied` throws (the lock stays abandoned).
   *
   * @example
   * ```ts
   * import { Lock } from "@interlock/interlock";
   * import assert from "node:assert/strict";
   *
   * const lock = new Lock();
   * const guard = await lock.acquire();
   * await assert.rejects(lock.acquire({ timeout: 10 }), { name: "TimeoutError" });
   * guard[Symbol.dispose]();
   * assert.equal(lock.locked(), false);
   * ```
   */
  async acquire(options?: AcquireOptions): Promise<Disposable> {
    // Written out as in Semaphore.acquire: one helper for both measured 0.8-0.9x (Semaphore, A/B).
    const deadline = deadlineOf(ACQUIRE, options);
    const handler = options === undefined ? undefined : ownerDiedHandler(ACQUIRE, options);
    if (
      !K.tryAcquire(REAL, this.#s, ME) &&
      !await acquireRobust(this.#slow(), deadline, handler, ACQUIRE, options?.signal)
    ) {
      throw waitFailure(ACQUIRE, options);
    }
    return new HoldGuard(this);
  }

  /**
   * Blocks the calling thread until it holds the lock.
   *
   * @param options `timeout` in ms, and `onOwnerDied` (see the class doc).
   * @returns A guard that releases the lock when disposed.
   * @throws {DOMException} named `TimeoutError` when `timeout` passes first.
   * @throws {OwnerDiedError} if the lock is abandoned (its holder died holding it) and there is no
   *   `onOwnerDied` (nothing taken); whatever `onOwnerDied` throws (the lock stays abandoned).
   *
   * @example
   * ```ts
   * import { Lock } from "@interlock/interlock";
   * import assert from "node:assert/strict";
   *
   * const lock = new Lock();
   * {
   *   using _ = lock.acquireSync();
   *   assert.throws(() => lock.acquireSync({ timeout: 0 }), { name: "TimeoutError" });
   * }
   * assert.equal(lock.locked(), false);
   * ```
   */
  acquireSync(options?: AcquireSyncOptions): Disposable {
    // Allocate before taking the lock: a garbage collection that the allocation may trigger then
    // never runs inside the critical section, stalling every other thread that waits for it.
    const guard = new HoldGuard(this);
    // The inlinable fast path first: ~10% of an uncontended acquire/release (bench/seam_bench.ts).
    // The rest is a method that returns nothing, which keeps this one small enough for V8 to
    // inline into the caller's loop, where escape analysis can drop a guard the caller never uses
    // (`acquireSync(); try { ... } finally { release(); }`): a guard allocated per acquire costs
    // 10-20% (bench/RESULTS.md, first section; whether V8 drops it varies from run to run).
    if (options !== undefined || !K.tryAcquire(REAL, this.#s, ME)) this.#acquireSyncSlow(options);
    return guard;
  }

  /** {@linkcode Lock.acquireSync} past its fast path: takes the lock or throws. */
  #acquireSyncSlow(options: AcquireSyncOptions | undefined): void {
    const deadline = deadlineOf(ACQUIRE, options);
    const handler = options === undefined ? undefined : ownerDiedHandler(ACQUIRE, options);
    if (
      !K.tryAcquire(REAL, this.#s, ME) &&
      !acquireRobustSync(this.#slow(), deadline, handler, ACQUIRE)
    ) {
      throw waitFailure(ACQUIRE, options);
    }
  }

  /**
   * Takes the lock if it is free, without waiting.
   *
   * @returns `true` if the caller now holds the lock.
   * @throws {OwnerDiedError} if the lock is abandoned (its holder died holding it): take it over
   *   with `acquireSync({ onOwnerDied })`.
   *
   * @example
   * ```ts
   * import { Lock } from "@interlock/interlock";
   * import assert from "node:assert/strict";
   *
   * const lock = new Lock();
   * assert.equal(lock.tryAcquire(), true);
   * assert.equal(lock.tryAcquire(), false);
   * lock.release();
   * ```
   */
  tryAcquire(): boolean {
    if (K.tryAcquire(REAL, this.#s, ME)) return true;
    if (K.abandoned(REAL, this.#s)) throw ownerDiedError(ACQUIRE);
    return false;
  }

  /**
   * Releases the lock and wakes one waiter. Any thread may release it.
   *
   * @throws {RuntimeError} if the lock is not held (nothing changes).
   *
   * @example
   * ```ts
   * import { Lock, RuntimeError } from "@interlock/interlock";
   * import assert from "node:assert/strict";
   *
   * const lock = new Lock();
   * lock.acquireSync();
   * lock.release();
   * assert.throws(() => lock.release(), RuntimeError);
   * ```
   */
  release(): void {
    if (!K.release(REAL, this.#s, ME)) throw releaseError();
  }

  /**
   * Whether any thread holds the lock (a snapshot).
   *
   * @example
   * ```ts
   * import { Lock } from "@interlock/interlock";
   * import assert from "node:assert/strict";
   *
   * const lock = new Lock();
   * assert.equal(lock.locked(), false);
   * ```
   */
  locked(): boolean {
    return K.locked(REAL, this.#s);
  }

  /** The slow path's view of this lock (made on first use). */
  #slow(): Robust {
    if (this.#robust !== undefined) return this.#robust;
    const s = this.#s;
    const me = ME;
    const registry = this.#presence.words;
    return this.#robust = {
      acquire: (deadline) => K.acquire(REAL, s, me, deadline),
      acquireGen: (deadline) => G.acquire(ASYNC, s, me, deadline),
      probe: () => K.probeHolder(REAL, s, registry),
      takeOver: () => K.takeOver(REAL, s, me),
      giveUp: () => void K.giveUp(REAL, s, me),
    };
  }
}

registerClass(TAG.Lock, Lock, Lock.from);
