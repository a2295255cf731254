/**
 * Virtual threads and the simulated seam: each shared access a thread body makes through
 * {@linkcode SIM} parks the thread with the operation as its pending step (no allocation); the
 * engine (`_engine.ts`) performs it when the scheduler picks that thread.
 *
 * @module
 */
import type { AtomicArray, GenSeam } from "../_atomics.ts";
import { Stretch } from "./_await.ts";
import type { Frame } from "./_event.ts";
import type { Parts, SpecCall } from "./_spec_step.ts";

// Operation codes (what a thread's pending step does).
export const LOAD = 0;
export const STORE = 1;
export const ADD = 2;
export const SUB = 3;
export const XCHG = 4;
export const CAS = 5;
export const WAIT = 6;
export const NOTIFY = 7;
export const PAUSE = 8;
/** Not an operation a thread yields: the step in which a blocked thread's timeout fires. */
export const TIMEOUT = 9;
/** A thread terminates another one ({@linkcode terminate}). */
export const TERMINATE = 10;
/** An operation at the specification level (`_spec_step.ts`). */
export const SPEC = 11;

// Thread states.
export const RUNNABLE = 0;
export const BLOCKED = 1;
export const DONE = 2;

/** What a thread body yields (through `yield*`) at every shared access. */
export const OP: unique symbol = Symbol("interlock.explore.op");

const NO_ARRAY = new Int32Array(0);

/** A virtual thread and its pending operation. */
export class Thread {
  /** Index in the scenario's thread list. */
  readonly id: number;
  /** The body's name, for traces. */
  readonly name: string;
  gen: Iterator<unknown, unknown, unknown> | undefined = undefined;
  status: number = RUNNABLE;
  // The pending operation (valid while RUNNABLE), or the wait it sleeps in (while BLOCKED).
  op: number = LOAD;
  a: AtomicArray = NO_ARRAY;
  i = 0;
  x: number | bigint = 0;
  y: number | bigint = 0;
  deadline = Infinity;
  /** The user-level operation the thread is inside (see `sim/_frame.ts`), recorded on its steps. */
  frame: Frame | undefined = undefined;
  /** The user-level operation the thread ended last (see `sim/_frame.ts`). */
  ended: Frame | undefined = undefined;
  /** The pending specification-level call (op SPEC). */
  spec: SpecCall | undefined = undefined;
  /** The unit state `specBlocked` was computed on (a cache: states are never changed in place). */
  specSeen: Parts | undefined = undefined;
  /** Whether the pending call is blocked in `specSeen`. */
  specBlocked = false;
  /** Waiter-list key while BLOCKED. */
  key = 0;
  /** What this thread read and whether it wrote since its last `pause` (see `_await.ts`). */
  readonly stretch: Stretch = new Stretch();
  /** Set by a wrapper while it runs a kernel on behalf of a call with an abort signal. */
  abortable = false;
  /** Whether the current sleep can be aborted (it began while `abortable`). */
  abortWait = false;
  /** Set when this thread's last sleep was aborted (the wrapper throws an `AbortError`). */
  aborted = false;
  /** Set by a wrapper while it runs a robust acquire (its sleeps may run out of patience). */
  patient = false;
  /** Whether the current sleep may run out of patience (it began while `patient`). */
  patientWait = false;
  /** Set when this thread's last sleep ended because its patience ran out. */
  outOfPatience = false;
  /** How many threads had been terminated when this thread's patience last ran out. */
  probedAt = 0;
  /** Whether another thread terminated this one. */
  terminated = false;
  result: unknown = undefined;
  error: unknown = undefined;
  failed = false;
  /**
   * The loop marks (`A.loop?.()`, `A.at?.()`, see `Seam.at`) the thread passed since it was last
   * resumed, for state caching (`_stateful.ts`); emptied at every resumption.
   */
  readonly marks: Mark[] = [];
  /** The one reusable iterator every seam operation of this thread returns (see {@linkcode Step}). */
  readonly step: Step = new Step();

  constructor(id: number, name: string) {
    this.id = id;
    this.name = name;
  }
}

/**
 * A loop mark a thread passed: the loop's `site`, the values of its live variables as text
 * (undefined: the loop starts, `A.loop?.(site, back)`), and the id of the user-level call it was
 * in (0: none).
 */
