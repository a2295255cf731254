/**
 * `Semaphore` and `BoundedSemaphore`: counters of permits over shared memory, as Python's
 * `threading.Semaphore` / `multiprocessing.BoundedSemaphore`. The algorithm and its shared layout
 * live in `src/kernel/semaphore.ts`.
 *
 * @module
 */
import { ASYNC, REAL } from "../_atomics.ts";
import { runAsync } from "../_async.ts";
import { allocate, attach, registerClass, TAG } from "../_region.ts";
import { RuntimeError } from "../errors.ts";
import * as K from "../kernel/semaphore.ts";
import * as G from "../kernel_gen/semaphore.ts";
import { deadlineOf, type SyncWaitOptions, waitFailure, type WaitOptions } from "../options.ts";
import { HoldGuard } from "./_guard.ts";

// Private twins of K.MAX_VALUE and K.RELEASED for release(): V8 reads an imported binding through
// its module cell at every use, a private `const` is folded (0.96-0.99x per tryAcquire + release).
const MAX_VALUE = 0x7fffffff;
const RELEASED = 0;

let reviving: Int32Array | undefined;
/** The tag the next constructed region gets (set by `BoundedSemaphore` before it calls `super`). */
let creating: number = TAG.Semaphore;

function checkCount(what: string, name: string, value: unknown, min: number): number {
  if (typeof value !== "number") {
    throw new TypeError(`Cannot ${what}: '${name}' must be a number, received ${typeof value}`);
  }
  if (!Number.isInteger(value) || value < min || value > K.MAX_VALUE) {
    const kind = min === 0 ? "a non-negative" : "a positive";
    throw new RangeError(
      `Cannot ${what}: '${name}' must be ${kind} integer up to ${K.MAX_VALUE}, received ${value}`,
    );
  }
  return value;
}

/** What the acquires of a semaphore say they were doing, in errors (shared with the explorer). */
export const ACQUIRE = "acquire the semaphore";

/** What `release` says it was doing, in errors. */
function releaseWhat(bounded: boolean): string {
  return `release ${bounded ? "bounded semaphore" : "semaphore"}`;
}

/**
 * Throws the errors `release(n)` documents for a bad `n` (shared with the explorer's
 * `src/explore/sim/semaphore.ts`).
 */
export function checkReleaseCount(bounded: boolean, n: unknown): void {
  checkCount(releaseWhat(bounded), "n", n, 1);
}

/**
 * The error of a release the kernel refused (OVER_BOUND): `bound` is a bounded semaphore's initial
 * value, `undefined` for a plain semaphore (shared with `src/explore/sim/semaphore.ts`).
 */
export function releaseError(n: number, bound: number | undefined): Error {
  if (bound !== undefined) {
    const what = releaseWhat(true);
    return new RuntimeError(
      `Cannot ${what}: releasing ${n} would raise its value above its initial value ${bound}`,
    );
  }
  return new RangeError(`Cannot ${releaseWhat(false)}: its value would exceed ${K.MAX_VALUE}`);
}

/**
 * A counter of permits: `acquire` takes one, waiting while there are none; `release(n)` gives `n`
 * back. Works across the main thread and any number of workers.
 *
 * - Not fair: a thread that arrives as a permit is released may take it before a sleeper wakes.
 *   Waiters spin briefly, then sleep; `release(n)` wakes up to `n` of them.
 * - Any thread may release, also without having acquired (Python semantics); the value is capped at
 *   2^31 - 1. Use {@linkcode BoundedSemaphore} to catch releases that have no matching acquire.
 * - `acquire()` (Promise) never blocks the thread; `acquireSync()` blocks it (fine in workers).
 *   Both return a `Disposable` that releases the permit.
 * - A timeout throws a `DOMException` named `TimeoutError`, an abort rejects with `signal.reason`;
 *   either leaves the semaphore as if the caller had never waited (no permit taken).
 * - Send it to a worker with `postMessage(sem)` and call `Semaphore.from(data)` there.
 *
 * @example At most two holders at a time
 * ```ts
 * import { Semaphore } from "@interlock/interlock";
 * import assert from "node:assert/strict";
 *
 * const slots = new Semaphore(2);
 * let inside = 0;
 * let most = 0;
 * await Promise.all([1, 2, 3, 4].map(async () => {
 *   using _ = await slots.acquire();
 *   most = Math.max(most, ++inside);
 *   await Promise.resolve();
 *   inside--;
 * }));
 * assert.equal(most, 2);
 * assert.equal(slots.value, 2);
 * ```
 */
