/**
 * Exploring a user's own module, unchanged: the functions their workers run, loaded from their
 * source, with every operation on an Interlock object, every plain access to shared memory and
 * every `Atomics` call made a step of the explorer (`_instrument.ts` derives their generator form
 * when the module loads, `_runtime.ts` runs it), and data races on plain memory reported
 * (`_race.ts`).
 *
 * @module
 */
import { readFile } from "node:fs/promises";
import process from "node:process";
import type { Resolved } from "./_instrument.ts";
import { METHOD_NAMES, PROPERTY_NAMES } from "./_interlock_ops.ts";
import { isFollowed } from "./_runtime.ts";
import { moduleUrl } from "../_module_url.ts";
import { addSites, races } from "./_steps.ts";
import type { Scenario, ThreadBody } from "./_scenario.ts";

/** Any function (the default shape of a module whose type is not given). */
// deno-lint-ignore no-explicit-any
export type AnyFunction = (...args: any[]) => unknown;

/** The names of the functions a module exports. */
export type FunctionName<M> =
  & { [K in keyof M]: M[K] extends AnyFunction ? K : never }[keyof M]
  & string;

/** The arguments of export `K` of module `M`. */
export type ArgsOf<M, K extends keyof M> = M[K] extends (...args: infer P) => unknown ? P : never;

/**
 * One thread of a {@linkcode ModuleScenario}: the name of an exported function, and the arguments
 * it gets, made from the execution's shared state (and the thread's id). No arguments: none.
 */
export type ModuleThread<M, S> = {
  [K in FunctionName<M>]: readonly [name: K, args?: (shared: S, id: number) => ArgsOf<M, K>];
}[FunctionName<M>];

/**
 * A scenario over a module's exported functions: as a {@linkcode Scenario}, with each thread named
 * by an export and its arguments instead of a generator function.
 */
export interface ModuleScenario<M, S> {
  /** A title for reports (default: the module and its threads). */
  readonly name?: string;
  /** Builds the shared state (see {@linkcode Scenario.setup}). */
  setup(): S;
  /** The threads: which export each runs, with which arguments. */
  readonly threads: readonly ModuleThread<M, S>[];
  /** Checked when every thread finished (see {@linkcode Scenario.invariant}). */
  invariant?(shared: S, results: unknown[]): unknown;
  /** Checked after every step (see {@linkcode Scenario.always}). */
  always?(shared: S): unknown;
}

/** A user's module, loaded for the explorer by {@linkcode loadModule}. */
export interface ExplorableModule<M> {
  /** The module's URL. */
  readonly url: string;
  /**
   * Imports the explorer does not see into: bare and remote specifiers other than Interlock (calls
   * into them run as written; passing them shared memory inside a thread is refused).
   */
  readonly notExplored: readonly string[];
  /**
   * A thread body that runs export `name` with `args(shared, id)`, for a hand-written
   * {@linkcode Scenario} (race detection needs thread 0 to be one of these too).
   *
   * @throws {TypeError} if the module exports no function `name`.
   */
  thread<K extends FunctionName<M>, S>(
    name: K,
    args?: (shared: S, id: number) => ArgsOf<M, K>,
  ): ThreadBody<S>;
  /** The scenario of `scenario`'s threads (see {@linkcode ModuleScenario}). */
  scenario<S>(scenario: ModuleScenario<M, S>): Scenario<S>;
}

const LIBRARY = new URL("../../", import.meta.url).href;
const RUNTIME = new URL("./_runtime.ts", import.meta.url).href;
/**
 * Where the instrumenter is (`.js` in the npm build). Imported by a computed URL: Deno loads every
 * module a literal `import("...")` names, with what it imports (the TypeScript compiler), along
 * with this module, before anything runs; importing `@interlock/interlock/explore` took 177 ms and
 * 66 MB of RSS with the literal, 148 ms and 60 MB without (medians of 3), for programs that never
 * call {@linkcode loadModule}. The type-only import above keeps the module in the package's graph.
 */
const INSTRUMENT = moduleUrl("./_instrument", import.meta.url).href;

/** Whether `url` is Interlock's own code (run by the explorer through `sim()`, never instrumented). */
function isLibrary(url: string): boolean {
  return url.startsWith(`${LIBRARY}src/`) || url === `${LIBRARY}mod.ts`;
}

function displayName(url: string): string {
  try {
    const cwd = `file://${process.cwd()}/`;
    if (url.startsWith(cwd)) return decodeURI(url.slice(cwd.length));
  } catch {
    // No read permission for the working directory: the URL names it.
  }
  return url;
}

async function readSource(url: URL): Promise<string> {
  if (url.protocol === "file:") return await readFile(url, "utf8");
  const response = await fetch(url);
  if (!response.ok) throw new TypeError(`Cannot load ${url.href}: HTTP ${response.status}`);
  return await response.text();
}

