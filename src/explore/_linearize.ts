/**
 * Whether one outcome of a concurrent scenario is linearizable: some order of its operations that
 * keeps each thread's program order (after the init part, before the post part) gives, run one by
 * one on the sequential specification, the results the threads saw.
 *
 * - An operation is placed at one point; one whose specification returns `BLOCKED` there cannot be
 *   placed there, unless it timed out (outcome {@linkcode TIMEOUT}): a timeout is placed at a point
 *   where the operation is blocked, and changes nothing. An operation's `spurious` outcomes (a
 *   timeout, an error's name) may be placed anywhere, with no effect.
 * - An operation whose specification suspends (`suspend(...)`) takes effect at one point and
 *   finishes at a later one, when its resumption stops blocking; a timed-out suspended operation
 *   runs its `onTimeout` at a point where the resumption blocks (or, without one, changes nothing
 *   and gives {@linkcode TIMEOUT}).
 * - Models are copied at each branch (`copyModel`); visited states are remembered by their JSON.
 *
 * @module
 */
import { copyModel } from "./_spec_step.ts";
import { BLOCKED, type SpecMethod, Suspension } from "./spec/_blocking.ts";

/** What an operation gave: its value's key, an error's name, or that it timed out. */
export type Outcome = string;

/** The outcome of an operation that timed out. */
export const TIMEOUT: Outcome = "timeout";

/** One operation with its arguments, as a sequential step. */
export interface Call {
  /** Runs the operation on the model. */
  readonly run: (model: object) => unknown;
  /** Outcomes that may be placed anywhere, with no effect (spurious failures). */
  readonly spurious?: readonly Outcome[] | undefined;
}

/** `x` as an outcome: `=` and its JSON, or `!` and an error's name. */
export function outcomeOf(x: unknown, threw: boolean): Outcome {
  if (threw) {
    if (x instanceof DOMException && x.name === "TimeoutError") return TIMEOUT;
    return `!${x instanceof Error || x instanceof DOMException ? x.name : String(x)}`;
  }
  return `=${keyOf(x)}`;
}

/** A JSON key of `x` (bigints as `123n`, undefined as `undefined`). */
export function keyOf(x: unknown): string {
  if (x === undefined) return "undefined";
  return JSON.stringify(x, (_, v) => typeof v === "bigint" ? `${v}n` : v) ?? String(x);
}

/** The outcome of `call` on `model` (changed in place), or a suspension, or BLOCKED. */
function step(
  model: object,
  fn: () => unknown,
): { blocked: true } | { suspended: Suspension } | { outcome: Outcome } {
  let r: unknown;
  try {
    r = fn.call(model);
  } catch (e) {
    return { outcome: outcomeOf(e, true) };
  }
  if (r === BLOCKED) return { blocked: true };
  if (r instanceof Suspension) return { suspended: r };
  return { outcome: outcomeOf(r, false) };
}

/** Whether `calls`, run one after the other on `model`, give their outcomes. */
function sequentially(
  model: object,
  calls: readonly { call: Call; outcome: Outcome }[],
): boolean {
  for (const c of calls) {
    const s = step(model, () => c.call.run(model));
    const o = "outcome" in s ? s.outcome : "blocked" in s ? TIMEOUT : undefined;
    if (o !== c.outcome) return false;
  }
  return true;
}

interface Pending {
  readonly resume: SpecMethod;
  readonly args: readonly unknown[];
  readonly onTimeout: SpecMethod | undefined;
}

/**
 * Whether `threads` (each a list of calls with the outcomes they gave) can be ordered so that,
 * after `init` ran on `fresh()`, the specification gives each outcome, and then `post` gives its
 * outcomes.
 */
export function linearizable(
  fresh: () => object,
  init: readonly { call: Call; outcome: Outcome }[],
  threads: readonly (readonly { call: Call; outcome: Outcome }[])[],
  post: readonly { call: Call; outcome: Outcome }[],
): boolean {
  const start = fresh();
  const n = threads.length;
  if (!sequentially(start, init)) return false;
  const seen = new Set<string>();
  const pcs = new Array<number>(n).fill(0);
  const pending = new Array<Pending | undefined>(n).fill(undefined);

  const finish = (model: object): boolean => sequentially(model, post);

  const search = (model: object): boolean => {
    let done = true;
    for (let k = 0; k < n; k++) if (pcs[k]! < threads[k]!.length) done = false;
    if (done) return finish(copyModel(model));
    const key = `${pcs.join()}|${pending.map((p) => p ? keyOf(p.args) : "").join()}|${
      keyOf(model)
    }`;
    if (seen.has(key)) return false;
    seen.add(key);
    for (let k = 0; k < n; k++) {
      const ops = threads[k]!;
      const pc = pcs[k]!;
      if (pc >= ops.length) continue;
      const want = ops[pc]!.outcome;
      const p = pending[k];
      if (p === undefined && ops[pc]!.call.spurious?.includes(want)) {
        if (continueWith(k, copyModel(model), { outcome: want }, want, p)) return true;
      }
      const m = copyModel(model);
      const s = p !== undefined
        ? step(m, () => p.resume.apply(m, p.args as unknown[]))
        : step(m, () => ops[pc]!.call.run(m));
      if ("blocked" in s) {
        if (want !== TIMEOUT && p?.onTimeout === undefined) continue;
        // A timeout, placed where the operation is blocked.
        const t = copyModel(model);
        const r = p?.onTimeout !== undefined
          ? step(t, () => p.onTimeout!.apply(t, p.args as unknown[]))
          : { outcome: TIMEOUT };
        if (continueWith(k, t, r, want, p)) return true;
        continue;
      }
      if (continueWith(k, m, s, want, p)) return true;
    }
    return false;
  };

  /** Thread k's step gave `s` on model `m`: go on if it fits. */
  const continueWith = (
    k: number,
    m: object,
    s: { blocked: true } | { suspended: Suspension } | { outcome: Outcome },
    want: Outcome,
    was: Pending | undefined,
  ): boolean => {
    if ("blocked" in s) return false;
    if ("suspended" in s) {
      pending[k] = s.suspended;
      const ok = search(m);
      pending[k] = was;
      return ok;
    }
    if (s.outcome !== want) return false;
    pending[k] = undefined;
    pcs[k]!++;
    const ok = search(m);
    pcs[k]!--;
    pending[k] = was;
    return ok;
  };

  return search(start);
}
