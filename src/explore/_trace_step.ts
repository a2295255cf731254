/**
 * What a counterexample's trace is made of, shared by the text report (`_trace.ts`) and the
 * pictures (`_diagram.ts`, `_svg.ts`, `_html.ts`): the readable steps, the operations they show,
 * the kinds of failure, and how values print.
 *
 * @module
 */

/** The operations a trace step can show. */
export type TraceOp =
  | "load"
  | "store"
  | "add"
  | "sub"
  | "exchange"
  | "compareExchange"
  | "wait"
  | "notify"
  | "pause"
  | "timeout"
  | "abort"
  | "terminate"
  | "call";

/** One step of a counterexample, in readable form. */
export interface TraceStep {
  /** 1-based step number. */
  readonly step: number;
  /** The thread that moved. */
  readonly thread: number;
  /** What it did. */
  readonly op: TraceOp;
  /** The address it touched, named after the scenario's `setup()` keys (`""` for `pause`). */
  readonly address: string;
  /** The value the step found at the address (before it wrote), if it read one. */
  readonly read: number | bigint | undefined;
  /** The value the step left at the address, if it wrote one. */
  readonly wrote: number | bigint | undefined;
  /** What the operation returned (an error if it threw). */
  readonly result: unknown;
  /** Whether this step preempted a thread that could have continued. */
  readonly preempted: boolean;
  /** Threads a `notify` woke (or an abort: the other waiters of the word, see `Waiters.leave`). */
  readonly woke: readonly number[];
  /** The step as the trace shows it, e.g. `read balance.value → 100`. */
  readonly text: string;
  /**
   * The user-level operation the step belongs to, e.g. `q.put(1)` (a `sim()` wrapper's method as
   * the user called it); undefined for raw memory operations.
   */
  readonly operation?: string | undefined;
  /** Identifies the call of {@linkcode TraceStep.operation}: its steps share it. */
  readonly call?: number | undefined;
  /** How that call ended (`→ 100`, `→ throws QueueEmptyError`, `""`), undefined if it had not. */
  readonly ended?: string | undefined;
}

/** `100`, `7n`: a value as traces show it. */
export function show(v: unknown): string {
  return typeof v === "bigint" ? `${v}n` : String(v);
}

/** What kind of failure an exploration found. */
export type FailureKind = "invariant" | "deadlock" | "livelock" | "error" | "divergence";

/** The object an address belongs to: `lock` for `lock.state`. */
export function objectOf(address: string): string {
  return address.replace(/\.[A-Za-z_$][\w$]*$/, "");
}
