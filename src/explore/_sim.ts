/**
 * `sim(x)`: explorer wrappers of Interlock objects and raw shared memory. Each wrapper method runs the
 * primitive's derived kernel (`src/kernel_gen/`) with the simulated seam, through the same thin glue
 * as the production class (same validation, same errors), so the explorer searches the very
 * algorithm production runs. Views are rebuilt from the public `buffer`/`byteOffset`.
 *
 * @module
 */
import type { AtomicArray, ElementOf, WaitResult } from "../_atomics.ts";
import { BrokenBarrierError, RuntimeError } from "../errors.ts";
import * as KArray from "../kernel/array.ts";
import * as KBarrier from "../kernel/barrier.ts";
import * as KCondition from "../kernel/condition.ts";
import * as KEvent from "../kernel/event.ts";
import * as KLock from "../kernel/lock.ts";
import * as KRLock from "../kernel/rlock.ts";
import * as KSemaphore from "../kernel/semaphore.ts";
import * as KValue from "../kernel/value.ts";
import * as GArray from "../kernel_gen/array.ts";
import * as GBarrier from "../kernel_gen/barrier.ts";
import * as GCondition from "../kernel_gen/condition.ts";
import * as GEvent from "../kernel_gen/event.ts";
import * as GLock from "../kernel_gen/lock.ts";
import * as GRLock from "../kernel_gen/rlock.ts";
import * as GSemaphore from "../kernel_gen/semaphore.ts";
import * as GValue from "../kernel_gen/value.ts";
import { deadlineOf, type SyncWaitOptions, waitFailure } from "../options.ts";
import { checkNumber, type ElementType, type NumberOf } from "../shared/_type.ts";
import { SharedArray } from "../shared/array.ts";
import { Value } from "../shared/value.ts";
import { Barrier } from "../sync/barrier.ts";
import { checkNotifyCount, Condition } from "../sync/condition.ts";
import { Event } from "../sync/event.ts";
import { Lock } from "../sync/lock.ts";
import { RLock } from "../sync/rlock.ts";
import { BoundedSemaphore, Semaphore } from "../sync/semaphore.ts";
import { currentThread, SIM } from "./_engine.ts";
import { registerLayout, wordLayout } from "./_scenario.ts";

/** What every `sim(...)` method returns: a generator to run with `yield*` inside a thread body. */
export type Step<R> = Generator<unknown, R, unknown>;

/** Shared words of an Interlock object, as the production class views them. */
function words(x: { buffer: SharedArrayBuffer; byteOffset: number }, bytes: number): Int32Array {
  return new Int32Array(x.buffer, x.byteOffset, bytes >> 2);
}

/**
 * Raw shared memory under the explorer: each method is one `Atomics` operation, one step.
 *
 * @example
 * ```ts
 * import { explore, sim } from "@interlock/interlock/explore";
 * import assert from "node:assert/strict";
 *
 * const report = explore({
 *   setup: () => ({ hits: new Int32Array(new SharedArrayBuffer(4)) }),
 *   threads: [
 *     function* a({ hits }) { yield* sim(hits).add(0, 1); },
 *     function* b({ hits }) { yield* sim(hits).add(0, 1); },
 *   ],
 *   invariant: ({ hits }) => hits[0] === 2,
 * });
 * assert.ok(report.ok);
 * ```
 */
export class SimArray<T extends AtomicArray> {
  /** The array the operations act on. */
  readonly array: T;

  /** Wraps `array` (normally through {@linkcode sim}). */
  constructor(array: T) {
    this.array = array;
  }

  /** `Atomics.load(array, i)`. */
  *load(i: number): Step<ElementOf<T>> {
    return yield* SIM.load(this.array, i);
  }

  /** `Atomics.store(array, i, v)`; returns the stored value. */
  *store(i: number, v: ElementOf<T>): Step<ElementOf<T>> {
    return yield* SIM.store(this.array, i, v);
  }

  /** `Atomics.add(array, i, v)`; returns the previous value. */
  *add(i: number, v: ElementOf<T>): Step<ElementOf<T>> {
    return yield* SIM.add(this.array, i, v);
  }

  /** `Atomics.sub(array, i, v)`; returns the previous value. */
  *sub(i: number, v: ElementOf<T>): Step<ElementOf<T>> {
    return yield* SIM.sub(this.array, i, v);
  }

  /** `Atomics.exchange(array, i, v)`; returns the previous value. */
  *exchange(i: number, v: ElementOf<T>): Step<ElementOf<T>> {
    return yield* SIM.exchange(this.array, i, v);
  }

  /** `Atomics.compareExchange(array, i, expected, replacement)`; returns the previous value. */
  *compareExchange(
    i: number,
    expected: ElementOf<T>,
    replacement: ElementOf<T>,
  ): Step<ElementOf<T>> {
    return yield* SIM.compareExchange(this.array, i, expected, replacement);
  }

  /**
   * `Atomics.wait(array, i, expected, timeout)` on an `Int32Array`: sleeps while the value is
   * `expected`, until notified, or (with a finite `timeout`) until the explorer lets the timeout
   * fire. The timeout's length does not matter: firing is a scheduling choice.
   */
  *wait(i: number, expected: number, options?: SyncWaitOptions): Step<WaitResult> {
    const deadline = deadlineOf("wait", options);
    return yield* SIM.wait(this.array as unknown as Int32Array, i, expected, deadline);
  }

  /** `Atomics.notify(array, i, count)`: wakes up to `count` sleepers in arrival order. */
  *notify(i: number, count: number = Infinity): Step<number> {
    return yield* SIM.notify(this.array as unknown as Int32Array, i, count);
  }

  /** `Atomics.pause()`: a spin-wait hint; under the explorer the thread gives way for one step. */
  *pause(): Step<void> {
    yield* SIM.pause();
  }
}

