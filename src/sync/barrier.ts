/**
 * `Barrier`: a rendezvous point for a fixed number of threads, as Python's `threading.Barrier` /
 * `multiprocessing.Barrier`. The algorithm and its shared layout live in `src/kernel/barrier.ts`.
 *
 * @module
 */
import { ASYNC, REAL } from "../_atomics.ts";
import { runAsync } from "../_async.ts";
import { allocate, attach, registerClass, TAG } from "../_region.ts";
import { BrokenBarrierError } from "../errors.ts";
import * as K from "../kernel/barrier.ts";
import * as G from "../kernel_gen/barrier.ts";
import { deadlineOf, type SyncWaitOptions, waitFailure, type WaitOptions } from "../options.ts";

let reviving: Int32Array | undefined;

/** What a barrier's waits say they were doing, in errors (shared with the explorer). */
export const WAIT = "wait at the barrier";

/**
 * Options of a {@linkcode Barrier}: its default timeout (shared with its clones) and this object's
 * action (which stays with this object).
 *
 * @example
 * ```ts
 * import { Barrier } from "@interlock/interlock";
 * import assert from "node:assert/strict";
 *
 * let rounds = 0;
 * const barrier = new Barrier(1, { action: () => rounds++, timeout: 1000 });
 * barrier.waitSync();
 * barrier.waitSync();
 * assert.equal(rounds, 2);
 * ```
 */
export interface BarrierOptions {
  /**
   * Runs once per generation, in the party whose arrival completes it, before the others are
   * released. If it throws, the barrier breaks and that party's `wait` rethrows the error. Functions
   * cannot cross threads: a worker that wants an action passes it to `Barrier.from(clone, { action })`.
   * @default {undefined}
   */
  action?: () => void;
  /**
   * The default `timeout` (ms) of the barrier's waits. Given to the constructor, it is stored in
   * the shared memory, so every clone of the barrier (in any worker) has it too, as a Python
   * barrier keeps its timeout across processes. Given to `Barrier.from`, it overrides the shared
   * default for that object only.
   * @default {Infinity}
   */
  timeout?: number;
}

function checkParties(parties: unknown): number {
  if (typeof parties !== "number") {
    throw new TypeError(
      `Cannot create barrier: 'parties' must be a number, received ${typeof parties}`,
    );
  }
  if (!Number.isInteger(parties) || parties < 1 || parties > K.MAX_PARTIES) {
    throw new RangeError(
      `Cannot create barrier: 'parties' must be an integer from 1 to ${K.MAX_PARTIES}, received ${parties}`,
    );
  }
  return parties;
}

function checkOptions(options: BarrierOptions | undefined): BarrierOptions {
  if (options === undefined) return {};
  if (typeof options !== "object" || options === null) {
    throw new TypeError(
      `Cannot create barrier: options must be an object, received ${
        options === null ? "null" : typeof options
      }`,
    );
  }
  const { action, timeout } = options;
  if (action !== undefined && typeof action !== "function") {
    throw new TypeError(
      `Cannot create barrier: 'action' must be a function, received ${typeof action}`,
    );
  }
  if (timeout !== undefined) deadlineOf("create barrier", { timeout });
  return options;
}