export class Semaphore {
  /** The shared memory this semaphore lives in; shared, not copied, by `postMessage`. */
  readonly buffer: SharedArrayBuffer;
  /** Where the semaphore's region starts in {@linkcode Semaphore.buffer}. */
  readonly byteOffset: number;
  readonly #s: Int32Array;
  readonly #bounded: boolean;

  /**
   * Creates a semaphore holding `value` permits, in fresh shared memory.
   *
   * @param value The initial number of permits.
   * @throws {TypeError} if `value` is not a number.
   * @throws {RangeError} if `value` is not an integer in 0..2^31 - 1.
   *
   * @example
   * ```ts
   * import { Semaphore } from "@interlock/interlock";
   * import assert from "node:assert/strict";
   *
   * assert.equal(new Semaphore().value, 1);
   * assert.equal(new Semaphore(0).value, 0);
   * assert.throws(() => new Semaphore(-1), RangeError);
   * ```
   */
  constructor(value: number = 1) {
    const tag = creating;
    creating = TAG.Semaphore;
    let s = reviving;
    reviving = undefined;
    const bounded = tag === TAG.BoundedSemaphore;
    if (s === undefined) {
      checkCount(`create ${bounded ? "bounded semaphore" : "semaphore"}`, "value", value, 0);
      s = allocate(tag, K.BYTES);
      K.init(REAL, s, value, bounded ? value : K.MAX_VALUE);
    }
    this.buffer = s.buffer as SharedArrayBuffer;
    this.byteOffset = s.byteOffset;
    this.#s = s;
    this.#bounded = bounded;
  }

  /**
   * Returns a working semaphore over the memory of `value`, a `Semaphore` or `BoundedSemaphore` or
   * its structured clone (what a worker receives from `postMessage(sem)`). A bounded clone revives
   * as a {@linkcode BoundedSemaphore}.
   *
   * @param value A semaphore or its structured clone.
   * @returns A semaphore over the same shared memory.
   * @throws {TypeError} if `value` is not a semaphore or a clone of one.
   *
   * @example
   * ```ts
   * import { BoundedSemaphore, Semaphore } from "@interlock/interlock";
   * import assert from "node:assert/strict";
   *
   * const sem = new Semaphore(3);
   * const twin = Semaphore.from(structuredClone(sem));
   * assert.ok(twin.tryAcquire());
   * assert.equal(sem.value, 2);
   * assert.ok(Semaphore.from(structuredClone(new BoundedSemaphore())) instanceof BoundedSemaphore);
   * assert.throws(() => Semaphore.from({}), TypeError);
   * ```
   */
  static from(value: unknown): Semaphore {
    if (value instanceof Semaphore) return value;
    try {
      reviving = attach("Semaphore", TAG.Semaphore, value, K.BYTES);
    } catch (error) {
      try {
        return BoundedSemaphore.from(value);
      } catch {
        throw error;
      }
    }
    return new Semaphore();
  }

