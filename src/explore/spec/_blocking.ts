/**
 * How a sequential specification says that an operation waits: it *blocks* (returns
 * {@linkcode BLOCKED}: it cannot take effect in this state and changed nothing), or it takes effect
 * and then waits for a later state (returns a {@linkcode Suspension}, made by {@linkcode suspend}:
 * a method to call again, on the state of that moment, until it stops blocking). Lincheck's
 * treatment of suspension, in the shape a plain class can write.
 *
 * The explorer's specification level (`level: "spec"`) runs these methods as atomic steps (a
 * blocked step disables its thread until the state lets it move), and the linearizability checker
 * (`checkLinearizability`) places each call, and each resumption, at one point of a sequential
 * order.
 *
 * @module
 */

/**
 * What an operation of a sequential specification returns when it cannot take effect in the
 * current state: it changed nothing, and waits (its caller is disabled until some later state lets
 * it run; a timed call may time out instead).
 *
 * @example
 * ```ts
 * import { BLOCKED } from "@interlock/interlock/explore";
 * import assert from "node:assert/strict";
 *
 * class Mailbox {
 *   letters: string[] = [];
 *   post(letter: string): void {
 *     this.letters.push(letter);
 *   }
 *   take(): string | typeof BLOCKED {
 *     return this.letters.shift() ?? BLOCKED; // waits while the box is empty
 *   }
 * }
 * const box = new Mailbox();
 * assert.equal(box.take(), BLOCKED);
 * box.post("hello");
 * assert.equal(box.take(), "hello");
 * ```
 */
export const BLOCKED: unique symbol = Symbol("interlock.explore.blocked");

/** A method of a specification, called with the specification as `this`. */
// deno-lint-ignore no-explicit-any
export type SpecMethod = (this: any, ...args: any[]) => unknown;

/** Options of {@linkcode suspend}. */
export interface SuspendOptions {
  /**
   * What a timed call does when its wait times out (called like `resume`, with the same
   * arguments): it may change the state (a barrier party that times out breaks the barrier), throw
   * the error the caller sees, return a value, or suspend again. Without it, a timeout changes
   * nothing and the caller gets its usual timeout error.
   * @default {undefined}
   */
  onTimeout?: SpecMethod;
}

/**
 * An operation that took effect and now waits: `resume` (a method of the specification, with
 * `args`) is called on each later state until it returns something other than
 * {@linkcode BLOCKED}, which is the operation's result (or it throws, or suspends again).
 */
export class Suspension {
  /** The method that finishes the operation. */
  readonly resume: SpecMethod;
  /** Its arguments. */
  readonly args: readonly unknown[];
  /** What a timeout does instead (see {@linkcode SuspendOptions.onTimeout}). */
  readonly onTimeout: SpecMethod | undefined;

  /** Use {@linkcode suspend}. */
  constructor(resume: SpecMethod, args: readonly unknown[], onTimeout: SpecMethod | undefined) {
    this.resume = resume;
    this.args = args;
    this.onTimeout = onTimeout;
  }
}

/**
 * Suspends the calling operation of a sequential specification: it took effect, and finishes when
 * `resume` (called with `args` on the state of that moment) stops returning {@linkcode BLOCKED}.
 *
 * - Write the state the resumption needs into `args` (a generation number, a ticket), not into a
 *   closure: the explorer copies states between steps, so `resume` must read `this`.
 * - A resumption may return another {@linkcode Suspension} (one more wait).
 *
 * @param resume A method of the specification (e.g. `this.released`).
 * @param args Its arguments (default: none).
 * @param options What a timeout does.
 * @returns The suspension to return from the operation.
 * @throws {TypeError} if `resume` is not a function.
 *
 * @example A two-party rendezvous: the first arrival waits for the second
 * ```ts
 * import { BLOCKED, suspend, Suspension } from "@interlock/interlock/explore";
 * import assert from "node:assert/strict";
 *
 * class Rendezvous {
 *   arrived = 0;
 *   meet(): number | Suspension {
 *     if (++this.arrived === 2) return 1;
 *     return suspend(this.met, [0]);
 *   }
 *   met(index: number): number | typeof BLOCKED {
 *     return this.arrived === 2 ? index : BLOCKED;
 *   }
 * }
 * const r = new Rendezvous();
 * const first = r.meet() as Suspension;
 * assert.equal(first.resume.call(r, ...first.args), BLOCKED);
 * assert.equal(r.meet(), 1);
 * assert.equal(first.resume.call(r, ...first.args), 0);
 * ```
 */
export function suspend(
  resume: SpecMethod,
  args?: readonly unknown[],
  options?: SuspendOptions,
): Suspension {
  args ??= [];
  if (typeof resume !== "function") {
    throw new TypeError(`Cannot suspend: 'resume' must be a method, received ${typeof resume}`);
  }
  return new Suspension(resume, args, options?.onTimeout);
}