/** A module instrumented, as a `data:` URL, and the imports it does not explore. */
interface Derived {
  readonly dataUrl: string;
  readonly notExplored: readonly string[];
}

const derived = new Map<string, Promise<Derived>>();

/** Instruments `url` and the modules it imports with a relative path (once per process). */
function derive(url: string, chain: readonly string[]): Promise<Derived> {
  let d = derived.get(url);
  if (d === undefined) {
    d = deriveNow(url, chain);
    derived.set(url, d);
    d.catch(() => derived.delete(url));
  }
  return d;
}

async function deriveNow(url: string, chain: readonly string[]): Promise<Derived> {
  const I: typeof import("./_instrument.ts") = await import(INSTRUMENT);
  const source = await readSource(new URL(url));
  const file = displayName(url);
  const resolved = new Map<string, Resolved>();
  const notExplored: string[] = [];
  for (const spec of I.importsOf(source, file)) {
    if (resolved.has(spec)) continue;
    if (/^\.{0,2}\//.test(spec)) {
      const target = new URL(spec, url).href;
      if (isLibrary(target) || !/\.[mc]?[jt]sx?$/.test(target)) {
        resolved.set(spec, { to: target, explored: isLibrary(target), followed: false });
        continue;
      }
      if (chain.includes(target)) {
        throw new TypeError(
          `Cannot explore ${file}: its import of '${spec}' closes a cycle (${
            [...chain, target].map(displayName).join(" -> ")
          }), which the explorer cannot load`,
        );
      }
      const inner = await derive(target, [...chain, url]);
      notExplored.push(...inner.notExplored);
      resolved.set(spec, { to: inner.dataUrl, explored: true, followed: true });
      continue;
    }
    let explored = spec === "@interlock/interlock" || spec.startsWith("@interlock/interlock/");
    try {
      explored ||= isLibrary(import.meta.resolve(spec));
    } catch {
      // Not resolvable from here: the module's own import map decides; not explored.
    }
    if (!explored) notExplored.push(spec);
    resolved.set(spec, { to: undefined, explored, followed: false });
  }
  const methods = new Set(METHOD_NAMES);
  const properties = new Set(PROPERTY_NAMES);
  // Sites are numbered across modules: take the next ids and register them in one synchronous go.
  const firstSite = addSites([]);
  const out = I.instrument(source, {
    file,
    url,
    runtime: RUNTIME,
    firstSite,
    methods,
    properties,
    resolve: (spec) =>
      resolved.get(spec) ??
        {
          to: /^\.{0,2}\//.test(spec) ? new URL(spec, url).href : undefined,
          explored: false,
          followed: false,
        },
  });
  addSites(out.sites);
  return {
    dataUrl: `data:application/javascript,${encodeURIComponent(out.code)}`,
    notExplored: [...new Set(notExplored)],
  };
}

/**
 * Loads a user's module for the explorer: reads its source, derives the generator form of its
 * functions (and of the modules it imports with a relative path), and imports that form.
 *
 * - Unchanged code: the module is not edited and runs as it is outside the explorer; the derived
 *   form exists only in memory.
 * - Under the explorer, every operation on an Interlock object (`lock.acquireSync()`,
 *   `await lock.acquire()`, the end of a `using` block, `balance.value = balance.value - 1`,
 *   `queue.putSync(x)`), every plain read and write of a typed array over a `SharedArrayBuffer`
 *   and every `Atomics` call is a step; everything else runs as written. Calls between the
 *   module's functions are followed; `console` output inside threads is dropped.
 * - Two plain accesses to the same element, one a write, that no lock, `Atomics` operation or
 *   other synchronization orders, fail the execution with a {@linkcode DataRaceError} naming both
 *   places, even when the final state is right.
 * - What cannot be explored (`Math.random()` and timers, promises other than Interlock operations,
 *   shared memory in callbacks or class methods, a module-level variable assigned by a function)
 *   is a {@linkcode NotExplorableError}: thrown here when the source shows it, else the cause of
 *   the failure of the execution that reached it.
 *
 * @param url The module (a `file:` URL, or a path relative to the working directory).
 * @returns The loaded module: its threads and scenarios.
 * @throws {NotExplorableError} for a construct the explorer refuses at load time.
 * @throws {TypeError} if the module cannot be read or imported.
 *
 * @example Find the seed's lost update in the very function its workers run
 * ```ts
 * import { Value } from "@interlock/interlock";
 * import { explore, loadModule } from "@interlock/interlock/explore";
 * import assert from "node:assert/strict";
 *
 * const bank = await loadModule<typeof import("../../examples/bank/accounts.ts")>(
 *   new URL("../../examples/bank/accounts.ts", import.meta.url),
 * );
 * const report = explore(bank.scenario({
 *   setup: () => ({ balance: new Value("i", 100, { lock: false }) }),
 *   threads: [
 *     ["withdraw", ({ balance }) => [balance, 1]],
 *     ["deposit", ({ balance }) => [balance, 1]],
 *   ],
 *   invariant: ({ balance }) => balance.value === 100,
 * }));
 * assert.equal(report.failure?.kind, "invariant");
 * ```
 */
