/**
 * What differs between the runtimes Interlock runs on, in one place: Deno 2, Node 22.18 and later,
 * and Bun 1. Everything else in `src/` is written against what all three provide (the Web platform,
 * `SharedArrayBuffer` and `Atomics`, and `node:` modules such as `node:worker_threads`), and never
 * asks which runtime runs it; this module does, and only here does the `Deno` global appear.
 *
 * Where they differ:
 *
 * - **A thread's uncaught errors**: Deno and Bun dispatch `error` and `unhandledrejection` events on
 *   the global scope, Node emits `process` events ({@linkcode onUncaught}).
 * - **Ending a thread**: `Deno.exit` on Deno (user code may call it, so it is wrapped too),
 *   `process.exit` on Node and Bun ({@linkcode exitThread}, {@linkcode replaceExit}).
 * - **Timers that keep no one up**: `Deno.unrefTimer` on Deno, `timer.unref()` on Node and Bun
 *   ({@linkcode unrefTimer}).
 * - **Heap caps** (`resourceLimits`): Deno and Node enforce them, Bun ignores them
 *   ({@linkcode workerHeapCaps}).
 * - **Serializing** with `node:v8`: V8's serializer refuses a `SharedArrayBuffer`, Bun's copies it
 *   ({@linkcode serializeValue}).
 * - **Stuck threads**: `worker.terminate()` of a thread in a busy loop or in `Atomics.wait` waits
 *   until its job returns on Deno, and interrupts it on Node and Bun (`pool/_stop.ts` handles both
 *   alike; nothing here).
 * - The explorer's progress line goes through `node:tty` and `node:fs`, the same on all three: not
 *   here but in `src/explore/_stderr.ts`, so that pool workers, which load this module, load neither.
 *
 * A worker's program is a sibling module of the code that starts it, with that code's extension:
 * `.ts` from source (Deno, and Node and Bun, which strip the types), `.js` in the build JSR serves
 * to npm clients ({@linkcode workerUrl}).
 *
 * @module
 */
import process from "node:process";
import { serialize } from "node:v8";

/** The parts of the `Deno` namespace used here (typed here so that no other runtime needs them). */
interface DenoApi {
  exit(code?: number): never;
  unrefTimer(id: number): void;
}

/** The `Deno` namespace, or `undefined` on Node and Bun. */
const deno = (globalThis as { Deno?: DenoApi }).Deno;

/** The runtime running this thread. */
export const runtime: "deno" | "bun" | "node" = deno !== undefined
  ? "deno"
  : "Bun" in globalThis
  ? "bun"
  : "node";

/**
 * Ends this thread (a worker: only the worker) with `code`: the runtime's own exit, captured when
 * this module loads, before {@linkcode replaceExit} wraps it.
 */
export const exitThread: (code?: number) => never = deno !== undefined
  ? deno.exit.bind(deno)
  : process.exit.bind(process);

/**
 * Makes every way user code ends this thread (`process.exit()`, and `Deno.exit()` on Deno) call
 * `exit` instead.
 *
 * @param exit Called with the code the user passed (anything: the caller validates it).
 */
export function replaceExit(exit: (code: unknown) => never): void {
  process.exit = exit as typeof process.exit;
  if (deno !== undefined) deno.exit = exit as DenoApi["exit"];
}

/**
 * Calls `handler` with every error thrown uncaught and every rejection left unhandled in this
 * thread.
 *
 * - `take: true`: the handler takes them over, and the thread does not end because of them (the
 *   handler decides what happens next).
 * - `take: false`: the handler only looks; the thread ends as it would have without it.
 *
 * @param handler Receives the error or the rejection reason.
 * @param take Whether the handler takes over (see above).
 */
export function onUncaught(handler: (error: unknown) => void, take: boolean): void {
  // Deno and Bun dispatch them as events on the global scope (Bun's test runner does not call the
  // `process` handlers in workers); Node's global scope is no EventTarget.
  if (typeof globalThis.addEventListener === "function") {
    globalThis.addEventListener("error", (event) => {
      if (take) event.preventDefault();
      handler(event.error);
    });
    globalThis.addEventListener("unhandledrejection", (event) => {
      if (take) event.preventDefault();
      handler(event.reason);
    });
  } else if (take) {
    process.on("uncaughtException", handler);
    process.on("unhandledRejection", handler);
  } else {
    // Node raises an unhandled rejection as an uncaught exception, which the monitor sees too.
    process.on("uncaughtExceptionMonitor", handler);
  }
}

/** Keeps `timer` (from `setTimeout` or `setInterval`) from keeping the program alive. */
export function unrefTimer(timer: ReturnType<typeof setTimeout>): void {
  if (deno !== undefined) deno.unrefTimer(timer as unknown as number);
  else (timer as unknown as { unref(): void }).unref();
}

/**
 * Whether workers started with `resourceLimits` get those caps: Deno and Node enforce them; Bun 1
 * accepts the option and ignores it (a worker's heap is not capped, `worker.resourceLimits` is `{}`).
 */
export const workerHeapCaps: boolean = runtime !== "bun";

/**
 * `value` in the structured-clone wire format of `node:v8`'s `serialize`, which refuses shared
 * memory on every runtime: V8's serializer throws on a `SharedArrayBuffer`; Bun's copies it, so on
 * Bun the value is searched first (what structured clone visits: own enumerable properties, `Map`
 * and `Set` entries, typed arrays' buffers).
 *
 * @param value The value.
 * @returns Its bytes.
 * @throws {Error} what `serialize` throws for a value structured clone refuses (a function, a
 * symbol), and a `DataCloneError` `DOMException` for shared memory.
 */
export function serializeValue(value: unknown): Uint8Array {
  if (runtime === "bun" && holdsSharedMemory(value, new Set())) {
    throw new DOMException("#<SharedArrayBuffer> could not be cloned.", "DataCloneError");
  }
  return serialize(value);
}

function holdsSharedMemory(value: unknown, seen: Set<object>): boolean {
  if (typeof value !== "object" || value === null || seen.has(value)) return false;
  seen.add(value);
  if (value instanceof SharedArrayBuffer) return true;
  if (ArrayBuffer.isView(value)) return value.buffer instanceof SharedArrayBuffer;
  if (value instanceof Map) {
    for (const [k, v] of value) {
      if (holdsSharedMemory(k, seen) || holdsSharedMemory(v, seen)) return true;
    }
  } else if (value instanceof Set) {
    for (const v of value) if (holdsSharedMemory(v, seen)) return true;
  }
  for (const key of Object.keys(value)) {
    if (holdsSharedMemory((value as Record<string, unknown>)[key], seen)) return true;
  }
  return value instanceof Error && holdsSharedMemory(value.cause, seen);
}
