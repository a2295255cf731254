/**
 * The task module of the distributed pool's tests (`pool_test.ts`, `fault_test.ts`, cluster):
 * served by `serve()` in the test process or in `_pool_worker.ts` subprocesses.
 *
 * @module
 */
import { taskSignal } from "../../mod.ts";

/** `x * x`. */
export function square(x: number): number {
  return x * x;
}

/** `a + b`. */
export function add(a: number, b: number): number {
  return a + b;
}

/** An error of a user class, with a cause and an own property. */
export class LedgerError extends Error {
  /** The account. */
  account = "";
}

/** Throws a `RangeError` with a cause, or a `LedgerError` with a property. */
export function fail(kind: "range" | "ledger"): never {
  if (kind === "range") throw new RangeError("out of range", { cause: new TypeError("inner") });
  const error = new LedgerError("overdrawn");
  error.name = "LedgerError";
  error.account = "acc-7";
  throw error;
}

/** Returns a function: a result that cannot be cloned. */
export function uncloneable(): () => number {
  return () => 1;
}

/** Aborts seen by `wait` in this process (the test reads them when it serves in-process). */
export const aborts: unknown[] = [];

/**
 * Waits `ms`, or until the task's signal aborts (then records the reason and throws it). Prints a
 * `start` line with `tag` first when `announce` is set (subprocess workers).
 */
export async function wait(
  ms: number,
  tag = "",
  announce = false,
): Promise<{ tag: string; pid: number }> {
  if (announce) console.log(JSON.stringify({ event: "start", tag, pid: Deno.pid }));
  const signal = taskSignal();
  await new Promise((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener("abort", () => {
      clearTimeout(timer);
      aborts.push(signal.reason);
      reject(signal.reason);
    }, { once: true });
  });
  return { tag, pid: Deno.pid };
}
