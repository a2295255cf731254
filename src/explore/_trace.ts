/**
 * Counterexamples: replay tokens, readable traces (a sequence diagram with one column per thread)
 * and the error every strategy reports a failure with.
 *
 * @module
 */
import {
  ADD,
  CAS,
  type Event,
  type Execution,
  LOAD,
  NOTIFY,
  PAUSE,
  STORE,
  SUB,
  TERMINATE,
  TIMEOUT,
  WAIT,
  XCHG,
} from "./_engine.ts";
import { callText, foldSteps } from "./_fold.ts";
import { Namer } from "./_scenario.ts";
import { Suspension } from "./spec/_blocking.ts";
import { type FailureKind, objectOf, show, type TraceOp, type TraceStep } from "./_trace_step.ts";
import { diagramOf, type PictureOptions } from "./_diagram.ts";
import { htmlOf } from "./_html.ts";
import { svgOf } from "./_svg.ts";

export type { FailureKind, TraceOp, TraceStep } from "./_trace_step.ts";

/**
 * Version prefix of replay tokens; bumped whenever their meaning changes, so an old token is
 * refused instead of replaying a different schedule.
 *
 * @example
 * ```ts
 * import { TOKEN_VERSION } from "@interlock/interlock/explore";
 * import assert from "node:assert/strict";
 *
 * assert.match(TOKEN_VERSION, /^ix\d+$/);
 * ```
 */
export const TOKEN_VERSION = "ix1";

/** A replay token, decoded. */
export interface Token {
  /** How many threads the scenario had. */
  threads: number;
  /** The thread that moved at every step. */
  choices: number[];
  /** Fingerprint of the recorded steps, to tell a faithful replay from a diverging one. */
  hash: string;
}

/** Encodes a schedule as `ix1:<threads>:<thread*run.…>:<hash>`. */
export function encodeToken(threads: number, choices: readonly number[], hash: string): string {
  const runs: string[] = [];
  for (let k = 0; k < choices.length;) {
    let j = k;
    while (j < choices.length && choices[j] === choices[k]) j++;
    const t = choices[k]!.toString(36);
    runs.push(j - k === 1 ? t : `${t}*${(j - k).toString(36)}`);
    k = j;
  }
  return `${TOKEN_VERSION}:${threads}:${runs.join(".")}:${hash}`;
}

/** Decodes a token made by {@linkcode encodeToken}; throws `TypeError` for anything else. */
export function decodeToken(token: string): Token {
  if (typeof token !== "string") {
    throw new TypeError(`Cannot replay: 'token' must be a string, received ${typeof token}`);
  }
  const parts = token.trim().split(":");
  if (parts[0] !== TOKEN_VERSION) {
    throw new TypeError(
      `Cannot replay: expected a token of version ${TOKEN_VERSION}, received '${
        token.slice(0, 16)
      }'`,
    );
  }
  const bad = () => new TypeError(`Cannot replay: malformed token '${token}'`);
  if (parts.length !== 4 || !/^\d+$/.test(parts[1]!) || !/^[0-9a-f]*$/.test(parts[3]!)) throw bad();
  const choices: number[] = [];
  if (parts[2] !== "") {
    for (const run of parts[2]!.split(".")) {
      const m = /^([0-9a-z]+)(?:\*([0-9a-z]+))?$/.exec(run);
      if (!m) throw bad();
      const t = parseInt(m[1]!, 36);
      const n = m[2] === undefined ? 1 : parseInt(m[2], 36);
      for (let k = 0; k < n; k++) choices.push(t);
    }
  }
  return { threads: Number(parts[1]), choices, hash: parts[3]! };
}

/** A fingerprint of recorded steps: who moved, what, and what it got. */
export function hashEvents(events: readonly Event[]): string {
  let h = 0x811c9dc5;
  const mix = (s: string) => {
    for (let k = 0; k < s.length; k++) h = Math.imul(h ^ s.charCodeAt(k), 0x01000193);
  };
  for (const e of events) {
    const at = e.op === PAUSE ? 0 : e.a.byteOffset + e.i * e.a.BYTES_PER_ELEMENT;
    mix(`${e.thread},${e.op},${at},${String(e.result)},${String(e.after)};`);
  }
  return (h >>> 0).toString(16).padStart(8, "0");
}

