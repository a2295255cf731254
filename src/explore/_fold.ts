/**
 * Traces at the user's level: the steps of one call of a `sim()` wrapper's method (`q.put(1)`,
 * `lock.acquire()`: see `sim/_frame.ts`) folded into one row that shows the call, with the kernel's
 * loads, compare-exchanges and waits under it (`render({ kernelSteps: true })` shows them).
 *
 * - Consecutive steps of one thread in one call make one row, numbered with their step range.
 * - A call that sleeps ends its row with `: sleeps`; the row where it goes on after a wake-up
 *   (or a timeout) reads `q.get() (continued)`, so a lost wake-up shows as a call that never
 *   continues. Wake-ups still mark the woken thread's column on the waker's row.
 * - Raw memory operations (`sim(int32array)`) and steps outside any call keep a row each.
 *
 * @module
 */
import type { Frame } from "./_event.ts";
import type { TraceStep } from "./_trace_step.ts";

/** One row of a folded trace: a step, or the steps of one call. */
export interface FoldedRow extends TraceStep {
  /** The last step the row covers (its first is `step`). */
  readonly last: number;
}

/** `put(1, {…})`: a call as traces show it, arguments cut short. */
export function callText(frame: Pick<Frame, "method" | "args">): string {
  const args = [...frame.args];
  while (args.length > 0 && args[args.length - 1] === undefined) args.pop();
  return `${frame.method}(${args.map(argText).join(", ")})`;
}

/** A value as a folded row shows what a call returned: short, like its arguments. */
export function valueText(v: unknown): string {
  return argText(v);
}

function argText(v: unknown): string {
  if (typeof v === "string") {
    const s = JSON.stringify(v);
    return s.length <= 14 ? s : `${s.slice(0, 12)}…"`;
  }
  if (typeof v === "bigint") return `${v}n`;
  if (typeof v === "function") return "ƒ";
  if (typeof v === "object" && v !== null) return Array.isArray(v) ? "[…]" : "{…}";
  return String(v);
}

/** Folds `steps` into rows at the user's level (see the module doc). */
export function foldSteps(steps: readonly TraceStep[]): FoldedRow[] {
  const rows: FoldedRow[] = [];
  const seen = new Set<number>();
  const lastOf = new Map<number, number>();
  for (const s of steps) if (s.call !== undefined) lastOf.set(s.call, s.step);
  let k = 0;
  while (k < steps.length) {
    const first = steps[k]!;
    if (first.call === undefined || first.operation === undefined) {
      rows.push({ ...first, last: first.step });
      k++;
      continue;
    }
    let j = k + 1;
    while (
      j < steps.length && steps[j]!.call === first.call && steps[j]!.thread === first.thread
    ) j++;
    const group = steps.slice(k, j);
    const end = group[group.length - 1]!;
    const again = seen.has(first.call);
    seen.add(first.call);
    let text = again ? `${first.operation} (continued)` : first.operation;
    if (end.op === "wait" && / sleeps$/.test(end.text)) text += ": sleeps";
    else if (end.op === "timeout") text += ": times out";
    else if (end.op === "abort") text += ": aborted";
    if (end.step === lastOf.get(first.call) && end.ended !== undefined) text += end.ended;
    rows.push({
      ...first,
      last: end.step,
      text,
      preempted: first.preempted,
      woke: group.flatMap((s) => s.woke),
    });
    k = j;
  }
  return rows;
}
