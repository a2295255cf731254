/**
 * What every `sim(...)` wrapper shares (`src/explore/sim/*.ts`): the step type, views of an
 * Interlock object's shared words, the wrapper cache, this thread's agent id, and the glue of a
 * waiting method (deadline, abortable sleeps, the error of a failed wait).
 *
 * @module
 */
import type { GenSeam } from "../../_atomics.ts";
import { deadlineOf, type SyncWaitOptions, waitFailure } from "../../options.ts";
import { currentThread, SIM, specStep } from "../_engine.ts";
import { type SpecCall, type SpecTarget, TIMED_OUT } from "../_spec_step.ts";
import { type SpecMethod, Suspension } from "../spec/_blocking.ts";

/** What every `sim(...)` method returns: a generator to run with `yield*` inside a thread body. */
export type Step<R> = Generator<unknown, R, unknown>;

/** Shared words of an Interlock object, as the production class views them. */
export function words(
  x: { buffer: SharedArrayBuffer; byteOffset: number },
  bytes: number,
): Int32Array {
  return new Int32Array(x.buffer, x.byteOffset, bytes >> 2);
}

const cache = new WeakMap<object, unknown>();

/**
 * The wrapper of `x`, made by `make` on first use: one wrapper per object, whether it comes from
 * `sim(x)` or from another wrapper (a condition's lock, a value's lock).
 */
export function wrapperOf<X extends object, T>(x: X, make: (x: X) => T): T {
  const hit = cache.get(x);
  if (hit !== undefined) return hit as T;
  const made = make(x);
  cache.set(x, made);
  return made;
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

/** The agent id of the running virtual thread. */
export function me(): number {
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
export function* abortably<T>(kernel: Step<T>, options: SimWaitOptions | undefined): Step<T> {
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

/** Whether the signal of this `abortable` call fired (see {@linkcode SimWaitOptions}). */
export function aborted(options: SimWaitOptions | undefined): boolean {
  return options?.abortable === true && currentThread().aborted;
}

/** The error of a failed wait: an `AbortError` if the signal fired, else a `TimeoutError`. */
export function failed(what: string, options: SimWaitOptions | undefined): unknown {
  if (aborted(options)) return new DOMException("The signal has been aborted", "AbortError");
  return waitFailure(what, options);
}

/**
 * The glue of a wait that either succeeds or times out (`Lock.acquireSync`, `Event.waitSync`, ...):
 * validates `options`, runs `wait(deadline)`, and throws the error of a failed wait. An `abortable`
 * call follows the production async path instead: `ready()` first (the promise form's fast path),
 * then `wait(deadline)` with abortable sleeps.
 */
export function* waitOrThrow(
  what: string,
  options: SimWaitOptions | undefined,
  ready: () => Step<boolean>,
  wait: (deadline: number) => Step<boolean>,
): Step<void> {
  const deadline = deadlineOf(what, options);
  if (options?.abortable) {
    if (yield* ready()) return;
    if (!(yield* abortably(wait(deadline), options))) throw failed(what, options);
  } else if (!(yield* wait(deadline))) {
    throw waitFailure(what, options);
  }
}

/** The derived kernels of a primitive taken as a whole (`Lock`'s, `Semaphore`'s). */
export interface Acquirable {
  /** Takes it if free; never waits. */
  tryAcquire(A: GenSeam, s: Int32Array): Step<boolean>;
  /** Takes it, sleeping until `deadline`; false on timeout. */
  acquire(A: GenSeam, s: Int32Array, deadline: number): Step<boolean>;
}

/** `acquireSync` (or, `abortable`, `acquire`) of a primitive whose kernels are `G`, words `s`. */
export function* acquireWith(
  what: string,
  options: SimWaitOptions | undefined,
  G: Acquirable,
  s: Int32Array,
): Step<void> {
  yield* waitOrThrow(what, options, () => G.tryAcquire(SIM, s), (d) => G.acquire(SIM, s, d));
}

/**
 * Whether a specification-level wait with `options` can time out (a finite `timeout`, or an
 * abort signal); validates `options` as the kernel-level path does.
 */
export function timed(what: string, options: SimWaitOptions | undefined): boolean {
  return deadlineOf(what, options) !== Infinity || options?.abortable === true;
}

/**
 * Runs operation `name` at the specification level: `fn` of the target's model with `args`, one
 * atomic step, then each resumption of a suspension as one more step. Returns the result, or
 * {@linkcode TIMED_OUT} if a `timed` wait timed out (after the suspension's `onTimeout`, if it has
 * one, ran: its result is returned instead). A timeout of an `abortable` call is its signal firing:
 * {@linkcode failed} then gives an `AbortError`.
 */
export function* specOp(
  target: SpecTarget,
  name: string,
  fn: SpecMethod,
  args: readonly unknown[],
  timed = false,
  effect?: SpecCall["effect"],
): Step<unknown> {
  const t = currentThread();
  t.aborted = false;
  let r = yield* specStep({ target, name, fn, args, timed, effect });
  let waiting = timed;
  while (r instanceof Suspension) {
    const s = r;
    r = yield* specStep({ target, name, fn: s.resume, args: s.args, timed: waiting });
    if (r === TIMED_OUT && s.onTimeout !== undefined) {
      waiting = false;
      t.aborted = true;
      r = yield* specStep({ target, name, fn: s.onTimeout, args: s.args, timed: false });
    }
  }
  if (r === TIMED_OUT) t.aborted = true;
  return r;
}

/** Whether `x` is a generator (a predicate or action written as a generator function). */
export function isGenerator(x: unknown): x is Generator<unknown, unknown, unknown> {
  return typeof x === "object" && x !== null && typeof (x as Generator).next === "function" &&
    typeof (x as Generator)[Symbol.iterator] === "function";
}
