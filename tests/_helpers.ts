/**
 * Test helpers: run exported functions of fixture modules in real workers, and put a deadline on
 * every wait, so that a lost wake-up fails its test within seconds, naming what it waited for,
 * instead of hanging the suite.
 *
 * @module
 */
import fc from "fast-check";
import { Worker } from "node:worker_threads";
import { test, type TestOptions } from "./_portable/test.ts";

const HARNESS = new URL("./_workers/harness.ts", import.meta.url);

/**
 * How long a test waits for its workers (and for anything else it awaits) unless it says
 * otherwise, in ms. Every worker test here finishes in well under a second on an idle machine, and
 * in a few seconds on the shared 2-core CI machine; a wait that takes longer has lost a wake-up.
 * Kept under half of the 30 s in which `deno task mutants` requires every mutant to be killed.
 */
export const DEADLINE_MS = 10_000;

/**
 * How long a test waits for threads it has just woken (by `set()`, `release()`, `notify()`,
 * `close()`, ...) to answer, in ms: the wake-up itself takes microseconds, so only a lost one
 * takes this long.
 */
export const WAKE_MS = 5_000;

/**
 * How long {@linkcode inWorkers} waits for its workers to load their fixture modules, in ms, before
 * their run's deadline starts. Loading is not what the tests time: under `deno test` a worker's
 * first import of a fixture type-checks it, which takes seconds on a busy machine.
 */
export const LOAD_MS = 60_000;

/** One call to run in its own worker: `fixtures[name](...args)`. */
export interface WorkerCall {
  /** The fixture module (a file under tests/_workers/). */
  url: URL;
  /** The export to call. */
  name: string;
  /** Arguments; Interlock objects are revived in the worker. */
  args: unknown[];
}

/** Options of {@linkcode inWorkers}. */
export interface InWorkersOptions {
  /**
   * Fail (and terminate the workers) if they have not all finished after this many ms.
   * @default {DEADLINE_MS}
   */
  deadline?: number;
}

function describe(call: WorkerCall): string {
  return `${call.url.pathname.split("/").pop()}#${call.name}`;
}

/**
 * Starts one worker per call, runs them concurrently and resolves with their results in order.
 * Rejects with the first worker's error, or, `deadline` ms after every worker has loaded its
 * fixture module (at most {@linkcode LOAD_MS}), with an error naming the calls still running.
 * Every worker is terminated before this settles.
 */
export async function inWorkers<T = unknown>(
  calls: WorkerCall[],
  options: InWorkersOptions = {},
): Promise<T[]> {
  const deadline = options.deadline ?? DEADLINE_MS;
  const workers = calls.map(() => new Worker(HARNESS));
  const finished = calls.map(() => false);
  const loaded: Promise<void>[] = [];
  try {
    const all = Promise.all(calls.map((call, k) =>
      new Promise<T>((resolve, reject) => {
        const worker = workers[k]!;
        let isLoaded: () => void;
        loaded.push(new Promise<void>((resolve) => isLoaded = resolve));
        worker.on("message", (data: { loaded?: true; ok: boolean; value: T; error: unknown }) => {
          isLoaded();
          if (data.loaded) return;
          finished[k] = true;
          if (data.ok) resolve(data.value);
          else reject(data.error);
        });
        worker.on("exit", () => isLoaded());
        worker.on("error", (error: Error) => {
          isLoaded();
          reject(new Error(`Worker ${k} (${describe(call)}) failed: ${error.message}`));
        });
        worker.postMessage({ url: call.url.href, name: call.name, args: call.args });
      })
    ));
    all.catch(() => {}); // awaited below; a worker may fail while the others still load
    await within(
      Promise.race([Promise.all(loaded), all]),
      LOAD_MS,
      "workers to load their modules",
    );
    return await within(all, deadline, () => {
      const running = calls.flatMap((call, k) => finished[k] ? [] : [`${k}: ${describe(call)}`]);
      return `workers to finish (${running.length} of ${calls.length} still running: ` +
        `${running.join(", ")})`;
    });
  } finally {
    for (const worker of workers) worker.terminate();
  }
}

/** The sum of `counts` (what a test's workers report having done). */
export function sum(counts: readonly number[]): number {
  return counts.reduce((a, b) => a + b, 0);
}

/**
 * Starts one worker running `call` and returns it, for a worker the test itself ends (with
 * `terminate()`); its result and errors are ignored.
 */