/**
 * A barrier for `parties` threads: each calls `wait()`, and all are released together when the
 * last one arrives. Reusable: the next `parties` arrivals form the next generation.
 *
 * - `wait` returns the caller's arrival index, 0..parties-1, unique within a generation; the last
 *   arrival (index parties-1) runs this object's `action`, if any, before the others are released.
 * - Broken state (Python semantics): `abort()`, an `action` that throws, or a waiting party that
 *   times out or is aborted breaks the barrier: every party inside and every later `wait` throws
 *   {@linkcode BrokenBarrierError} until `reset()`.
 * - The party whose own timeout broke the barrier throws `BrokenBarrierError` too (as Python), with
 *   a `DOMException` named `TimeoutError` as its `cause`; a party whose own signal aborted rejects
 *   with `signal.reason`. A caller that times out before it could even enter a generation (the
 *   previous one's action still runs, or a reset drains) throws `TimeoutError` and breaks nothing.
 * - `wait()` (Promise) never blocks the thread; `waitSync()` blocks it (fine in workers). Waiters
 *   spin briefly, then sleep.
 * - Send it to a worker with `postMessage(barrier)` and call `Barrier.from(data, { action })` there.
 *   The default `timeout` lives in the shared memory and travels with the barrier; the `action` is
 *   a function, so it belongs to each object (a worker passes its own to `from`).
 *
 * @example Two phases of work in lock-step
 * ```ts
 * import { Barrier } from "@interlock/interlock";
 * import assert from "node:assert/strict";
 *
 * const log: string[] = [];
 * const barrier = new Barrier(3, { action: () => log.push("--") });
 * await Promise.all(["a", "b", "c"].map(async (name) => {
 *   log.push(`${name}1`);
 *   await barrier.wait();
 *   log.push(`${name}2`);
 * }));
 * assert.deepEqual(log.slice(0, 4).sort(), ["--", "a1", "b1", "c1"].sort());
 * assert.equal(log[3], "--"); // the action ran after every first phase, before any second
 * ```
 */
export class Barrier {
  /** The shared memory this barrier lives in; shared, not copied, by `postMessage`. */
  readonly buffer: SharedArrayBuffer;
  /** Where the barrier's region starts in {@linkcode Barrier.buffer}. */
  readonly byteOffset: number;
  readonly #b: Int32Array;
  readonly #parties: number;
  readonly #action: (() => void) | undefined;
  readonly #timeout: number | undefined;

  /**
   * Creates a barrier for `parties` threads, in fresh shared memory.
   *
   * @param parties How many threads each generation waits for.
   * @param options The barrier's default `timeout` (stored with it: its clones have it too) and
   *   this object's `action`.
   * @throws {TypeError} if `parties` is not a number, or an option has the wrong type.
   * @throws {RangeError} if `parties` is not an integer in 1..32767, or `timeout` is negative.
   *
   * @example
   * ```ts
   * import { Barrier } from "@interlock/interlock";
   * import assert from "node:assert/strict";
   *
   * const barrier = new Barrier(4, { timeout: 1000 });
   * assert.equal(barrier.parties, 4);
   * assert.throws(() => new Barrier(0), RangeError);
   * ```
   */
  constructor(parties: number, options?: BarrierOptions) {
    let b = reviving;
    reviving = undefined;
    const { action, timeout } = checkOptions(options);
    if (b === undefined) {
      checkParties(parties);
      b = allocate(TAG.Barrier, K.BYTES);
      K.init(REAL, b, parties, timeout ?? Infinity);
    }
    this.buffer = b.buffer as SharedArrayBuffer;
    this.byteOffset = b.byteOffset;
    this.#b = b;
    this.#parties = K.parties(REAL, b);
    this.#action = action;
    const shared = K.timeout(REAL, b);
    this.#timeout = timeout ?? (shared === Infinity ? undefined : shared);
  }

  /**
   * Returns a working `Barrier` over the memory of `value`, a `Barrier` or its structured clone
   * (what a worker receives from `postMessage(barrier)`), with this side's `options`.
   *
   * @param value A `Barrier` or its structured clone.
   * @param options This object's `action` (functions are not carried by clones), and a `timeout`
   *   that overrides, for this object only, the default timeout stored with the barrier.
   * @returns A `Barrier` over the same shared memory (`value` itself if it is a `Barrier` and no
   *   options are given).
   * @throws {TypeError} if `value` is not a `Barrier` or a clone of one.
   *
   * @example
   * ```ts
   * import { Barrier, BrokenBarrierError } from "@interlock/interlock";
   * import assert from "node:assert/strict";
   *
   * const barrier = new Barrier(1);
   * let actions = 0;
   * const inWorker = Barrier.from(structuredClone(barrier), { action: () => actions++ });
   * assert.equal(inWorker.waitSync(), 0);
   * assert.equal(actions, 1);
   * assert.throws(() => Barrier.from({}), TypeError);
   *
   * // The default timeout travels with the barrier: nobody else comes, so this wait times out.
   * const timed = Barrier.from(structuredClone(new Barrier(2, { timeout: 5 })));
   * assert.throws(() => timed.waitSync(), BrokenBarrierError);
   * ```
   */
  static from(value: unknown, options?: BarrierOptions): Barrier {
    if (value instanceof Barrier && options === undefined) return value;
    reviving = attach("Barrier", TAG.Barrier, value, K.BYTES);
    return new Barrier(0, options);
  }

