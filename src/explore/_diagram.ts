/**
 * The picture of a counterexample, as data: what the SVG and HTML views draw, derived from what a
 * failure already records (its trace, thread names, initial and final values, reason).
 *
 * - Lanes: one per thread, each step a box at its time.
 * - Edges that matter for the story, drawn across lanes:
 *   - `reads`: a step read a value that another thread wrote (the first such read of that write);
 *   - `wakes`: a `notify` (or an abort, which notifies its word) woke a sleeping thread;
 *   - `lost` (invariant failures): a plain store overwrote another thread's write to the word that
 *     the storing thread had not read since (its read came before that write): a lost update.
 * - Preemptions: the step that preempted, and the thread that could have continued.
 * - Shared memory: every word the trace touched, its value before step 1 and after every step.
 * - The failure: the highlighted steps (the lost update's write, the `always` check's step, the
 *   throwing thread's last step, a deadlock's sleeping waits) and, for a deadlock, who waits for
 *   whom: each sleeper waits for the last other thread that wrote the word it sleeps on (the one
 *   that took the lock, set the count, …), and a cycle of those is the deadlock's wait-for cycle.
 *
 * @module
 */
import type { Diagram, Edge, Sleeper } from "./_diagram_data.ts";
import { foldDiagram } from "./_diagram_fold.ts";
import { type FailureKind, show, type TraceStep } from "./_trace_step.ts";

export type { Diagram, Edge, Sleeper } from "./_diagram_data.ts";

/** What a diagram is drawn from: the fields of an `ExplorationFailure` it reads. */
export interface FailureData {
  readonly kind: FailureKind;
  readonly reason: string;
  readonly trace: readonly TraceStep[];
  readonly threadNames: readonly string[];
  readonly token: string;
  readonly initial: Readonly<Record<string, number | bigint>>;
  readonly preemptions: number;
  readonly strategy: string;
  readonly seed: number | undefined;
  readonly path: string | undefined;
  readonly scenario: unknown;
}

/** Options of a failure's pictures (`toHTML`, `toSVG`). */
export interface PictureOptions {
  /**
   * Draw at most this many steps (the last ones); longer traces start with a note of how many
   * steps were left out.
   * @default {400}
   */
  maxSteps?: number;
  /**
   * Show every kernel step: each load, compare-exchange, wait and notify a primitive's call made,
   * one row (text) or box (pictures) each. Without it, the steps of one call of a `sim()`
   * wrapper's method fold into one row or box showing the call as written (`q.put(1)`,
   * `lock.acquire(): sleeps`), numbered with its step range.
   * @default {false}
   */
  kernelSteps?: boolean;
}

const WRITES: ReadonlySet<string> = new Set(["store", "add", "sub", "exchange", "compareExchange"]);

/** Whether `s` changed its word (a write, or a successful compare-exchange). */
export function wrote(s: TraceStep): boolean {
  return s.wrote !== undefined && WRITES.has(s.op);
}

/** Whether `s` read its word. */
function reads(s: TraceStep): boolean {
  return s.read !== undefined;
}

/** The three lines of a step's box: the verb, the address, the rest of its trace text. */
function boxOf(s: TraceStep): [string, string, string] {
  const verb = s.text.split(" ", 1)[0]!;
  if (s.address === "") return [verb, "", ""];
  const head = `${verb} ${s.address}`;
  const rest = s.text.startsWith(head) ? s.text.slice(head.length).replace(/^:? /, "") : s.text;
  const mark = s.op === "compareExchange"
    ? (s.wrote !== undefined ? " ✓" : " ✗")
    : s.op === "wait" && s.result === undefined
    ? " · sleeps"
    : "";
  return [verb + mark, s.address, rest.replace(/: sleeps$/, "").replace(/, fails$/, "")];
}