const OP_NAMES: readonly TraceOp[] = [
  "load",
  "store",
  "add",
  "sub",
  "exchange",
  "compareExchange",
  "wait",
  "notify",
  "pause",
  "timeout",
  "terminate",
  "call",
];

/** ` wakes T1, T2` for the threads step `e` woke, else nothing. */
function wakes(e: Event): string {
  return e.woke?.length ? ` wakes ${e.woke.map((w) => `T${w}`).join(", ")}` : "";
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}

/** Turns recorded events into readable steps. */
export function traceOf(events: readonly Event[], namer: Namer): TraceStep[] {
  return events.map((e, k) => {
    const address = e.op === PAUSE ? "" : namer.name(e.a, e.i);
    let read: number | bigint | undefined;
    let wrote: number | bigint | undefined;
    let text: string;
    const after = e.after;
    const old = e.result as number | bigint;
    if (e.spec !== undefined) {
      text = specText(e, objectOf(address));
    } else if (e.threw) {
      text = `${OP_NAMES[e.op]} ${address}: throws ${(e.result as Error)?.name ?? show(e.result)}`;
    } else {
      switch (e.op) {
        case LOAD:
          read = old;
          text = `read ${address} → ${show(old)}`;
          break;
        case STORE:
          wrote = after;
          text = `write ${address} ← ${show(after)}`;
          break;
        case ADD:
        case SUB:
        case XCHG:
          read = old;
          wrote = after;
          text = `${e.op === ADD ? "add" : e.op === SUB ? "sub" : "xchg"} ${address}: ${
            show(old)
          } → ${show(after)}`;
          break;
        case CAS:
          read = old;
          if (after !== old || sameCoerced(e)) {
            wrote = after;
            text = `cas ${address}: ${show(old)} → ${show(after)}`;
          } else {
            text = `cas ${address}: ${show(old)} ≠ ${show(e.x)}, fails`;
          }
          break;
        case WAIT:
          read = after;
          text = e.slept
            ? `wait ${address} = ${show(e.x)}: sleeps`
            : `wait ${address} = ${show(e.x)}: not-equal (${show(after)})`;
          break;
        case TIMEOUT:
          text = e.aborted
            ? `wait ${address}: aborted${wakes(e)}`
            : e.patience
            ? `wait ${address}: out of patience (probes the holder)`
            : `wait ${address}: timed out`;
          break;
        case TERMINATE:
          text = e.result ? `terminates T${show(e.x)}` : `terminate T${show(e.x)}: it had ended`;
          break;
        case NOTIFY: {
          text = e.woke?.length
            ? `notify ${address}:${wakes(e)}`
            : `notify ${address}: nobody sleeps`;
          break;
        }
        default:
          text = "pause";
      }
    }
    return {
      step: k + 1,
      thread: e.thread,
      op: e.op === TIMEOUT && e.aborted ? "abort" : OP_NAMES[e.op]!,
      address,
      read,
      wrote,
      result: e.result,
      preempted: e.preempted,
      woke: e.woke ?? [],
      text,
      operation: e.frame && `${namer.object(e.frame.object)}.${callText(e.frame)}`,
      call: e.frame?.id,
      ended: e.frame?.ended,
    };
  });
}

/**
 * A specification-level step as the user's operation: `acquire a`, `put q ← 7`, `get q → 7`,
 * `wait ev: waits`, `acquire a: timed out`, `release a: throws RuntimeError`.
 */
function specText(e: Event, object: string): string {
  const s = e.spec!;
  const carries = s.call.carries;
  const head = `${s.call.name} ${object}${
    carries === undefined ? "" : ` ← ${show(carries.value)}`
  }`;
  if (s.timedOut) return `${head}: timed out`;
  if (e.threw) return `${head}: throws ${(e.result as Error)?.name ?? show(e.result)}`;
  const r = e.result;
  if (r instanceof Suspension) return `${head}: waits`;
  if (r === undefined || typeof r === "object" || typeof r === "function") return head;
  return `${head} → ${show(r)}`;
}

/** Whether a CAS whose memory did not change succeeded anyway (expected === replacement). */
function sameCoerced(e: Event): boolean {
  const probe = new (e.a.constructor as new (n: number) => { 0: unknown })(2);
  (probe as unknown as unknown[])[0] = e.x;
  (probe as unknown as unknown[])[1] = e.y;
  const p = probe as unknown as unknown[];
  return p[0] === e.result && p[0] === p[1];
}

