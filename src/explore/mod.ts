/**
 * The interleaving explorer: run virtual threads that use Interlock primitives and shared memory
 * under a deterministic scheduler that decides, at every shared-memory access, which thread moves
 * next; search those schedules for a broken invariant, a deadlock or a livelock; and show a failing
 * schedule as a sequence diagram with a replay token.
 *
 * ```ts
 * import { Lock } from "@interlock/interlock";
 * import { explore, search, sim } from "@interlock/interlock/explore";
 * import assert from "node:assert/strict";
 *
 * const bank = (locked: boolean) => ({
 *   name: locked ? "locked bank" : "unlocked bank",
 *   setup: () => ({ lock: new Lock(), balance: new Int32Array(new SharedArrayBuffer(4)).fill(100) }),
 *   threads: [-1, +1].map((delta) =>
 *     function* transfer({ lock, balance }: { lock: Lock; balance: Int32Array }) {
 *       if (locked) yield* sim(lock).acquire();
 *       const v = yield* sim(balance).load(0);
 *       yield* sim(balance).store(0, v + delta);
 *       if (locked) yield* sim(lock).release();
 *     }
 *   ),
 *   invariant: ({ balance }: { balance: Int32Array }) => balance[0] === 100,
 * });
 *
 * const race = search(bank(false)).failure; // found and shrunk by fast-check
 * assert.ok(race !== undefined);
 * assert.match(race.render(), /read balance → 100/); // the lost update, one column per thread
 * assert.ok(explore(bank(true)).complete); // every interleaving of the locked bank is fine
 * ```
 *
 * ## The same code production runs
 *
 * Every primitive's shared-memory algorithm is a *kernel* written once against the atomics seam
 * (`src/_atomics.ts`); `tools/derive_kernels.ts` derives its generator form mechanically (checked in
 * CI). Production runs the plain form with direct `Atomics` calls (no generator on the hot path);
 * the explorer runs the derived form with a simulated seam whose every operation parks the virtual
 * thread with its pending operation (a reused per-thread iterator, no allocation) and yields to the
 * scheduler, which performs the operation atomically on the real shared memory with the real
 * `Atomics` function when it picks that thread. `sim(lock).acquire()` is `Lock`'s own kernel with
 * `Lock`'s own glue, so a bug the explorer finds is a bug users have.
 *
 * Why this design, in figures measured on the development machine (2 vCPUs, shared; process CPU
 * time; `bench/explore_bench.ts`, see `bench/RESULTS.md`, ## Explorer):
 *
 * - the simulator makes ~3.3 M steps/s (~300 ns per shared access, ~15x a production
 *   `Atomics.add`), and runs the 2x2 locked bank at 1.4-1.9 M steps/s, 50,000-100,000
 *   executions/s (random walk, PCT); optimal partial-order reduction proves all 2x2 interleavings
 *   with one execution per class of equivalent ones (298) in ~0.1 s, and 2x3 (15,456) in
 *   ~1.1-1.5 s of wall time on the shared machine;
 * - production pays nothing for it: the plain kernels run with `REAL`, ~36 ns per locked
 *   `Value` transaction (acquire, get, set, release) here, where running the generator form in
 *   production would cost ~6x per locked transfer, and driving real workers in lock-step manages
 *   only ~16,000 steps/s (the measurements behind the seam's design, `src/_atomics.ts`).
 *
 * ## Your own code, unchanged
 *
 * {@linkcode loadModule} loads the module your workers run and explores its functions as they are
 * written (their generator form is derived when it loads, as the kernels' is): every operation on
 * an Interlock object, every plain access to shared memory and every `Atomics` call is a step, and
 * two plain accesses that nothing orders fail the execution with a {@linkcode DataRaceError}.
 *
 * ## Semantics
 *
 * - All operations are sequentially consistent and atomic, as `Atomics` is; a `wait` checks and
 *   sleeps in one step, wakes only by `notify` (count respected, arrival order, waiter lists per
 *   address) or by its timeout, which is one more scheduling choice (no clock).
 * - An abort (a wrapper's `abortable` option) is modelled as production's async driver behaves: the
 *   kernel backs out as from a timeout, the abandoned wait stays in the waiter list, and a `notify`
 *   that lands on it is passed on later by a forwarder thread (one more column in traces).
 * - A thread dies by {@linkcode terminate}, a step of another thread (as `worker.terminate()`): it
 *   runs nothing more and its waits are dropped. Robust primitives see it as production does: each
 *   thread's presence is a record in the execution's presence registry, which a probe finds empty
 *   once the thread is gone; a robust acquire's sleep may run out of patience (one more
 *   scheduling choice) once a thread has died since it last probed.
 * - Every unfinished thread asleep with no timeout is a **deadlock**; more than `maxSteps` steps is a
 *   **livelock**; a thread that throws fails the run too.
 * - Thread bodies must be deterministic: every failure is replayed twice and a divergence is
 *   reported as such ("diverged at step k").
 * - `A.spin` is 0 under the explorer unless `spin` is set. Once a spin loop ran the same iteration
 *   twice (the same words read with the same values, no write, a `pause()` after each), its next
 *   `pause()` waits until another thread changes a word it read, or until no other thread can
 *   move; so spin loops add few schedules. This assumes the iteration would repeat the same way
 *   while those words stay (`_await.ts` says where that fails: spin budgets).
 * - Two schedules are equivalent when they differ only in the order of independent steps (other
 *   words; reads of the same word; a write that left the value as it was counts as a read);
 *   equivalent schedules end in the same state with the same thread results. With an `always`
 *   check, writes are never reordered among themselves, so every state it could see is visited.
 *
 * ## Strategies
 *
 * - {@linkcode explore}: exhaustive search with optimal dynamic partial-order reduction (one
 *   execution per Mazurkiewicz trace: wakeup trees over sleep sets, as in Nidhugg and GenMC),
 *   optionally with iterative preemption bounding (bound 0, 1, 2, …; the report says which bound
 *   completed).
 * - {@linkcode search}: fast-check; the schedule is shrinkable data and the scenario may be generated
 *   too, so a failure shrinks to few threads, few steps and few context switches.
 * - {@linkcode sample}: by default a portfolio of random walks and PCT at depths 2 and 3, taking
 *   turns; or PCT at one depth, or a random walk; from a seed.
 * - {@linkcode replay}: re-runs a failure's versioned replay token.
 *
 * A failure prints as a sequence diagram (`failure.render()`), and draws as a self-contained HTML
 * page with a step slider over shared memory (`failure.toHTML()`) or an SVG diagram
 * (`failure.toSVG()`): one lane per thread, arrows for the happens-before edges that matter, the
 * failure highlighted.
 *
 * @module
 */
