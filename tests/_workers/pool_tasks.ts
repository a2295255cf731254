/**
 * Task module for the Pool and Process tests: the functions the tests run in workers.
 *
 * @module
 */
import process from "node:process";
import { resourceLimits } from "node:worker_threads";
import {
  currentProcess,
  type Lock,
  type ProcessInfo,
  RuntimeError,
  taskSignal,
  type Value,
} from "../../mod.ts";

/** The seed's `square`. */
export function square(x: number): number {
  return x * x;
}

/** Two arguments, for starmap. */
export function pow(x: number, y: number): number {
  return x ** y;
}

/** A value and the worker that computed it (the seed prints which worker handled which item). */
export function squareWithWorker(x: number): { value: number; worker: number; name: string } {
  const me = currentProcess();
  return { value: x * x, worker: me.id, name: me.name };
}

/** Who runs this. */
export function whoAmI(): ProcessInfo {
  return currentProcess();
}

/** Resolves asynchronously. */
export async function slowDouble(x: number): Promise<number> {
  await new Promise((resolve) => setTimeout(resolve, 1));
  return 2 * x;
}

/** A CPU-bound loop: sum of `i * i % 7` for i < n. */
export function burn(n: number): number {
  let sum = 0;
  for (let i = 0; i < n; i++) sum += (i * i) % 7;
  return sum;
}

/** Throws a subclass of a built-in error with a cause and own properties. */
export function failTyped(message: string): never {
  const error = new RangeError(message, { cause: new TypeError("inner cause") });
  Object.assign(error, { code: "E_RANGE", detail: { at: 3 } });
  throw error;
}

/** Throws one of the library's errors. */
export function failLibrary(): never {
  throw new RuntimeError("library error in worker");
}

class ValidationError extends Error {
  field = "email";
  constructor(message: string) {
    super(message);
    this.name = "ValidationError";
  }
}

/** Throws an error of a class the parent does not know. */
export function failCustom(): never {
  throw new ValidationError("bad email");
}

/** Throws something that is not an Error. */
export function failValue(): never {
  throw { code: 42 };
}

/** Rejects asynchronously. */
export async function failAsync(): Promise<never> {
  await Promise.resolve();
  throw new SyntaxError("async failure");
}

/** Fails for odd numbers. */
export function evenOnly(x: number): number {
  if (x % 2 === 1) throw new RangeError(`odd: ${x}`);
  return x;
}

/** Ends the worker from inside a task. */
export function exitWorker(code: number): number {
  process.exit(code);
  return code;
}

/** Ends the worker with Deno.exit. */
export function denoExitWorker(code: number): number {
  Deno.exit(code);
}

/** Throws an uncaught error outside the task (in a timer), after returning. */
export function throwLater(): string {
  setTimeout(() => {
    throw new EvalError("uncaught in a timer");
  }, 0);
  return "returned";
}

/** Throws an uncaught error outside the task while the task still awaits. */
export async function crashWhileRunning(): Promise<string> {
  setTimeout(() => {
    throw new EvalError("uncaught while the task runs");
  }, 0);
  await new Promise((resolve) => setTimeout(resolve, 60_000));
  return "never";
}

/**
 * Marks `log[0]` (a step counter) when started, then waits until aborted; resolves with the abort
 * reason's message. Cooperative cancellation through taskSignal().
 */
export async function waitForAbort(log: Int32Array): Promise<string> {
  const signal = taskSignal();
  Atomics.add(log, 0, 1);
  Atomics.notify(log, 0);
  if (!signal.aborted) {
    await new Promise((resolve) => signal.addEventListener("abort", resolve, { once: true }));
  }
  return `aborted: ${String((signal.reason as Error)?.message ?? signal.reason)}`;
}

/**
 * Ignores its signal: marks `flags[0]`, then spins until `flags[1]` is set (by the test, once it has
 * seen what it wanted), so the busy loop always ends.
 */
export function spinUntilReleased(flags: Int32Array): string {
  Atomics.add(flags, 0, 1);
  Atomics.notify(flags, 0);
  while (Atomics.load(flags, 1) === 0) {
    // busy: ignores taskSignal() and termination requests until released
  }
  return "released";
}