  /**
   * Waits for a permit without blocking the thread, then takes it.
   *
   * @param options `timeout` in ms and/or an abort `signal`.
   * @returns A guard that releases the permit when disposed.
   * @throws {DOMException} named `TimeoutError` when `timeout` passes first.
   *
   * @example
   * ```ts
   * import { Semaphore } from "@interlock/interlock";
   * import assert from "node:assert/strict";
   *
   * const sem = new Semaphore(1);
   * const guard = await sem.acquire();
   * await assert.rejects(sem.acquire({ timeout: 10 }), { name: "TimeoutError" });
   * guard[Symbol.dispose]();
   * assert.equal(sem.value, 1);
   * ```
   */
  async acquire(options?: WaitOptions): Promise<Disposable> {
    // Written out as in Lock.acquire: one helper for both measured 0.8-0.9x (Semaphore, A/B).
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
   * Blocks the calling thread until it takes a permit.
   *
   * @param options `timeout` in ms.
   * @returns A guard that releases the permit when disposed.
   * @throws {DOMException} named `TimeoutError` when `timeout` passes first.
   *
   * @example
   * ```ts
   * import { Semaphore } from "@interlock/interlock";
   * import assert from "node:assert/strict";
   *
   * const sem = new Semaphore(1);
   * {
   *   using _ = sem.acquireSync();
   *   assert.throws(() => sem.acquireSync({ timeout: 0 }), { name: "TimeoutError" });
   * }
   * assert.equal(sem.value, 1);
   * ```
   */
  acquireSync(options?: SyncWaitOptions): Disposable {
    if (!K.acquire(REAL, this.#s, deadlineOf(ACQUIRE, options))) {
      throw waitFailure(ACQUIRE, options);
    }
    return new HoldGuard(this);
  }

  /**
   * Takes a permit if one is available, without waiting.
   *
   * @returns `true` if the caller took a permit.
   *
   * @example
   * ```ts
   * import { Semaphore } from "@interlock/interlock";
   * import assert from "node:assert/strict";
   *
   * const sem = new Semaphore(1);
   * assert.equal(sem.tryAcquire(), true);
   * assert.equal(sem.tryAcquire(), false);
   * ```
   */
  tryAcquire(): boolean {
    return K.tryAcquire(REAL, this.#s);
  }

  /**
   * Gives back `n` permits and wakes up to `n` waiters. Any thread may release.
   *
   * @param n How many permits to give back.
   * @throws {TypeError} if `n` is not a number.
   * @throws {RangeError} if `n` is not a positive integer, or (unbounded semaphore) the value would
   *   exceed 2^31 - 1 (nothing changes).
   * @throws {RuntimeError} (bounded semaphore) if the value would exceed its initial value (nothing
   *   changes).
   *
   * @example
   * ```ts
   * import { Semaphore } from "@interlock/interlock";
   * import assert from "node:assert/strict";
   *
   * const sem = new Semaphore(0);
   * sem.release(3);
   * assert.equal(sem.value, 3);
   * assert.throws(() => sem.release(0), RangeError);
   * ```
   */
  release(n: number = 1): void {
    if (!(Number.isInteger(n) && n >= 1 && n <= MAX_VALUE)) checkReleaseCount(this.#bounded, n);
    if (K.release(REAL, this.#s, n) === RELEASED) return;
    throw releaseError(n, this.#bounded ? K.bound(REAL, this.#s) : undefined);
  }

  /**
   * The number of permits available now (a snapshot: other threads may change it at any moment).
   *
   * @example
   * ```ts
   * import { Semaphore } from "@interlock/interlock";
   * import assert from "node:assert/strict";
   *
   * const sem = new Semaphore(2);
   * sem.tryAcquire();
   * assert.equal(sem.value, 1);
   * ```
   */
  get value(): number {
    return K.value(REAL, this.#s);
  }
}

function bounded(value: number): number {
  creating = TAG.BoundedSemaphore;
  return value;
}

/**
 * A {@linkcode Semaphore} whose value may never exceed its initial value: a `release` without a
 * matching `acquire` throws {@linkcode RuntimeError} instead of silently adding a permit. The bound
 * lives in shared memory, so every clone enforces it.
 *
 * @example Catch a release too many
 * ```ts
 * import { BoundedSemaphore, RuntimeError } from "@interlock/interlock";
 * import assert from "node:assert/strict";
 *
 * const pool = new BoundedSemaphore(2);
 * pool.acquireSync();
 * pool.release();
 * assert.throws(() => pool.release(), RuntimeError);
 * assert.equal(pool.value, 2);
 * ```
 */
export class BoundedSemaphore extends Semaphore {
  /**
   * Creates a bounded semaphore holding (and never exceeding) `value` permits.
   *
   * @param value The initial, and largest, number of permits.
   * @throws {TypeError} if `value` is not a number.
   * @throws {RangeError} if `value` is not an integer in 0..2^31 - 1.
   *
   * @example
   * ```ts
   * import { BoundedSemaphore, Semaphore } from "@interlock/interlock";
   * import assert from "node:assert/strict";
   *
   * const sem = new BoundedSemaphore(3);
   * assert.ok(sem instanceof Semaphore);
   * assert.equal(sem.value, 3);
   * ```
   */
  constructor(value: number = 1) {
    super(bounded(value));
  }

  /**
   * Returns a working `BoundedSemaphore` over the memory of `value`, a `BoundedSemaphore` or its
   * structured clone.
   *
   * @param value A `BoundedSemaphore` or its structured clone.
   * @returns A `BoundedSemaphore` over the same shared memory.
   * @throws {TypeError} if `value` is not a `BoundedSemaphore` or a clone of one.
   *
   * @example
   * ```ts
   * import { BoundedSemaphore, RuntimeError, Semaphore } from "@interlock/interlock";
   * import assert from "node:assert/strict";
   *
   * const sem = new BoundedSemaphore(1);
   * const twin = BoundedSemaphore.from(structuredClone(sem));
   * assert.throws(() => twin.release(), RuntimeError); // the bound is shared
   * assert.throws(() => BoundedSemaphore.from(structuredClone(new Semaphore())), TypeError);
   * ```
   */
  static override from(value: unknown): BoundedSemaphore {
    if (value instanceof BoundedSemaphore) return value;
    reviving = attach("BoundedSemaphore", TAG.BoundedSemaphore, value, K.BYTES);
    return new BoundedSemaphore();
  }
}

registerClass(TAG.Semaphore, Semaphore, Semaphore.from);
registerClass(TAG.BoundedSemaphore, BoundedSemaphore, BoundedSemaphore.from);
