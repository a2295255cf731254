/**
 * Steps at the specification level: an operation of a primitive as one atomic step of its
 * sequential specification (`spec/*.ts`), instead of every load, compare-exchange and wait of its
 * kernel. A `sim()` wrapper whose object is at the specification level (`level: "spec"`, or
 * {@linkcode specLevel}) parks its thread with a {@linkcode SpecCall}; the engine runs the call on
 * the object's state when it picks the thread.
 *
 * - **State.** Each *unit* (an object, or a lock with its conditions) keeps its specification state
 *   per execution, as immutable {@linkcode Parts}: loaded from the object's memory at its first
 *   step, replaced (never changed in place) by every step that changes it, and mirrored back into
 *   the object's memory (`lock.locked()` in an invariant reads the truth).
 * - **Blocking.** A call that returns `BLOCKED` cannot move: its thread is disabled until a state
 *   lets it (checked again whenever the unit's state changes), or, if the call has a deadline or an
 *   abort signal, its step is the timeout. A deadlock is every unfinished thread blocked so.
 * - **Dependence.** A step reads or writes its unit, keyed by the address of the unit's key word
 *   (the lock's `state`, the semaphore's `value`, …), which the mirror keeps in step with the state:
 *   two steps on one unit conflict when one changed the state; steps on different units commute.
 *
 * @module
 */
import { Condition } from "../sync/condition.ts";
import { BLOCKED, type SpecMethod } from "./spec/_blocking.ts";

/** A unit's specification state: named parts, each a model object, never changed in place. */
export type Parts = Readonly<Record<string, object>>;

/** How the explorer keeps the specification state of one object. */
export interface SpecTarget {
  /** The object, for names in traces. */
  readonly object: { readonly buffer: SharedArrayBuffer; readonly byteOffset: number };
  /** The words of the unit's key (the lock's for a condition). */
  readonly unit: Int32Array;
  /** The index of the key word in `unit`: its address keys the state and its dependence. */
  readonly index: number;
  /**
   * Whether the key word changes whenever the state does (the mirror keeps it so), so that a loop
   * that repeats a read-only step can await a change of it (see `_await.ts`).
   */
  readonly watchable: boolean;
  /** The unit's state at its first step in an execution, from the object's memory. */
  load(): Parts;
  /** The model a call runs on: a fresh copy of the parts it needs. */
  open(parts: Parts): object;
  /** `parts` with the model in: `parts` itself if the model is unchanged (see {@linkcode same}). */
  close(parts: Parts, model: object): Parts;
  /** Writes `parts` into the object's memory (plain writes, no step), if it mirrors its state. */
  mirror?(parts: Parts): void;
}

/** One operation at the specification level, as a thread's pending step. */
export interface SpecCall {
  readonly target: SpecTarget;
  /** The operation as the user wrote it, for traces (`acquire`, `put`, `wait`). */
  readonly name: string;
  /** The specification method that runs (`this`: the model). */
  readonly fn: SpecMethod;
  readonly args: readonly unknown[];
  /** Whether a blocked call can time out (a finite deadline, or an abort signal). */
  readonly timed: boolean;
  /**
   * Applies a call that took effect to the object's memory with production code and returns what
   * the thread gets (the queues: production puts and takes the record); default: the model's
   * result, mirrored by the target.
   */
  readonly effect?: ((result: unknown) => unknown) | undefined;
  /** The value the call carries, shown in traces (`put q ← 7`): a queue's item, a pipe's value. */
  readonly carries?: { readonly value: unknown } | undefined;
}

/** What a specification step did. */
export interface SpecRecord {
  readonly call: SpecCall;
  /** Address of the unit's key word. */
  readonly addr: number;
  /** The unit's state before and after the step. */
  readonly before: Parts;
  readonly after: Parts;
  /** Whether the state changed. */
  readonly wrote: boolean;
  /** Whether the call was blocked and timed out instead. */
  readonly timedOut: boolean;
}

/**
 * What a blocked call with a deadline (or an abort signal) returns when its step is the timeout:
 * the wrapper throws its timeout error (or runs the suspension's `onTimeout`).
 */
export const TIMED_OUT: unique symbol = Symbol("interlock.explore.timedOut");

/** What the engine's run of a specification-level step gives the thread, and its record. */
export interface SpecRun {
  readonly result: unknown;
  readonly threw: boolean;
  readonly record: SpecRecord;
}

/** What a call would do in a state. */
export interface Outcome {
  /** The call cannot move (and has no deadline), or (`timed`) its step is the timeout. */
  readonly blocked: boolean;
  readonly threw: boolean;
  /** The result (or the error thrown). */
  readonly result: unknown;
  /** The new state (the same object when nothing changed). */
  readonly after: Parts;
}

