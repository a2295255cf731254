/**
 * What every `sim(...)` wrapper shares (`src/explore/sim/*.ts`): the step type, views of an
 * Interlock object's shared words, the wrapper cache, this thread's agent id, and the glue of a
 * waiting method (deadline, abortable sleeps, the error of a failed wait).
 *
 * @module
 */
import type { OwnerDiedError } from "../../errors.ts";
import { ACQUIRED, OWNER_DIED } from "../../kernel/lock.ts";
import { deadlineOf, ownerDiedHandler, type SyncWaitOptions, waitFailure } from "../../options.ts";
import { ownerDiedError, tookOverError } from "../../sync/_robust.ts";
import { currentExecution, currentThread, specStep } from "../_engine.ts";
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

/** The presence registry of the running execution (virtual thread `Tk` has id `k + 1` there). */
export function presenceRegistry(): Int32Array {
  return currentExecution().presenceRegistry();
}

/** Options of the waiting methods of `sim(...)` wrappers. */
export interface SimWaitOptions extends SyncWaitOptions {
  /**
   * The call has an abort signal that may fire at any time while it sleeps: the explorer adds "the
   * signal fires" as a scheduling choice for each of its sleeps. The wrapper then follows the
   * production async path (`acquire()`, `wait()` with `signal`): the kernel backs out as from a
   * timeout, the call throws an `AbortError`, and, as `src/_async.ts` does, the abort notifies the
   * word, all its waiters, in the same step: the aborted wait leaves the list, the others wake.
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

/** Whether the call is `abortable` (it follows the promise form, see {@linkcode SimWaitOptions}). */
export function abortable(options: SimWaitOptions | undefined): boolean {
  return options?.abortable === true;
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

/** Options of the acquires of `sim(...)` wrappers of robust primitives. */
export interface SimAcquireOptions extends SimWaitOptions {
  /**
   * As `onOwnerDied` of `Lock.acquireSync` (see `AcquireSyncOptions`): runs, holding the lock,
   * when the previous holder died holding it; may be a generator function (to repair shared data
   * with `sim(...)` steps). Throwing gives the lock back, still abandoned.
   * @default {undefined}
   */
  onOwnerDied?: (error: OwnerDiedError) => void | Generator<unknown, void, unknown>;
}

/**
 * A robust primitive's derived kernels, bound to its words and to the running thread, as the
 * production classes bind them for `src/sync/_robust.ts`.
 */
export interface SimRobust {
  /** Takes it if free; never waits (the promise form's fast path, run first when `abortable`). */
  ready?(): Step<boolean>;
  /** The blocking acquire: the Lock kernel's ACQUIRED, TIMED_OUT or OWNER_DIED. */
  acquire(deadline: number): Step<number>;
  /** Probes the holder(s); whether it is abandoned now. */
  probe(): Step<boolean>;
  /** Takes the abandoned primitive over; false if it is not abandoned (any more). */
  takeOver(): Step<boolean>;
  /** Gives it back as abandoned (the handler threw). */
  giveUp(): Step<void>;
}

/**
 * The robust acquire of `src/sync/_robust.ts` under the explorer (`acquireSync`, or, `abortable`,
 * `acquire`): the kernel's acquire, an `OwnerDiedError` or a takeover with `onOwnerDied` when it
 * finds the primitive abandoned, and a probe of the holder whenever the thread's patience runs
 * out (see {@linkcode patient}).
 */
export function* acquireRobustly(
  what: string,
  options: SimAcquireOptions | undefined,
  r: SimRobust,
): Step<void> {
  const deadline = deadlineOf(what, options);
  const handler = options === undefined ? undefined : ownerDiedHandler(what, options);
  if (options?.abortable && r.ready && (yield* r.ready())) return;
  for (;;) {
    const status = yield* patient(abortably(r.acquire(deadline), options));
    if (status === ACQUIRED) return;
    if (status === OWNER_DIED) {
      if (handler === undefined) throw ownerDiedError(what);
      if (!(yield* r.takeOver())) continue;
      try {
        const repair = handler(tookOverError(what));
        if (isGenerator(repair)) yield* repair;
      } catch (error) {
        yield* r.giveUp();
        throw error;
      }
      return;
    }
    if (!outOfPatience()) throw failed(what, options);
    yield* r.probe();
  }
}

/**
 * Runs `kernel` with this thread's sleeps *patient*: production sleeps at most its patience at a
 * time and then probes the holder it waits for. The explorer models that as one more way a sleep
 * may end, a choice the scheduler has once a thread has vanished since the sleeper last probed
 * (probing a holder that is known alive changes nothing but a lease).
 */
export function* patient<T>(kernel: Step<T>): Step<T> {
  const t = currentThread();
  t.patient = true;
  t.outOfPatience = false;
  try {
    return yield* kernel;
  } finally {
    t.patient = false;
  }
}

/** Whether the last sleep of this thread ended because its patience ran out (see {@linkcode patient}). */
export function outOfPatience(): boolean {
  return currentThread().outOfPatience;
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
  carries?: SpecCall["carries"],
): Step<unknown> {
  const t = currentThread();
  t.aborted = false;
  let r = yield* specStep({ target, name, fn, args, timed, effect, carries });
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
