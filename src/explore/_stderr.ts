/**
 * Standard error for the explorer's progress line: whether it is a terminal, and writing to it at
 * once. Through `node:tty` and `node:fs`, the same on Deno, Node and Bun. Kept out of
 * `src/_runtime.ts`, which every pool worker loads: those two modules cost a worker ~1-3 MB of
 * memory and ~10 ms of start-up (`bench/startup_bench.ts`), for a line only the explorer prints.
 *
 * @module
 */
import { writeSync } from "node:fs";
import { isatty } from "node:tty";

/** Whether standard error is a terminal. */
export function stderrIsTerminal(): boolean {
  return isatty(2);
}

/** Writes `text` to standard error at once (not buffered: for a progress line that rewrites itself). */
export function writeStderr(text: string): void {
  writeSync(2, text);
}