/**
 * The agent id a virtual thread has under the explorer (what `RLock` records as its owner): thread
 * `Tk` is agent `k + 1`, so traces read `owner ← 1` for T0.
 *
 * @example
 * ```ts
 * import { agentOf } from "@interlock/interlock/explore";
 * import assert from "node:assert/strict";
 *
 * assert.equal(agentOf(0), 1);
 * ```
 */
export function agentOf(thread: number): number {
  return thread + 1;
}

function me(): number {
  return agentOf(currentThread().id);
}

/** Options of the waiting methods of `sim(...)` wrappers. */
export interface SimWaitOptions extends SyncWaitOptions {
  /**
   * The call has an abort signal that may fire at any time while it sleeps: the explorer adds "the
   * signal fires" as a scheduling choice for each of its sleeps. The wrapper then follows the
   * production async path (`acquire()`, `wait()` with `signal`): the kernel backs out as from a
   * timeout, the call throws an `AbortError`, and the abandoned wait stays registered, so a
   * `notify` that lands on it is passed on later by a forwarder thread, as `src/_async.ts` does.
   * (Such a sleep has no timeout choice of its own.)
   * @default {false}
   */
  abortable?: boolean;
}

/** Runs `kernel` with this thread's sleeps abortable (see {@linkcode SimWaitOptions}) if asked. */
function* abortably<T>(kernel: Step<T>, options: SimWaitOptions | undefined): Step<T> {
  if (!options?.abortable) return yield* kernel;
  const t = currentThread();
  t.aborted = false;
  t.abortable = true;
  try {
    return yield* kernel;
  } finally {
    t.abortable = false;
  }
}

/** The error of a failed wait: an `AbortError` if the signal fired, else a `TimeoutError`. */
function failed(what: string, options: SimWaitOptions | undefined): unknown {
  if (options?.abortable && currentThread().aborted) {
    return new DOMException("The signal has been aborted", "AbortError");
  }
  return waitFailure(what, options);
}

/**
 * A {@linkcode Lock} under the explorer: `Lock`'s own kernel (`src/kernel/lock.ts`, derived) with
 * the blocking glue of `acquireSync`/`release`.
 *
 * @example
 * ```ts
 * import { Lock } from "@interlock/interlock";
 * import { explore, sim } from "@interlock/interlock/explore";
 * import assert from "node:assert/strict";
 *
 * const report = explore({
 *   setup: () => ({ lock: new Lock(), inside: new Int32Array(new SharedArrayBuffer(4)) }),
 *   threads: [0, 1].map(() =>
 *     function* worker({ lock, inside }: { lock: Lock; inside: Int32Array }) {
 *       yield* sim(lock).acquire();
 *       const n = yield* sim(inside).add(0, 1);
 *       assert.equal(n, 0, "two threads inside the lock");
 *       yield* sim(inside).sub(0, 1);
 *       yield* sim(lock).release();
 *     }
 *   ),
 * });
 * assert.ok(report.ok && report.complete);
 * ```
 */
export class SimLock {
  readonly #s: Int32Array;

  /** Wraps `lock` (normally through {@linkcode sim}). */
  constructor(lock: Lock) {
    this.#s = words(lock, KLock.BYTES);
  }

