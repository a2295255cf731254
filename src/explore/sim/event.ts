/**
 * `SimEvent`: an `Event` under the explorer.
 *
 * @module
 */
import { REAL } from "../../_atomics.ts";
import * as K from "../../kernel/event.ts";
import * as G from "../../kernel_gen/event.ts";
import { Event, WAIT } from "../../sync/event.ts";
import { SIM } from "../_engine.ts";
import { registerLayout, wordLayout } from "../_scenario.ts";
import { atSpecLevel, type Parts, type SpecTarget, TIMED_OUT } from "../_spec_step.ts";
import { EventSpec } from "../spec/event.ts";
import {
  failed,
  type SimWaitOptions,
  specOp,
  type Step,
  timed,
  waitOrThrow,
  words,
} from "./_common.ts";

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
  readonly #event: Event;
  readonly #e: Int32Array;
  readonly #spec: SpecTarget;

  /** Wraps `event` (normally through {@linkcode sim}). */
  constructor(event: Event) {
    this.#event = event;
    this.#e = words(event, K.BYTES);
    this.#spec = eventTarget(event, this.#e);
  }

  /** Raises the flag and wakes every waiter. */
  *set(): Step<void> {
    if (atSpecLevel(this.#event)) yield* specOp(this.#spec, "set", P.set, []);
    else yield* G.set(SIM, this.#e);
  }

  /** Lowers the flag. */
  *clear(): Step<void> {
    if (atSpecLevel(this.#event)) yield* specOp(this.#spec, "clear", P.clear, []);
    else yield* G.clear(SIM, this.#e);
  }

  /** Whether the flag is up. */
  *isSet(): Step<boolean> {
    if (atSpecLevel(this.#event)) {
      return (yield* specOp(this.#spec, "isSet", P.isSet, [])) as boolean;
    }
    return yield* G.isSet(SIM, this.#e);
  }

  /**
   * Waits until the flag is up (or was raised since the call began).
   *
   * @throws {DOMException} named `TimeoutError` if a finite `timeout` fires first.
   */
  *wait(options?: SimWaitOptions): Step<void> {
    if (atSpecLevel(this.#event)) {
      const r = yield* specOp(this.#spec, "wait", P.wait, [], timed(WAIT, options));
      if (r === TIMED_OUT) throw failed(WAIT, options);
      return;
    }
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

const P = EventSpec.prototype;

/**
 * The specification-level state of `event` (words `e`): part `event`, kept in the `state` word
 * (the flag in bit 0, the number of sets above it).
 */
function eventTarget(event: Event, e: Int32Array): SpecTarget {
  return {
    object: event,
    unit: e,
    index: K.STATE,
    watchable: true,
    load: () => {
      const v = REAL.load(e, K.STATE);
      const m = new EventSpec();
      m.flag = (v & K.FLAG) !== 0;
      m.sets = v >>> 1;
      return { event: m };
    },
    open: (parts) => {
      const was = parts.event as EventSpec;
      const m = new EventSpec();
      m.flag = was.flag;
      m.sets = was.sets;
      return m;
    },
    close: (parts, m) => {
      const was = parts.event as EventSpec;
      const now = m as EventSpec;
      return now.flag === was.flag && now.sets === was.sets ? parts : { ...parts, event: m };
    },
    mirror: (parts: Parts) => {
      const m = parts.event as EventSpec;
      REAL.store(e, K.STATE, ((m.sets << 1) | (m.flag ? K.FLAG : 0)) & 0x7fffffff);
    },
  };
}
