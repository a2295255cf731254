/**
 * Types `Pool` and `Process` share: the typing of task modules (how an export's name, arguments and
 * result are checked against `typeof import("./tasks.ts")`), and how a `terminate()` ended.
 *
 * @module
 */

/** A task module's type when none is given: any export name, any arguments, `unknown` results. */
export type AnyModule = Record<string, (...args: unknown[]) => unknown>;

/** The names of the exports of `M` that are functions. */
export type TaskName<M> = {
  [K in keyof M & string]: M[K] extends (...args: never[]) => unknown ? K : never;
}[keyof M & string];

/** The parameter list of export `K` of `M` (`unknown[]` for an untyped module). */
export type TaskArgs<M, K extends keyof M> = M[K] extends (...args: infer A) => unknown ? A
  : never;

/** The first parameter of export `K` of `M`: what `map` passes per item. */
export type TaskItem<M, K extends keyof M> = TaskArgs<M, K> extends readonly [] ? undefined
  : TaskArgs<M, K> extends readonly [infer First, ...unknown[]] ? First
  : TaskArgs<M, K> extends readonly [(infer First)?, ...unknown[]] ? First | undefined
  : TaskArgs<M, K>[number];

/** What a call of export `K` of `M` resolves to (its return type, awaited). */
export type TaskResult<M, K extends keyof M> = M[K] extends (...args: never[]) => infer R
  ? Awaited<R>
  : never;

/**
 * How a `terminate()` ended: `"terminated"` (every worker stopped), `"not-running"` (nothing to
 * stop), or `"unresponsive"` (some worker did not confirm it stopped within the grace period; it is
 * abandoned and may still run).
 */
export type TerminateStatus = "terminated" | "not-running" | "unresponsive";

/**
 * A task module's URL carrying the module's type, so that `new Pool(tasks)` and
 * `new Process(tasks, "name", ...)` infer names, arguments and results. Make one with
 * `taskModule` (from `@interlock/interlock`).
 */
export interface TaskModule<M> {
  /** The module's URL, as the workers import it. */
  readonly url: string;
  /** Type-only: never set at run time. */
  readonly moduleType?: M;
}

/**
 * Names a task module for `Pool` and `Process`, with its type: `taskModule<typeof import("./t.ts")>(
 * new URL("./t.ts", import.meta.url))`.
 *
 * - Task functions cannot be sent to a worker, so work is named by module URL and export name.
 * - The type parameter is used only by TypeScript: calling an export that does not exist, or with
 *   arguments of the wrong type, is a compile error, and results are typed.
 * - Relative paths are not allowed: pass a `URL` (usually `new URL("./t.ts", import.meta.url)`) or
 *   an absolute URL string, so that it resolves the same in every worker.
 *
 * @typeParam M The module's type: `typeof import("./tasks.ts")`.
 * @param url The module's URL.
 * @returns A typed handle to pass to `new Pool(...)` or `new Process(...)`.
 * @throws {TypeError} if `url` is not a URL or an absolute URL string.
 *
 * @example
 * ```ts
 * import { taskModule } from "@interlock/interlock";
 * import assert from "node:assert/strict";
 *
 * const tasks = taskModule<{ square(x: number): number }>(new URL("file:///tmp/tasks.ts"));
 * assert.equal(tasks.url, "file:///tmp/tasks.ts");
 * ```
 */
export function taskModule<M extends object>(url: URL | string): TaskModule<M> {
  return { url: moduleUrl("name a task module", url) };
}

/** Validates a module URL argument and returns it as a string. */
export function moduleUrl(what: string, url: unknown): string {
  if (url instanceof URL) return url.href;
  if (
    typeof url === "object" && url !== null && typeof (url as { url?: unknown }).url === "string"
  ) {
    return (url as { url: string }).url;
  }
  if (typeof url === "string") {
    try {
      return new URL(url).href;
    } catch {
      throw new TypeError(
        `Cannot ${what}: the module must be a URL or an absolute URL string, received '${url}'`,
      );
    }
  }
  throw new TypeError(
    `Cannot ${what}: the module must be a URL or an absolute URL string, received ${
      url === null ? "null" : typeof url
    }`,
  );
}
