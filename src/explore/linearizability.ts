/**
 * {@linkcode checkLinearizability}: Lincheck-style checking of a concurrent object against a
 * sequential specification. Small scenarios (an init part, 2-3 threads of 1-3 operations, a post
 * part) are generated from a seed and model-checked with {@linkcode explore}; every outcome must be
 * explained by some sequential order of the operations (`_linearize.ts`). A failing scenario is
 * shrunk (operations and threads removed while it still fails) and reported with the interleaving.
 *
 * @module
 */
import type { Step } from "./sim/_common.ts";
import { type Call, linearizable, type Outcome, outcomeOf, TIMEOUT } from "./_linearize.ts";
import { prng } from "./_sample.ts";
import type { Scenario } from "./_scenario.ts";
import type { ExplorationFailure } from "./_trace.ts";
import { explore } from "./explore.ts";

/**
 * One operation of the object under check.
 *
 * - `run` is the operation under the explorer (`sim(q).put(x, { timeout: 1 })`): an operation that
 *   can block should take a timeout, so that every execution ends; a timeout is the outcome
 *   `timeout`, which a sequential order explains by placing it where the specification blocks.
 * - `call` is its production form, for the init and post parts (run before and after the threads,
 *   without the explorer); operations without one appear only in threads. It must not block.
 * - `spec` runs it on the model (default: the model's method called `name`).
 */
export interface Operation<O, M> {
  /** The operation's name, as the scenario and traces show it. */
  readonly name: string;
  /**
   * Generates its arguments from a random number in [0, 1).
   * @default {() => []}
   */
  readonly args?: (random: () => number) => readonly unknown[];
  /** The operation under the explorer (without one, it appears only in the init and post parts). */
  // deno-lint-ignore no-explicit-any
  run?(object: O, ...args: any[]): Step<unknown>;
  /** The operation outside the explorer (init and post parts). */
  // deno-lint-ignore no-explicit-any
  call?(object: O, ...args: any[]): unknown;
  /** The operation on the sequential specification. */
  // deno-lint-ignore no-explicit-any
  spec?(model: M, ...args: any[]): unknown;
  /**
   * Outcomes of the concurrent form that may happen at any point of the call, with no effect
   * (spurious failures): `"timeout"` for a timed call, or an error's name (`"QueueEmptyError"`).
   * For operations that may give up while a concurrent call they depend on is in flight (a queue's
   * `getNowait` and timed `get` pass over a slot an earlier `put` claimed but has not filled).
   * Other outcomes are still placed at one point.
   * @default {[]}
   */
  readonly spurious?: readonly string[];
}

/** Options of {@linkcode checkLinearizability}. */
export interface LinearizabilityOptions<O, M> {
  /** A title for reports. */
  readonly name?: string;
  /** A fresh concurrent object. */
  setup(): O;
  /** A fresh sequential specification in the same initial state. */
  model(): M;
  /** The operations scenarios are made of. */
  readonly operations: readonly Operation<O, M>[];
  /**
   * How many scenarios to generate.
   * @default {200}
   */
  readonly scenarios?: number;
  /**
   * The most threads a scenario has (at least 2).
   * @default {3}
   */
  readonly threads?: number;
  /**
   * The most operations per thread.
   * @default {3}
   */
  readonly operationsPerThread?: number;
  /**
   * The most operations of the init part and of the post part each.
   * @default {2}
   */
  readonly sequential?: number;
  /**
   * The most executions explored per scenario (beyond it, the scenario counts as incomplete).
   * @default {20000}
   */
  readonly maxExecutions?: number;
  /**
   * Preemptions per execution (as CHESS and Lincheck bound context switches): every interleaving
   * with at most this many preemptions is explored. `Infinity`: every interleaving.
   * @default {2}
   */
  readonly preemptionBound?: number;
  /**
   * Seed of the generator.
   * @default {1}
   */
  readonly seed?: number;
}

/** One generated operation with its arguments. */
export interface ScenarioOperation {
  /** Index into `operations`. */
  readonly op: number;
  /** Its generated arguments. */
  readonly args: readonly unknown[];
}

/** A generated scenario: init part, threads, post part. */
export interface LinearizabilityScenario {
  /** Run before the threads start (production forms, in order). */
  readonly init: readonly ScenarioOperation[];
  /** Each thread's operations, in program order. */
  readonly threads: readonly (readonly ScenarioOperation[])[];
  /** Run after every thread finished (production forms, in order). */
  readonly post: readonly ScenarioOperation[];
}

