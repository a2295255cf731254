/**
 * The two errors of exploring a user's own module (`module.ts`): code the explorer cannot run as
 * written ({@linkcode NotExplorableError}), and two plain accesses to shared memory that no
 * happens-before edge orders ({@linkcode DataRaceError}).
 *
 * @module
 */

/** Where a construct sits in the user's source (1-based line and column). */
export interface SourceSite {
  /** The file, relative to the working directory when it lies under it, else its URL. */
  readonly file: string;
  /** 1-based line. */
  readonly line: number;
  /** 1-based column. */
  readonly column: number;
  /** The construct's source text (first line, shortened). */
  readonly text: string;
  /** What runs it: `function 'withdraw'`, `a callback in function 'f'`, `a class method`, … */
  readonly context: string;
}

/** `file:line:column` of a site. */
export function where(site: SourceSite): string {
  return `${site.file}:${site.line}:${site.column}`;
}

/**
 * Code the explorer cannot run as written: a construct it cannot suspend or replay (a promise that
 * is not an Interlock operation, `Math.random()`, shared memory touched inside a callback or a
 * class method), syntax it does not handle, or a function that leaves the module's reach.
 *
 * - Thrown by `fromModule`/`loadModule`/`exploreModule` when the source shows it, or inside a
 *   thread when the code reaches it (then `exploreModule` throws it instead of reporting a failure).
 * - `message` reads `Cannot explore <construct> at <file:line:column>: <why>; <what to do>`.
 *
 * @example
 * ```ts
 * import { NotExplorableError } from "@interlock/interlock/explore";
 * import assert from "node:assert/strict";
 *
 * const e = new NotExplorableError(
 *   { file: "a.ts", line: 3, column: 9, text: "Math.random()", context: "function 'f'" },
 *   "it is not deterministic",
 *   "pass random values in as arguments",
 * );
 * assert.equal(
 *   e.message,
 *   "Cannot explore `Math.random()` at a.ts:3:9 (function 'f'): it is not deterministic; " +
 *     "pass random values in as arguments",
 * );
 * ```
 */
export class NotExplorableError extends Error {
  /** Where the construct is. */
  readonly site: SourceSite;
  /** Why the explorer cannot run it. */
  readonly reason: string;
  /** What to do instead. */
  readonly advice: string;

  /**
   * Creates the error of the construct at `site`.
   *
   * @param site Where the construct is.
   * @param reason Why the explorer cannot run it.
   * @param advice What to do instead.
   */
  constructor(site: SourceSite, reason: string, advice: string) {
    super(
      `Cannot explore \`${site.text}\` at ${where(site)} (${site.context}): ${reason}; ${advice}`,
    );
    this.name = "NotExplorableError";
    this.site = site;
    this.reason = reason;
    this.advice = advice;
  }
}

/** One of the two accesses of a data race. */
export interface RaceAccess {
  /** The virtual thread (`T0`, `T1`, … in traces). */
  readonly thread: number;
  /** The thread's name (its function's). */
  readonly threadName: string;
  /** `"read"` or `"write"`; `"atomic read"`/`"atomic write"` for an `Atomics` call. */
  readonly kind: "read" | "write" | "atomic read" | "atomic write";
  /** Where in the source. */
  readonly site: SourceSite;
}

/**
 * Two conflicting accesses to the same shared memory (at least one a plain, non-`Atomics` access,
 * at least one a write) that no happens-before edge orders: a data race, reported even when the
 * execution's final state is right. JavaScript gives racing plain accesses no ordering at all (a
 * compiler may hoist a plain read out of a loop, a reader may see the writes of another thread in
 * any order), so such code works by luck.
 *
 * @example
 * ```ts
 * import { DataRaceError } from "@interlock/interlock/explore";
 * import assert from "node:assert/strict";
 *
 * const site = (line: number) =>
 *   ({ file: "c.ts", line, column: 3, text: "counter[0]++", context: "function 'inc'" });
 * const e = new DataRaceError(
 *   "counter[0]",
 *   { thread: 0, threadName: "inc", kind: "write", site: site(4) },
 *   { thread: 1, threadName: "inc", kind: "read", site: site(4) },
 * );
 * assert.match(e.message, /^data race on counter\[0\]: T1 \(inc\) read at c\.ts:4:3/);
 * ```
 */
export class DataRaceError extends Error {
  /** The memory both access (`counter[0]`, `flag`, `memory@12`). */
  readonly address: string;
  /** The earlier access. */
  readonly first: RaceAccess;
  /** The later access (the one that found the race). */
  readonly second: RaceAccess;

  /**
   * Creates the error of a race between `first` and `second` on `address`.
   *
   * @param address The memory both access.
   * @param first The earlier access.
   * @param second The later access.
   */
  constructor(address: string, first: RaceAccess, second: RaceAccess) {
    const one = (a: RaceAccess) =>
      `T${a.thread} (${a.threadName}) ${a.kind} at ${where(a.site)} \`${a.site.text}\``;
    super(
      `data race on ${address}: ${one(second)} is not ordered with ${one(first)} by ` +
        "happens-before (no lock, Atomics operation or other synchronization between them)",
    );
    this.name = "DataRaceError";
    this.address = address;
    this.first = first;
    this.second = second;
  }
}