/** Runs `call` on a copy of `parts`. */
export function attempt(call: SpecCall, parts: Parts): Outcome {
  const target = call.target;
  const model = target.open(parts);
  let result: unknown;
  try {
    result = call.fn.apply(model, call.args as unknown[]);
  } catch (e) {
    return { blocked: false, threw: true, result: e, after: parts };
  }
  if (result === BLOCKED) return { blocked: true, threw: false, result, after: parts };
  const after = target.close(parts, model);
  return { blocked: false, threw: false, result, after };
}

/** Deep equality of states: arrays and models by their own fields, anything else by identity. */
export function same(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let k = 0; k < a.length; k++) if (!same(a[k], b[k])) return false;
    return true;
  }
  if (Object.getPrototypeOf(a) !== Object.getPrototypeOf(b)) return false;
  const ka = Object.keys(a);
  if (ka.length !== Object.keys(b).length) return false;
  for (const k of ka) {
    if (!same((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k])) return false;
  }
  return true;
}

/**
 * A copy of a model that its methods may change freely: own fields copied, arrays (and arrays of
 * arrays) copied, nested models copied; items in arrays are shared (models never change them).
 */
export function copyModel<M extends object>(m: M): M {
  const c = Object.create(Object.getPrototypeOf(m));
  for (const k of Object.keys(m)) {
    const v = (m as Record<string, unknown>)[k];
    c[k] = Array.isArray(v) ? copyArray(v) : typeof v === "object" && v !== null ? copyModel(v) : v;
  }
  return c;
}

function copyArray(a: readonly unknown[]): unknown[] {
  return a.map((x) => Array.isArray(x) ? copyArray(x) : x);
}

/** A target's parts with `name` replaced by `model`. */
export function withPart(parts: Parts, name: string, model: object): Parts {
  return { ...parts, [name]: model };
}

// --- Which objects run at the specification level ---------------------------------------------

let everything = false;
const marked = new WeakSet<object>();

/**
 * Runs every operation of `x` at the specification level, in every exploration (whatever the
 * `level` option): each `sim(x)` operation is one atomic step of `x`'s sequential specification
 * instead of its kernel's steps. For a `Condition`, its lock follows (they share one state).
 * Returns `x`, so it can wrap a constructor call in `setup()`.
 *
 * - Sound as long as `x`'s kernel implements the specification: the suite checks each kernel
 *   against the same specification class (`checkLinearizability`).
 * - Mix levels per object, not per operation: do not touch a specification-level object's memory
 *   with `sim(array)` steps of your own.
 *
 * @param x A `Lock`, `RLock`, `Semaphore`, `BoundedSemaphore`, `Event`, `Condition`, `Barrier`, a
 * queue (`Queue`, `JoinableQueue`, `SimpleQueue`) or a `Pipe` connection (mark both ends: a
 * direction is one state for both); marking another object changes nothing.
 * @returns `x`.
 * @throws {TypeError} if `x` is not an object.
 *
 * @example Only the lock at the specification level
 * ```ts
 * import { Lock, Value } from "@interlock/interlock";
 * import { explore, sim, specLevel } from "@interlock/interlock/explore";
 * import assert from "node:assert/strict";
 *
 * const report = explore({
 *   setup: () => ({ lock: specLevel(new Lock()), n: new Value("i", 0, { lock: false }) }),
 *   threads: [0, 1, 2].map(() =>
 *     function* inc({ lock, n }: { lock: Lock; n: Value<"i"> }) {
 *       yield* sim(lock).acquire(); // one step
 *       yield* sim(n).set((yield* sim(n).get()) + 1);
 *       yield* sim(lock).release(); // one step
 *     }
 *   ),
 *   invariant: ({ n }) => n.value === 3,
 * });
 * assert.ok(report.ok && report.complete);
 * assert.equal(report.executions, 6); // the 3! orders of the critical sections
 * ```
 */
export function specLevel<T extends object>(x: T): T {
  if (typeof x !== "object" || x === null) {
    throw new TypeError(
      `Cannot model at the specification level: expected an Interlock object, received ${
        x === null ? "null" : typeof x
      }`,
    );
  }
  marked.add(x);
  if (x instanceof Condition) marked.add(x.lock);
  return x;
}

/** Whether operations on `x` run at the specification level now. */
export function atSpecLevel(x: object): boolean {
  return everything || marked.has(x);
}

/** Runs `body` with every object at the specification level (`level: "spec"`) or not. */
export function withLevel<T>(spec: boolean, body: () => T): T {
  const previous = everything;
  everything = spec;
  try {
    return body();
  } finally {
    everything = previous;
  }
}
