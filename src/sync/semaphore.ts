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
import { ACQUIRED, TIMED_OUT } from "../kernel/lock.ts";
import {
  type AcquireOptions,
  type AcquireSyncOptions,
  deadlineOf,
  ownerDiedHandler,
  waitFailure,
} from "../options.ts";
import { HoldGuard } from "./_guard.ts";
import { attachPresence, homePresence, type Presence, presenceId } from "./_presence.ts";
import {
  acquireRobust,
  acquireRobustSync,
  ownerDiedError,
  type Robust,
  tookOverError,
} from "./_robust.ts";

// Private twins of K.MAX_VALUE and K.RELEASED for release(): V8 reads an imported binding through
// its module cell at every use, a private `const` is folded (0.96-0.99x per tryAcquire + release).
const MAX_VALUE = 0x7fffffff;
const RELEASED = 0;

let reviving: Int32Array | undefined;
let revivingPresence: Presence | undefined;
/** This thread's presence id, what a robust semaphore's holder table records for it. */
const ME = presenceId();
/** The tag the next constructed region gets (set by `BoundedSemaphore` before it calls `super`). */
let creating: number = TAG.Semaphore;

/**
 * Options of a {@linkcode Semaphore} or {@linkcode BoundedSemaphore}.
 *
 * @example
 * ```ts
 * import { Semaphore } from "@interlock/interlock";
 * import assert from "node:assert/strict";
 *
 * const slots = new Semaphore(2, { robust: true });
 * using _ = slots.acquireSync();
 * assert.equal(slots.value, 1);
 * ```
 */
export interface SemaphoreOptions {
  /**
   * Record which thread holds which permits, so that the permits of a thread that dies holding
   * them are reclaimed (as SysV semaphores' `SEM_UNDO`), and the acquirer that gets one learns
   * that its holder died ({@linkcode OwnerDiedError}, or `onOwnerDied`), as with a `Lock`. For
   * semaphores whose permits are taken and given back by the same thread (a limit on concurrent
   * use): a permit that one thread takes and another gives back (a producer/consumer signal) would
   * be reclaimed when the taker dies. Costs one more store on every acquire and release; records
   * up to 16 threads holding permits at once (more are not recorded).
   * @default {false}
   */
  robust?: boolean;
}

function checkOptions(what: string, options: unknown): boolean {
  if (options === undefined) return false;
  if (typeof options !== "object" || options === null) {
    throw new TypeError(
      `Cannot ${what}: options must be an object, received ${
        options === null ? "null" : typeof options
      }`,
    );
  }
  const { robust } = options as SemaphoreOptions;
  if (robust !== undefined && typeof robust !== "boolean") {
    throw new TypeError(`Cannot ${what}: 'robust' must be a boolean, received ${typeof robust}`);
  }
  return robust === true;
}