export interface Mark {
  readonly site: string;
  readonly live: string | undefined;
  readonly call: number;
  /** For a loop's start: how many of the latest results its entry history leaves out. */
  readonly back: number;
}

/** A primitive value as text, exactly (undefined for anything else). */
export function exactText(v: unknown): string | undefined {
  switch (typeof v) {
    case "undefined":
      return "u";
    case "boolean":
      return v ? "t" : "f";
    case "number":
      return Object.is(v, -0) ? "-0" : `${v}`;
    case "bigint":
      return `${v}n`;
    case "string":
      return JSON.stringify(v);
    default:
      return v === null ? "null" : undefined;
  }
}

/** A live value of a loop mark as text: exactly for primitives, else by type and text. */
function liveText(v: unknown): string {
  return exactText(v) ?? `${typeof v}:${String(v)}`;
}

/**
 * What a seam operation returns to `yield*`: an iterator that yields {@linkcode OP} once (parking
 * the thread with its pending operation) and then returns what the scheduler resumed it with. One
 * per thread, reused for every operation: a hand-written iterator instead of a generator saves a
 * generator object and one level of delegation per step. Errors the scheduler throws into the
 * thread propagate through `throw`, exactly as out of a generator.
 */
class Step {
  #parked = false;
  readonly #yielded = { done: false, value: OP as unknown };
  readonly #returned = { done: true, value: undefined as unknown };

  /** Arms the iterator for one operation. */
  arm(): this {
    this.#parked = false;
    return this;
  }

  next(value?: unknown): IteratorResult<unknown, unknown> {
    if (!this.#parked) {
      this.#parked = true;
      return this.#yielded as IteratorResult<unknown, unknown>;
    }
    this.#returned.value = value;
    return this.#returned as IteratorResult<unknown, unknown>;
  }

  throw(e?: unknown): IteratorResult<unknown, unknown> {
    throw e;
  }

  return(value?: unknown): IteratorResult<unknown, unknown> {
    this.#returned.value = value;
    return this.#returned as IteratorResult<unknown, unknown>;
  }

  [Symbol.iterator](): this {
    return this;
  }
}

let running: Thread | undefined;
let spinCount = 0;

/** Marks `t` as the thread whose body runs now (undefined: none), for {@linkcode SIM}. */
export function setRunning(t: Thread | undefined): void {
  running = t;
}

/**
 * Sets `A.spin` and `A.lockSpin` of {@linkcode SIM} for the coming executions; returns the previous
 * value.
 */
export function setSpin(spin: number): number {
  const previous = spinCount;
  spinCount = spin;
  return previous;
}

/** The virtual thread running now (wrappers use its id as the agent id of `RLock` owners). */
export function currentThread(): Thread {
  return me();
}

function me(): Thread {
  if (running === undefined) {
    throw new Error(
      "Explorer operations can only run inside a thread body driven by the explorer " +
        "(explore, search, sample or replay)",
    );
  }
  return running;
}

/**
 * Terminates virtual thread `thread` (an index into the scenario's threads, not the caller's own),
 * as `worker.terminate()` ends a worker: it runs nothing more, not even `finally` blocks, and its
 * waits and its presence are gone (see the engine's module doc). Returns whether it was still
 * running. The scheduler may place this step anywhere, so it ends the thread before any of its
 * steps; a production worker can only be stopped between two turns of its event loop, a subset.
 *
 * @example
 * ```ts
 * import { Lock } from "@interlock/interlock";
 * import { explore, sim, terminate } from "@interlock/interlock/explore";
 * import assert from "node:assert/strict";
 *
 * const report = explore({
 *   setup: () => ({ lock: new Lock() }),
 *   threads: [
 *     function* holder({ lock }: { lock: Lock }) {
 *       yield* sim(lock).acquire();
 *       return "holds it";
 *     },
 *     function* killer() {
 *       yield* terminate(0);
 *     },
 *   ],
 *   // The holder either ended (holding the lock) or was killed before or after taking it.
 *   invariant: ({ lock }, results) => results[0] === "holds it" ? lock.locked() : true,
 * });
 * assert.ok(report.ok && report.complete);
 * ```
 */
export function terminate(thread: number): Generator<unknown, boolean, unknown> {
  const t = me();
  t.op = TERMINATE;
  t.x = thread;
  return t.step.arm() as never;
}