import fc, { type Arbitrary } from "fast-check";
import { execute, type Execution } from "./_engine.ts";
import { dfs } from "./_dfs.ts";
import {
  type BoundReport,
  common,
  failureOf,
  finalState,
  namesOf,
  natural,
  Progress,
  ready,
  type Report,
  report,
  type RunOptions,
  withSpin,
} from "./_run.ts";
import { Diverged, prng, replayChooser, sampler, scheduleChooser } from "./_sample.ts";
import type { Ready, Scenario } from "./_scenario.ts";
import { decodeToken, ExplorationFailure } from "./_trace.ts";

export { sim } from "./sim/sim.ts";
export { agentOf, type SimAcquireOptions, type SimWaitOptions, type Step } from "./sim/_common.ts";
export { terminate } from "./_engine.ts";
export { SimArray } from "./sim/memory.ts";
export { SimLock } from "./sim/lock.ts";
export { SimRLock } from "./sim/rlock.ts";
export { SimSemaphore } from "./sim/semaphore.ts";
export { SimEvent } from "./sim/event.ts";
export { SimCondition } from "./sim/condition.ts";
export { SimBarrier, type SimBarrierWaitOptions } from "./sim/barrier.ts";
export { SimValue } from "./sim/value.ts";
export { SimSharedArray } from "./sim/array.ts";
export { SimQueue } from "./sim/queue.ts";
export {
  type AnyFunction,
  type ArgsOf,
  type ExplorableModule,
  fromModule,
  type FunctionName,
  loadModule,
  type ModuleScenario,
  type ModuleThread,
} from "./module.ts";
export {
  DataRaceError,
  NotExplorableError,
  type RaceAccess,
  type SourceSite,
} from "./_module_errors.ts";
export type { Reset, Scenario, ThreadBody } from "./_scenario.ts";
export type { PictureOptions } from "./_diagram.ts";
export {
  ExplorationFailure,
  type FailureKind,
  type RenderOptions,
  TOKEN_VERSION,
  type TraceOp,
  type TraceStep,
} from "./_trace.ts";
export type { BoundReport, Report, RunOptions, Strategy } from "./_run.ts";
export type {
  AtomicArray,
  AtomicBigIntArray,
  AtomicNumberArray,
  ElementOf,
  WaitResult,
} from "../_atomics.ts";

