/**
 * `Lock`: a mutual-exclusion lock over shared memory, as Python's `multiprocessing.Lock`.
 * The algorithm and its shared layout live in `src/kernel/lock.ts`.
 *
 * @module
 */
import { ASYNC, REAL } from "../_atomics.ts";
import { runAsync } from "../_async.ts";
import { allocate, attach, registerClass, TAG } from "../_region.ts";
import { RuntimeError } from "../errors.ts";
import * as K from "../kernel/lock.ts";
import * as G from "../kernel_gen/lock.ts";
import { deadlineOf, type SyncWaitOptions, waitFailure, type WaitOptions } from "../options.ts";
import { HoldGuard } from "./_guard.ts";

let reviving: Int32Array | undefined;

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
 *   for the same reason: throughput). Waiters spin briefly, then sleep.
 * - `acquire()` (Promise) works on any thread without blocking it; `acquireSync()` blocks the
 *   calling thread (fine in workers; on the main thread it freezes the event loop while it waits).
 * - Both return a `Disposable`, so `using _ = await lock.acquire();` releases at block end.
 * - A timeout throws a `DOMException` named `TimeoutError`, an abort rejects with `signal.reason`;
 *   either leaves the lock exactly as if the caller had never waited.
 * - Send it to a worker with `postMessage(lock)` and call `Lock.from(data)` there (or pass it to a
 *   `Process`/`Pool` task, which revives it for you).
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
  /** The shared memory this lock lives in; shared, not copied, by `postMessage`. */
  readonly buffer: SharedArrayBuffer;
  /** Where the lock's region starts in {@linkcode Lock.buffer}. */
  readonly byteOffset: number;
  readonly #s: Int32Array;

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
    const s = reviving ?? allocate(TAG.Lock, K.BYTES);
    reviving = undefined;
    this.buffer = s.buffer as SharedArrayBuffer;
    this.byteOffset = s.byteOffset;
    this.#s = s;
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
    reviving = attach("Lock", TAG.Lock, value, K.BYTES);
    return new Lock();
  }

  /**
   * Waits for the lock without blocking the thread, then holds it.
   *
   * @param options `timeout` in ms and/or an abort `signal`.
   * @returns A guard that releases the lock when disposed.
   * @throws {DOMException} named `TimeoutError` when `timeout` passes first.
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
  async acquire(options?: WaitOptions): Promise<Disposable> {
    // Written out as in Semaphore.acquire: one helper for both measured 0.8-0.9x (Semaphore, A/B).
    const deadline = deadlineOf(ACQUIRE, options);
    if (
      !K.tryAcquire(REAL, this.#s) &&
      !await runAsync(G.acquire(ASYNC, this.#s, deadline), options?.signal)
    ) {
      throw waitFailure(ACQUIRE, options);
    }
    return new HoldGuard(this);
  }

  /**
   * Blocks the calling thread until it holds the lock.
   *
   * @param options `timeout` in ms.
   * @returns A guard that releases the lock when disposed.
   * @throws {DOMException} named `TimeoutError` when `timeout` passes first.
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
  acquireSync(options?: SyncWaitOptions): Disposable {
    const deadline = deadlineOf(ACQUIRE, options);
    // Allocate before taking the lock: a garbage collection that the allocation may trigger then
    // never runs inside the critical section, stalling every other thread that waits for it.
    const guard = new HoldGuard(this);
    // The inlinable fast path first: ~10% of an uncontended acquire/release (bench/seam_bench.ts).
    if (!K.tryAcquire(REAL, this.#s) && !K.acquire(REAL, this.#s, deadline)) {
      throw waitFailure(ACQUIRE, options);
    }
    return guard;
  }

  /**
   * Takes the lock if it is free, without waiting.
   *
   * @returns `true` if the caller now holds the lock.
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
    return K.tryAcquire(REAL, this.#s);
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
    if (!K.release(REAL, this.#s)) throw releaseError();
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
}

registerClass(TAG.Lock, Lock, Lock.from);
