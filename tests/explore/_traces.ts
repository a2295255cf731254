/**
 * A brute-force counter of Mazurkiewicz traces, written independently of the explorer's search code
 * (`src/explore/_dfs.ts`, `_optimal.ts`, `_access.ts`, `_races.ts`): plain depth-first search over
 * every schedule (through the engine's `execute` only), and for each execution a canonical form of
 * its trace — its steps ordered by happens-before, ties broken by the lowest thread id. Two
 * executions have the same canonical form exactly when one turns into the other by swapping
 * adjacent independent steps. {@linkcode optimalOn} holds the search to it: one execution per
 * class, every class, the same outcomes.
 *
 * Dependence, as `src/explore/_access.ts` documents it (restated here from the recorded fields,
 * not imported): overlapping bytes with at least one write (a write changes the value); the
 * waiter list of an address, written by a sleeping wait, a timeout and a notify that woke
 * someone, read by a notify that woke nobody; an awaiting step reads the words it watched; a
 * forced step conflicts with everything; under `always`, writes conflict with each other. A woken
 * thread's next step comes after the notify that woke it. A specification-level step reads its
 * unit's state (keyed by the unit's key word), or writes it when the state changed.
 */
import assert from "node:assert/strict";
import { dfs } from "../../src/explore/_dfs.ts";
import { type Event, execute, type Execution, PAUSE } from "../../src/explore/_engine.ts";
import { finalState } from "../../src/explore/_run.ts";
import { prepare, type Ready } from "../../src/explore/_scenario.ts";
import type { Scenario } from "../../src/explore/mod.ts";

/** One touched byte range: [start, end) within a buffer, read or written. */
type Touch = { buf: ArrayBufferLike; start: number; end: number; write: boolean };

/** What one recorded step touched, restated from its fields. */
interface Footprint {
  thread: number;
  all: boolean;
  memory: Touch[];
  /** Waiter list touched: buffer and byte index, and whether written. */
  list: { buf: ArrayBufferLike; at: number; write: boolean } | undefined;
  /** Threads that continue after this step. */
  wakes: number[];
}

const OP_LOAD = 0;
const OP_WAIT = 6;
const OP_NOTIFY = 7;
const OP_TIMEOUT = 9;
const OP_SPEC = 10;

function footprint(e: Event, always: boolean): Footprint {
  const wakes = e.woke ?? [];
  const f: Footprint = { thread: e.thread, all: e.forced, memory: [], list: undefined, wakes };
  if (e.forced) return f;
  if (e.watch) {
    e.watch.arrays.forEach((w, k) => {
      const start = w.byteOffset + e.watch!.indices[k]! * w.BYTES_PER_ELEMENT;
      f.memory.push({ buf: w.buffer, start, end: start + w.BYTES_PER_ELEMENT, write: false });
    });
  }
  if (e.op === OP_SPEC) {
    // A specification-level step reads its unit's state, or writes it if the state changed; the
    // unit is keyed by its key word (the lock's state word, …).
    const start = e.a.byteOffset + e.i * 4;
    f.memory.push({ buf: e.a.buffer, start, end: start + 4, write: e.spec!.wrote });
    if (e.spec!.wrote && always) f.memory.push({ buf: ALWAYS, start: 0, end: 1, write: true });
    return f;
  }
  if (e.threw || e.op === PAUSE) return f;
  const bytes = e.a.BYTES_PER_ELEMENT;
  const start = e.a.byteOffset + e.i * bytes;
  const at = { buf: e.a.buffer, start, end: start + bytes };
  if (e.op === OP_LOAD) f.memory.push({ ...at, write: false });
  else if (e.op === OP_WAIT) {
    f.memory.push({ ...at, write: false });
    if (e.slept) f.list = { buf: e.a.buffer, at: start, write: true };
  } else if (e.op === OP_NOTIFY) {
    f.list = { buf: e.a.buffer, at: start, write: wakes.length > 0 };
  } else if (e.op === OP_TIMEOUT) {
    f.list = { buf: e.a.buffer, at: start, write: true };
  } else {
    const write = e.before !== e.after;
    f.memory.push({ ...at, write });
    if (write && always) f.memory.push({ buf: ALWAYS, start: 0, end: 1, write: true });
  }
  return f;
}

/** A pseudo-buffer every write touches while `always` is checked. */
const ALWAYS = new SharedArrayBuffer(1);

function conflict(p: Footprint, q: Footprint): boolean {
  if (p.all || q.all) return true;
  for (const a of p.memory) {
    for (const b of q.memory) {
      if (a.buf === b.buf && a.start < b.end && b.start < a.end && (a.write || b.write)) {
        return true;
      }
    }
  }
  return p.list !== undefined && q.list !== undefined && p.list.buf === q.list.buf &&
    p.list.at === q.list.at && (p.list.write || q.list.write);
}

