/**
 * The smallest task module, for the Pool's benches (`bench/startup_bench.ts`, `bench/pool_bench.ts`,
 * `bench/pool_ab_bench.ts`): a pool, a process and a bare worker all load this and nothing else of
 * their own (it imports no Interlock code), so start-up, memory and dispatch figures measure the
 * library's own cost, and the benches measure the same tasks. (Also the bare workers' entry point:
 * see the bottom.)
 *
 * @module
 */
import { isMainThread, parentPort, workerData } from "node:worker_threads";

/** A tiny task. */
export function square(x: number): number {
  return x * x;
}

/** Returns its argument (`bench/pool_ab_bench.ts` maps it over numbers and strings). */
export function echo<T>(x: T): T {
  return x;
}

/** A pure arithmetic loop of `n` iterations (the same as `bench/peers/piscina_worker.mjs`'s). */
export function burn(n: number): number {
  let sum = 0;
  for (let i = 0; i < n; i++) sum += (i * i) % 7;
  return sum;
}

/** Returns at once (a process's whole life). */
export function nothing(): void {}

// As a bare `node:worker_threads` worker (workerData "bare"): answer `square` messages until
// terminated. (With any other workerData a bare worker has nothing to wait for, and exits once
// the module ran: a process's bare equivalent.)
if (!isMainThread && workerData === "bare") {
  parentPort!.on("message", (x: number) => parentPort!.postMessage(square(x)));
}
