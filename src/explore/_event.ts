/**
 * What an execution records: each step as an {@linkcode Event} (for traces, replay checks and
 * partial-order reduction), and how the execution ended.
 *
 * @module
 */
import type { AtomicArray } from "../_atomics.ts";
import type { SpecCall, SpecRecord } from "./_spec_step.ts";

/**
 * A user-level operation in progress: the call of a `sim()` wrapper's method the user wrote
 * (`lock.acquire()`), whose kernel steps traces fold under it.
 */
export interface Frame {
  /** The Interlock object called (its name comes from the scenario's namer). */
  readonly object: { readonly buffer: SharedArrayBuffer; readonly byteOffset: number };
  /** The method called: `put`. */
  readonly method: string;
  /** Its arguments (shown in traces, briefly). */
  readonly args: readonly unknown[];
  /** Unique per call within an execution's trace: consecutive steps of one call share it. */
  readonly id: number;
  /** How the call ended, once it has: `→ 100`, `→ throws QueueEmptyError` (empty: no value). */
  ended?: string;
  /** What the call returned, exactly, once it has (not set when it threw). */
  returned?: { readonly value: unknown };
}

/** One step as recorded (for traces, replay checks and partial-order reduction). */
export interface Event {
  /** The thread that moved. */
  thread: number;
  /** Operation code (TIMEOUT for a fired timeout). */
  op: number;
  a: AtomicArray;
  i: number;
  x: number | bigint;
  y: number | bigint;
  /** What the operation returned ("ok"-less waits: the thread went to sleep). */
  result: unknown;
  /** The value at the address after the step (undefined for pause, or if the operation threw). */
  after: number | bigint | undefined;
  /** Whether a `wait` went to sleep. */
  slept: boolean;
  /**
   * Threads a `notify` woke, in order; for an abort (a TIMEOUT step with `aborted`), the other
   * waiters of the word it woke, as production's abort listener notifies the word, all its waiters.
   */
  woke: number[] | undefined;
  /** A TIMEOUT step that was an abort (it also woke every other waiter of the word: `woke`). */
  aborted: boolean;
  /** A TIMEOUT step in which the sleeper's patience ran out (it probes its holder next). */
  patience: boolean;
  /** Whether the operation threw (the error went into the thread). */
  threw: boolean;
  /** Whether this step preempted a thread that could have continued. */
  preempted: boolean;
  /** Whether the thread finished (returned or threw) within this step. */
  finished: boolean;
  /** The value at the address before the step (memory operations that did not throw). */
  before: number | bigint | undefined;
  /**
   * For a step that awaited a change (a `pause` or a re-`wait` at the end of a stretch without side
   * effects, see `_await.ts`): the words it watched and the values the thread had seen there.
   */
  watch: Watch | undefined;
  /** Whether an awaiting thread moved only because no other thread could (no change seen). */
  forced: boolean;
  /**
   * Steps of other threads that could happen before this step and cannot right after it: a
   * timeout (or abort) of a sleeper this `notify` woke, an await whose watched words this write
   * put back as the thread had seen them. (Partial-order reduction reverses these too.)
   */
  disabled: Pending[] | undefined;
  /** A specification-level step: the call and the unit's state before and after. */
  spec: SpecRecord | undefined;
  /** The user-level operation (a `sim()` wrapper's method) this step belongs to, if any. */
  frame: Frame | undefined;
  /**
   * After this step, its thread waits at a blocked specification-level call (no deadline): the
   * call, which races with the step that last changed its unit (partial-order reduction).
   */
  parked: Pending | undefined;
}

/** A step a thread could have made (see {@linkcode Event.disabled}). */
export interface Pending {
  readonly thread: number;
  /** TIMEOUT, PAUSE or WAIT (an await). */
  readonly op: number;
  readonly a: AtomicArray;
  readonly i: number;
  readonly x: number | bigint;
  /** For an await: the words it watched. */
  readonly watch: Watch | undefined;
  /** For a specification-level call: the call. */
  readonly spec?: SpecCall | undefined;
}

/** The words an awaiting step watched. */
export interface Watch {
  /** The arrays and indices of the words. */
  readonly arrays: readonly AtomicArray[];
  readonly indices: readonly number[];
  /** Their addresses (see `addressOf`). */
  readonly addresses: readonly number[];
  /** Bytes of each word. */
  readonly sizes: readonly number[];
  /** The values the thread had seen. */
  readonly values: readonly (number | bigint)[];
}

/** How an execution ended. */
export type Ending =
  | "ok"
  | "invariant"
  | "deadlock"
  | "livelock"
  | "error"
  | "pruned";

/** A step's record with its operation and outcome so far (the engine fills in the rest). */
export function stepRecord(
  thread: number,
  op: number,
  at: { a: AtomicArray; i: number; x: number | bigint; y: number | bigint },
  result: unknown,
  preempted: boolean,
): Event {
  return {
    thread,
    op,
    a: at.a,
    i: at.i,
    x: at.x,
    y: at.y,
    result,
    after: undefined,
    slept: false,
    woke: undefined,
    aborted: false,
    patience: false,
    threw: false,
    preempted,
    finished: false,
    before: undefined,
    watch: undefined,
    forced: false,
    disabled: undefined,
    spec: undefined,
    parked: undefined,
    frame: undefined,
  };
}