/** A scenario with an outcome that no sequential order explains. */
export interface LinearizabilityFailure {
  /** The shrunk scenario. */
  readonly scenario: LinearizabilityScenario;
  /** The scenario as text: `init: …`, one line per thread, `post: …`. */
  readonly text: string;
  /** The explorer's failure: the interleaving, its trace and replay token. */
  readonly failure: ExplorationFailure;
  /** The scenario, the outcomes and the interleaving, to print. */
  readonly message: string;
}

/** What {@linkcode checkLinearizability} found. */
export interface LinearizabilityReport {
  /** Whether every outcome of every scenario was linearizable. */
  readonly ok: boolean;
  /** Scenarios checked (the failing one included). */
  readonly scenarios: number;
  /** Scenarios not explored in full up to the preemption bound (`maxExecutions`). */
  readonly incomplete: number;
  /** Executions over all scenarios (shrinking not included). */
  readonly executions: number;
  /** The first failure, shrunk. */
  readonly failure: LinearizabilityFailure | undefined;
  /** Wall time of the whole check, shrinking included. */
  readonly elapsedMs: number;
  /** One line. */
  readonly summary: string;
}

const TIMEOUT_TEXT = "timeout";

/**
 * Checks that a concurrent object is linearizable with respect to a sequential specification,
 * Lincheck-style: generates small scenarios (an init part, 2 to `threads` threads of 1 to
 * `operationsPerThread` operations, a post part) from a seed, explores every interleaving of each
 * (optimal DPOR), and checks that every outcome is the outcome of some sequential order of the
 * operations that keeps each thread's order.
 *
 * - Blocking operations are written with their specification's `BLOCKED` (and `suspend` for those
 *   that wait after taking effect); the concurrent form takes a timeout, whose outcome is placed
 *   where the specification blocks.
 * - Each scenario is explored with optimal DPOR up to `preemptionBound` preemptions per execution
 *   (default 2; `Infinity` for every interleaving) and at most `maxExecutions` executions.
 * - A failure is shrunk: operations, then threads, are removed while the scenario still fails;
 *   the report holds the small scenario and the explorer's failure (trace, replay token).
 *
 * @param options The object, its specification, its operations, the generator's bounds.
 * @returns The report: `ok`, or the first failure, shrunk.
 * @throws {TypeError | RangeError} for malformed options.
 *
 * @example A counter whose increment is a read and a write is not linearizable
 * ```ts
 * import { Value } from "@interlock/interlock";
 * import { checkLinearizability, sim } from "@interlock/interlock/explore";
 * import assert from "node:assert/strict";
 *
 * class Counter {
 *   n = 0;
 *   inc(): number {
 *     return ++this.n;
 *   }
 *   get(): number {
 *     return this.n;
 *   }
 * }
 * const report = checkLinearizability({
 *   setup: () => new Value("i", 0, { lock: false }),
 *   model: () => new Counter(),
 *   operations: [
 *     {
 *       name: "inc",
 *       *run(v: Value<"i">) {
 *         const n = (yield* sim(v).get()) + 1; // not atomic
 *         yield* sim(v).set(n);
 *         return n;
 *       },
 *     },
 *     { name: "get", run: (v: Value<"i">) => sim(v).get(), call: (v: Value<"i">) => v.value },
 *   ],
 *   scenarios: 20,
 * });
 * assert.equal(report.ok, false);
 * assert.match(report.failure!.text, /inc\(\)/);
 * assert.ok(report.failure!.scenario.threads.length <= 3);
 * ```
 */
export function checkLinearizability<O, M extends object>(
  options: LinearizabilityOptions<O, M>,
): LinearizabilityReport {
  const o = validate(options);
  const start = performance.now();
  const random = prng(o.seed);
  let executions = 0;
  let incomplete = 0;
  for (let k = 0; k < o.scenarios; k++) {
    const s = generate(o, random);
    const r = explore(scenarioOf(o, s), exploring(o));
    executions += r.executions;
    if (r.ok && !(r.complete || r.boundCompleted === o.preemptionBound)) incomplete++;
    if (!r.ok) {
      const small = shrink(o, s, r.failure!);
      const text = textOf(o, small.scenario);
      const failure: LinearizabilityFailure = {
        scenario: small.scenario,
        text,
        failure: small.failure,
        message: `${o.name}: ${
          small.failure.kind === "invariant" ? "not linearizable" : small.failure.kind
        }\n${text}\n\n${small.failure.render()}`,
      };
      return done(k + 1, incomplete, executions, failure, start, o.name);
    }
  }
  return done(o.scenarios, incomplete, executions, undefined, start, o.name);
}

