/**
 * Shared machinery of the strategies: options, progress, failure reports with double replay, and
 * report objects.
 *
 * @module
 */
import { execute, type Execution, setSpin } from "./_engine.ts";
import { withLevel } from "./_spec_step.ts";
import { initialValues, memoryBefore } from "./_memory.ts";
import { Diverged, replayChooser } from "./_sample.ts";
import { fingerprint, prepare, type Ready, type Reset, type Scenario } from "./_scenario.ts";
import { ExplorationFailure, hashEvents, type Provenance } from "./_trace.ts";
import { stderrIsTerminal, writeStderr } from "./_stderr.ts";

/** Options every strategy takes. */
export interface RunOptions {
  /**
   * Steps one execution may take; beyond it the execution is reported as a livelock.
   * @default {10000}
   */
  maxSteps?: number;
  /**
   * `A.spin` and `A.lockSpin` of the simulated seam: how often kernels spin before they sleep. 0
   * (the default) keeps schedules short; spinning only adds interleavings that end like sleeping
   * ones.
   * @default {0}
   */
  spin?: number;
  /**
   * How each execution gets fresh state: `"snapshot"` restores the memory `setup()` built (and
   * freezes its plain objects and arrays), `"setup"` calls `setup()` again, `"auto"` snapshots when
   * the state is only shared memory. Snapshots are ~2.5x faster on the seed's bank (20,000
   * executions: 408 vs 1,001 ms CPU).
   * @default {"auto"}
   */
  reset?: Reset;
  /**
   * Print executions, distinct final states and rate while it runs: `"auto"` does so only when
   * stderr is a terminal.
   * @default {"auto"}
   */
  progress?: boolean | "auto";
  /**
   * How the primitives' operations run. `"kernel"`: every shared access of a primitive's kernel is
   * a step (what production runs, access by access). `"spec"`: each operation (`acquire`, `wait`,
   * `notify`, …) of a `Lock`, `RLock`, `Semaphore`, `BoundedSemaphore`, `Event`, `Condition` or
   * `Barrier` is one atomic step of the primitive's sequential specification (`LockSpec`, …; a
   * blocked operation disables its thread until it can move; queues still run their kernels), so
   * schedules
   * branch only on the scenario's own conflicts: proofs of bigger scenarios, at the price of
   * trusting the kernels, which the suite checks against the same specifications
   * (`checkLinearizability`). Replay a failure with the level that found it. `specLevel(x)` puts
   * one object at the specification level whatever this says. A thread that dies (`terminate`)
   * holding a robust primitive is modelled at the kernel level only (`OwnerDiedError`,
   * `onOwnerDied`): a specification has no holder that dies, so at the specification level the
   * dead thread keeps what it held and its waiters end in a reported deadlock.
   * @default {"kernel"}
   */
  level?: Level;
}

/** How the primitives' operations run (see {@linkcode RunOptions.level}). */
export type Level = "kernel" | "spec";

/** The strategies. */
export type Strategy = "exhaustive" | "portfolio" | "random" | "pct" | "fast-check" | "replay";

/** Coverage of one pass of the exhaustive search at one preemption bound. */
export interface BoundReport {
  /** The preemption bound of the pass (`Infinity`: none). */
  readonly bound: number;
  /** Executions run in the pass. */
  readonly executions: number;
  /** Whether the pass finished (no failure, no execution limit). */
  readonly finished: boolean;
  /** Whether the pass covered every interleaving (no schedule was cut by the bound). */
  readonly complete: boolean;
}

/** What an exploration did and found. */
export interface Report {
  /** The strategy that ran. */
  readonly strategy: Strategy;
  /** Whether no failure was found. */
  readonly ok: boolean;
  /** The first failure found, with its trace and replay token. */
  readonly failure: ExplorationFailure | undefined;
  /** Executions run (for fast-check: runs, shrinking included). */
  readonly executions: number;
  /** Steps run over all executions. */
  readonly steps: number;
  /** Distinct final states (shared memory and thread results) of the complete executions. */
  readonly distinctStates: number;
  /** Exhaustive search only: every interleaving was covered. */
  readonly complete: boolean;
  /** Exhaustive search only: the highest preemption bound searched in full (Infinity: unbounded). */
  readonly boundCompleted: number | undefined;
  /** Exhaustive search only: each pass of iterative preemption bounding. */
  readonly bounds: readonly BoundReport[];
  /** Wall time, in milliseconds. */
  readonly elapsedMs: number;
  /** One line for humans. */
  readonly summary: string;
}

