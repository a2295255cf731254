/**
 * `Condition`: a condition variable over shared memory, as Python's `threading.Condition` /
 * `multiprocessing.Condition`. The algorithm and its shared layout live in
 * `src/kernel/condition.ts`.
 *
 * @module
 */
import { agentId } from "../_agent.ts";
import { ASYNC, REAL } from "../_atomics.ts";
import { runAsync } from "../_async.ts";
import { allocate, attach, registerClass, TAG } from "../_region.ts";
import { OwnerDiedError, RuntimeError } from "../errors.ts";
import * as K from "../kernel/condition.ts";
import * as G from "../kernel_gen/condition.ts";
import * as KL from "../kernel/lock.ts";
import * as KR from "../kernel/rlock.ts";
import {
  type AcquireOptions,
  type AcquireSyncOptions,
  deadlineOf,
  type SyncWaitOptions,
  waitFailure,
  type WaitOptions,
} from "../options.ts";
import { Lock } from "./lock.ts";
import { presenceId, presenceIn } from "./_presence.ts";
import { nap, napSync, owe, owing, pay } from "./_owed_wakes.ts";
import { acquireRobust, acquireRobustSync, FIRST_PATIENCE, type Robust } from "./_robust.ts";
import { RLock } from "./rlock.ts";

let reviving: Int32Array | undefined;

/** This thread's presence id, what the lock's word holds while it holds it. */
const WHO = presenceId();

/** What a condition's waits say they were doing, in errors (shared with the explorer). */
export const WAIT = "wait on the condition";

function wordsOf(lock: Lock | RLock): Int32Array {
  const bytes = lock instanceof RLock ? KR.BYTES : KL.BYTES;
  return new Int32Array(lock.buffer, lock.byteOffset, bytes / 4);
}

/** Throws the `TypeError` of a `waitFor` whose predicate is not a function (shared with the explorer). */
export function checkPredicate(what: string, predicate: unknown): void {
  if (typeof predicate !== "function") {
    throw new TypeError(
      `Cannot ${what}: 'predicate' must be a function, received ${typeof predicate}`,
    );
  }
}

function isTimeout(error: unknown): boolean {
  return error instanceof DOMException && error.name === "TimeoutError";
}

/**
 * Throws the error a wait's `begin` status documents, unless it is OK (shared with the explorer's
 * `src/explore/sim/condition.ts`).
 */
export function checkBegin(status: number, reentrant: boolean): void {
  if (status === K.OK) return;
  if (status === K.NOT_OWNER) throw notOwnerError("wait on", reentrant);
  throw new RangeError(`Cannot ${WAIT}: ${K.MAX_WAITERS} waits are already pending`);
}

/**
 * The error of a wait that took its lock back from a holder that died holding it (shared with the
 * explorer's `src/explore/sim/condition.ts`).
 */
export function retookError(): OwnerDiedError {
  return new OwnerDiedError(
    `Cannot ${WAIT} cleanly: a holder of its lock died holding it; the caller holds the lock ` +
      "again, and the data it protects may be inconsistent",
  );
}

/** The error of a wait or notify by a caller that does not hold the lock (shared with the explorer). */
export function notOwnerError(what: string, reentrant: boolean): RuntimeError {
  return new RuntimeError(
    reentrant
      ? `Cannot ${what} a condition whose RLock the caller does not hold`
      : `Cannot ${what} a condition whose Lock is not held`,
  );
}

