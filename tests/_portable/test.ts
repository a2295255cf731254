/**
 * `test()`: one way to declare a test that Deno's, Node's and Bun's test runners all run, so that the
 * portable part of the suite (`suite.ts`) is the same files on every runtime.
 *
 * - On Deno it is `Deno.test` (sanitizers and all); on Node, `node:test`; on Bun, `bun:test` with
 *   no per-test time limit (Bun's default is 5 s; Deno's and Node's runners have none: a test
 *   bounds its own waits).
 * - A test that checks something only one runtime has (`Deno.exit`) names it in `runtimes`, and one
 *   that needs a capability some runtime lacks (`workerHeapCaps` of `src/_runtime.ts`) sets `ignore`;
 *   the runners list it as skipped, never silently drop it.
 * - The test function gets no argument: steps (`t.step`) are Deno's alone, and a test that needs
 *   them stays in the Deno-only part.
 *
 * @module
 */
import { runtime } from "../../src/_runtime.ts";

/** A runtime a test can be limited to. */
export type Runtime = typeof runtime;

/** Options of a test. */
export interface TestOptions {
  /**
   * The only runtimes it runs on; the others skip it.
   * @default {every runtime}
   */
  runtimes?: readonly Runtime[] | undefined;
  /**
   * Skip it (on every runtime), for a test of a capability the runtime lacks
   * (`{ ignore: !workerHeapCaps }`).
   * @default {false}
   */
  ignore?: boolean | undefined;
}

/** A test. */
export interface TestDefinition extends TestOptions {
  /** Its name, a sentence. */
  name: string;
  /** Its body; a returned promise is awaited. */
  fn: () => unknown;
}

/** How each runner registers a test: a name, a body, and whether to skip it. */
type Register = (name: string, fn: () => unknown, skip: boolean) => void;

/** No time limit on Bun beyond the test's own waits (ms, about 24 days: a timer's largest delay). */
const NO_LIMIT = 2 ** 31 - 1;

/** A module specifier that only the runtime it names can load (kept out of Deno's static graph). */
function runnerOf(name: string): Promise<Record<string, unknown>> {
  return import(name);
}

const register: Register = runtime === "deno"
  ? (name, fn, skip) => Deno.test({ name, fn: async () => void await fn(), ignore: skip })
  : runtime === "bun"
  ? await runnerOf("bun:test").then(({ test }) => {
    const bun = test as ((name: string, fn: () => unknown, timeout: number) => void) & {
      skip(name: string, fn: () => unknown): void;
    };
    return (name: string, fn: () => unknown, skip: boolean) =>
      skip ? bun.skip(name, () => {}) : bun(name, async () => void await fn(), NO_LIMIT);
  })
  : await runnerOf("node:test").then(({ test }) => {
    const node = test as (name: string, options: { skip: boolean }, fn: () => unknown) => void;
    return (name: string, fn: () => unknown, skip: boolean) =>
      node(name, { skip }, async () => void await fn());
  });

/**
 * Declares a test that runs under `deno test`, `node --test` and `bun test` alike.
 *
 * @param nameOrDefinition The test's name (then `fn` is its body), or the whole test.
 * @param fn Its body, when the first argument is a name.
 * @param options Its options, when the first argument is a name.
 */
export function test(name: string, fn: () => unknown, options?: TestOptions): void;
export function test(definition: TestDefinition): void;
export function test(
  nameOrDefinition: string | TestDefinition,
  fn?: () => unknown,
  options?: TestOptions,
): void {
  const definition = typeof nameOrDefinition === "string"
    ? { ...options, name: nameOrDefinition, fn: fn! }
    : nameOrDefinition;
  const skip = definition.ignore === true ||
    (definition.runtimes !== undefined && !definition.runtimes.includes(runtime));
  register(definition.name, definition.fn, skip);
}