/**
 * A fast-check arbitrary of scenarios, as `fc.record(...).map(toScenario)` returns: the shape
 * {@linkcode search} needs (any `fc.Arbitrary<Scenario<S>>` fits).
 */
export interface ScenarioArbitrary<S> {
  /** fast-check's generator. */
  generate(...args: never[]): unknown;
  /** fast-check's shrinker. */
  shrink(...args: never[]): unknown;
  /** fast-check's context-free shrink check; its type guard carries the scenario type. */
  canShrinkWithoutContext(value: unknown): value is Scenario<S>;
}

/** Options of {@linkcode explore}. */
export interface ExploreOptions extends RunOptions {
  /**
   * Iterative preemption bounding: search with at most 0, then 1, … up to this many preemptions per
   * execution, stopping early once a pass covered everything. `Infinity`: one unbounded pass.
   * @default {Infinity}
   */
  preemptionBound?: number;
  /**
   * Dynamic partial-order reduction: explore one schedule per class of equivalent ones (schedules
   * that differ only in the order of independent steps). `false` runs plain depth-first search
   * over every schedule (for small cases and cross-checks).
   * @default {true}
   */
  dpor?: boolean;
  /**
   * Stop after this many executions (the report then says the search is incomplete).
   * @default {1000000}
   */
  maxExecutions?: number;
}

/**
 * Explores every interleaving of `scenario` (up to a preemption bound if one is given) and reports
 * the first failure, or full coverage.
 *
 * - Exhaustive: with no bound and no failure, `report.complete` means every schedule was covered
 *   (up to equivalence: swapping independent steps changes nothing).
 * - With `preemptionBound: k`, passes run for bound 0, 1, …, k; `report.boundCompleted` is the
 *   highest bound searched in full, `report.bounds` lists each pass, and a failure is found with as
 *   few preemptions as possible.
 * - Stops at the first failure; `report.failure` holds its trace and replay token.
 *
 * @param scenario Shared state, threads and invariants.
 * @param options Bound, reduction, limits.
 * @returns The report.
 * @throws {TypeError | RangeError} for a malformed scenario or options.
 *
 * @example Prove a locked counter and break an unlocked one
 * ```ts
 * import { Lock } from "@interlock/interlock";
 * import { explore, sim } from "@interlock/interlock/explore";
 * import assert from "node:assert/strict";
 *
 * const counter = (locked: boolean) => ({
 *   setup: () => ({ lock: new Lock(), n: new Int32Array(new SharedArrayBuffer(4)) }),
 *   threads: [0, 1].map(() =>
 *     function* inc({ lock, n }: { lock: Lock; n: Int32Array }) {
 *       if (locked) yield* sim(lock).acquire();
 *       const v = yield* sim(n).load(0);
 *       yield* sim(n).store(0, v + 1);
 *       if (locked) yield* sim(lock).release();
 *     }
 *   ),
 *   invariant: ({ n }: { n: Int32Array }) => n[0] === 2,
 * });
 *
 * const proof = explore(counter(true));
 * assert.ok(proof.ok && proof.complete);
 * const bug = explore(counter(false), { preemptionBound: 2 });
 * assert.equal(bug.failure?.kind, "invariant");
 * assert.equal(bug.failure?.preemptions, 1);
 * ```
 */