/**
 * A condition variable: threads holding its lock wait until another thread, holding the lock too,
 * notifies them. Works across the main thread and any number of workers.
 *
 * - Bound to a {@linkcode Lock} or an {@linkcode RLock} (default: a new `RLock`, as Python). Every
 *   method but the lock helpers requires the caller to hold that lock, else it throws
 *   {@linkcode RuntimeError}. With an `RLock` this is exact (the owner is recorded); a plain `Lock`
 *   has no owner, so only "nobody holds it" can be detected.
 * - `wait` releases the lock completely (an `RLock` held several times too), sleeps until notified,
 *   then takes the lock again and restores its recursion count. It also takes the lock again
 *   before throwing on a timeout or abort, so `using` blocks and `finally` clauses stay correct.
 * - No lost wake-up: `notify(n)` wakes up to `n` of the threads waiting when it runs, and exactly
 *   that many waits return as notified; a waiter that times out or is aborted never eats a
 *   notification meant for another. Which waiters are woken is not specified (not FIFO). No
 *   spurious wake-ups: `wait` returns only when notified.
 * - Ownership of an `RLock` is per agent (thread): async functions on one thread count as one
 *   owner. To use a condition between async tasks of one thread, bind it to a `Lock`.
 * - With an `RLock`, `notify` hands its waiters their notifications at once but wakes them when
 *   the notifier lets the lock go (its last `release()`, or its own next `wait`), so a woken
 *   waiter does not find the lock still held (*wait morphing*). Waiters sleep in naps (10 ms,
 *   doubling to 1 s), so one whose notifier dies before letting go still wakes, and throws
 *   {@linkcode OwnerDiedError} as below.
 * - If a holder of the lock dies holding it while a waiter waits to take it back, the waiter
 *   takes it over (the lock is robust, see {@linkcode Lock}) and its wait throws
 *   {@linkcode OwnerDiedError} with the lock held, as always after a wait.
 * - At most 65,535 threads and async waits can wait on one condition at a time.
 * - Send it to a worker with `postMessage(cond)`: the clone carries its lock, and
 *   `Condition.from(data)` revives both.
 *
 * @example A one-slot mailbox between two async tasks (a `Lock`: one thread, two tasks)
 * ```ts
 * import { Condition, Lock } from "@interlock/interlock";
 * import assert from "node:assert/strict";
 *
 * const cond = new Condition(new Lock());
 * let mail: string | undefined;
 * const reader = (async () => {
 *   using _ = await cond.acquire();
 *   return await cond.waitFor(() => mail);
 * })();
 * {
 *   using _ = await cond.acquire();
 *   mail = "hello";
 *   cond.notify();
 * }
 * assert.equal(await reader, "hello");
 * ```
 */
export class Condition {
  /** The shared memory this condition lives in; shared, not copied, by `postMessage`. */
  readonly buffer: SharedArrayBuffer;
  /** Where the condition's region starts in {@linkcode Condition.buffer}. */
  readonly byteOffset: number;
  /** The lock this condition is bound to (cloned along with the condition). */
  readonly lock: Lock | RLock;
  readonly #c: Int32Array;
  readonly #lk: Int32Array;
  readonly #reentrant: boolean;
  /** The lock's presence registry (its retakes probe holders there). */
  readonly #registry: Int32Array;

  /**
   * Creates a condition bound to `lock`, in fresh shared memory.
   *
   * @param lock The lock to bind to; a new `RLock` if omitted.
   * @throws {TypeError} if `lock` is neither a `Lock` nor an `RLock`.
   *
   * @example
   * ```ts
   * import { Condition, Lock, RLock } from "@interlock/interlock";
   * import assert from "node:assert/strict";
   *
   * assert.ok(new Condition().lock instanceof RLock);
   * const lock = new Lock();
   * assert.equal(new Condition(lock).lock, lock);
   * ```
   */
  constructor(lock?: Lock | RLock) {
    const c = reviving;
    reviving = undefined;
    if (lock === undefined) lock = new RLock();
    if (!(lock instanceof Lock) && !(lock instanceof RLock)) {
      throw new TypeError(
        `Cannot create condition: 'lock' must be a Lock or an RLock, received ${describe(lock)}`,
      );
    }
    this.#c = c ?? allocate(TAG.Condition, K.BYTES);
    this.buffer = this.#c.buffer as SharedArrayBuffer;
    this.byteOffset = this.#c.byteOffset;
    this.lock = lock;
    this.#lk = wordsOf(lock);
    this.#reentrant = lock instanceof RLock;
    // The lock joined this thread to its registry already: this finds it.
    const presence = presenceIn(lock.registry)!;
    this.#registry = presence.words;
  }

