/**
 * What one exhaustive pass over the schedules of a scenario takes and reports (`_dfs.ts` runs it,
 * with `_optimal.ts` when it reduces without a preemption bound).
 *
 * @module
 */
import type { Execution } from "./_engine.ts";

/** Options of one exhaustive pass. */
export interface DfsOptions {
  /** Preemption bound (Infinity: none). */
  bound: number;
  /** Use partial-order reduction. */
  dpor: boolean;
  /** Stop after this many executions. */
  maxExecutions: number;
  /** Called after every execution; return true to stop. */
  onExecution(ex: Execution): boolean;
}

/** What one exhaustive pass did. */
export interface DfsResult {
  executions: number;
  /** Executions abandoned as equivalent to explored ones (or as a branch that cannot move). */
  pruned: number;
  steps: number;
  /** Whether some schedule was cut by the preemption bound. */
  cut: boolean;
  /** Whether the pass stopped early (failure found, limit, or `onExecution`). */
  stopped: boolean;
  /** Whether the limit on executions stopped it. */
  limited: boolean;
}

/** A result with nothing run yet. */
export function emptyResult(): DfsResult {
  return { executions: 0, pruned: 0, steps: 0, cut: false, stopped: false, limited: false };
}

/** Counts execution `ex` into `result`; returns whether the pass stops (as `o` asks, or its limit). */
export function tally(result: DfsResult, o: DfsOptions, ex: Execution): boolean {
  result.executions++;
  result.steps += ex.steps;
  if (ex.ending === "pruned") result.pruned++;
  if (o.onExecution(ex)) {
    result.stopped = true;
    return true;
  }
  if (result.executions >= o.maxExecutions) {
    result.stopped = true;
    result.limited = true;
    return true;
  }
  return false;
}

/** The error of a replay that found other threads able to move at step `d` than before. */
export function diverged(d: number): Error {
  return new Error(
    `Nondeterministic thread bodies: replaying a schedule diverged at step ${d + 1} ` +
      "(threads must do the same shared accesses given the same schedule)",
  );
}

/** The bit of thread `k` in a set of threads. */
export const bit = (k: number): number => 1 << k;

/** The set of threads that can take the next step of `ex`, as bits. */
export function enabledSet(ex: Execution): number {
  let enabled = 0;
  for (let j = 0; j < ex.count; j++) enabled |= bit(ex.enabled[j]!);
  return enabled;
}

/** The lowest thread in the set `mask` (-1 if it is empty). */
export function lowest(mask: number): number {
  return 31 - Math.clz32(mask & -mask);
}