export function explore<S>(scenario: Scenario<S>, options?: ExploreOptions): Report {
  const c = common("explore", options);
  const bound = natural("explore", "preemptionBound", options?.preemptionBound, Infinity, true);
  const maxExecutions = natural("explore", "maxExecutions", options?.maxExecutions, 1_000_000);
  const dpor = options?.dpor ?? true;
  if (typeof dpor !== "boolean") {
    throw new TypeError(`Cannot explore: 'dpor' must be a boolean, received ${typeof dpor}`);
  }
  return withSpin(c.spin, () => {
    const p = ready(scenario, c);
    const start = performance.now();
    const states = new Set<string>();
    const progress = new Progress(c.progress);
    const bounds: BoundReport[] = [];
    let failure: ExplorationFailure | undefined;
    let executions = 0;
    let steps = 0;
    let complete = false;
    let boundCompleted: number | undefined;
    const passes = bound === Infinity ? [Infinity] : Array.from({ length: bound + 1 }, (_, k) => k);
    for (const b of passes) {
      let failed: Execution | undefined;
      let ran = 0;
      const r = dfs(p, {
        bound: b,
        dpor,
        maxExecutions: Math.max(1, maxExecutions - executions),
        onExecution: (ex) => {
          steps += ex.steps;
          if (ex.ending === "pruned") return false;
          ran++;
          if (ex.ending !== "ok") {
            failed = ex;
            return true;
          }
          states.add(finalState(p, ex));
          progress.tick(executions + ran, states.size, b === Infinity ? "" : `, bound ${b}`);
          return false;
        },
      });
      executions += ran;
      if (failed) {
        bounds.push({ bound: b, executions: ran, finished: false, complete: false });
        failure = failureOf(p, failed, {
          strategy: b === Infinity
            ? "exhaustive search"
            : `exhaustive search, preemption bound ${b}`,
          scenario,
        });
        break;
      }
      bounds.push({
        bound: b,
        executions: ran,
        finished: !r.limited,
        complete: !r.limited && !r.cut,
      });
      if (r.limited) break;
      boundCompleted = b;
      if (!r.cut) {
        complete = true;
        break;
      }
    }
    progress.done();
    return report("exhaustive", {
      failure,
      executions,
      steps,
      distinctStates: states.size,
      complete,
      boundCompleted,
      bounds,
      elapsedMs: performance.now() - start,
    });
  });
}

/** Options of {@linkcode sample}. */
export interface SampleOptions extends RunOptions {
  /**
   * `"pct"`: probabilistic concurrency testing (random priorities, `depth - 1` priority change
   * points); `"random"`: a uniformly random enabled thread at every step; `"portfolio"`: runs take
   * turns between a random walk and PCT at each depth from 2 to `depth`, so bugs that need 2 or 3
   * ordering constraints are found with the defaults.
   * @default {"portfolio"}
   */
  strategy?: "portfolio" | "pct" | "random";
  /**
   * Executions to run.
   * @default {1000}
   */
  runs?: number;
  /**
   * PCT's bug depth d (how many ordering constraints the bug needs); 2 or 3 find most bugs. For
   * `"portfolio"`, the deepest PCT depth in its rotation (3 unless given); for `"pct"`, 2 unless
   * given.
   * @default {3}
   */
  depth?: number;
  /**
   * Seed of the random choices; printed with every failure. Random when not given.
   * @default {undefined}
   */
  seed?: number;
}