  /**
   * Returns a working `Condition` over the memory of `value`, a `Condition` or its structured clone
   * (what a worker receives from `postMessage(cond)`), bound to (the revived clone of) its lock.
   *
   * @param value A `Condition` or its structured clone.
   * @returns A `Condition` over the same shared memory, with the same lock.
   * @throws {TypeError} if `value` is not a `Condition` or a clone of one.
   *
   * @example
   * ```ts
   * import { Condition, RLock } from "@interlock/interlock";
   * import assert from "node:assert/strict";
   *
   * const cond = new Condition();
   * const twin = Condition.from(structuredClone(cond));
   * assert.ok(twin.lock instanceof RLock);
   * using _ = twin.acquireSync();
   * assert.ok(cond.lock.locked()); // the same lock
   * assert.throws(() => Condition.from({}), TypeError);
   * ```
   */
  static from(value: unknown): Condition {
    if (value instanceof Condition) return value;
    const c = attach("Condition", TAG.Condition, value, K.BYTES);
    const clone = (value as { lock?: unknown }).lock;
    let lock: Lock | RLock;
    try {
      lock = RLock.from(clone);
    } catch {
      try {
        lock = Lock.from(clone);
      } catch {
        throw new TypeError(
          "Cannot revive Condition: its 'lock' is not a Lock or an RLock or a clone of one",
        );
      }
    }
    reviving = c;
    return new Condition(lock);
  }

  /**
   * Acquires the condition's lock without blocking the thread (as `cond.lock.acquire()`).
   *
   * @param options `timeout` in ms, an abort `signal` and `onOwnerDied` (see {@linkcode Lock}).
   * @returns A guard that releases the lock (one level) when disposed.
   * @throws {DOMException} named `TimeoutError` when `timeout` passes first.
   * @throws {OwnerDiedError} as the lock's `acquire`.
   *
   * @example
   * ```ts
   * import { Condition } from "@interlock/interlock";
   * import assert from "node:assert/strict";
   *
   * const cond = new Condition();
   * {
   *   using _ = await cond.acquire();
   *   assert.ok(cond.lock.locked());
   * }
   * assert.equal(cond.lock.locked(), false);
   * ```
   */
  acquire(options?: AcquireOptions): Promise<Disposable> {
    return this.lock.acquire(options);
  }

  /**
   * Acquires the condition's lock, blocking the thread (as `cond.lock.acquireSync()`).
   *
   * @param options `timeout` in ms and `onOwnerDied` (see {@linkcode Lock}).
   * @returns A guard that releases the lock (one level) when disposed.
   * @throws {DOMException} named `TimeoutError` when `timeout` passes first.
   * @throws {OwnerDiedError} as the lock's `acquireSync`.
   *
   * @example
   * ```ts
   * import { Condition } from "@interlock/interlock";
   * import assert from "node:assert/strict";
   *
   * const cond = new Condition();
   * using _ = cond.acquireSync();
   * assert.ok(cond.lock.locked());
   * ```
   */
  acquireSync(options?: AcquireSyncOptions): Disposable {
    return this.lock.acquireSync(options);
  }

  /**
   * Releases the condition's lock (as `cond.lock.release()`).
   *
   * @throws {RuntimeError} if the lock is not held (by the caller, for an `RLock`).
   *
   * @example
   * ```ts
   * import { Condition } from "@interlock/interlock";
   * import assert from "node:assert/strict";
   *
   * const cond = new Condition();
   * cond.acquireSync();
   * cond.release();
   * assert.equal(cond.lock.locked(), false);
   * ```
   */
  release(): void {
    this.lock.release();
  }