export function startWorker(call: WorkerCall): Worker {
  const worker = new Worker(HARNESS);
  worker.on("error", () => {});
  worker.postMessage({ url: call.url.href, name: call.name, args: call.args });
  return worker;
}

/** `n` calls of the same export with the same arguments. */
export function times(n: number, url: URL, name: string, args: unknown[]): WorkerCall[] {
  return Array.from({ length: n }, () => ({ url, name, args }));
}

/**
 * Resolves or rejects as `promise` does, or rejects after `ms` with "Timed out after `ms` ms waiting
 * for `what`": a bound that turns a hang (a bug) into a failure that says what never happened;
 * never used to order events. `what` may be a function, called only when the time is up.
 */
export function within<T>(
  promise: Promise<T>,
  ms: number,
  what: string | (() => string),
): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const bound = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const named = typeof what === "string" ? what : what();
      reject(new Error(`Timed out after ${ms} ms waiting for ${named}`));
    }, ms);
  });
  return Promise.race([promise, bound]).finally(() => clearTimeout(timer));
}

/**
 * `test()` (`tests/_portable/test.ts`), with the whole test bounded by `options.ms` (default three
 * deadlines): for tests made of many awaits on answers from other threads (executor futures,
 * manager calls), where bounding each one would bury what the test says. A test that never
 * finishes fails, naming itself.
 */
export function boundedTest(
  name: string,
  fn: () => Promise<void>,
  options: TestOptions & { ms?: number } = {},
): void {
  const ms = options.ms ?? 3 * DEADLINE_MS;
  test(name, () => within(fn(), ms, `the test "${name}" to finish`), options);
}

/** {@linkcode within} with the default deadline: `await bounded(queue.get(), "the first item")`. */
export function bounded<T>(promise: Promise<T>, what: string): Promise<T> {
  return within(promise, DEADLINE_MS, what);
}

/** The seed every worker-level property runs with first, so every run of the suite checks them. */
export const SEED = 18;

/** Options of {@linkcode assertSeeded}. */
export interface SeededOptions<Ts> {
  /** Runs per seed. */
  numRuns: number;
  /** Cases to run first (regressions). */
  examples?: Ts[];
  /**
   * Stop running (and shrinking) after this many ms per seed: each run of a worker-level property
   * starts workers, so an unbounded shrink can take minutes. A failure found is still reported,
   * shrunk as far as it got (its seed and path replay it); without one, the property passes with
   * the runs it made.
   * @default {15_000}
   */
  budgetMs?: number;
}

/**
 * Checks an asynchronous fast-check property that starts workers, twice: with the fixed
 * {@linkcode SEED}, then with a random seed (printed if it fails), so every run of the suite
 * repeats the same cases and also tries new ones. Shrinking is bounded by `budgetMs`.
 */
export async function assertSeeded<Ts extends [unknown, ...unknown[]]>(
  property: fc.IAsyncProperty<Ts>,
  options: SeededOptions<Ts>,
): Promise<void> {
  const random = Math.floor(Math.random() * 0x7fffffff);
  for (const seed of [SEED, random]) {
    try {
      await fc.assert(property, {
        seed,
        numRuns: options.numRuns,
        examples: seed === SEED ? options.examples ?? [] : [],
        plugins: [fc.interruptAfterTimeLimit(options.budgetMs ?? 15_000)],
      });
    } catch (e) {
      console.error(
        `The property failed with ${seed === SEED ? "the fixed" : "a random"} seed ${seed}`,
      );
      throw e;
    }
  }
}

/**
 * `value` with every `Map` in it replaced by a list of its entries, in order (a clone keeps the
 * order), for `assert.deepEqual`: Bun 1.4's finds two Maps unequal when their keys are equal but
 * distinct objects (oven-sh/bun#34830), as fast-check's Maps of boxed values often are. An invalid
 * `Date` becomes `["Invalid Date"]`, for Node 22's, which finds two of them unequal.
 */
export function mapsAsLists(value: unknown): unknown {
  if (value instanceof Map) {
    return ["Map", [...value].map(([k, v]) => [mapsAsLists(k), mapsAsLists(v)])];
  }
  if (Array.isArray(value)) return value.map(mapsAsLists);
  if (value instanceof Set) return new Set([...value].map(mapsAsLists));
  if (value instanceof Date && Number.isNaN(value.getTime())) return ["Invalid Date"];
  if (
    typeof value === "object" && value !== null && Object.getPrototypeOf(value) === Object.prototype
  ) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, mapsAsLists(v)]));
  }
  return value;
}