/**
 * Samples schedules of `scenario` at random: PCT with depth d (a bug of depth d is found with
 * probability at least 1/(n·k^(d−1)) per run, for n threads and k steps), a random walk, or (the
 * default) both in turn: a random walk, PCT depth 2, PCT depth 3, a random walk, …
 *
 * - Deterministic given `seed`; the seed, the run and its strategy, and a replay token are printed
 *   with every failure.
 * - Stops at the first failure.
 *
 * @param scenario Shared state, threads and invariants.
 * @param options Strategy, runs, depth, seed.
 * @returns The report.
 * @throws {TypeError | RangeError} for a malformed scenario or options.
 *
 * @example
 * ```ts
 * import { sample, sim } from "@interlock/interlock/explore";
 * import assert from "node:assert/strict";
 *
 * const report = sample({
 *   setup: () => ({ n: new Int32Array(new SharedArrayBuffer(4)) }),
 *   threads: [0, 1, 2].map(() =>
 *     function* inc({ n }: { n: Int32Array }) {
 *       yield* sim(n).add(0, 1);
 *     }
 *   ),
 *   invariant: ({ n }) => n[0] === 3,
 * }, { strategy: "pct", depth: 3, runs: 200, seed: 7 });
 * assert.ok(report.ok);
 * assert.equal(report.executions, 200);
 * ```
 */
export function sample<S>(scenario: Scenario<S>, options?: SampleOptions): Report {
  const c = common("sample", options);
  const strategy = options?.strategy ?? "portfolio";
  if (strategy !== "portfolio" && strategy !== "pct" && strategy !== "random") {
    throw new TypeError(
      `Cannot sample: 'strategy' must be "portfolio", "pct" or "random", received ${
        String(strategy)
      }`,
    );
  }
  const runs = natural("sample", "runs", options?.runs, 1000);
  const depth = natural("sample", "depth", options?.depth, strategy === "pct" ? 2 : 3);
  if (depth < 1) throw new RangeError("Cannot sample: 'depth' must be at least 1, received 0");
  const seed = options?.seed ?? Math.floor(Math.random() * 2 ** 31);
  if (!Number.isInteger(seed)) {
    throw new RangeError(`Cannot sample: 'seed' must be an integer, received ${seed}`);
  }
  return withSpin(c.spin, () => {
    const p = ready(scenario, c);
    const start = performance.now();
    const random = prng(seed);
    const states = new Set<string>();
    const progress = new Progress(c.progress);
    const n = p.bodies.length;
    let k = 16;
    let steps = 0;
    let executions = 0;
    let failure: ExplorationFailure | undefined;
    for (let run = 0; run < runs; run++) {
      const { choose, label } = sampler(strategy, depth, run, random, n, k);
      const ex = execute(p, choose, false);
      executions++;
      steps += ex.steps;
      if (ex.steps > k) k = ex.steps;
      if (ex.ending !== "ok") {
        failure = failureOf(p, ex, { strategy: label, seed, scenario });
        break;
      }
      states.add(finalState(p, ex));
      progress.tick(executions, states.size, "");
    }
    progress.done();
    return report(strategy, {
      failure,
      executions,
      steps,
      distinctStates: states.size,
      elapsedMs: performance.now() - start,
    });
  });
}

/** Options of {@linkcode search}. */
export interface SearchOptions extends RunOptions {
  /**
   * fast-check runs (generated scenario and schedule pairs) before shrinking.
   * @default {1000}
   */
  numRuns?: number;
  /**
   * fast-check seed; printed with every failure. Random when not given.
   * @default {undefined}
   */
  seed?: number;
  /**
   * fast-check path, to replay a counterexample printed earlier (with its `seed`).
   * @default {undefined}
   */
  path?: string;
  /**
   * Longest schedule generated: how many scheduling decisions (steps where ≥ 2 threads can move)
   * a schedule controls; later decisions keep the running thread.
   * @default {200}
   */
  maxChoices?: number;
}