/** Validated common options. */
export interface Common {
  maxSteps: number;
  spin: number;
  reset: Reset;
  progress: boolean;
  level: Level;
}

function positiveInteger(what: string, name: string, v: unknown, fallback: number): number {
  if (v === undefined) return fallback;
  if (typeof v !== "number" || !(Number.isInteger(v) && v > 0) && v !== Infinity) {
    throw new RangeError(
      `Cannot ${what}: '${name}' must be a positive integer, received ${String(v)}`,
    );
  }
  return v;
}

/** Validates a non-negative integer option (or Infinity when allowed). */
export function natural(
  what: string,
  name: string,
  v: unknown,
  fallback: number,
  infinite = false,
): number {
  if (v === undefined) return fallback;
  if (
    typeof v !== "number" ||
    !(Number.isInteger(v) && v >= 0 || infinite && v === Infinity)
  ) {
    throw new RangeError(
      `Cannot ${what}: '${name}' must be a non-negative integer${
        infinite ? " or Infinity" : ""
      }, received ${String(v)}`,
    );
  }
  return v;
}

/** Validates the options every strategy shares. */
export function common(what: string, options: RunOptions | undefined): Common {
  if (options !== undefined && (typeof options !== "object" || options === null)) {
    throw new TypeError(`Cannot ${what}: options must be an object, received ${typeof options}`);
  }
  const o = options ?? {};
  const reset = o.reset ?? "auto";
  if (reset !== "auto" && reset !== "snapshot" && reset !== "setup") {
    throw new TypeError(
      `Cannot ${what}: 'reset' must be "auto", "snapshot" or "setup", received ${String(reset)}`,
    );
  }
  const progress = o.progress ?? "auto";
  const level = o.level ?? "kernel";
  if (level !== "kernel" && level !== "spec") {
    throw new TypeError(
      `Cannot ${what}: 'level' must be "kernel" or "spec", received ${String(level)}`,
    );
  }
  return {
    level,
    maxSteps: positiveInteger(what, "maxSteps", o.maxSteps, 10_000),
    spin: natural(what, "spin", o.spin, 0),
    reset,
    progress: progress === "auto" ? isTerminal() : progress === true,
  };
}

function isTerminal(): boolean {
  try {
    return stderrIsTerminal();
  } catch {
    return false;
  }
}

/** Prints a progress line to stderr about every 250 ms (when enabled). */
export class Progress {
  readonly #on: boolean;
  readonly #now: () => number;
  readonly #write: (s: string) => void;
  readonly #start: number;
  #next = 250;
  #printed = false;

  /** `now` and `write` default to `performance.now` and stderr (tests pass their own). */
  constructor(
    on: boolean,
    now: () => number = () => performance.now(),
    write: (s: string) => void = writeProgress,
  ) {
    this.#on = on;
    this.#now = now;
    this.#write = write;
    this.#start = now();
  }