/**
 * The simulated seam: each operation parks the calling virtual thread with the operation as its
 * pending step; the scheduler performs it and resumes the thread with its result. The operations are
 * written out one by one, as the production seam's are: each is a hot path of every exploration, and
 * a shared "record (op, a, i, x)" helper would add a call and a polymorphic argument to each step.
 */
export const SIM: GenSeam = {
  get spin(): number {
    return spinCount;
  },
  get lockSpin(): number {
    return spinCount;
  },
  notifySpin(): number {
    return spinCount;
  },
  load(a, i) {
    const t = me();
    t.op = LOAD;
    t.a = a;
    t.i = i;
    return t.step.arm() as never;
  },
  store(a, i, v) {
    const t = me();
    t.op = STORE;
    t.a = a;
    t.i = i;
    t.x = v;
    return t.step.arm() as never;
  },
  add(a, i, v) {
    const t = me();
    t.op = ADD;
    t.a = a;
    t.i = i;
    t.x = v;
    return t.step.arm() as never;
  },
  sub(a, i, v) {
    const t = me();
    t.op = SUB;
    t.a = a;
    t.i = i;
    t.x = v;
    return t.step.arm() as never;
  },
  exchange(a, i, v) {
    const t = me();
    t.op = XCHG;
    t.a = a;
    t.i = i;
    t.x = v;
    return t.step.arm() as never;
  },
  compareExchange(a, i, e, r) {
    const t = me();
    t.op = CAS;
    t.a = a;
    t.i = i;
    t.x = e;
    t.y = r;
    return t.step.arm() as never;
  },
  wait(a, i, expected, deadline) {
    const t = me();
    t.op = WAIT;
    t.a = a;
    t.i = i;
    t.x = expected;
    t.deadline = deadline;
    return t.step.arm() as never;
  },
  notify(a, i, count) {
    const t = me();
    t.op = NOTIFY;
    t.a = a;
    t.i = i;
    t.x = count;
    return t.step.arm() as never;
  },
  pause() {
    const t = me();
    t.op = PAUSE;
    return t.step.arm() as never;
  },
  loop(site, back = 0) {
    const t = me();
    t.marks.push({ site, live: undefined, call: t.frame?.id ?? 0, back });
  },
  at(site, ...live) {
    const t = me();
    t.marks.push({ site, live: live.map(liveText).join(","), call: t.frame?.id ?? 0, back: 0 });
  },
};

/**
 * Parks the running thread with a specification-level call as its pending step (see
 * `_spec_step.ts`); the engine runs it and resumes the thread with its result.
 */
export function specStep(call: SpecCall): Generator<unknown, unknown, unknown> {
  const t = me();
  t.op = SPEC;
  t.spec = call;
  t.specSeen = undefined;
  t.a = call.target.unit;
  t.i = call.target.index;
  return t.step.arm() as never;
}

/** The current execution's numbering of the buffers it touches. */
let numbered = new Map<ArrayBufferLike, number>();

let lastBuffer: ArrayBufferLike | undefined;
let lastBufferId = 0;

/**
 * Starts an execution's numbering of buffers: those of its shared state 1, 2, … in `buffers`' order
 * (the walk order of the state), any other in order of first use. So the same word has the same
 * address in every execution (partial-order reduction compares steps across executions), also when
 * each one builds its state anew with `setup()`.
 */
export function numberBuffers(buffers: Iterable<ArrayBufferLike>): void {
  numbered = new Map();
  for (const b of buffers) if (!numbered.has(b)) numbered.set(b, numbered.size + 1);
  lastBuffer = undefined;
}

/** The number of `buffer` in the current execution (see {@linkcode numberBuffers}). */
export function bufferId(buffer: ArrayBufferLike): number {
  if (buffer === lastBuffer) return lastBufferId;
  let id = numbered.get(buffer);
  if (id === undefined) {
    id = numbered.size + 1;
    numbered.set(buffer, id);
  }
  lastBuffer = buffer;
  lastBufferId = id;
  return id;
}

/** The address of element `i` of `a`: buffer id and byte index in one number. */
export function addressOf(a: AtomicArray, i: number): number {
  return bufferId(a.buffer) * 2 ** 32 + a.byteOffset + i * a.BYTES_PER_ELEMENT;
}