function isArbitrary(x: unknown): x is Arbitrary<unknown> {
  return x instanceof fc.Arbitrary ||
    typeof (x as { generate?: unknown })?.generate === "function" &&
      typeof (x as { shrink?: unknown })?.shrink === "function";
}

/**
 * Searches schedules with fast-check: the schedule is a plain, shrinkable array of numbers (at each
 * step where at least two threads can move, 0 keeps the running thread and c switches to the c-th
 * other one), and the scenario may be an arbitrary too, so a failure shrinks to few threads, few
 * steps and few context switches.
 *
 * - `scenarios` is a scenario or a fast-check `Arbitrary` of scenarios (e.g. `fc.record(...)` of
 *   thread counts and transactions, `.map`ped to a scenario).
 * - The failure carries fast-check's seed and path (`failure.seed`, `failure.path`), the shrunk
 *   scenario (`failure.scenario`) and schedule (`failure.schedule`), and a replay token.
 *
 * @param scenarios A scenario or an arbitrary of scenarios.
 * @param options fast-check runs, seed, path; schedule length.
 * @returns The report; `executions` counts every run, shrinking included.
 * @throws {TypeError | RangeError} for a malformed scenario or options.
 *
 * @example Find and shrink a lost update in generated banks
 * ```ts
 * import fc, { type Arbitrary } from "fast-check";
 * import { search, sim, type Scenario } from "@interlock/interlock/explore";
 * import assert from "node:assert/strict";
 *
 * type Bank = { balance: Int32Array };
 * const bank = (deltas: number[]): Scenario<Bank> => ({
 *   setup: () => ({ balance: new Int32Array(new SharedArrayBuffer(4)).fill(100) }),
 *   threads: deltas.map((delta) =>
 *     function* teller({ balance }: Bank) {
 *       const v = yield* sim(balance).load(0);
 *       yield* sim(balance).store(0, v + delta);
 *     }
 *   ),
 *   invariant: ({ balance }) =>
 *     balance[0] === 100 + deltas.reduce((a, b) => a + b, 0),
 * });
 *
 * const report = search(
 *   fc.array(fc.constantFrom(-1, 1), { minLength: 1, maxLength: 4 }).map(bank),
 *   { seed: 1 },
 * );
 * assert.equal(report.failure?.threads, 2);
 * assert.equal(report.failure?.seed, 1);
 * ```
 */
export function search<S>(
  scenarios: Scenario<S> | ScenarioArbitrary<S>,
  options?: SearchOptions,
): Report {
  const c = common("search", options);
  const numRuns = natural("search", "numRuns", options?.numRuns, 1000);
  const maxChoices = natural("search", "maxChoices", options?.maxChoices, 200);
  const seed = options?.seed;
  if (seed !== undefined && !Number.isInteger(seed)) {
    throw new RangeError(`Cannot search: 'seed' must be an integer, received ${seed}`);
  }
  const path = options?.path;
  if (path !== undefined && typeof path !== "string") {
    throw new TypeError(`Cannot search: 'path' must be a string, received ${typeof path}`);
  }
  const arb = (isArbitrary(scenarios) ? scenarios : fc.constant(scenarios)) as Arbitrary<
    Scenario<S>
  >;
  return withSpin(c.spin, () => {
    const start = performance.now();
    const prepared = new WeakMap<Scenario<S>, Ready>();
    const readyOf = (s: Scenario<S>) => {
      let p = prepared.get(s);
      if (!p) {
        p = ready(s, c);
        prepared.set(s, p);
      }
      return p;
    };
    const states = new Set<string>();
    const progress = new Progress(c.progress);
    let executions = 0;
    let steps = 0;
    const schedule = fc.array(fc.nat({ max: 15 }), { maxLength: maxChoices, size: "max" });
    const property = fc.property(arb, schedule, (s, choices) => {
      const p = readyOf(s);
      const ex = execute(p, scheduleChooser(choices), false);
      executions++;
      steps += ex.steps;
      if (ex.ending !== "ok") return false;
      states.add(finalState(p, ex));
      progress.tick(executions, states.size, "");
      return true;
    });
    const details = fc.check(property, {
      numRuns,
      ...(seed === undefined ? {} : { seed }),
      ...(path === undefined ? {} : { path }),
    });
    progress.done();
    let failure: ExplorationFailure | undefined;
    if (details.failed) {
      if (details.counterexample === null) throw details.errorInstance;
      const [s, choices] = details.counterexample;
      const p = readyOf(s);
      const ex = execute(p, scheduleChooser(choices), false);
      if (ex.ending === "ok") {
        throw details.errorInstance ?? new Error("Cannot reproduce the counterexample");
      }
      failure = failureOf(p, ex, {
        strategy: `fast-check after ${details.numRuns} runs and ${details.numShrinks} shrinks`,
        seed: details.seed,
        path: details.counterexamplePath ?? undefined,
        schedule: choices,
        scenario: s,
      });
    }
    return report("fast-check", {
      failure,
      executions,
      steps,
      distinctStates: states.size,
      elapsedMs: performance.now() - start,
    });
  });
}