  /** Call after each execution. */
  tick(executions: number, states: number, extra: string): void {
    if (!this.#on || (executions & 63) !== 0) return;
    const t = this.#now() - this.#start;
    if (t < this.#next) return;
    this.#next = t + 250;
    const rate = Math.round(executions / (t / 1000));
    this.#write(
      `\r\x1b[2K  explored ${executions.toLocaleString("en")} executions, ${
        states.toLocaleString("en")
      } distinct states, ${rate.toLocaleString("en")}/s${extra}`,
    );
    this.#printed = true;
  }

  /** Clears the line. */
  done(): void {
    if (this.#printed) this.#write("\r\x1b[2K");
  }
}

function writeProgress(s: string): void {
  try {
    writeStderr(s);
  } catch {
    // Progress is best-effort.
  }
}

/** Runs `body` with the simulated seam's spin count and the level of the primitives set. */
export function within<T>(c: Common, body: () => T): T {
  const previous = setSpin(c.spin);
  try {
    return withLevel(c.level === "spec", body);
  } finally {
    setSpin(previous);
  }
}

/** Prepares a scenario with the common options. */
export function ready<S>(scenario: Scenario<S>, c: Common): Ready {
  return prepare(scenario, { maxSteps: c.maxSteps, reset: c.reset });
}

/** Fingerprint of a complete execution's final state. */
export function finalState(p: Ready, ex: Execution): string {
  const results = ex.threads.slice(0, p.bodies.length).map((t) =>
    typeof t.result === "bigint" ? `${t.result}n` : String(t.result)
  ).join("|");
  return fingerprint(p.memoryOf(ex.shared), results);
}

/**
 * The failure report of execution `ex`: replays its schedule twice with recording, and reports a
 * divergence if the two replays (or the original) do not agree.
 */
export function failureOf(p: Ready, ex: Execution, where: Provenance): ExplorationFailure {
  const before = memoryBefore(p);
  const runs: Execution[] = [];
  for (let k = 0; k < 2; k++) {
    try {
      runs.push(execute(p, replayChooser(ex.choices), true));
    } catch (e) {
      if (!(e instanceof Diverged)) throw e;
      const partial = execute(p, replayChooser(ex.choices.slice(0, e.step - 1)), true);
      return new ExplorationFailure(
        "divergence",
        `replaying the failing schedule ${e.message}`,
        partial,
        namesOf(partial),
        where,
        undefined,
        initialValues(before, p, partial),
      );
    }
  }
  const [a, b] = runs as [Execution, Execution];
  const ea = a.events!;
  const eb = b.events!;
  if (hashEvents(ea) !== hashEvents(eb) || a.ending !== ex.ending) {
    let k = 0;
    while (k < ea.length && k < eb.length && hashEvents([ea[k]!]) === hashEvents([eb[k]!])) k++;
    return new ExplorationFailure(
      "divergence",
      `thread bodies are not deterministic: two replays of the failing schedule diverged at step ${
        k + 1
      } (first run: ${ex.reason || ex.ending})`,
      a,
      namesOf(a),
      where,
      undefined,
      initialValues(before, p, a),
    );
  }
  const kind = a.ending === "ok" || a.ending === "pruned" ? "divergence" : a.ending;
  const initial = initialValues(before, p, a);
  return new ExplorationFailure(
    kind,
    a.reason || ex.reason,
    a,
    namesOf(a),
    where,
    a.cause,
    initial,
  );
}

/** Column names of an execution's threads. */
export function namesOf(ex: Execution): string[] {
  return ex.threads.map((t) => t.name);
}

/** Builds a report. */
export function report(
  strategy: Strategy,
  fields: {
    failure: ExplorationFailure | undefined;
    executions: number;
    steps: number;
    distinctStates: number;
    complete?: boolean;
    boundCompleted?: number | undefined;
    bounds?: BoundReport[];
    elapsedMs: number;
  },
): Report {
  const { failure, executions, steps, distinctStates, elapsedMs } = fields;
  const complete = fields.complete ?? false;
  const rate = elapsedMs > 0 ? Math.round(executions / (elapsedMs / 1000)) : executions;
  const coverage = strategy === "exhaustive"
    ? complete
      ? ", every interleaving covered"
      : fields.boundCompleted !== undefined
      ? `, preemption bound ${fields.boundCompleted} completed`
      : ", no bound completed"
    : "";
  const summary = `${strategy}: ${failure ? `FAILED (${failure.kind})` : "ok"} after ${
    executions.toLocaleString("en")
  } executions, ${
    steps.toLocaleString("en")
  } steps, ${distinctStates} distinct final states${coverage} in ${elapsedMs.toFixed(0)} ms (${
    rate.toLocaleString("en")
  } executions/s)`;
  return {
    strategy,
    ok: failure === undefined,
    failure,
    executions,
    steps,
    distinctStates,
    complete,
    boundCompleted: fields.boundCompleted,
    bounds: fields.bounds ?? [],
    elapsedMs,
    summary,
  };
}