/** The words of a semaphore clone: its whole region, holder table included if it is robust. */
function attachSemaphore(what: string, tag: number, value: unknown): Int32Array {
  const s = attach(what, tag, value, K.BYTES);
  const holders = K.holders(REAL, s);
  if (holders === 0) return s;
  revivingPresence = attachPresence(what, value);
  return attach(what, tag, value, K.robustBytes(holders));
}

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
 *   The first waiter spins briefly, then sleeps; while one waits, later waiters sleep at once (with
 *   more threads than cores, spinners would take the holders' cores). `release(n)` wakes up to
 *   `n` sleepers.
 * - Any thread may release, also without having acquired (Python semantics); the value is capped at
 *   2^31 - 1. Use {@linkcode BoundedSemaphore} to catch releases that have no matching acquire.
 * - `acquire()` (Promise) never blocks the thread; `acquireSync()` blocks it (fine in workers).
 *   Both return a `Disposable` that releases the permit.
 * - A timeout throws a `DOMException` named `TimeoutError`, an abort rejects with `signal.reason`;
 *   either leaves the semaphore as if the caller had never waited (no permit taken).
 * - Send it to a worker with `postMessage(sem)` and call `Semaphore.from(data)` there.
 * - `{ robust: true }` records which thread holds which permits: the permits of a thread that
 *   dies holding them come back (within about a second of a waiter needing one), and the acquirer
 *   that takes one learns that its holder died: {@linkcode OwnerDiedError}, or it owns up in
 *   `onOwnerDied` (see {@linkcode SemaphoreOptions.robust}, and {@linkcode Lock} for the model).
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
  /**
   * A robust semaphore's presence registry (as {@linkcode Lock.registry}); `undefined` unless the
   * semaphore is robust.
   */
  readonly registry: SharedArrayBuffer | undefined;
  readonly #s: Int32Array;
  readonly #bounded: boolean;
  /** The bound (`K.bound`, written once before the semaphore was shared). */
  readonly #bound: number;
  /**
   * The fast paths' guesses of the value (`K.tryAcquire`, `K.release`): a semaphore nobody uses
   * holds its initial value, one taken permit leaves one less.
   */
  readonly #take: number;
  readonly #give: number;
  /** A robust semaphore's presence registry (its waiters probe holders there). */
  readonly #presence: Presence | undefined;
  /** This thread's holder-table entry: -2 not looked up yet, -1 none (the table was full). */
  #entry = -2;
  /** When to look for an entry again after the table was found full (`performance.now()` ms). */
  #retryAt = 0;
  #robust: Robust | undefined;

  /**
   * Creates a semaphore holding `value` permits, in fresh shared memory.
   *
   * @param value The initial number of permits (default `1`).
   * @param options `robust` (see {@linkcode SemaphoreOptions}).
   * @throws {TypeError} if `value` is not a number, or `options` has the wrong type.
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
  constructor(value?: number, options?: SemaphoreOptions) {
    if (value === undefined) value = 1;
    const tag = creating;
    creating = TAG.Semaphore;
    let s = reviving;
    let presence = revivingPresence;
    reviving = revivingPresence = undefined;
    const bounded = tag === TAG.BoundedSemaphore;
    if (s === undefined) {
      const what = `create ${bounded ? "bounded semaphore" : "semaphore"}`;
      checkCount(what, "value", value, 0);
      const robust = checkOptions(what, options);
      const holders = robust ? K.TABLE_ENTRIES : 0;
      s = allocate(tag, robust ? K.robustBytes(holders) : K.BYTES);
      K.init(REAL, s, value, bounded ? value : K.MAX_VALUE, holders);
      if (robust) presence = homePresence();
    }
    this.buffer = s.buffer as SharedArrayBuffer;
    this.byteOffset = s.byteOffset;
    this.registry = presence?.buffer;
    this.#s = s;
    this.#bounded = bounded;
    this.#bound = K.bound(REAL, s);
    const initial = K.initial(REAL, s);
    this.#take = K.takeGuess(initial);
    this.#give = K.giveGuess(initial);
    this.#presence = presence;
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
      reviving = attachSemaphore("Semaphore", TAG.Semaphore, value);
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
   * @param options `timeout` in ms, an abort `signal`, and (robust semaphores) `onOwnerDied`.
   * @returns A guard that releases the permit when disposed.
   * @throws {DOMException} named `TimeoutError` when `timeout` passes first.
   * @throws {OwnerDiedError} (robust semaphores) if the permit it would take was reclaimed from a
   *   thread that died and there is no `onOwnerDied` (nothing taken); whatever it throws.
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
  async acquire(options?: AcquireOptions): Promise<Disposable> {
    // Written out as in Lock.acquire: one helper for both measured 0.8-0.9x (Semaphore, A/B).
    const deadline = deadlineOf(ACQUIRE, options);
    const handler = options === undefined ? undefined : ownerDiedHandler(ACQUIRE, options);
    const signal = options?.signal;
    if (
      !K.tryAcquire(REAL, this.#s, this.#take) &&
      !(this.#presence === undefined
        ? await runAsync(G.acquire(ASYNC, this.#s, this.#take, deadline), signal)
        : await acquireRobust(this.#slow(), deadline, handler, ACQUIRE, signal))
    ) {
      throw waitFailure(ACQUIRE, options);
    }
    if (this.#presence !== undefined) await this.#took(handler, false);
    return new HoldGuard(this);
  }

  /**
   * Blocks the calling thread until it takes a permit.
   *
   * @param options `timeout` in ms, and (robust semaphores) `onOwnerDied`.
   * @returns A guard that releases the permit when disposed.
   * @throws {DOMException} named `TimeoutError` when `timeout` passes first.
   * @throws {OwnerDiedError} (robust semaphores) if the permit it would take was reclaimed from a
   *   thread that died and there is no `onOwnerDied` (nothing taken); whatever it throws.
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
  acquireSync(options?: AcquireSyncOptions): Disposable {
    // Allocate before taking a permit, as Lock.acquireSync: a garbage collection the allocation
    // may trigger then never runs while we hold it.
    const guard = new HoldGuard(this);
    // The inlinable fast path first, and the rest in a method that returns nothing, as
    // Lock.acquireSync (so that V8 can drop a guard the caller never uses).
    if (
      options !== undefined || this.#presence !== undefined ||
      !K.tryAcquire(REAL, this.#s, this.#take)
    ) {
      this.#acquireSyncSlow(options);
    }
    return guard;
  }

  /** {@linkcode Semaphore.acquireSync} past its fast path: takes a permit or throws. */
  #acquireSyncSlow(options: AcquireSyncOptions | undefined): void {
    const deadline = deadlineOf(ACQUIRE, options);
    const handler = options === undefined ? undefined : ownerDiedHandler(ACQUIRE, options);
    const took = K.tryAcquire(REAL, this.#s, this.#take) ||
      (this.#presence === undefined
        ? K.acquire(REAL, this.#s, this.#take, deadline)
        : acquireRobustSync(this.#slow(), deadline, handler, ACQUIRE));
    if (!took) throw waitFailure(ACQUIRE, options);
    if (this.#presence !== undefined) this.#took(handler, true);
  }

  /**
   * Takes a permit if one is available, without waiting.
   *
   * @returns `true` if the caller took a permit.
   * @throws {OwnerDiedError} (robust semaphores) if the permit was reclaimed from a thread that
   *   died (nothing taken): take it with `acquireSync({ onOwnerDied })`.
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
    if (!K.tryAcquire(REAL, this.#s, this.#take)) return false;
    if (this.#presence !== undefined) this.#took(undefined, true);
    return true;
  }

  /**
   * Gives back `n` permits and wakes up to `n` waiters. Any thread may release.
   *
   * @param n How many permits to give back (default `1`).
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
  release(n?: number): void {
    if (n === undefined) n = 1;
    else if (!(Number.isInteger(n) && n >= 1 && n <= MAX_VALUE)) {
      checkReleaseCount(this.#bounded, n);
    }
    if (this.#presence !== undefined) return this.#releaseHeld(n);
    if (K.release(REAL, this.#s, n, this.#bound, this.#give) === RELEASED) return;
    throw releaseError(n, this.#bounded ? this.#bound : undefined);
  }

  /** {@linkcode Semaphore.release} of a robust semaphore: the holder table follows. */
  #releaseHeld(n: number): void {
    const j = this.#ownEntry();
    // A robust releaser lowers its own count first (see the kernel's invariant).
    const own = j < 0 ? 0 : K.unhold(REAL, this.#s, j, n);
    if (K.release(REAL, this.#s, n, this.#bound, this.#give) === RELEASED) return;
    if (own > 0) K.hold(REAL, this.#s, j, own);
    throw releaseError(n, this.#bounded ? this.#bound : undefined);
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

  /**
   * This thread's holder-table entry (robust semaphores), claimed on first use; -1 for none (the
   * table is full: tried again at most once a second).
   */
  #ownEntry(): number {
    if (this.#entry >= 0) return this.#entry;
    if (this.#entry === -1 && performance.now() < this.#retryAt) return -1;
    const s = this.#s;
    const presence = this.#presence!;
    let j = K.entryOf(REAL, s, ME);
    if (j < 0) {
      // A full table may hold the entries of dead threads: reclaim them, and try once more.
      K.reclaim(REAL, s, presence.words);
      j = K.entryOf(REAL, s, ME);
      this.#retryAt = performance.now() + 1000;
    }
    return this.#entry = j;
  }

  /**
   * A robust semaphore's caller took a permit: records it, and if reclaimed permits wait to be
   * owned up to, owns up to one with `handler` or gives the permit back and throws
   * `OwnerDiedError`. `sync`: the handler's result is not awaited (a blocking acquire).
   */
  #took(handler: AcquireOptions["onOwnerDied"], sync: boolean): void | Promise<void> {
    const s = this.#s;
    const j = this.#ownEntry();
    if (j >= 0) K.hold(REAL, s, j, 1);
    if (K.tainted(REAL, s) === 0 || (handler !== undefined && !K.untaint(REAL, s))) return;
    const giveUp = () => {
      if (handler !== undefined) K.retaint(REAL, s);
      this.release();
    };
    if (handler === undefined) {
      giveUp();
      throw ownerDiedError(ACQUIRE);
    }
    let repairing: void | Promise<void>;
    try {
      repairing = handler(tookOverError(ACQUIRE));
    } catch (error) {
      giveUp();
      throw error;
    }
    if (sync || !(repairing instanceof Promise)) return;
    return repairing.then(undefined, (error: unknown) => {
      giveUp();
      throw error;
    });
  }

  /** The robust slow path's view of this semaphore (made on first use). */
  #slow(): Robust {
    if (this.#robust !== undefined) return this.#robust;
    const s = this.#s;
    const take = this.#take;
    const registry = this.#presence?.words;
    return this.#robust = {
      acquire: (deadline) => K.acquire(REAL, s, take, deadline) ? ACQUIRED : TIMED_OUT,
      acquireGen: function* (deadline) {
        return (yield* G.acquire(ASYNC, s, take, deadline)) ? ACQUIRED : TIMED_OUT;
      },
      // Reclaimed permits went back to `value`: the next try takes one (and sees the taint).
      probe: () => registry !== undefined && K.reclaim(REAL, s, registry) > 0,
      takeOver: () => false, // the acquires never report OWNER_DIED: taints are seen after taking
      giveUp: () => {},
    };
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
   * @param value The initial, and largest, number of permits (default `1`).
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
  constructor(value?: number, options?: SemaphoreOptions) {
    super(bounded(value === undefined ? 1 : value), options);
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
    reviving = attachSemaphore("BoundedSemaphore", TAG.BoundedSemaphore, value);
    return new BoundedSemaphore();
  }
}

registerClass(TAG.Semaphore, Semaphore, Semaphore.from);
registerClass(TAG.BoundedSemaphore, BoundedSemaphore, BoundedSemaphore.from);