/** Builds the diagram of a failure. */
export function diagramOf(f: FailureData, options: PictureOptions = {}): Diagram {
  const maxSteps = options.maxSteps ?? 400;
  if (!Number.isInteger(maxSteps) || maxSteps < 1) {
    throw new RangeError(
      `Cannot draw the failure: 'maxSteps' must be a positive integer, received ${maxSteps}`,
    );
  }
  const all = f.trace;
  const elided = Math.max(0, all.length - maxSteps);
  const steps = all.slice(elided);
  const addresses: string[] = [];
  const column = new Map<string, number>();
  for (const s of steps) {
    if (s.address !== "" && !column.has(s.address)) {
      column.set(s.address, addresses.length);
      addresses.push(s.address);
    }
  }
  const values = memoryTimeline(f, all, elided, addresses, column);

  // Edges: reads-from across threads (first read of each write by each thread), wake-ups.
  const edges: Edge[] = [];
  const lastWrite = new Map<string, number>();
  const seen = new Set<string>();
  steps.forEach((s, k) => {
    if (reads(s)) {
      const w = lastWrite.get(s.address);
      if (w !== undefined && steps[w]!.thread !== s.thread && !seen.has(`${w}:${s.thread}`)) {
        seen.add(`${w}:${s.thread}`);
        edges.push({
          kind: "reads",
          from: w,
          to: k,
          lane: s.thread,
          label: `T${s.thread} reads ${s.address} = ${show(s.read)}, written by T${
            steps[w]!.thread
          } at step ${steps[w]!.step}`,
        });
      }
    }
    for (const t of s.woke) {
      edges.push({
        kind: "wakes",
        from: k,
        to: k,
        lane: t,
        label: `T${s.thread}'s ${
          s.op === "abort" ? "abort" : "notify"
        } on ${s.address} wakes T${t}`,
      });
    }
    if (wrote(s)) lastWrite.set(s.address, k);
  });
  const lost = f.kind === "invariant" ? lostWrites(steps) : [];
  edges.push(...lost);

  const preempted = steps.map((s, k) => {
    if (!s.preempted) return -1;
    const before = k > 0 ? steps[k - 1] : all[elided - 1];
    return before === undefined ? -1 : before.thread;
  });

  const sleepers = f.kind === "deadlock" ? sleepersOf(steps) : [];
  const cycle = cycleOf(sleepers);
  const { highlight, verdict } = highlightOf(f, steps, elided, lost, sleepers, cycle);
  const title = f.reason.charAt(0).toUpperCase() + f.reason.slice(1);
  const name = (f.scenario as { name?: unknown } | undefined)?.name;
  const plural = (k: number, w: string) => `${k} ${w}${k === 1 ? "" : "s"}`;
  const subtitle = `${typeof name === "string" ? `scenario ${name}, ` : ""}${
    plural(f.threadNames.length, "thread")
  }, ${plural(all.length, "step")}, ${
    plural(f.preemptions, "preemption")
  } (found by ${f.strategy})`;
  const d: Diagram = {
    title,
    subtitle,
    kind: f.kind,
    lanes: f.threadNames.map((name, k) => `T${k} ${name}`),
    steps,
    elided,
    boxes: steps.map(boxOf),
    edges,
    preempted,
    addresses,
    values,
    highlight,
    verdict,
    sleepers,
    cycle,
    token: f.token,
    replayLine: `replay(scenario, ${JSON.stringify(f.token)})`,
    searchLine: f.seed === undefined
      ? undefined
      : f.path === undefined
      ? `sample(scenario, { seed: ${f.seed} })`
      : `search(scenario, { seed: ${f.seed}, path: ${JSON.stringify(f.path)} })`,
  };
  return options.kernelSteps ? d : foldDiagram(d);
}

/** The value of every address before the drawn steps and after each of them. */
function memoryTimeline(
  f: FailureData,
  all: readonly TraceStep[],
  elided: number,
  addresses: readonly string[],
  column: ReadonlyMap<string, number>,
): (number | bigint | undefined)[][] {
  const now: (number | bigint | undefined)[] = addresses.map((a) => f.initial[a]);
  // A word with no recorded initial value: its first read, if it was read before any write.
  const known = new Set<string>();
  for (const s of all) {
    const j = column.get(s.address);
    if (j === undefined || known.has(s.address)) continue;
    known.add(s.address);
    if (now[j] === undefined && reads(s)) now[j] = s.read;
  }
  const apply = (s: TraceStep) => {
    const j = column.get(s.address);
    if (j === undefined) return;
    if (wrote(s)) now[j] = s.wrote;
    else if (reads(s)) now[j] = s.read;
  };
  for (const s of all.slice(0, elided)) apply(s);
  const out = [[...now]];
  for (const s of all.slice(elided)) {
    apply(s);
    out.push([...now]);
  }
  return out;
}

/**
 * Lost updates: a store that overwrote another thread's write which the storing thread had not
 * read (its latest read of the word came before that write).
 */