/** The canonical form of an execution's trace. */
export function canonical(
  events: readonly Event[],
  always: boolean,
): string {
  const n = events.length;
  const fp = events.map((e) => footprint(e, always));
  // Direct predecessors: program order, conflicts as they ran, wake-ups.
  const preds: Set<number>[] = events.map(() => new Set());
  const lastOf = new Map<number, number>();
  const wokenBy = new Map<number, number>();
  for (let j = 0; j < n; j++) {
    const t = fp[j]!.thread;
    const prev = lastOf.get(t);
    if (prev !== undefined) preds[j]!.add(prev);
    const waker = wokenBy.get(t);
    if (waker !== undefined) {
      preds[j]!.add(waker);
      wokenBy.delete(t);
    }
    for (let i = 0; i < j; i++) {
      if (fp[i]!.thread !== t && conflict(fp[i]!, fp[j]!)) preds[j]!.add(i);
    }
    for (const w of fp[j]!.wakes) wokenBy.set(w, j);
    lastOf.set(t, j);
  }
  // Linearize: repeatedly the lowest thread whose next step has all its predecessors placed.
  const placed = new Uint8Array(n);
  const next = new Map<number, number[]>();
  fp.forEach((f, j) => {
    const list = next.get(f.thread);
    if (list) list.push(j);
    else next.set(f.thread, [j]);
  });
  const threads = [...next.keys()].sort((a, b) => a - b);
  const out: string[] = [];
  for (let k = 0; k < n; k++) {
    let moved = false;
    for (const t of threads) {
      const list = next.get(t)!;
      const j = list[0];
      if (j === undefined || ![...preds[j]!].every((i) => placed[i])) continue;
      list.shift();
      placed[j] = 1;
      const e = events[j]!;
      // What the step did: its operation, what it returned, and for memory the value it left.
      const memory = e.op !== OP_NOTIFY && e.op !== OP_TIMEOUT && e.op !== PAUSE;
      out.push(`${t}.${e.op}.${String(e.result)}.${memory ? String(e.after) : ""}`);
      moved = true;
      break;
    }
    if (!moved) throw new Error("happens-before has a cycle");
  }
  return out.join(" ");
}

/** What plain search over every schedule found. */
export interface Classes {
  /** Schedules run. */
  schedules: number;
  /** Canonical forms of the complete executions' traces. */
  traces: Set<string>;
  /** Endings and final states of the complete executions. */
  outcomes: Set<string>;
}

/** An execution's ending, final state, and which threads are left how. */
export function outcome(p: Ready, ex: Execution): string {
  const status = ex.threads.map((t, k) => `${k}=${t.status}`).join(",");
  return `${ex.ending}:${finalState(p, ex)}:${status}`;
}

/**
 * Runs every schedule of `scenario` (plain depth-first search, no reduction) and collects the
 * trace classes and outcomes of the executions that ran to their end (failures included).
 */
export function bruteForce<S>(scenario: Scenario<S>, maxSteps = 200, limit = 2_000_000): Classes {
  const p = prepare(scenario, { maxSteps, reset: "auto" });
  const always = scenario.always !== undefined;
  const result: Classes = { schedules: 0, traces: new Set(), outcomes: new Set() };
  // Each level: the threads that could move and which of them this schedule takes.
  const stack: { options: number[]; at: number }[] = [];
  for (;;) {
    let depth = 0;
    const ex = execute(p, (ex) => {
      if (depth < stack.length) return stack[depth]!.options[stack[depth++]!.at]!;
      const options = ex.enabled.slice(0, ex.count);
      stack.push({ options, at: 0 });
      depth++;
      return options[0]!;
    }, true);
    result.schedules++;
    if (result.schedules > limit) throw new Error(`more than ${limit} schedules`);
    result.traces.add(canonical(ex.events!, always));
    result.outcomes.add(outcome(p, ex));
    while (stack.length > 0 && stack.at(-1)!.at === stack.at(-1)!.options.length - 1) stack.pop();
    if (stack.length === 0) return result;
    stack.at(-1)!.at++;
  }
}

/**
 * The classes and outcomes of the executions the optimal search runs. (It goes on after failures
 * here; `explore` stops at the first one, as the reduction's guarantees assume executions that ran
 * to their end. The scenarios below fail only by deadlock or livelock, where nothing can move.)
 */
export function reduced<S>(scenario: Scenario<S>, maxSteps = 200) {
  const p = prepare(scenario, { maxSteps, reset: "auto" });
  const traces = new Set<string>();
  const outcomes = new Set<string>();
  let executions = 0;
  let duplicates = 0;
  const r = dfs(p, {
    bound: Infinity,
    dpor: true,
    maxExecutions: 1e6,
    onExecution: (ex) => {
      if (ex.ending === "pruned") return false;
      executions++;
      const key = canonical(ex.events!, scenario.always !== undefined);
      if (traces.has(key)) duplicates++;
      traces.add(key);
      outcomes.add(outcome(p, ex));
      return false;
    },
  });
  return { executions, duplicates, traces, outcomes, pruned: r.pruned };
}

/** Asserts the optimal search's executions are the trace classes, one each. */
export function optimalOn<S>(name: string, scenario: Scenario<S>, maxSteps = 200) {
  const all = bruteForce(scenario, maxSteps);
  const got = reduced(scenario, maxSteps);
  assert.equal(got.duplicates, 0, `${name}: two explored executions are equivalent`);
  assert.equal(got.executions, all.traces.size, `${name}: executions vs Mazurkiewicz traces`);
  assert.deepEqual([...got.traces].sort(), [...all.traces].sort(), `${name}: the classes`);
  assert.deepEqual([...got.outcomes].sort(), [...all.outcomes].sort(), `${name}: outcomes`);
  return { schedules: all.schedules, traces: all.traces.size, pruned: got.pruned };
}
