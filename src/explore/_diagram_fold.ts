/**
 * Pictures at the user's level: a {@linkcode Diagram} whose steps are folded as the text trace
 * folds them (`_fold.ts`): the steps of one call of a `sim()` wrapper's method become one box that
 * shows the call as written (`lock.acquire(): sleeps`, `q.get() → 1`), numbered with its step
 * range; a call of one step keeps that step's box (`read balance.value → 100`) under the call's
 * text. Everything drawn from steps follows the boxes: an arrow between two steps joins their
 * boxes (and disappears inside one box), the memory after a box is the memory after its last step,
 * a box is highlighted or preempting if one of its steps is, and a deadlock's sleepers sleep in
 * the box of their last wait. `kernelSteps: true` (`toHTML`, `toSVG`, `render`) draws every step.
 *
 * @module
 */
import type { Diagram, Edge, Sleeper } from "./_diagram_data.ts";
import { foldSteps } from "./_fold.ts";
import type { TraceStep } from "./_trace_step.ts";

/** `lock` and `acquire(): sleeps` from the row text `lock.acquire(): sleeps`. */
function split(operation: string, text: string): [string, string] {
  const open = operation.indexOf("(");
  const dot = operation.lastIndexOf(".", open < 0 ? operation.length : open);
  if (dot < 0) return [text, ""];
  return [text.slice(dot + 1), operation.slice(0, dot)];
}

/** The diagram `d` with its steps folded into the user's calls (see the module doc). */
export function foldDiagram(d: Diagram): Diagram {
  const rows = foldSteps(d.steps);
  // Each drawn step's row, and each row's first and last step (rows cover consecutive steps).
  const rowOf: number[] = [];
  const first: number[] = [];
  const last: number[] = [];
  let i = 0;
  rows.forEach((r, k) => {
    first.push(i);
    while (i < d.steps.length && d.steps[i]!.step <= r.last) rowOf[i++] = k;
    last.push(i - 1);
  });
  // A row of one step keeps that step and its box (the access it made is the call), with the
  // call's text.
  const single = (k: number) => first[k] === last[k];
  const steps: TraceStep[] = rows.map((r, k) => {
    if (single(k)) return { ...d.steps[first[k]!]!, text: r.text };
    const { last: _, ...step } = r;
    return { ...step, op: "call" };
  });
  const boxes = rows.map((r, k): readonly [string, string, string] => {
    if (single(k) || r.operation === undefined) return d.boxes[first[k]!]!;
    const [call, object] = split(r.operation, r.text);
    return [call, object, r.last === r.step ? `step ${r.step}` : `steps ${r.step}-${r.last}`];
  });
  const seen = new Set<string>();
  const edges: Edge[] = [];
  for (const e of d.edges) {
    const from = rowOf[e.from]!;
    const to = rowOf[e.to]!;
    if (e.kind !== "wakes" && from === to) continue;
    const key = `${e.kind}:${from}:${to}:${e.lane}`;
    if (seen.has(key)) continue;
    seen.add(key);
    edges.push({ ...e, from, to });
  }
  const sleepers: Sleeper[] = d.sleepers.map((s) => ({
    ...s,
    step: rowOf[s.step]!,
    waitsFor: s.waitsFor && { thread: s.waitsFor.thread, step: rowOf[s.waitsFor.step]! },
  }));
  return {
    ...d,
    steps,
    boxes,
    edges,
    preempted: first.map((f) => d.preempted[f]!),
    values: [d.values[0]!, ...last.map((l) => d.values[l + 1]!)],
    highlight: [...new Set(d.highlight.map((h) => rowOf[h]!))],
    sleepers,
  };
}
