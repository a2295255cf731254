/**
 * The process role of the worker program (`worker_main.ts`): runs the one export a `Process` names
 * with the given arguments, reports how it ended on the report port, closes the exit latch
 * (`src/kernel/exit_latch.ts`), and exits with 0 (returned) or 1 (threw; the error is also printed
 * to stderr, as Python prints a child's traceback).
 *
 * @module
 */
import { threadId } from "node:worker_threads";
import { REAL } from "../_atomics.ts";
import * as L from "../kernel/exit_latch.ts";
import { type ExitReport, serializeThrown, type StartMessage, type ToWorker } from "./protocol.ts";
import { loadClasses, needsClasses, reviveList } from "./_revivable.ts";
import { data, realExit, type Role } from "./_worker_core.ts";

/** The process role. */
export function processRole(): Role {
  return {
    fail(error, outOfMemory) {
      printChildError(error);
      endProcess(1, error, outOfMemory);
    },
    exit(code) {
      return endProcess(code, undefined);
    },
    onMessage(message: ToWorker) {
      if (message.type === "start") void start(message);
    },
  };
}

let latch: Int32Array | undefined;
let reportPort: MessagePort | undefined;
let ended = false;

/** Prints the child's uncaught error to stderr, as Python prints a child's traceback. */
function printChildError(error: unknown): void {
  if (data.printErrors === false) return; // the parent's onWorkerError reports it
  const text = error instanceof Error ? (error.stack ?? `${error.name}: ${error.message}`) : error;
  console.error(`Process ${data.name} (id ${threadId}):`, text);
}

/** Reports how the process ended (first the report, then the latch) and exits. */
function endProcess(code: number, error: unknown, outOfMemory = false): never {
  if (!ended) {
    ended = true;
    const report: ExitReport = {
      type: "exit",
      code,
      error: error === undefined ? null : serializeThrown(error),
      ...(outOfMemory ? { outOfMemory } : {}),
    };
    reportPort?.postMessage(report);
    if (latch) L.close(REAL, latch, code);
  }
  return realExit(code);
}

async function start(message: StartMessage): Promise<void> {
  latch = new Int32Array(message.latch);
  reportPort = message.port;
  try {
    const mod = await import(message.module) as Record<string, unknown>;
    const fn = mod[message.exportName];
    if (typeof fn !== "function") {
      throw new TypeError(
        `Cannot start process: the module has no exported function '${message.exportName}', found ${typeof fn}`,
      );
    }
    if (needsClasses(message.args)) await loadClasses();
    await fn(...reviveList(message.args));
  } catch (error) {
    printChildError(error);
    endProcess(1, error);
  }
  endProcess(0, undefined);
}