/** The final values of every address a trace touched. */
export function finalValues(
  events: readonly Event[],
  namer: Namer,
): Record<string, number | bigint> {
  const out: Record<string, number | bigint> = {};
  for (const e of events) {
    if (e.op === PAUSE) continue;
    out[namer.name(e.a, e.i)] = Atomics.load(e.a as Int32Array, e.i);
  }
  return out;
}

/** Options of {@linkcode ExplorationFailure.render}. */
export interface RenderOptions extends PictureOptions {
  /**
   * `"text"`: the report with its sequence diagram, for terminals; `"html"`: the page of
   * {@linkcode ExplorationFailure.toHTML}; `"svg"`: the diagram of
   * {@linkcode ExplorationFailure.toSVG}.
   * @default {"text"}
   */
  format?: "text" | "html" | "svg";
  /**
   * Colour the diagram with ANSI escapes.
   * @default {false}
   */
  color?: boolean;
  /**
   * Widest a column may get, in characters; longer cells are cut with `…`.
   * @default {44}
   */
  width?: number;
  /**
   * Add what the strategy itself replays from (text): fast-check's `seed` and `path`, a sampler's
   * `seed`, and the raw `schedule`. The replay token alone re-runs the failure; these are for
   * driving fast-check or the sampler by hand.
   * @default {false}
   */
  details?: boolean;
}

const RESET = "\x1b[0m";
const DIM = "\x1b[2m";
const BOLD = "\x1b[1m";
const YELLOW = "\x1b[33m";

function cut(s: string, w: number): string {
  return s.length <= w ? s : s.slice(0, w - 1) + "…";
}

/**
 * Renders steps as a sequence diagram: one column per thread, one row per step, `~` before the step
 * number of a preemption.
 */
export function renderSteps(
  steps: readonly TraceStep[],
  names: readonly string[],
  options: RenderOptions = {},
): string {
  const width = options.width ?? 44;
  const color = options.color ?? false;
  const heads = names.map((n, k) => `T${k} ${n}`);
  const rows = options.kernelSteps ? steps.map((s) => ({ ...s, last: s.step })) : foldSteps(steps);
  const cells: string[][] = rows.map((s) => {
    const row = names.map(() => "");
    row[s.thread] = s.text;
    for (const w of s.woke) row[w] = `(woken by T${s.thread})`;
    return row;
  });
  const widths = heads.map((h, k) =>
    Math.min(width, Math.max(h.length, ...cells.map((r) => r[k]!.length)))
  );
  const number = (s: { step: number; last: number }) =>
    s.last === s.step ? String(s.step) : `${s.step}-${s.last}`;
  const stepWidth = Math.max(5, ...rows.map((s) => number(s).length + 1));
  const line = (
    marker: string,
    num: string,
    row: string[],
    paint: (s: string, k: number) => string,
  ) =>
    (marker + num.padStart(stepWidth - 1) + "  " +
      row.map((c, k) => paint(cut(c, widths[k]!).padEnd(widths[k]!), k)).join(" │ ")).trimEnd();
  const out = [
    line(" ", "step", heads, (s) => color ? BOLD + s + RESET : s),
    " ".repeat(stepWidth + 2) + widths.map((w) => "─".repeat(w)).join("─┼─"),
  ];
  rows.forEach((s, k) => {
    const marker = s.preempted ? (color ? YELLOW + "~" + RESET : "~") : " ";
    out.push(
      line(
        marker,
        number(s),
        cells[k]!,
        (c, col) => color && col !== s.thread ? DIM + c + RESET : c,
      ),
    );
  });
  return out.join("\n");
}

/** Where a failure was found, for the report. */
export interface Provenance {
  /** The strategy that found it. */
  strategy: string;
  /** fast-check's seed (fast-check strategy) or the sampler's seed. */
  seed?: number | undefined;
  /** fast-check's counterexample path. */
  path?: string | undefined;
  /** The fast-check schedule (choice list) of the counterexample. */
  schedule?: readonly number[] | undefined;
  /** The scenario that failed (after shrinking, for the fast-check strategy). */
  scenario: unknown;
}

