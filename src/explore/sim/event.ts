/**
 * `SimEvent`: an `Event` under the explorer.
 *
 * @module
 */
import * as K from "../../kernel/event.ts";
import * as G from "../../kernel_gen/event.ts";
import { Event, WAIT } from "../../sync/event.ts";
import { SIM } from "../_engine.ts";
import { registerLayout, wordLayout } from "../_scenario.ts";
import { type SimWaitOptions, type Step, waitOrThrow, words } from "./_common.ts";

/**
 * An `Event` under the explorer: the event kernel with the glue of `set`, `clear`,
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
    this.#e = words(event, K.BYTES);
  }

  /** Raises the flag and wakes every waiter. */
  *set(): Step<void> {
    yield* G.set(SIM, this.#e);
  }

  /** Lowers the flag. */
  *clear(): Step<void> {
    yield* G.clear(SIM, this.#e);
  }

  /** Whether the flag is up. */
  *isSet(): Step<boolean> {
    return yield* G.isSet(SIM, this.#e);
  }

  /**
   * Waits until the flag is up (or was raised since the call began).
   *
   * @throws {DOMException} named `TimeoutError` if a finite `timeout` fires first.
   */
  *wait(options?: SimWaitOptions): Step<void> {
    const e = this.#e;
    yield* waitOrThrow(
      WAIT,
      options,
      () => G.isSet(SIM, e),
      (deadline) => G.wait(SIM, e, deadline),
    );
  }
}
registerLayout(Event, () => wordLayout(K.FIELDS, K.BYTES));