/** Blocks (Atomics.wait) until `flags[1]` is set; marks `flags[0]` when started. */
export function blockUntilReleased(flags: Int32Array): string {
  Atomics.add(flags, 0, 1);
  Atomics.notify(flags, 0);
  while (Atomics.load(flags, 1) === 0) Atomics.wait(flags, 1, 0);
  return "released";
}

let initialized: string | undefined;
let tasksRun = 0;

/** Initializer: remembers its argument; counts how many times it ran in this worker. */
export function init(tag: string, counter: Int32Array): void {
  initialized = tag;
  Atomics.add(counter, 0, 1);
}

/** Reports what the initializer set in this worker. */
export function initializedWith(): string | undefined {
  return initialized;
}

/** An initializer that throws. */
export function badInit(): void {
  throw new TypeError("initializer failed");
}

/** Counts tasks run in this worker; returns [worker id, count so far]. */
export function countTask(): [number, number] {
  return [currentProcess().id, ++tasksRun];
}

/** Increments a shared Value under its lock `n` times (revived primitives as arguments). */
export function incrementShared(value: Value<"i">, n: number): number {
  for (let i = 0; i < n; i++) {
    using _ = value.getLock().acquireSync();
    value.value = value.value + 1;
  }
  return value.value;
}

/** Takes a lock, passed as an argument, and reports whether it was free. */
export function tryLock(lock: Lock): boolean {
  const got = lock.tryAcquire();
  if (got) lock.release();
  return got;
}

/** Returns the byte length of a (possibly transferred) buffer. */
export function byteLength(buffer: ArrayBuffer): number {
  return buffer.byteLength;
}

/** Returns something that cannot be cloned. */
export function returnFunction(): () => void {
  return () => {};
}

/** Appends to a module-level list (the seed's "unshared global list" stays empty in the parent). */
export const results: number[] = [];
/** Squares each number into the module-level `results` list; returns its length in this worker. */
export function squareIntoGlobal(numbers: number[]): number {
  for (const n of numbers) results.push(n * n);
  return results.length;
}

/** Adds 1 to `counter[0]`; returns the new count. */
export function bump(counter: Int32Array): number {
  return Atomics.add(counter, 0, 1) + 1;
}

/** Adds 1 to `counters[i]`: a task whose every run is counted. Returns `i`. */
export function bumpAt(counters: Int32Array, i: number): number {
  Atomics.add(counters, i, 1);
  return i;
}

/** Returns its argument unchanged. */
export function echo<T>(x: T): T {
  return x;
}

/** Halves: integers in, doubles out from the first odd item on. */
export function half(x: number): number {
  return x / 2;
}

/** A number for small items, a string from 3 on (results change type mid-chunk). */
export function numberThenString(x: number): number | string {
  return x < 3 ? x : `#${x}`;
}

/**
 * Allocates small objects without bound, each holding the one before: many small allocations and
 * no large one. (Pushed onto one array instead, they make its backing store one ever larger
 * allocation, and a worker growing one array at its cap can abort the whole Node process: V8's
 * "Reached heap limit", nodejs/node#47224, seen here on Node 22.)
 */
function fill(): never {
  let chain: object | null = null;
  for (;;) chain = { next: chain, a: [1, 2, 3] };
}

/**
 * Fills the heap from the task itself: in Deno 2.9 the heap cap stops only this Promise
 * continuation, and the worker notices (see src/pool/limits.ts).
 */
export function hog(): never {
  fill();
}

/**
 * Fills the heap from a timer callback: Deno itself stops the worker at its heap cap (an `error`
 * event with code ERR_WORKER_OUT_OF_MEMORY, then `exit` 1).
 */
export function hogInTimer(): Promise<never> {
  return new Promise(() => {
    setTimeout(fill, 0);
  });
}

/** The resource limits of the worker that runs this, as `node:worker_threads` reports them. */
export function workerLimits(): Record<string, number | undefined> {
  return { ...resourceLimits };
}