/**
 * Re-runs the schedule of a replay token (from `failure.token`) on `scenario`.
 *
 * - The run is recorded twice and must agree with itself (else the failure is a divergence).
 * - If the token's recorded fingerprint differs from this run's, the thread bodies or the scenario
 *   changed since the token was made; the report's failure (if any) is still this run's.
 *
 * @param scenario The scenario the token came from.
 * @param token `failure.token`, e.g. `ix1:2:0.1.0.1:5f3a9c01`.
 * @param options Step bound, spin, reset.
 * @returns A report of one execution: `ok`, or the failure with its trace.
 * @throws {TypeError} if the token is malformed, of another version, or for another thread count.
 *
 * @example
 * ```ts
 * import { explore, replay, sim } from "@interlock/interlock/explore";
 * import assert from "node:assert/strict";
 *
 * const scenario = {
 *   setup: () => ({ n: new Int32Array(new SharedArrayBuffer(4)) }),
 *   threads: [0, 1].map(() =>
 *     function* inc({ n }: { n: Int32Array }) {
 *       yield* sim(n).store(0, (yield* sim(n).load(0)) + 1);
 *     }
 *   ),
 *   invariant: ({ n }: { n: Int32Array }) => n[0] === 2,
 * };
 * const found = explore(scenario).failure!;
 * const again = replay(scenario, found.token);
 * assert.equal(again.failure?.token, found.token);
 * assert.deepEqual(again.failure?.trace, found.trace);
 * ```
 */
export function replay<S>(scenario: Scenario<S>, token: string, options?: RunOptions): Report {
  const c = common("replay", options);
  const t = decodeToken(token);
  return withSpin(c.spin, () => {
    const p = ready(scenario, c);
    if (t.threads !== p.bodies.length) {
      throw new TypeError(
        `Cannot replay: the token is for ${t.threads} threads, the scenario has ${p.bodies.length}`,
      );
    }
    const start = performance.now();
    let ex: Execution;
    let failure: ExplorationFailure | undefined;
    try {
      ex = execute(p, replayChooser(t.choices), false);
      if (ex.ending !== "ok") failure = failureOf(p, ex, { strategy: "replay", scenario });
    } catch (e) {
      if (!(e instanceof Diverged)) throw e;
      ex = execute(p, replayChooser(t.choices.slice(0, e.step - 1)), true);
      failure = new ExplorationFailure("divergence", `the token ${e.message}`, ex, namesOf(ex), {
        strategy: "replay",
        scenario,
      });
    }
    return report("replay", {
      failure,
      executions: 1,
      steps: ex.steps,
      distinctStates: ex.ending === "ok" ? 1 : 0,
      elapsedMs: performance.now() - start,
    });
  });
}