  /**
   * Releases the lock, waits without blocking the thread until notified, and takes the lock again.
   *
   * @param options `timeout` in ms and/or an abort `signal`.
   * @throws {RuntimeError} if the caller does not hold the lock.
   * @throws {DOMException} named `TimeoutError` when `timeout` passes first (the lock is held
   *   again; the abort reason likewise).
   * @throws {RangeError} if 65,535 waits are already pending on this condition.
   *
   * @example
   * ```ts
   * import { Condition } from "@interlock/interlock";
   * import assert from "node:assert/strict";
   *
   * const cond = new Condition();
   * using _ = await cond.acquire();
   * await assert.rejects(cond.wait({ timeout: 10 }), { name: "TimeoutError" });
   * assert.ok(cond.lock.locked()); // held again after the timeout
   * ```
   */
  async wait(options?: WaitOptions): Promise<void> {
    const deadline = deadlineOf(WAIT, options);
    if (!await this.#wait(deadline, options?.signal)) throw waitFailure(WAIT, options);
  }

  /**
   * Releases the lock, blocks the thread until notified, and takes the lock again.
   *
   * @param options `timeout` in ms.
   * @throws {RuntimeError} if the caller does not hold the lock.
   * @throws {DOMException} named `TimeoutError` when `timeout` passes first (the lock is held
   *   again).
   * @throws {RangeError} if 65,535 waits are already pending on this condition.
   *
   * @example
   * ```ts
   * import { Condition, RuntimeError } from "@interlock/interlock";
   * import assert from "node:assert/strict";
   *
   * const cond = new Condition();
   * assert.throws(() => cond.waitSync(), RuntimeError); // lock not held
   * using _ = cond.acquireSync();
   * assert.throws(() => cond.waitSync({ timeout: 0 }), { name: "TimeoutError" });
   * assert.ok(cond.lock.locked());
   * ```
   */
  waitSync(options?: SyncWaitOptions): void {
    const deadline = deadlineOf(WAIT, options);
    if (!this.#waitSync(deadline)) throw waitFailure(WAIT, options);
  }

  /**
   * Waits (as {@linkcode Condition.wait}) until `predicate()` returns a truthy value, and returns
   * that value. The predicate runs with the lock held: first before any wait, then after every
   * wake-up.
   *
   * - As Python's `wait_for`, except on timeout: Python returns the predicate's last (falsy) value,
   *   here the call throws `TimeoutError`, as every wait in Interlock does. The predicate is
   *   evaluated once more after the timeout, and a truthy value is still returned.
   * - `timeout` bounds the whole call, not each wait.
   *
   * @param predicate Returns a truthy value once the awaited state is reached.
   * @param options `timeout` in ms and/or an abort `signal`.
   * @returns The predicate's truthy value.
   * @throws {RuntimeError} if the caller does not hold the lock.
   * @throws {DOMException} named `TimeoutError` when `timeout` passes with the predicate still falsy
   *   (the lock is held again; the abort reason likewise).
   * @throws {TypeError} if `predicate` is not a function.
   *
   * @example
   * ```ts
   * import { Condition, Lock } from "@interlock/interlock";
   * import assert from "node:assert/strict";
   *
   * const cond = new Condition(new Lock());
   * const queue: number[] = [];
   * const consumer = (async () => {
   *   using _ = await cond.acquire();
   *   await cond.waitFor(() => queue.length > 0);
   *   return queue.shift();
   * })();
   * {
   *   using _ = await cond.acquire();
   *   queue.push(42);
   *   cond.notifyAll();
   * }
   * assert.equal(await consumer, 42);
   * ```
   */
  async waitFor<T>(predicate: () => T, options?: WaitOptions): Promise<T> {
    checkPredicate(WAIT, predicate);
    const deadline = deadlineOf(WAIT, options);
    this.#checkOwner(WAIT);
    let result = predicate();
    while (!result) {
      if (!await this.#wait(deadline, options?.signal)) {
        const error = waitFailure(WAIT, options);
        if (!isTimeout(error)) throw error;
        result = predicate();
        if (result) break;
        throw error;
      }
      result = predicate();
    }
    return result;
  }

  /**
   * Blocks (as {@linkcode Condition.waitSync}) until `predicate()` returns a truthy value, and
   * returns that value. Same rules as {@linkcode Condition.waitFor}.
   *
   * @param predicate Returns a truthy value once the awaited state is reached.
   * @param options `timeout` in ms, bounding the whole call.
   * @returns The predicate's truthy value.
   * @throws {RuntimeError} if the caller does not hold the lock.
   * @throws {DOMException} named `TimeoutError` when `timeout` passes with the predicate still falsy
   *   (the lock is held again).
   * @throws {TypeError} if `predicate` is not a function.
   *
   * @example
   * ```ts
   * import { Condition } from "@interlock/interlock";
   * import assert from "node:assert/strict";
   *
   * const cond = new Condition();
   * using _ = cond.acquireSync();
   * assert.equal(cond.waitForSync(() => "ready"), "ready"); // true at once: no wait
   * assert.throws(() => cond.waitForSync(() => 0, { timeout: 1 }), { name: "TimeoutError" });
   * ```
   */
  waitForSync<T>(predicate: () => T, options?: SyncWaitOptions): T {
    checkPredicate(WAIT, predicate);
    const deadline = deadlineOf(WAIT, options);
    this.#checkOwner(WAIT);
    let result = predicate();
    while (!result) {
      const notified = this.#waitSync(deadline);
      result = predicate();
      if (!notified && !result) throw waitFailure(WAIT, options);
    }
    return result;
  }

  /**
   * Wakes up to `n` of the threads waiting on this condition. They return from their waits once
   * they can take the lock again, i.e. after the caller releases it.
   *
   * @param n How many waiters to wake at most (default `1`; `0` wakes none).
   * @throws {RuntimeError} if the caller does not hold the lock.
   * @throws {TypeError} if `n` is not a number.
   * @throws {RangeError} if `n` is not a non-negative integer.
   *
   * @example
   * ```ts
   * import { Condition, RuntimeError } from "@interlock/interlock";
   * import assert from "node:assert/strict";
   *
   * const cond = new Condition();
   * assert.throws(() => cond.notify(), RuntimeError);
   * using _ = cond.acquireSync();
   * cond.notify(2); // nobody waits: nothing happens
   * ```
   */
  notify(n?: number): void {
    if (n === undefined) n = 1;
    checkNotifyCount(n);
    this.#notify(n);
  }

  /**
   * Wakes every thread waiting on this condition.
   *
   * @throws {RuntimeError} if the caller does not hold the lock.
   *
   * @example
   * ```ts
   * import { Condition, Lock } from "@interlock/interlock";
   * import assert from "node:assert/strict";
   *
   * const cond = new Condition(new Lock());
   * let ready = false;
   * const waiters = [1, 2, 3].map(async () => {
   *   using _ = await cond.acquire();
   *   return await cond.waitFor(() => ready);
   * });
   * {
   *   using _ = await cond.acquire();
   *   ready = true;
   *   cond.notifyAll();
   * }
   * assert.deepEqual(await Promise.all(waiters), [true, true, true]);
   * ```
   */
  notifyAll(): void {
    this.#notify(Infinity);
  }

  #notify(n: number): void {
    // Over an RLock the wake-ups wait for the caller to let the lock go (src/sync/_owed_wakes.ts).
    const later = this.#reentrant;
    const k = K.notify(REAL, this.#c, this.#lk, later, agentId(), n, later);
    if (k < 0) throw notOwnerError("notify", later);
    if (later && k > 0) owe(this.#c, k);
  }

  #checkOwner(what: string): void {
    if (!K.owns(REAL, this.#lk, this.#reentrant, agentId())) {
      throw notOwnerError(what, this.#reentrant);
    }
  }

  /** The blocking wait: true if notified, false if timed out; the lock is held again. */
  #waitSync(deadline: number): boolean {
    const me = agentId();
    const ticket = K.begin(REAL, this.#c, this.#lk, this.#reentrant, me, WHO);
    checkBegin(ticket.status, this.#reentrant);
    if (owing()) pay(); // the lock is let go: pay what a notify owes
    const notified = this.#reentrant
      ? napSync(this.#c, ticket.seq, deadline)
      : K.sleep(REAL, this.#c, ticket.seq, deadline, false);
    // Take the lock back. First as the robust slow path's first stretch would, but allocating
    // nothing: in a hand-off every wait comes here, and the slow path's closures were most of the
    // garbage (~0.6 KB a round trip, with the owed wake-ups' arrays) whose scavenges pause a
    // thread for longer than its partner spins (bench/RESULTS.md, "Condition hand-off, why the
    // two benches disagreed").
    const until = performance.now() + FIRST_PATIENCE;
    const status = K.end(REAL, this.#lk, this.#reentrant, me, WHO, ticket.saved, until);
    if (status === KL.ACQUIRED) return notified;
    const retaking = this.#retaking(ticket.saved);
    if (status === KL.TIMED_OUT) retaking.probe(); // as the slow path does after a stretch
    let died = false;
    acquireRobustSync(retaking, Infinity, () => void (died = true), WAIT);
    if (died) throw retookError();
    return notified;
  }

  /** The async wait: true if notified, false if timed out or aborted; the lock is held again. */
  async #wait(deadline: number, signal: AbortSignal | undefined): Promise<boolean> {
    const me = agentId();
    const ticket = K.begin(REAL, this.#c, this.#lk, this.#reentrant, me, WHO);
    checkBegin(ticket.status, this.#reentrant);
    if (owing()) pay(); // the lock is let go: pay what a notify owes
    let notified = false;
    let died = false;
    try {
      notified = this.#reentrant
        ? await nap(this.#c, ticket.seq, deadline, signal)
        : await runAsync(G.sleep(ASYNC, this.#c, ticket.seq, deadline, false), signal);
    } finally {
      // Without the signal: the lock must be held again even after an abort.
      const retaking = this.#retaking(ticket.saved);
      await acquireRobust(retaking, Infinity, () => void (died = true), WAIT, undefined);
    }
    if (died) throw retookError();
    return notified;
  }

  /**
   * The robust slow path's view of taking the lock back after a wait, restoring the recursion
   * count `saved`. An abandoned lock is always taken over: a wait returns holding the lock.
   */
  #retaking(saved: number): Robust {
    const lk = this.#lk;
    const reentrant = this.#reentrant;
    const me = agentId();
    const who = WHO;
    const registry = this.#registry;
    return {
      acquire: (deadline) => K.end(REAL, lk, reentrant, me, who, saved, deadline),
      acquireGen: (deadline) => G.end(ASYNC, lk, reentrant, me, who, saved, deadline),
      probe: () => KL.probeHolder(REAL, lk, registry),
      takeOver: () => K.takeOver(REAL, lk, reentrant, me, who, saved),
      giveUp: () => {}, // its onOwnerDied never throws
    };
  }
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (typeof value === "object") return (value as object).constructor?.name ?? "object";
  return typeof value;
}

registerClass(TAG.Condition, Condition, Condition.from);

/**
 * Throws the errors `notify(n)` documents for a bad `n` (shared with the explorer's simulated
 * Condition, `src/explore/sim/condition.ts`).
 */
export function checkNotifyCount(n: unknown): void {
  if (typeof n !== "number") {
    throw new TypeError(`Cannot notify the condition: 'n' must be a number, received ${typeof n}`);
  }
  if (!Number.isInteger(n) || n < 0) {
    throw new RangeError(
      `Cannot notify the condition: 'n' must be a non-negative integer, received ${n}`,
    );
  }
}
