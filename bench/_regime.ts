/**
 * The two regimes of a hand-off ping-pong between two workers on this 2-vCPU machine, and how the
 * lock benches (`lock_bench.ts`, `lock_ab_bench.ts`) tell them apart in each round.
 *
 * - **Both workers on a core** (the machine otherwise idle): a raw spinning ping-pong takes ~0.3
 *   µs per round trip. A waiter whose spin outlasts its partner's reply never sleeps, and a
 *   primitive's hand-off is then well under 1 µs per round trip (Event ~1-2 µs); one that sleeps
 *   pays a wake-up of a halted vCPU, 10-25 µs here. Which of the two a run of thousands of round
 *   trips settles in depends on whether any hand-off ever sleeps (the spin budgets are adaptive,
 *   `src/_atomics.ts`), so the figures are bimodal and a ratio of medians over few rounds moves a
 *   lot (bench/RESULTS.md, "Condition hand-off, why the two benches disagreed").
 * - **Workers sharing a core** (other processes busy): a spinning ping-pong takes milliseconds (a
 *   time slice per hand-off), every primitive hands off by sleeping, and a wake-up is a context
 *   switch on a core that is already awake (3-10 µs).
 *
 * @module
 */
import { median } from "./_stats.ts";

/** Above this, a raw spinning round trip means a worker waited for a core (~0.3 µs otherwise). */
export const PARALLEL_SPIN_MICROS = 2;

/** The indices of the rounds in which the raw spinning ping-pong (µs per round trip) had 2 cores. */
export function parallelRounds(spin: readonly number[]): number[] {
  return spin.flatMap((x, r) => x < PARALLEL_SPIN_MICROS ? [r] : []);
}

/**
 * The median over `rounds` of the per-round ratios `xs[r] / ys[r]` (NaN when `rounds` is empty: no
 * such round to compare).
 */
export function ratioOver(
  xs: readonly number[],
  ys: readonly number[],
  rounds: readonly number[],
): number {
  return rounds.length === 0 ? NaN : median(rounds.map((r) => xs[r]! / ys[r]!));
}

/** A ratio over a subset of rounds as text: `none` when no round fell in it (never `NaN`). */
export function overRounds(ratio: number, format: (x: number) => string): string {
  return Number.isNaN(ratio) ? "none (no such round)" : format(ratio);
}