/**
 * A failing interleaving: what went wrong, the schedule as a readable trace and a replay token.
 *
 * - `message` holds the whole report (reason, sequence diagram, final state, replay token, and the
 *   fast-check seed/path and schedule when they apply), so `throw report.failure` prints
 *   everything; `render()` leaves the last two out unless asked (`details: true`).
 * - `replay(scenario, failure.token)` re-runs exactly this interleaving.
 *
 * @example
 * ```ts
 * import { explore, ExplorationFailure, sim } from "@interlock/interlock/explore";
 * import assert from "node:assert/strict";
 *
 * const report = explore({
 *   setup: () => ({ n: new Int32Array(new SharedArrayBuffer(4)) }),
 *   threads: [0, 1].map(() =>
 *     function* inc({ n }: { n: Int32Array }) {
 *       const v = yield* sim(n).load(0);
 *       yield* sim(n).store(0, v + 1);
 *     }
 *   ),
 *   invariant: ({ n }) => n[0] === 2,
 * });
 * assert.ok(report.failure instanceof ExplorationFailure);
 * assert.equal(report.failure.kind, "invariant");
 * assert.match(report.failure.message, /read n → 0/);
 * ```
 */
export class ExplorationFailure extends Error {
  /** What went wrong. */
  readonly kind: FailureKind;
  /** Why, in one line. */
  readonly reason: string;
  /** The interleaving, step by step. */
  readonly trace: readonly TraceStep[];
  /** Thread display names, in thread order. */
  readonly threadNames: readonly string[];
  /** Versioned replay token: pass it to `replay(scenario, token)`. */
  readonly token: string;
  /** The final value of every address the trace touched. */
  readonly final: Readonly<Record<string, number | bigint>>;
  /**
   * The value of every address the trace touched before its first step, as the strategy that found
   * the failure recorded it (empty for a failure built without it, e.g. a diverging replay's).
   */
  readonly initial: Readonly<Record<string, number | bigint>>;
  /** Preemptions in the trace. */
  readonly preemptions: number;
  /** The strategy that found it. */
  readonly strategy: string;
  /** fast-check's (or the sampler's) seed, when there is one. */
  readonly seed: number | undefined;
  /** fast-check's counterexample path, when the fast-check strategy found it. */
  readonly path: string | undefined;
  /** The fast-check schedule of the counterexample, when the fast-check strategy found it. */
  readonly schedule: readonly number[] | undefined;
  /** The scenario that failed (shrunk, for the fast-check strategy). */
  readonly scenario: unknown;

  /** @ignore Built by the explorer: the failure of execution `ex` (recorded) of a scenario. */
  constructor(
    kind: FailureKind,
    reason: string,
    ex: Execution,
    names: readonly string[],
    where: Provenance,
    cause?: unknown,
    initial: Readonly<Record<string, number | bigint>> = {},
  ) {
    super(reason, cause === undefined ? undefined : { cause });
    this.name = "ExplorationFailure";
    const namer = new Namer(ex.shared);
    const events = ex.events ?? [];
    this.kind = kind;
    this.reason = reason;
    this.trace = traceOf(events, namer);
    this.threadNames = names;
    this.token = encodeToken(names.length, ex.choices, hashEvents(events));
    this.final = finalValues(events, namer);
    this.initial = initial;
    this.preemptions = ex.preemptions;
    this.strategy = where.strategy;
    this.seed = where.seed;
    this.path = where.path;
    this.schedule = where.schedule;
    this.scenario = where.scenario;
    this.message = this.render({ details: true });
  }

  /** Threads that took part in the trace. */
  get threads(): number {
    return this.threadNames.length;
  }