interface Checked<O, M> {
  name: string;
  setup: () => O;
  model: () => M;
  operations: readonly Operation<O, M>[];
  scenarios: number;
  threads: number;
  perThread: number;
  sequential: number;
  maxExecutions: number;
  preemptionBound: number;
  seed: number;
}

function count(name: string, v: unknown, fallback: number, min: number): number {
  const x = v ?? fallback;
  if (typeof x !== "number" || !Number.isInteger(x) || x < min) {
    throw new RangeError(
      `Cannot check linearizability: '${name}' must be an integer of at least ${min}, received ${
        String(x)
      }`,
    );
  }
  return x;
}

function validate<O, M>(o: LinearizabilityOptions<O, M>): Checked<O, M> {
  if (typeof o !== "object" || o === null) {
    throw new TypeError("Cannot check linearizability: options must be an object");
  }
  for (const f of ["setup", "model"] as const) {
    if (typeof o[f] !== "function") {
      throw new TypeError(`Cannot check linearizability: '${f}' must be a function`);
    }
  }
  if (!Array.isArray(o.operations) || o.operations.length === 0) {
    throw new TypeError("Cannot check linearizability: 'operations' must be a non-empty array");
  }
  for (const op of o.operations) {
    if (typeof op?.name !== "string" || typeof (op.run ?? op.call) !== "function") {
      throw new TypeError(
        "Cannot check linearizability: each operation needs a name and a run or a call",
      );
    }
  }
  return {
    name: o.name ?? "linearizability",
    setup: o.setup,
    model: o.model,
    operations: o.operations,
    scenarios: count("scenarios", o.scenarios, 200, 1),
    threads: count("threads", o.threads, 3, 2),
    perThread: count("operationsPerThread", o.operationsPerThread, 3, 1),
    sequential: count("sequential", o.sequential, 2, 0),
    maxExecutions: count("maxExecutions", o.maxExecutions, 20_000, 1),
    preemptionBound: o.preemptionBound === Infinity
      ? Infinity
      : count("preemptionBound", o.preemptionBound, 2, 0),
    seed: count("seed", o.seed, 1, -(2 ** 31)),
  };
}

/** The explorer's options for one scenario. */
function exploring<O, M>(o: Checked<O, M>) {
  return { maxExecutions: o.maxExecutions, preemptionBound: o.preemptionBound, progress: false };
}

function done(
  scenarios: number,
  incomplete: number,
  executions: number,
  failure: LinearizabilityFailure | undefined,
  start: number,
  name: string,
): LinearizabilityReport {
  const elapsedMs = performance.now() - start;
  const what = failure === undefined
    ? "every outcome linearizable"
    : `not linearizable (scenario ${scenarios}, shrunk to ${failure.scenario.threads.length} threads)`;
  return {
    ok: failure === undefined,
    scenarios,
    incomplete,
    executions,
    failure,
    elapsedMs,
    summary: `${name}: ${what}; ${scenarios} scenarios (${incomplete} explored in part), ${
      executions.toLocaleString("en-US")
    } executions in ${Math.round(elapsedMs)} ms`,
  };
}

/** A random scenario within the bounds (sizes drawn uniformly). */
function generate<O, M>(o: Checked<O, M>, random: () => number): LinearizabilityScenario {
  const int = (lo: number, hi: number) => lo + Math.floor(random() * (hi - lo + 1));
  const pick = (ops: number[]): ScenarioOperation => {
    const op = ops[int(0, ops.length - 1)]!;
    return { op, args: o.operations[op]!.args?.(random) ?? [] };
  };
  const all = o.operations.map((_, k) => k).filter((k) => o.operations[k]!.run !== undefined);
  const sequential = all.filter((k) => o.operations[k]!.call !== undefined);
  const part = () =>
    sequential.length === 0
      ? []
      : Array.from({ length: int(0, o.sequential) }, () => pick(sequential));
  const init = part();
  const threads = Array.from(
    { length: int(2, o.threads) },
    () => Array.from({ length: int(1, o.perThread) }, () => pick(all)),
  );
  return { init, threads, post: part() };
}

/** The model-side call of `s`. */
function callOf<O, M>(o: Checked<O, M>, s: ScenarioOperation): Call {
  const op = o.operations[s.op]!;
  const spec = op.spec;
  return {
    spurious: op.spurious?.map((x) => x === TIMEOUT ? x : `!${x}`),
    run: spec !== undefined
      ? (m) => spec(m as M, ...s.args)
      : (m) => (m as Record<string, (...a: unknown[]) => unknown>)[op.name]!(...s.args),
  };
}

