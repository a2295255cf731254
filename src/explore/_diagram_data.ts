/**
 * The picture of a counterexample as data (`_diagram.ts` builds it, `_diagram_fold.ts` folds it,
 * `_svg.ts` and `_html.ts` draw it): its steps, boxes, arrows, memory timeline and highlights.
 *
 * @module
 */
import type { FailureKind, TraceStep } from "./_trace_step.ts";

/** A cross-lane arrow between two steps (indexes into `Diagram.steps`). */
export interface Edge {
  readonly kind: "reads" | "wakes" | "lost";
  readonly from: number;
  /** The step it points at; for `wakes`, the notify's own step (drawn in lane `lane`). */
  readonly to: number;
  /** The lane the arrow ends in. */
  readonly lane: number;
  /** What it says, for tooltips and the legend. */
  readonly label: string;
}

/** A deadlocked thread: the wait it sleeps in, and the thread it waits for. */
export interface Sleeper {
  readonly thread: number;
  /** Index of its sleeping `wait` step. */
  readonly step: number;
  readonly address: string;
  /** The last other thread that wrote `address` (and at which step), if any did. */
  readonly waitsFor: { thread: number; step: number } | undefined;
}

/** Everything the views draw. */
export interface Diagram {
  /** The failure's reason, as a sentence. */
  readonly title: string;
  /** Scenario, threads, steps, preemptions, strategy. */
  readonly subtitle: string;
  readonly kind: FailureKind;
  /** Lane headings, `T0 withdraw`. */
  readonly lanes: readonly string[];
  /** The steps drawn (the last `maxSteps` of the trace). */
  readonly steps: readonly TraceStep[];
  /** Steps of the trace left out before `steps` (long traces). */
  readonly elided: number;
  /** Each step as three short lines: verb, address, values. */
  readonly boxes: readonly (readonly [string, string, string])[];
  readonly edges: readonly Edge[];
  /** For each drawn step that preempted: the thread it preempted (-1 if not a preemption). */
  readonly preempted: readonly number[];
  /** Every word the drawn steps touched, in order of first touch. */
  readonly addresses: readonly string[];
  /**
   * `values[k][j]`: the value of `addresses[j]` after `k` drawn steps (`k = 0`: before the first);
   * `undefined` where it is not known (a word first written blind, with no initial value).
   */
  readonly values: readonly (readonly (number | bigint | undefined)[])[];
  /** Indexes of the highlighted steps. */
  readonly highlight: readonly number[];
  /** What the highlight means, in one line. */
  readonly verdict: string;
  /** Deadlock: the threads asleep at the end. */
  readonly sleepers: readonly Sleeper[];
  /** Deadlock: the threads of a wait-for cycle, in order (empty if there is none). */
  readonly cycle: readonly number[];
  /** The replay token and the line of code that replays it. */
  readonly token: string;
  readonly replayLine: string;
  /** How the search reproduces it, when it was found by fast-check or sampling. */
  readonly searchLine: string | undefined;
}
