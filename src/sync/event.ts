/**
 * `Event`: a flag over shared memory that threads wait for, as Python's `threading.Event` /
 * `multiprocessing.Event`. The algorithm and its shared layout live in `src/kernel/event.ts`.
 *
 * @module
 */
import { ASYNC, REAL } from "../_atomics.ts";
import { runAsync } from "../_async.ts";
import { allocate, attach, registerClass, TAG } from "../_region.ts";
import * as K from "../kernel/event.ts";
import * as G from "../kernel_gen/event.ts";
import { deadlineOf, type SyncWaitOptions, waitFailure, type WaitOptions } from "../options.ts";

let reviving: Int32Array | undefined;

/** What `Event`'s waits say they were doing, in errors (shared with `src/explore/sim/event.ts`). */
export const WAIT = "wait for the event";

/**
 * A flag, initially down, that any thread can raise (`set`), lower (`clear`) and wait for.
 *
 * - `set()` wakes every waiter. A waiter that was waiting when `set()` ran returns even if `clear()`
 *   follows at once (Python semantics).
 * - `wait()` (Promise) never blocks the thread; `waitSync()` blocks it (fine in workers). Both
 *   return at once if the flag is up. Waiters spin briefly, then sleep.
 * - A timeout throws a `DOMException` named `TimeoutError`, an abort rejects with `signal.reason`;
 *   either leaves the event as if the caller had never waited. (Python's `wait` returns `False`
 *   instead; here every timed-out wait throws.)
 * - Send it to a worker with `postMessage(event)` and call `Event.from(data)` there.
 *
 * @example Start several workers' work at once
 * ```ts
 * import { Event } from "@interlock/interlock";
 * import assert from "node:assert/strict";
 *
 * const go = new Event();
 * const started = [1, 2, 3].map(async (id) => {
 *   await go.wait();
 *   return id;
 * });
 * go.set();
 * assert.deepEqual(await Promise.all(started), [1, 2, 3]);
 * assert.ok(go.isSet());
 * ```
 */
export class Event {
  /** The shared memory this event lives in; shared, not copied, by `postMessage`. */
  readonly buffer: SharedArrayBuffer;
  /** Where the event's region starts in {@linkcode Event.buffer}. */
  readonly byteOffset: number;
  readonly #e: Int32Array;

  /**
   * Creates an event, flag down, in fresh shared memory.
   *
   * @example
   * ```ts
   * import { Event } from "@interlock/interlock";
   * import assert from "node:assert/strict";
   *
   * assert.equal(new Event().isSet(), false);
   * ```
   */
  constructor() {
    const e = reviving ?? allocate(TAG.Event, K.BYTES);
    reviving = undefined;
    this.buffer = e.buffer as SharedArrayBuffer;
    this.byteOffset = e.byteOffset;
    this.#e = e;
  }

  /**
   * Returns a working `Event` over the memory of `value`, an `Event` or its structured clone (what a
   * worker receives from `postMessage(event)`).
   *
   * @param value An `Event` or its structured clone.
   * @returns An `Event` over the same shared memory.
   * @throws {TypeError} if `value` is not an `Event` or a clone of one.
   *
   * @example
   * ```ts
   * import { Event } from "@interlock/interlock";
   * import assert from "node:assert/strict";
   *
   * const event = new Event();
   * Event.from(structuredClone(event)).set();
   * assert.ok(event.isSet());
   * assert.throws(() => Event.from("event"), TypeError);
   * ```
   */
  static from(value: unknown): Event {
    if (value instanceof Event) return value;
    reviving = attach("Event", TAG.Event, value, K.BYTES);
    return new Event();
  }

  /**
   * Raises the flag and wakes every waiter. Does nothing if the flag is already up.
   *
   * @example
   * ```ts
   * import { Event } from "@interlock/interlock";
   * import assert from "node:assert/strict";
   *
   * const event = new Event();
   * event.set();
   * event.set();
   * assert.ok(event.isSet());
   * ```
   */
  set(): void {
    K.set(REAL, this.#e);
  }

  /**
   * Lowers the flag: later waits wait until the next `set()`. Waiters already released by a `set()`
   * stay released.
   *
   * @example
   * ```ts
   * import { Event } from "@interlock/interlock";
   * import assert from "node:assert/strict";
   *
   * const event = new Event();
   * event.set();
   * event.clear();
   * assert.equal(event.isSet(), false);
   * assert.throws(() => event.waitSync({ timeout: 0 }), { name: "TimeoutError" });
   * ```
   */
  clear(): void {
    K.clear(REAL, this.#e);
  }

  /**
   * Whether the flag is up (a snapshot).
   *
   * @example
   * ```ts
   * import { Event } from "@interlock/interlock";
   * import assert from "node:assert/strict";
   *
   * const event = new Event();
   * assert.equal(event.isSet(), false);
   * event.set();
   * assert.equal(event.isSet(), true);
   * ```
   */
  isSet(): boolean {
    return K.isSet(REAL, this.#e);
  }

  /**
   * Waits, without blocking the thread, until the flag is up (at once if it already is).
   *
   * @param options `timeout` in ms and/or an abort `signal`.
   * @throws {DOMException} named `TimeoutError` when `timeout` passes first.
   *
   * @example
   * ```ts
   * import { Event } from "@interlock/interlock";
   * import assert from "node:assert/strict";
   *
   * const event = new Event();
   * await assert.rejects(event.wait({ timeout: 10 }), { name: "TimeoutError" });
   * const waiting = event.wait();
   * event.set();
   * await waiting;
   * ```
   */
  async wait(options?: WaitOptions): Promise<void> {
    const deadline = deadlineOf(WAIT, options);
    if (
      !K.isSet(REAL, this.#e) &&
      !await runAsync(G.wait(ASYNC, this.#e, deadline), options?.signal)
    ) {
      throw waitFailure(WAIT, options);
    }
  }

  /**
   * Blocks the calling thread until the flag is up (at once if it already is).
   *
   * @param options `timeout` in ms.
   * @throws {DOMException} named `TimeoutError` when `timeout` passes first.
   *
   * @example
   * ```ts
   * import { Event } from "@interlock/interlock";
   * import assert from "node:assert/strict";
   *
   * const event = new Event();
   * event.set();
   * event.waitSync({ timeout: 10 }); // returns at once
   * assert.ok(event.isSet());
   * ```
   */
  waitSync(options?: SyncWaitOptions): void {
    if (!K.wait(REAL, this.#e, deadlineOf(WAIT, options))) {
      throw waitFailure(WAIT, options);
    }
  }
}

registerClass(TAG.Event, Event, Event.from);