/** Runs `s`'s production form on `object`: its outcome. */
function callNow<O, M>(o: Checked<O, M>, object: O, s: ScenarioOperation): Outcome {
  try {
    return outcomeOf(o.operations[s.op]!.call!(object, ...s.args), false);
  } catch (e) {
    return outcomeOf(e, true);
  }
}

/** The scenario the explorer runs for `s`: the invariant checks linearizability. */
function scenarioOf<O, M extends object>(
  o: Checked<O, M>,
  s: LinearizabilityScenario,
): Scenario<{ object: O }> {
  let init: { call: Call; outcome: Outcome }[] = [];
  return {
    name: `${o.name}: ${textOf(o, s).replaceAll("\n", "; ")}`,
    setup: () => {
      const object = o.setup();
      init = s.init.map((x) => ({ call: callOf(o, x), outcome: callNow(o, object, x) }));
      return { object };
    },
    threads: s.threads.map((ops, k) => {
      const body = function* ({ object }: { object: O }) {
        const out: Outcome[] = [];
        for (const x of ops) {
          try {
            out.push(outcomeOf(yield* o.operations[x.op]!.run!(object, ...x.args), false));
          } catch (e) {
            out.push(outcomeOf(e, true));
          }
        }
        return out;
      };
      Object.defineProperty(body, "name", { value: `T${k}` });
      return body;
    }),
    invariant: ({ object }, results) => {
      const post = s.post.map((x) => ({ call: callOf(o, x), outcome: callNow(o, object, x) }));
      const threads = s.threads.map((ops, k) =>
        ops.map((x, j) => ({ call: callOf(o, x), outcome: (results[k] as Outcome[])[j]! }))
      );
      if (linearizable(o.model, init, threads, post)) return true;
      return `no sequential order explains the outcomes: ${
        threads.map((t, k) =>
          `T${k}: ${
            t.map((c, j) => `${label(o, s.threads[k]![j]!)} ${shown(c.outcome)}`).join(", ")
          }`
        ).join("; ")
      }${
        post.length
          ? `; post: ${
            post.map((c, j) => `${label(o, s.post[j]!)} ${shown(c.outcome)}`).join(", ")
          }`
          : ""
      }`;
    },
  };
}

function shown(o: Outcome): string {
  if (o === TIMEOUT) return `→ ${TIMEOUT_TEXT}`;
  return o.startsWith("!") ? `→ throws ${o.slice(1)}` : `→ ${o.slice(1)}`;
}

function label<O, M>(o: Checked<O, M>, s: ScenarioOperation): string {
  return `${o.operations[s.op]!.name}(${s.args.map((a) => String(a)).join(", ")})`;
}

/** The scenario as text. */
function textOf<O, M>(o: Checked<O, M>, s: LinearizabilityScenario): string {
  const line = (ops: readonly ScenarioOperation[]) => ops.map((x) => label(o, x)).join(", ");
  return [
    ...(s.init.length ? [`init: ${line(s.init)}`] : []),
    ...s.threads.map((t, k) => `T${k}: ${line(t)}`),
    ...(s.post.length ? [`post: ${line(s.post)}`] : []),
  ].join("\n");
}

/** Smaller scenarios than `s`: one operation or one thread fewer. */
function* smaller(s: LinearizabilityScenario): Generator<LinearizabilityScenario> {
  const without = <T>(a: readonly T[], k: number) => [...a.slice(0, k), ...a.slice(k + 1)];
  if (s.threads.length > 1) {
    for (let k = 0; k < s.threads.length; k++) {
      yield { ...s, threads: without(s.threads, k) };
    }
  }
  for (let k = 0; k < s.threads.length; k++) {
    if (s.threads[k]!.length > 1) {
      for (let j = 0; j < s.threads[k]!.length; j++) {
        const threads = [...s.threads];
        threads[k] = without(s.threads[k]!, j);
        yield { ...s, threads };
      }
    }
  }
  for (let k = 0; k < s.init.length; k++) yield { ...s, init: without(s.init, k) };
  for (let k = 0; k < s.post.length; k++) yield { ...s, post: without(s.post, k) };
}

/** Shrinks failing scenario `s` greedily, with the failure of the smallest one. */
function shrink<O, M extends object>(
  o: Checked<O, M>,
  s: LinearizabilityScenario,
  failure: ExplorationFailure,
): { scenario: LinearizabilityScenario; failure: ExplorationFailure } {
  let best = { scenario: s, failure };
  for (let again = true; again;) {
    again = false;
    for (const t of smaller(best.scenario)) {
      const r = explore(scenarioOf(o, t), exploring(o));
      if (!r.ok) {
        best = { scenario: t, failure: r.failure! };
        again = true;
        break;
      }
    }
  }
  return best;
}