function lostWrites(steps: readonly TraceStep[]): Edge[] {
  const out: Edge[] = [];
  const lastWrite = new Map<string, number>();
  const lastRead = new Map<string, number>(); // `${thread}:${address}` -> step index
  steps.forEach((s, k) => {
    const key = `${s.thread}:${s.address}`;
    if (s.op === "store") {
      const w = lastWrite.get(s.address);
      const r = lastRead.get(key);
      if (w !== undefined && r !== undefined && r < w && steps[w]!.thread !== s.thread) {
        out.push({
          kind: "lost",
          from: w,
          to: k,
          lane: s.thread,
          label: `T${s.thread} overwrites T${steps[w]!.thread}'s ${s.address} = ${
            show(steps[w]!.wrote)
          } without having read it (it read ${show(steps[r]!.read)} at step ${steps[r]!.step})`,
        });
      }
    }
    if (reads(s)) lastRead.set(key, k);
    if (wrote(s)) lastWrite.set(s.address, k);
  });
  return out;
}

/** The threads asleep at the end: their last step is a wait that slept, and no notify woke it. */
function sleepersOf(steps: readonly TraceStep[]): Sleeper[] {
  const last = new Map<number, number>();
  const wokenAt = new Map<number, number>();
  steps.forEach((s, k) => {
    last.set(s.thread, k);
    for (const t of s.woke) wokenAt.set(t, k);
  });
  const out: Sleeper[] = [];
  for (const [thread, k] of [...last].sort((a, b) => a[0] - b[0])) {
    const s = steps[k]!;
    if (s.op !== "wait" || s.result !== undefined || (wokenAt.get(thread) ?? -1) > k) continue;
    let w = k - 1;
    while (
      w >= 0 && !(wrote(steps[w]!) && steps[w]!.address === s.address &&
        steps[w]!.thread !== thread)
    ) w--;
    out.push({
      thread,
      step: k,
      address: s.address,
      waitsFor: w >= 0 ? { thread: steps[w]!.thread, step: w } : undefined,
    });
  }
  return out;
}

/** A cycle in the sleepers' wait-for graph (each sleeper waits for at most one thread). */
function cycleOf(sleepers: readonly Sleeper[]): number[] {
  const next = new Map(sleepers.map((s) => [s.thread, s.waitsFor?.thread]));
  for (const start of next.keys()) {
    const path: number[] = [];
    let t: number | undefined = start;
    while (t !== undefined && !path.includes(t)) {
      path.push(t);
      t = next.get(t);
    }
    if (t !== undefined) return path.slice(path.indexOf(t));
  }
  return [];
}

function highlightOf(
  f: FailureData,
  steps: readonly TraceStep[],
  elided: number,
  lost: readonly Edge[],
  sleepers: readonly Sleeper[],
  cycle: readonly number[],
): { highlight: number[]; verdict: string } {
  const lastStep = steps.length - 1;
  const lastOf = (thread: number) => steps.findLastIndex((s) => s.thread === thread);
  const only = (k: number) => k >= 0 ? [k] : [];
  switch (f.kind) {
    case "invariant": {
      const after = /^invariant violated after step (\d+)/.exec(f.reason);
      if (after) {
        return {
          highlight: only(Number(after[1]) - 1 - elided),
          verdict: `the invariant fails right after step ${after[1]}`,
        };
      }
      const l = lost.at(-1);
      if (l) return { highlight: [l.to], verdict: `lost update: ${l.label}` };
      const w = steps.findLastIndex(wrote);
      return {
        highlight: only(w >= 0 ? w : lastStep),
        verdict: "the invariant fails on the final state; highlighted: the last write",
      };
    }
    case "deadlock": {
      const words = sleepers.map((s) =>
        `T${s.thread} sleeps on ${s.address}${
          s.waitsFor
            ? `, last set by T${s.waitsFor.thread} (step ${steps[s.waitsFor.step]!.step})`
            : ", which no other thread wrote"
        }`
      );
      const loop = cycle.length > 0
        ? `wait-for cycle ${[...cycle, cycle[0]!].map((t) => `T${t}`).join(" → ")}: `
        : "no wait-for cycle: ";
      return { highlight: sleepers.map((s) => s.step), verdict: loop + words.join("; ") };
    }
    case "error": {
      const m = /^thread T(\d+) /.exec(f.reason);
      const k = m ? lastOf(Number(m[1])) : lastStep;
      return { highlight: only(k), verdict: `the last step of the thread that threw` };
    }
    default:
      return { highlight: only(lastStep), verdict: "the last step" };
  }
}