  /**
   * Waits, without blocking the thread, until `parties` threads have called `wait`/`waitSync` in
   * this generation.
   *
   * @param options `timeout` in ms (default: this object's) and/or an abort `signal`.
   * @returns This caller's arrival index, 0..parties-1.
   * @throws {BrokenBarrierError} if the barrier is or becomes broken or reset (also when this
   *   caller's own timeout broke it: then `cause` is the `TimeoutError`).
   * @throws {DOMException} named `TimeoutError` if the timeout passed before the caller could enter
   *   a generation (nothing changed).
   *
   * @example
   * ```ts
   * import { Barrier } from "@interlock/interlock";
   * import assert from "node:assert/strict";
   *
   * const barrier = new Barrier(2);
   * const indexes = await Promise.all([barrier.wait(), barrier.wait()]);
   * assert.deepEqual(indexes.sort(), [0, 1]);
   * ```
   */
  async wait(options?: WaitOptions): Promise<number> {
    const opts = this.#options(options);
    const deadline = deadlineOf(WAIT, opts);
    const signal = opts.signal;
    const ticket = await runAsync(G.arrive(ASYNC, this.#b, this.#parties, deadline), signal);
    if (ticket < 0) throw waitError(ticket, opts);
    const index = ticket % K.TICKET_GEN;
    if (index === this.#parties - 1) return this.#complete(ticket, index);
    const result = await runAsync(G.awaitRelease(ASYNC, this.#b, ticket, deadline), signal);
    if (result !== K.RELEASED) throw waitError(result, opts);
    return index;
  }

  /**
   * Blocks the calling thread until `parties` threads have called `wait`/`waitSync` in this
   * generation.
   *
   * @param options `timeout` in ms (default: this object's).
   * @returns This caller's arrival index, 0..parties-1.
   * @throws {BrokenBarrierError} if the barrier is or becomes broken or reset (also when this
   *   caller's own timeout broke it: then `cause` is the `TimeoutError`).
   * @throws {DOMException} named `TimeoutError` if the timeout passed before the caller could enter
   *   a generation (nothing changed).
   *
   * @example
   * ```ts
   * import { Barrier, BrokenBarrierError } from "@interlock/interlock";
   * import assert from "node:assert/strict";
   *
   * const barrier = new Barrier(2);
   * assert.throws(() => barrier.waitSync({ timeout: 5 }), BrokenBarrierError); // nobody came
   * assert.ok(barrier.broken);
   * ```
   */
  waitSync(options?: SyncWaitOptions): number {
    const opts = this.#options(options);
    const deadline = deadlineOf(WAIT, opts);
    const ticket = K.arrive(REAL, this.#b, this.#parties, deadline);
    if (ticket < 0) throw waitError(ticket, opts);
    const index = ticket % K.TICKET_GEN;
    if (index === this.#parties - 1) return this.#complete(ticket, index);
    const result = K.awaitRelease(REAL, this.#b, ticket, deadline);
    if (result !== K.RELEASED) throw waitError(result, opts);
    return index;
  }

  /**
   * Breaks the barrier: every party waiting and every later `wait` throws
   * {@linkcode BrokenBarrierError} until {@linkcode Barrier.reset}.
   *
   * @example
   * ```ts
   * import { Barrier, BrokenBarrierError } from "@interlock/interlock";
   * import assert from "node:assert/strict";
   *
   * const barrier = new Barrier(2);
   * const waiting = barrier.wait();
   * barrier.abort();
   * await assert.rejects(waiting, BrokenBarrierError);
   * assert.ok(barrier.broken);
   * ```
   */
  abort(): void {
    K.abort(REAL, this.#b);
  }

  /**
   * Returns the barrier to its initial state: parties waiting now throw
   * {@linkcode BrokenBarrierError}; once they have left, the barrier is fresh (not broken, no
   * parties inside) and later waits form a new generation.
   *
   * @example
   * ```ts
   * import { Barrier } from "@interlock/interlock";
   * import assert from "node:assert/strict";
   *
   * const barrier = new Barrier(1);
   * barrier.abort();
   * barrier.reset();
   * assert.equal(barrier.broken, false);
   * assert.equal(barrier.waitSync(), 0);
   * ```
   */
  reset(): void {
    K.reset(REAL, this.#b);
  }

  /**
   * Whether the barrier is broken (a snapshot).
   *
   * @example
   * ```ts
   * import { Barrier } from "@interlock/interlock";
   * import assert from "node:assert/strict";
   *
   * const barrier = new Barrier(3);
   * assert.equal(barrier.broken, false);
   * barrier.abort();
   * assert.equal(barrier.broken, true);
   * ```
   */
  get broken(): boolean {
    return K.broken(REAL, this.#b);
  }

  /**
   * How many parties wait in the current generation (a snapshot; 0 while broken or resetting).
   *
   * @example
   * ```ts
   * import { Barrier } from "@interlock/interlock";
   * import assert from "node:assert/strict";
   *
   * const barrier = new Barrier(2);
   * const first = barrier.wait();
   * assert.equal(barrier.nWaiting, 1);
   * await barrier.wait();
   * await first;
   * assert.equal(barrier.nWaiting, 0);
   * ```
   */
  get nWaiting(): number {
    return K.nWaiting(REAL, this.#b);
  }

  /**
   * How many parties each generation waits for.
   *
   * @example
   * ```ts
   * import { Barrier } from "@interlock/interlock";
   * import assert from "node:assert/strict";
   *
   * assert.equal(new Barrier(5).parties, 5);
   * ```
   */
  get parties(): number {
    return this.#parties;
  }

  /** The effective options of one wait: this object's default timeout unless given. */
  #options(options: WaitOptions | undefined): WaitOptions {
    if (options !== undefined && (typeof options !== "object" || options === null)) return options;
    const timeout = options?.timeout ?? this.#timeout;
    const out: WaitOptions = { ...options };
    if (timeout !== undefined) out.timeout = timeout;
    return out;
  }

  /** The last party: runs the action, then releases the generation (or breaks it). */
  #complete(ticket: number, index: number): number {
    let failed = false;
    let error: unknown;
    if (this.#action) {
      try {
        this.#action();
      } catch (e) {
        failed = true;
        error = e;
      }
    }
    const result = K.complete(REAL, this.#b, ticket, !failed);
    if (failed) throw error;
    if (result !== K.RELEASED) throw new BrokenBarrierError();
    return index;
  }
}

registerClass(TAG.Barrier, Barrier, Barrier.from);

/**
 * The error of a failed wait, from the kernel's status: `signal.reason` if the signal aborted, a
 * `TimeoutError` if this party timed out before it entered, else a {@linkcode BrokenBarrierError}
 * (shared with the explorer's `src/explore/sim/barrier.ts`).
 */
export function waitError(code: number, options: WaitOptions | undefined): unknown {
  if (options?.signal?.aborted) return options.signal.reason;
  if (code === K.TIMED_OUT_ENTERING) return waitFailure(WAIT, options);
  if (code === K.TIMED_OUT) {
    return new BrokenBarrierError(
      `Barrier broken: this party timed out after ${options?.timeout} ms`,
      { cause: waitFailure(WAIT, options) },
    );
  }
  return new BrokenBarrierError();
}