export async function loadModule<M = Record<string, AnyFunction>>(
  url: string | URL,
): Promise<ExplorableModule<M>> {
  if (typeof url !== "string" && !(url instanceof URL)) {
    throw new TypeError(
      `Cannot load a module: 'url' must be a string or a URL, received ${typeof url}`,
    );
  }
  const href = new URL(url, `file://${process.cwd()}/`).href;
  const d = await derive(href, []);
  const namespace = await import(d.dataUrl) as Record<string, unknown>;
  const file = displayName(href);
  const mod: ExplorableModule<M> = {
    url: href,
    notExplored: d.notExplored,
    thread<K extends FunctionName<M>, S>(
      name: K,
      args?: (shared: S, id: number) => ArgsOf<M, K>,
    ): ThreadBody<S> {
      const f = namespace[name];
      if (typeof f !== "function") {
        throw new TypeError(`Cannot explore ${file}: it exports no function '${String(name)}'`);
      }
      if (!isFollowed(f)) {
        throw new TypeError(
          `Cannot explore ${file}: '${String(name)}' is not a function the explorer can follow ` +
            "(a class, a generator function, or a function from another module)",
        );
      }
      if (args !== undefined && typeof args !== "function") {
        throw new TypeError(
          `Cannot explore ${file}: the arguments of '${String(name)}' must be a function of the ` +
            `shared state, received ${typeof args}`,
        );
      }
      const gen = f as (...a: unknown[]) => Generator<unknown, unknown, unknown>;
      // A generator function named after the export (what traces show), whose call is the export's
      // generator itself: no extra generator in every step. The call starts the thread for race
      // detection (thread 0's starts an execution).
      const named = { [name]: function* () {} }[name]!;
      return new Proxy(named, {
        apply: (_, __, [shared, id]: [S, number]) => {
          races.start(id, shared);
          return gen(...(args === undefined ? [] : args(shared, id) as unknown[]));
        },
      }) as unknown as ThreadBody<S>;
    },
    scenario<S>(s: ModuleScenario<M, S>): Scenario<S> {
      if (typeof s !== "object" || s === null || !Array.isArray(s.threads)) {
        throw new TypeError(`Cannot explore ${file}: 'scenario.threads' must be an array`);
      }
      const threads = s.threads.map(([name, args]) => mod.thread(name, args as never));
      const invariant = s.invariant;
      return {
        name: s.name ?? `${file}: ${s.threads.map(([name]) => name).join(", ")}`,
        setup: () => s.setup(),
        threads,
        // A data race the code swallowed (a catch around the racing access) still fails the run.
        invariant: (shared, results) => races.race?.message ?? invariant?.call(s, shared, results),
        ...(s.always ? { always: (shared: S) => s.always!(shared) } : {}),
      };
    },
  };
  return mod;
}

/**
 * The {@linkcode Scenario} of `scenario`'s threads, exports of the module at `url` (see
 * {@linkcode loadModule}), for `explore`, `search`, `sample` and `replay`.
 *
 * @param url The module.
 * @param scenario Shared state, the exports each thread runs with their arguments, invariants.
 * @returns The scenario.
 * @throws {NotExplorableError} for a construct the explorer refuses at load time.
 * @throws {TypeError} if the module cannot be loaded or does not export a thread's function.
 *
 * @example Prove the seed's locked bank, as its workers run it
 * ```ts
 * import { Lock, Value } from "@interlock/interlock";
 * import { explore, fromModule } from "@interlock/interlock/explore";
 * import assert from "node:assert/strict";
 *
 * type Bank = { balance: Value<"i">; lock: Lock };
 * const scenario = await fromModule<Bank>(new URL("../../examples/bank/accounts.ts", import.meta.url), {
 *   setup: () => ({ balance: new Value("i", 100, { lock: false }), lock: new Lock() }),
 *   threads: [
 *     ["withdrawLocked", ({ balance, lock }) => [balance, lock, 2]],
 *     ["depositLocked", ({ balance, lock }) => [balance, lock, 2]],
 *   ],
 *   invariant: ({ balance }) => balance.value === 100,
 * });
 * const proof = explore(scenario);
 * assert.ok(proof.ok && proof.complete);
 * ```
 */
export async function fromModule<S>(
  url: string | URL,
  scenario: ModuleScenario<Record<string, AnyFunction>, S>,
): Promise<Scenario<S>> {
  return (await loadModule(url)).scenario(scenario);
}