  /**
   * The report: reason, sequence diagram, final state and replay token (with `details`, the
   * strategy's seed/path and the raw schedule too); or, with `format`, the page of
   * {@linkcode ExplorationFailure.toHTML} or the diagram of {@linkcode ExplorationFailure.toSVG}.
   *
   * @param options format; colour, column width and details (text); steps drawn (html, svg).
   *   Default: a text report without details.
   * @returns The report, page or diagram.
   */
  render(options?: RenderOptions): string {
    options ??= {};
    if (options.format === "html") return this.toHTML(options);
    if (options.format === "svg") return this.toSVG(options);
    if (options.format !== undefined && options.format !== "text") {
      throw new TypeError(
        `Cannot render the failure: 'format' must be "text", "html" or "svg", received ${
          String(options.format)
        }`,
      );
    }
    const title = (this.scenario as { name?: unknown })?.name;
    const lines = [
      this.reason.charAt(0).toUpperCase() + this.reason.slice(1),
      `${typeof title === "string" ? `scenario ${title}, ` : ""}${this.threads} threads, ${
        plural(this.trace.length, "step")
      }, ${plural(this.preemptions, "preemption")} (found by ${this.strategy})`,
      "",
      renderSteps(this.trace, this.threadNames, options),
      "",
      "~ marks a preemption: the scheduler switched away from a thread that could have continued.",
      `final: ${
        Object.entries(this.final).map(([k, v]) => `${k} = ${show(v)}`).join(", ") ||
        "(no shared access)"
      }`,
      `replay token: ${this.token}  (replay(scenario, token) runs this exact schedule again)`,
    ];
    if (!options.details) return lines.join("\n");
    if (this.seed !== undefined) {
      lines.push(
        this.path === undefined
          ? `seed: ${this.seed}`
          : `fast-check: { seed: ${this.seed}, path: "${this.path}" }`,
      );
    }
    if (this.schedule !== undefined) lines.push(`schedule: [${this.schedule.join(", ")}]`);
    return lines.join("\n");
  }

  /**
   * The failure as one self-contained HTML page: one lane per thread with each step a box at its
   * time, arrows for the happens-before edges that matter (a write read by another thread, a
   * notify that woke a sleeper, an update lost), preemptions marked, the shared words as a timeline
   * under the lanes, the failure highlighted (a deadlock's wait-for cycle), a step slider (and the
   * arrow keys) that scrubs the schedule and shows shared memory at that step, and the replay token
   * with the line of code that replays it.
   *
   * - No network access: styles, script and data are inline, and the page's Content Security Policy
   *   allows nothing else (its one script by hash).
   * - Every name and value is escaped: thread names and `setup()` keys cannot inject markup.
   * - Write it to a file and open it in a browser (`Deno.writeTextFile("race.html", html)`).
   *
   * @param options how many steps to draw (the last ones of a long trace).
   * @returns The page, `<!doctype html>` first.
   * @throws {RangeError} if `maxSteps` is not a positive integer.
   *
   * @example
   * ```ts
   * import { explore, sim } from "@interlock/interlock/explore";
   * import assert from "node:assert/strict";
   *
   * const failure = explore({
   *   setup: () => ({ n: new Int32Array(new SharedArrayBuffer(4)) }),
   *   threads: [0, 1].map(() =>
   *     function* inc({ n }: { n: Int32Array }) {
   *       yield* sim(n).store(0, (yield* sim(n).load(0)) + 1);
   *     }
   *   ),
   *   invariant: ({ n }) => n[0] === 2,
   * }).failure!;
   * const html = failure.toHTML();
   * assert.match(html, /^<!doctype html>/);
   * assert.ok(html.includes(failure.token));
   * assert.equal(failure.render({ format: "html" }), html);
   * ```
   */
  toHTML(options?: PictureOptions): string {
    if (options === undefined) options = {};
    return htmlOf(this, diagramOf(this, options));
  }

  /**
   * The failure's diagram as a standalone SVG image (the HTML page's picture, with its title and
   * legend, without the slider): for READMEs and issues.
   *
   * @param options how many steps to draw (the last ones of a long trace).
   * @returns The `<svg>` document.
   * @throws {RangeError} if `maxSteps` is not a positive integer.
   *
   * @example
   * ```ts
   * import { explore, sim } from "@interlock/interlock/explore";
   * import assert from "node:assert/strict";
   *
   * const failure = explore({
   *   setup: () => ({ n: new Int32Array(new SharedArrayBuffer(4)) }),
   *   threads: [0, 1].map(() =>
   *     function* inc({ n }: { n: Int32Array }) {
   *       yield* sim(n).store(0, (yield* sim(n).load(0)) + 1);
   *     }
   *   ),
   *   invariant: ({ n }) => n[0] === 2,
   * }).failure!;
   * const svg = failure.toSVG();
   * assert.match(svg, /^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/);
   * assert.equal(svg.match(/class="lane"/g)?.length, 2);
   * ```
   */
  toSVG(options?: PictureOptions): string {
    if (options === undefined) options = {};
    return svgOf(diagramOf(this, options), { header: true });
  }
}