  /**
   * Takes the lock, sleeping while it is held (as `acquireSync`, or as `acquire({ signal })` when
   * `abortable`).
   *
   * @throws {DOMException} named `TimeoutError` if a finite `timeout` fires first, `AbortError` if
   * the signal of an `abortable` call fires.
   */
  *acquire(options?: SimWaitOptions): Step<void> {
    const deadline = deadlineOf("acquire the lock", options);
    if (options?.abortable) {
      if (yield* GLock.tryAcquire(SIM, this.#s)) return;
      if (!(yield* abortably(GLock.acquire(SIM, this.#s, deadline), options))) {
        throw failed("acquire the lock", options);
      }
    } else if (!(yield* GLock.acquire(SIM, this.#s, deadline))) {
      throw waitFailure("acquire the lock", options);
    }
  }

  /** Takes the lock if it is free; returns whether it did. */
  *tryAcquire(): Step<boolean> {
    return yield* GLock.tryAcquire(SIM, this.#s);
  }

  /**
   * Releases the lock and wakes one sleeper.
   *
   * @throws {RuntimeError} if the lock is not held.
   */
  *release(): Step<void> {
    if (!(yield* GLock.release(SIM, this.#s))) {
      throw new RuntimeError("Cannot release an unlocked lock");
    }
  }

  /** Whether any thread holds the lock. */
  *locked(): Step<boolean> {
    return yield* GLock.locked(SIM, this.#s);
  }
}
registerLayout(Lock, () => wordLayout(KLock.FIELDS, KLock.BYTES));

/**
 * An {@linkcode RLock} under the explorer: `RLock`'s kernel with the glue of `acquireSync`,
 * `release`, `owned` and `recursionCount`. Virtual thread `Tk` is agent `k + 1`.
 *
 * @example
 * ```ts
 * import { RLock } from "@interlock/interlock";
 * import { explore, sim } from "@interlock/interlock/explore";
 * import assert from "node:assert/strict";
 *
 * const report = explore({
 *   setup: () => ({ r: new RLock() }),
 *   threads: [0, 1].map(() =>
 *     function* nested({ r }: { r: RLock }) {
 *       yield* sim(r).acquire();
 *       yield* sim(r).acquire();
 *       assert.equal(yield* sim(r).recursionCount(), 2);
 *       yield* sim(r).release();
 *       yield* sim(r).release();
 *     }
 *   ),
 * });
 * assert.ok(report.ok);
 * ```
 */
export class SimRLock {
  readonly #s: Int32Array;

  /** Wraps `rlock` (normally through {@linkcode sim}). */
  constructor(rlock: RLock) {
    this.#s = words(rlock, KRLock.BYTES);
  }

  /**
   * Takes the lock (one more level if this thread holds it).
   *
   * @throws {DOMException} named `TimeoutError` if a finite `timeout` fires first.
   */
  *acquire(options?: SimWaitOptions): Step<void> {
    const deadline = deadlineOf("acquire the RLock", options);
    const id = me();
    if (options?.abortable) {
      if (yield* GRLock.tryAcquire(SIM, this.#s, id)) return;
      if (!(yield* abortably(GRLock.acquire(SIM, this.#s, id, deadline), options))) {
        throw failed("acquire the RLock", options);
      }
    } else if (!(yield* GRLock.acquire(SIM, this.#s, id, deadline))) {
      throw waitFailure("acquire the RLock", options);
    }
  }

  /** Takes the lock if it is free or held by this thread; returns whether it did. */
  *tryAcquire(): Step<boolean> {
    return yield* GRLock.tryAcquire(SIM, this.#s, me());
  }

  /**
   * Releases one level of this thread's hold.
   *
   * @throws {RuntimeError} if the lock is unheld or held by another thread.
   */
  *release(): Step<void> {
    const status = yield* GRLock.release(SIM, this.#s, me());
    if (status === KRLock.NOT_HELD) throw new RuntimeError("Cannot release an unlocked RLock");
    if (status === KRLock.NOT_OWNER) {
      throw new RuntimeError("Cannot release an RLock held by another agent");
    }
  }

  /** Whether any thread holds the lock. */
  *locked(): Step<boolean> {
    return yield* GRLock.locked(SIM, this.#s);
  }

  /** Whether this thread holds the lock. */
  *owned(): Step<boolean> {
    return yield* GRLock.owned(SIM, this.#s, me());
  }

  /** This thread's recursion count (0 unless it holds the lock). */
  *recursionCount(): Step<number> {
    return yield* GRLock.recursionCount(SIM, this.#s, me());
  }
}
registerLayout(RLock, () => wordLayout(KRLock.FIELDS, KRLock.BYTES));

function checkCount(what: string, value: unknown): number {
  if (typeof value !== "number") {
    throw new TypeError(`Cannot ${what}: 'n' must be a number, received ${typeof value}`);
  }
  if (!Number.isInteger(value) || value < 1 || value > KSemaphore.MAX_VALUE) {
    throw new RangeError(
      `Cannot ${what}: 'n' must be a positive integer up to ${KSemaphore.MAX_VALUE}, received ${value}`,
    );
  }
  return value;
}

/**
 * A {@linkcode Semaphore} or {@linkcode BoundedSemaphore} under the explorer: the semaphore kernel
 * with the glue of `acquireSync`, `tryAcquire`, `release(n)` and `value`.
 *
 * @example
 * ```ts
 * import { Semaphore } from "@interlock/interlock";
 * import { explore, sim } from "@interlock/interlock/explore";
 * import assert from "node:assert/strict";
 *
 * const report = explore({
 *   setup: () => ({ sem: new Semaphore(0) }),
 *   threads: [
 *     function* consumer({ sem }: { sem: Semaphore }) { yield* sim(sem).acquire(); },
 *     function* producer({ sem }: { sem: Semaphore }) { yield* sim(sem).release(); },
 *   ],
 *   invariant: ({ sem }) => sem.value === 0,
 * });
 * assert.ok(report.ok && report.complete);
 * ```
 */
export class SimSemaphore {
  readonly #s: Int32Array;
  readonly #bounded: boolean;

  /** Wraps `semaphore` (normally through {@linkcode sim}). */
  constructor(semaphore: Semaphore) {
    this.#s = words(semaphore, KSemaphore.BYTES);
    this.#bounded = semaphore instanceof BoundedSemaphore;
  }

  /**
   * Takes one permit, sleeping while there is none.
   *
   * @throws {DOMException} named `TimeoutError` if a finite `timeout` fires first.
   */
  *acquire(options?: SimWaitOptions): Step<void> {
    const deadline = deadlineOf("acquire the semaphore", options);
    if (options?.abortable) {
      if (yield* GSemaphore.tryAcquire(SIM, this.#s)) return;
      if (!(yield* abortably(GSemaphore.acquire(SIM, this.#s, deadline), options))) {
        throw failed("acquire the semaphore", options);
      }
    } else if (!(yield* GSemaphore.acquire(SIM, this.#s, deadline))) {
      throw waitFailure("acquire the semaphore", options);
    }
  }

  /** Takes one permit if there is one; returns whether it did. */
  *tryAcquire(): Step<boolean> {
    return yield* GSemaphore.tryAcquire(SIM, this.#s);
  }

  /**
   * Gives back `n` permits and wakes up to `n` sleepers.
   *
   * @throws {RuntimeError} if a `BoundedSemaphore` would rise above its initial value.
   */
  *release(n: number = 1): Step<void> {
    const what = `release ${this.#bounded ? "bounded semaphore" : "semaphore"}`;
    checkCount(what, n);
    if ((yield* GSemaphore.release(SIM, this.#s, n)) === KSemaphore.RELEASED) return;
    if (this.#bounded) {
      throw new RuntimeError(
        `Cannot ${what}: releasing ${n} would raise its value above its initial value ${yield* GSemaphore
          .bound(SIM, this.#s)}`,
      );
    }
    throw new RangeError(`Cannot ${what}: its value would exceed ${KSemaphore.MAX_VALUE}`);
  }

  /** The number of available permits. */
  *value(): Step<number> {
    return yield* GSemaphore.value(SIM, this.#s);
  }
}
registerLayout(Semaphore, () => wordLayout(KSemaphore.FIELDS, KSemaphore.BYTES));
registerLayout(BoundedSemaphore, () => wordLayout(KSemaphore.FIELDS, KSemaphore.BYTES));

/**
 * An {@linkcode Event} under the explorer: the event kernel with the glue of `set`, `clear`,
 * `isSet` and `waitSync`.
 *
 * @example
 * ```ts
 * import { Event } from "@interlock/interlock";
 * import { explore, sim } from "@interlock/interlock/explore";
 * import assert from "node:assert/strict";
 *
 * const report = explore({
 *   setup: () => ({ ready: new Event() }),
 *   threads: [
 *     function* waiter({ ready }: { ready: Event }) { yield* sim(ready).wait(); },
 *     function* setter({ ready }: { ready: Event }) { yield* sim(ready).set(); },
 *   ],
 * });
 * assert.ok(report.ok); // no interleaving leaves the waiter asleep
 * ```
 */
export class SimEvent {
  readonly #e: Int32Array;

  /** Wraps `event` (normally through {@linkcode sim}). */
  constructor(event: Event) {
    this.#e = words(event, KEvent.BYTES);
  }

  /** Raises the flag and wakes every waiter. */
  *set(): Step<void> {
    yield* GEvent.set(SIM, this.#e);
  }

  /** Lowers the flag. */
  *clear(): Step<void> {
    yield* GEvent.clear(SIM, this.#e);
  }

  /** Whether the flag is up. */
  *isSet(): Step<boolean> {
    return yield* GEvent.isSet(SIM, this.#e);
  }

  /**
   * Waits until the flag is up (or was raised since the call began).
   *
   * @throws {DOMException} named `TimeoutError` if a finite `timeout` fires first.
   */
  *wait(options?: SimWaitOptions): Step<void> {
    const deadline = deadlineOf("wait for the event", options);
    if (options?.abortable) {
      if (yield* GEvent.isSet(SIM, this.#e)) return;
      if (!(yield* abortably(GEvent.wait(SIM, this.#e, deadline), options))) {
        throw failed("wait for the event", options);
      }
    } else if (!(yield* GEvent.wait(SIM, this.#e, deadline))) {
      throw waitFailure("wait for the event", options);
    }
  }
}
registerLayout(Event, () => wordLayout(KEvent.FIELDS, KEvent.BYTES));

const CONDITION_WAIT = "wait on the condition";

/**
 * A {@linkcode Condition} under the explorer: the condition kernel with the glue of `waitSync`,
 * `waitForSync`, `notify` and `notifyAll`, over a {@linkcode SimLock} or {@linkcode SimRLock} of its
 * lock. A `waitFor` predicate may be a plain function or a generator function (to read shared state
 * with `sim(...)` steps).
 *
 * @example
 * ```ts
 * import { Condition, Lock } from "@interlock/interlock";
 * import { explore, sim } from "@interlock/interlock/explore";
 * import assert from "node:assert/strict";
 *
 * type S = { cond: Condition; box: Int32Array };
 * const report = explore({
 *   setup: (): S => ({ cond: new Condition(new Lock()), box: new Int32Array(new SharedArrayBuffer(4)) }),
 *   threads: [
 *     function* consumer({ cond, box }: S) {
 *       const c = sim(cond);
 *       yield* c.acquire();
 *       yield* c.waitFor(function* () { return (yield* sim(box).load(0)) === 1; });
 *       yield* c.release();
 *     },
 *     function* producer({ cond, box }: S) {
 *       const c = sim(cond);
 *       yield* c.acquire();
 *       yield* sim(box).store(0, 1);
 *       yield* c.notify();
 *       yield* c.release();
 *     },
 *   ],
 * });
 * assert.ok(report.ok && report.complete);
 * ```
 */
export class SimCondition {
  readonly #c: Int32Array;
  readonly #lk: Int32Array;
  readonly #reentrant: boolean;
  readonly #lock: SimLock | SimRLock;

  /** Wraps `condition` (normally through {@linkcode sim}). */
  constructor(condition: Condition) {
    const lock = condition.lock;
    this.#c = words(condition, KCondition.BYTES);
    this.#reentrant = lock instanceof RLock;
    this.#lk = words(lock, this.#reentrant ? KRLock.BYTES : KLock.BYTES);
    this.#lock = lock instanceof RLock ? sim(lock) : sim(lock);
  }

  /** Takes the condition's lock (see {@linkcode SimLock.acquire}). */
  *acquire(options?: SimWaitOptions): Step<void> {
    yield* this.#lock.acquire(options);
  }

  /** Releases the condition's lock. */
  *release(): Step<void> {
    yield* this.#lock.release();
  }

  /**
   * Releases the lock, sleeps until notified, and takes the lock again (as `waitSync`).
   *
   * @throws {RuntimeError} if this thread does not hold the lock.
   * @throws {DOMException} named `TimeoutError` if a finite `timeout` fires first (the lock is held
   * again).
   */
  *wait(options?: SimWaitOptions): Step<void> {
    const deadline = deadlineOf(CONDITION_WAIT, options);
    if (!(yield* this.#wait(deadline, options))) throw failed(CONDITION_WAIT, options);
  }

  /** One wait: `waitSync`'s kernel call, or the async path's begin/sleep/end when abortable. */
  *#wait(deadline: number, options: SimWaitOptions | undefined): Step<boolean> {
    const id = me();
    if (!options?.abortable) {
      return this.#check(
        yield* GCondition.wait(SIM, this.#c, this.#lk, this.#reentrant, id, deadline),
      );
    }
    const ticket = yield* GCondition.begin(SIM, this.#c, this.#lk, this.#reentrant, id);
    this.#check(ticket.status);
    const notified = yield* abortably(
      GCondition.sleep(SIM, this.#c, ticket.seq, deadline),
      options,
    );
    // Without the signal: the lock must be held again even after an abort.
    yield* GCondition.end(SIM, this.#lk, this.#reentrant, id, ticket.saved);
    return notified;
  }

  /**
   * Waits until `predicate` is truthy (checked first, then after every wake-up), as
   * `waitForSync`; returns its last value.
   *
   * @throws {RuntimeError} if this thread does not hold the lock.
   * @throws {DOMException} named `TimeoutError` if the timeout fires while the predicate is falsy.
   */
  *waitFor<T>(
    predicate: () => T | Generator<unknown, T, unknown>,
    options?: SimWaitOptions,
  ): Step<T> {
    if (typeof predicate !== "function") {
      throw new TypeError(
        `Cannot ${CONDITION_WAIT}: 'predicate' must be a function, received ${typeof predicate}`,
      );
    }
    const deadline = deadlineOf(CONDITION_WAIT, options);
    if (!(yield* GCondition.owns(SIM, this.#lk, this.#reentrant, me()))) {
      throw this.#notOwner(CONDITION_WAIT);
    }
    const test = function* (): Step<T> {
      const r = predicate();
      return isGenerator(r) ? yield* r as Generator<unknown, T, unknown> : r as T;
    };
    let result = yield* test();
    while (!result) {
      const notified = yield* this.#wait(deadline, options);
      result = yield* test();
      if (!notified && !result) throw failed(CONDITION_WAIT, options);
    }
    return result;
  }

  /**
   * Wakes up to `n` waiters. Call with the lock held.
   *
   * @throws {RuntimeError} if this thread does not hold the lock.
   */
  *notify(n: number = 1): Step<void> {
    checkNotifyCount(n);
    yield* this.#notify(n);
  }

  /** Wakes every waiter. Call with the lock held. */
  *notifyAll(): Step<void> {
    yield* this.#notify(Infinity);
  }

  *#notify(n: number): Step<void> {
    const k = yield* GCondition.notify(SIM, this.#c, this.#lk, this.#reentrant, me(), n);
    if (k < 0) throw this.#notOwner("notify");
  }

  #check(status: number): boolean {
    if (status === KCondition.OK) return true;
    if (status === KCondition.TIMED_OUT) return false;
    if (status === KCondition.NOT_OWNER) throw this.#notOwner("wait on");
    throw new RangeError(
      `Cannot ${CONDITION_WAIT}: ${KCondition.MAX_WAITERS} waits are already pending`,
    );
  }

  #notOwner(what: string): RuntimeError {
    return new RuntimeError(
      this.#reentrant
        ? `Cannot ${what} a condition whose RLock the caller does not hold`
        : `Cannot ${what} a condition whose Lock is not held`,
    );
  }
}
registerLayout(Condition, () => wordLayout(KCondition.FIELDS, KCondition.BYTES));

function isGenerator(x: unknown): x is Generator<unknown, unknown, unknown> {
  return typeof x === "object" && x !== null && typeof (x as Generator).next === "function" &&
    typeof (x as Generator)[Symbol.iterator] === "function";
}

/** Options of {@linkcode SimBarrier.wait}. */
export interface SimBarrierWaitOptions extends SimWaitOptions {
  /**
   * The barrier's action, run by the last party of each generation before the others are released
   * (the class keeps its own action private, so pass it here). May be a generator function.
   * @default {undefined}
   */
  action?: () => void | Generator<unknown, void, unknown>;
}

/**
 * A {@linkcode Barrier} under the explorer: the barrier kernel with the glue of `waitSync`,
 * `abort`, `reset`, `broken` and `nWaiting`.
 *
 * @example
 * ```ts
 * import { Barrier } from "@interlock/interlock";
 * import { explore, sim } from "@interlock/interlock/explore";
 * import assert from "node:assert/strict";
 *
 * const report = explore({
 *   setup: () => ({ gate: new Barrier(2) }),
 *   threads: [0, 1].map(() =>
 *     function* party({ gate }: { gate: Barrier }) { return yield* sim(gate).wait(); }
 *   ),
 *   invariant: (_, indexes) => [...indexes].sort().join() === "0,1",
 * });
 * assert.ok(report.ok && report.complete);
 * ```
 */
export class SimBarrier {
  readonly #b: Int32Array;
  readonly #parties: number;

  /** Wraps `barrier` (normally through {@linkcode sim}). */
  constructor(barrier: Barrier) {
    this.#b = words(barrier, KBarrier.BYTES);
    this.#parties = barrier.parties;
  }

  /**
   * Waits until all parties arrived; returns this party's index (0 … parties − 1).
   *
   * @throws {BrokenBarrierError} if the barrier is or gets broken or reset.
   * @throws {DOMException} named `TimeoutError` if the timeout fires before this party entered.
   */
  *wait(options?: SimBarrierWaitOptions): Step<number> {
    const WAIT = "wait at the barrier";
    const deadline = deadlineOf(WAIT, options);
    const ticket = yield* abortably(
      GBarrier.arrive(SIM, this.#b, this.#parties, deadline),
      options,
    );
    if (ticket < 0) throw failure(ticket, options);
    const index = ticket % KBarrier.TICKET_GEN;
    if (index === this.#parties - 1) {
      let failed = false;
      let error: unknown;
      const action = options?.action;
      if (action) {
        try {
          const r = action();
          if (isGenerator(r)) yield* r;
        } catch (e) {
          failed = true;
          error = e;
        }
      }
      const result = yield* GBarrier.complete(SIM, this.#b, ticket, !failed);
      if (failed) throw error;
      if (result !== KBarrier.RELEASED) throw new BrokenBarrierError();
      return index;
    }
    const result = yield* abortably(
      GBarrier.awaitRelease(SIM, this.#b, ticket, deadline),
      options,
    );
    if (result !== KBarrier.RELEASED) throw failure(result, options);
    return index;

    function failure(code: number, o: SimWaitOptions | undefined): unknown {
      if (o?.abortable && currentThread().aborted) return failed(WAIT, o);
      if (code === KBarrier.TIMED_OUT_ENTERING) return waitFailure(WAIT, o);
      if (code === KBarrier.TIMED_OUT) {
        return new BrokenBarrierError(
          `Barrier broken: this party timed out after ${o?.timeout} ms`,
          { cause: waitFailure(WAIT, o) },
        );
      }
      return new BrokenBarrierError();
    }
  }

  /** Breaks the barrier. */
  *abort(): Step<void> {
    yield* GBarrier.abort(SIM, this.#b);
  }

  /** Returns the barrier to a fresh generation. */
  *reset(): Step<void> {
    yield* GBarrier.reset(SIM, this.#b);
  }

  /** Whether the barrier is broken. */
  *broken(): Step<boolean> {
    return yield* GBarrier.broken(SIM, this.#b);
  }

  /** How many parties wait in the current generation. */
  *nWaiting(): Step<number> {
    return yield* GBarrier.nWaiting(SIM, this.#b);
  }
}
registerLayout(Barrier, () => wordLayout(KBarrier.FIELDS, KBarrier.BYTES));

function valueKind(code: KValue.Typecode): KValue.TypeInfo {
  return KValue.TYPES[code];
}

/**
 * A {@linkcode Value} under the explorer: `get()` and `set(x)` are the value kernel's single atomic
 * load and store (so `set((yield* v.get()) - 1)` is the seed's racy read-modify-write), and
 * `getLock()` is the wrapper of its lock.
 *
 * @example
 * ```ts
 * import { Value } from "@interlock/interlock";
 * import { search, sim } from "@interlock/interlock/explore";
 * import assert from "node:assert/strict";
 *
 * const report = search({
 *   setup: () => ({ balance: new Value("i", 100) }),
 *   threads: [-1, 1].map((delta) =>
 *     function* teller({ balance }: { balance: Value<"i"> }) {
 *       const b = sim(balance);
 *       yield* b.set((yield* b.get()) + delta);
 *     }
 *   ),
 *   invariant: ({ balance }) => balance.value === 100,
 * }, { seed: 1 });
 * assert.match(report.failure!.message, /read balance\.value → 100/);
 * ```
 */
export class SimValue<T extends ElementType = ElementType> {
  readonly #v: AtomicArray;
  readonly #type: KValue.TypeInfo;
  readonly #lock: Lock | undefined;

  /** Wraps `value` (normally through {@linkcode sim}). */
  constructor(value: Value<T>) {
    this.#type = valueKind(value.typecode);
    this.#v = KValue.slot(value.typecode, value.buffer, value.byteOffset + KValue.VALUE_BYTE, 1);
    this.#lock = value.lock;
  }

  /** Reads the value (one atomic load). */
  *get(): Step<NumberOf<T>> {
    return (yield* GValue.get(SIM, this.#v, 0, this.#type.kind)) as NumberOf<T>;
  }

  /**
   * Writes the value (one atomic store).
   *
   * @throws {TypeError | RangeError} if `x` does not fit the type (as `value.value = x`).
   */
  *set(x: NumberOf<T>): Step<void> {
    const type = this.#type;
    yield* GValue.set(SIM, this.#v, 0, type.kind, checkNumber("set value", type, x));
  }

  /**
   * The wrapper of the value's lock.
   *
   * @throws {RuntimeError} if the value was created with `lock: false`.
   */
  getLock(): SimLock {
    if (this.#lock === undefined) {
      throw new RuntimeError("Cannot get the lock of a Value created with 'lock: false'");
    }
    return sim(this.#lock);
  }
}
registerLayout(Value, () => wordLayout(KValue.FIELDS, KValue.BYTES));

/**
 * A {@linkcode SharedArray} under the explorer: `get(i)` and `set(i, x)` are single atomic
 * operations on element `i`; `getLock()` is the wrapper of its lock.
 *
 * @example
 * ```ts
 * import { SharedArray } from "@interlock/interlock";
 * import { explore, sim } from "@interlock/interlock/explore";
 * import assert from "node:assert/strict";
 *
 * const report = explore({
 *   setup: () => ({ a: new SharedArray("i", 2) }),
 *   threads: [0, 1].map((i) =>
 *     function* writer({ a }: { a: SharedArray<"i"> }) { yield* sim(a).set(i, i + 1); }
 *   ),
 *   invariant: ({ a }) => a.toArray().join() === "1,2",
 * });
 * assert.ok(report.ok);
 * ```
 */
export class SimSharedArray<T extends ElementType = ElementType> {
  readonly #v: AtomicArray;
  readonly #type: KValue.TypeInfo;
  readonly #lock: Lock | undefined;
  /** The number of elements. */
  readonly length: number;

  /** Wraps `array` (normally through {@linkcode sim}). */
  constructor(array: SharedArray<T>) {
    this.#type = valueKind(array.typecode);
    this.length = array.length;
    this.#v = KValue.slot(
      array.typecode,
      array.buffer,
      array.byteOffset + KArray.DATA_BYTE,
      array.length,
    );
    this.#lock = array.lock;
  }

  /**
   * Reads element `index` (one atomic load).
   *
   * @throws {RangeError} if `index` is out of range.
   */
  *get(index: number): Step<NumberOf<T>> {
    const i = this.#index("get", index);
    return (yield* GArray.get(SIM, this.#v, i, this.#type.kind)) as NumberOf<T>;
  }

  /**
   * Writes element `index` (one atomic store).
   *
   * @throws {RangeError | TypeError} if `index` is out of range or `x` does not fit the type.
   */
  *set(index: number, x: NumberOf<T>): Step<void> {
    const i = this.#index("set", index);
    const type = this.#type;
    yield* GArray.set(SIM, this.#v, i, type.kind, checkNumber("set element", type, x));
  }

  /**
   * The wrapper of the array's lock.
   *
   * @throws {RuntimeError} if the array was created with `lock: false`.
   */
  getLock(): SimLock {
    if (this.#lock === undefined) {
      throw new RuntimeError("Cannot get the lock of a SharedArray created with 'lock: false'");
    }
    return sim(this.#lock);
  }

  #index(what: string, index: number): number {
    const n = this.length;
    if (Number.isInteger(index) && index < n && index >= -n) return index < 0 ? index + n : index;
    throw new RangeError(
      `Cannot ${what} element: 'index' must be an integer from ${-n} to ${
        n - 1
      }, received ${index}`,
    );
  }
}
registerLayout(SharedArray, (a) => {
  const size = valueKind(a.typecode).atomic.BYTES_PER_ELEMENT;
  return {
    bytes: KArray.bytes(a.length, size),
    name: (b) =>
      b < KArray.DATA_BYTE
        ? KArray.FIELDS[b >> 2] ?? `word${b >> 2}`
        : `[${Math.floor((b - KArray.DATA_BYTE) / size)}]`,
  };
});

const cache = new WeakMap<object, unknown>();

const INTEGER_ARRAYS = [
  Int32Array,
  Uint32Array,
  Int16Array,
  Uint16Array,
  Int8Array,
  Uint8Array,
  BigInt64Array,
  BigUint64Array,
];

type Factory = (x: never) => unknown;
const factories = new Map<abstract new (...args: never[]) => object, Factory>([
  [Lock, (x: Lock) => new SimLock(x)],
  [RLock, (x: RLock) => new SimRLock(x)],
  [Semaphore, (x: Semaphore) => new SimSemaphore(x)],
  [BoundedSemaphore, (x: Semaphore) => new SimSemaphore(x)],
  [Event, (x: Event) => new SimEvent(x)],
  [Condition, (x: Condition) => new SimCondition(x)],
  [Barrier, (x: Barrier) => new SimBarrier(x)],
  [Value, (x: Value) => new SimValue(x)],
  [SharedArray, (x: SharedArray) => new SimSharedArray(x)],
]);

/**
 * Wrapper of a `Lock`: `acquire`, `tryAcquire`, `release`, `locked`, each a step of `Lock`'s own kernel.
 *
 * @example
 * ```ts
 * import { Lock } from "@interlock/interlock";
 * import { explore, sim } from "@interlock/interlock/explore";
 * import assert from "node:assert/strict";
 *
 * const report = explore({
 *   setup: () => ({ lock: new Lock() }),
 *   threads: [0, 1].map(() => function* ({ lock }: { lock: Lock }) {
 *     yield* sim(lock).acquire();
 *     yield* sim(lock).release();
 *   }),
 *   invariant: ({ lock }: { lock: Lock }) => !lock.locked(),
 * });
 * assert.ok(report.ok && report.complete);
 * ```
 */
export function sim(lock: Lock): SimLock;
/**
 * Wrapper of an `RLock`; virtual thread `Tk` is agent {@linkcode agentOf}`(k)`.
 *
 * @example
 * ```ts
 * import { RLock } from "@interlock/interlock";
 * import { explore, sim } from "@interlock/interlock/explore";
 * import assert from "node:assert/strict";
 *
 * const report = explore({
 *   setup: () => ({ rlock: new RLock() }),
 *   threads: [0, 1].map(() => function* ({ rlock }: { rlock: RLock }) {
 *     yield* sim(rlock).acquire();
 *     yield* sim(rlock).acquire(); // reentry
 *     assert.equal(yield* sim(rlock).recursionCount(), 2);
 *     yield* sim(rlock).release();
 *     yield* sim(rlock).release();
 *   }),
 * });
 * assert.ok(report.ok);
 * ```
 */
export function sim(rlock: RLock): SimRLock;
/**
 * Wrapper of a `Semaphore` or `BoundedSemaphore`.
 *
 * @example
 * ```ts
 * import { Semaphore } from "@interlock/interlock";
 * import { explore, sim } from "@interlock/interlock/explore";
 * import assert from "node:assert/strict";
 *
 * const report = explore({
 *   setup: () => ({ s: new Semaphore(1), inside: new Int32Array(new SharedArrayBuffer(4)) }),
 *   threads: [0, 1].map(() => function* ({ s, inside }: { s: Semaphore; inside: Int32Array }) {
 *     yield* sim(s).acquire();
 *     assert.equal(yield* sim(inside).add(0, 1), 0); // alone inside
 *     yield* sim(inside).sub(0, 1);
 *     yield* sim(s).release();
 *   }),
 * });
 * assert.ok(report.ok);
 * ```
 */
export function sim(semaphore: Semaphore): SimSemaphore;
/**
 * Wrapper of an `Event`.
 *
 * @example
 * ```ts
 * import { Event } from "@interlock/interlock";
 * import { explore, sim } from "@interlock/interlock/explore";
 * import assert from "node:assert/strict";
 *
 * const report = explore({
 *   setup: () => ({ e: new Event() }),
 *   threads: [
 *     function* waiter({ e }: { e: Event }) {
 *       yield* sim(e).wait();
 *     },
 *     function* setter({ e }: { e: Event }) {
 *       yield* sim(e).set();
 *     },
 *   ],
 * });
 * assert.ok(report.ok && report.complete); // no schedule leaves the waiter asleep
 * ```
 */
export function sim(event: Event): SimEvent;
/**
 * Wrapper of a `Condition` (with its lock).
 *
 * @example
 * ```ts
 * import { Condition, Lock } from "@interlock/interlock";
 * import { explore, sim } from "@interlock/interlock/explore";
 * import assert from "node:assert/strict";
 *
 * type S = { c: Condition; box: Int32Array };
 * const report = explore<S>({
 *   setup: () => ({ c: new Condition(new Lock()), box: new Int32Array(new SharedArrayBuffer(4)) }),
 *   threads: [
 *     function* consumer({ c, box }: S) {
 *       yield* sim(c).acquire();
 *       while ((yield* sim(box).load(0)) === 0) yield* sim(c).wait();
 *       yield* sim(c).release();
 *     },
 *     function* producer({ c, box }: S) {
 *       yield* sim(c).acquire();
 *       yield* sim(box).store(0, 1);
 *       yield* sim(c).notify();
 *       yield* sim(c).release();
 *     },
 *   ],
 * });
 * assert.ok(report.ok && report.complete); // no lost wake-up
 * ```
 */
export function sim(condition: Condition): SimCondition;
/**
 * Wrapper of a `Barrier`.
 *
 * @example
 * ```ts
 * import { Barrier } from "@interlock/interlock";
 * import { explore, sim } from "@interlock/interlock/explore";
 * import assert from "node:assert/strict";
 *
 * const report = explore({
 *   setup: () => ({ b: new Barrier(2) }),
 *   threads: [0, 1].map(() => function* ({ b }: { b: Barrier }) {
 *     return yield* sim(b).wait();
 *   }),
 *   invariant: (_: unknown, results: readonly unknown[]) =>
 *     [...results].sort().join() === "0,1", // arrival indexes are unique
 * });
 * assert.ok(report.ok);
 * ```
 */
export function sim(barrier: Barrier): SimBarrier;
/**
 * Wrapper of a `Value`: `get` and `set` are one atomic step each.
 *
 * @example
 * ```ts
 * import { Value } from "@interlock/interlock";
 * import { search, sim } from "@interlock/interlock/explore";
 * import assert from "node:assert/strict";
 *
 * const report = search({
 *   setup: () => ({ v: new Value("i", 0, { lock: false }) }),
 *   threads: [0, 1].map(() => function* ({ v }: { v: Value<"i"> }) {
 *     yield* sim(v).set((yield* sim(v).get()) + 1); // not atomic as a whole
 *   }),
 *   invariant: ({ v }: { v: Value<"i"> }) => v.value === 2,
 * });
 * assert.equal(report.failure?.kind, "invariant"); // the lost update
 * ```
 */
export function sim<T extends ElementType>(value: Value<T>): SimValue<T>;
/**
 * Wrapper of a `SharedArray`: `get(i)` and `set(i, v)` are one atomic step each.
 *
 * @example
 * ```ts
 * import { SharedArray } from "@interlock/interlock";
 * import { explore, sim } from "@interlock/interlock/explore";
 * import assert from "node:assert/strict";
 *
 * const report = explore({
 *   setup: () => ({ a: new SharedArray("i", 2, { lock: false }) }),
 *   threads: [0, 1].map((k) => function* ({ a }: { a: SharedArray<"i"> }) {
 *     yield* sim(a).set(k, k + 1); // each thread owns one element
 *   }),
 *   invariant: ({ a }: { a: SharedArray<"i"> }) => a.toArray().join() === "1,2",
 * });
 * assert.ok(report.ok && report.complete);
 * ```
 */
export function sim<T extends ElementType>(array: SharedArray<T>): SimSharedArray<T>;
/**
 * Wrapper of raw shared memory (an integer typed array): every `Atomics` operation as a step.
 *
 * @example
 * ```ts
 * import { explore, sim } from "@interlock/interlock/explore";
 * import assert from "node:assert/strict";
 *
 * const report = explore({
 *   setup: () => ({ n: new Int32Array(new SharedArrayBuffer(4)) }),
 *   threads: [0, 1].map(() => function* ({ n }: { n: Int32Array }) {
 *     yield* sim(n).add(0, 1); // atomic: no update is lost
 *   }),
 *   invariant: ({ n }: { n: Int32Array }) => n[0] === 2,
 * });
 * assert.ok(report.ok && report.complete);
 * ```
 */
export function sim<T extends AtomicArray>(array: T): SimArray<T>;
/**
 * The explorer's view of `x`: an object whose methods are generators to run with `yield*` inside a
 * thread body. Every shared access they make is a step the explorer schedules, and they run the
 * primitive's own kernel with the glue of its blocking (`*Sync`) methods, throwing the same errors.
 *
 * - `Lock` → {@linkcode SimLock}, `RLock` → {@linkcode SimRLock}, `Semaphore` /
 *   `BoundedSemaphore` → {@linkcode SimSemaphore}, `Event` → {@linkcode SimEvent}, `Condition` →
 *   {@linkcode SimCondition}, `Barrier` → {@linkcode SimBarrier}, `Value` → {@linkcode SimValue},
 *   `SharedArray` → {@linkcode SimSharedArray}, an integer typed array → {@linkcode SimArray}.
 * - A finite `timeout` option makes "the timeout fires" a scheduling choice; its length is ignored.
 * - Wrappers are cached per object, so calling `sim(x)` in a loop costs one lookup.
 *
 * @param x An Interlock object or an integer typed array.
 * @returns Its wrapper.
 * @throws {TypeError} if `x` is neither.
 *
 * @example
 * ```ts
 * import { Lock } from "@interlock/interlock";
 * import { sim } from "@interlock/interlock/explore";
 * import assert from "node:assert/strict";
 *
 * const lock = new Lock();
 * assert.equal(sim(lock), sim(lock));
 * assert.throws(() => sim({} as Lock), TypeError);
 * ```
 */
export function sim(x: object): unknown {
  const hit = cache.get(x);
  if (hit !== undefined) return hit;
  let made: unknown;
  if (INTEGER_ARRAYS.some((C) => x instanceof C)) {
    made = new SimArray(x as AtomicArray);
  } else {
    const factory = typeof x === "object" && x !== null
      ? factories.get((x as object).constructor as never)
      : undefined;
    if (factory === undefined) {
      throw new TypeError(
        `Cannot simulate: expected an Interlock object or an integer typed array, received ${
          x === null ? "null" : typeof x === "object" ? (x.constructor?.name ?? "object") : typeof x
        }`,
      );
    }
    made = factory(x as never);
  }
  cache.set(x, made);
  return made;
}
