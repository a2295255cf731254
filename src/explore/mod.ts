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
 * - An abort (a wrapper's `abortable` option) is modelled as production's async driver behaves: in
 *   one step, the aborted wait leaves the waiter list and every other waiter of its word is woken
 *   (the abort listener's `notify(word, Infinity)`), then the kernel backs out as from a timeout.
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
export { explore, type ExploreOptions } from "./explore.ts";
export { sample, type SampleOptions } from "./sample.ts";
export { type ScenarioArbitrary, search, type SearchOptions } from "./search.ts";
export { replay } from "./replay.ts";
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
export { SimConnection } from "./sim/pipe.ts";
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
export type { BoundReport, Level, Report, RunOptions, Strategy } from "./_run.ts";
export type {
  AtomicArray,
  AtomicBigIntArray,
  AtomicNumberArray,
  ElementOf,
  WaitResult,
} from "../_atomics.ts";
export { specLevel } from "./_spec_step.ts";
export {
  BLOCKED,
  type SpecMethod,
  suspend,
  type SuspendOptions,
  Suspension,
} from "./spec/_blocking.ts";
export { LockSpec, RLockSpec } from "./spec/lock.ts";
export { SemaphoreSpec } from "./spec/semaphore.ts";
export { EventSpec } from "./spec/event.ts";
export { ConditionSpec } from "./spec/condition.ts";
export { BarrierSpec } from "./spec/barrier.ts";
export { PipeSpec, QueueSpec } from "./spec/queue.ts";
export { SharedArraySpec, ValueSpec } from "./spec/value.ts";
export {
  checkLinearizability,
  type LinearizabilityFailure,
  type LinearizabilityOptions,
  type LinearizabilityReport,
  type LinearizabilityScenario,
  type Operation,
  type ScenarioOperation,
} from "./linearizability.ts";
