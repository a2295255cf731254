/**
 * The production async driver: runs a derived (generator-form) kernel, performing every wait it
 * yields with `Atomics.waitAsync` (see `src/_atomics.ts` for the two kernel forms).
 *
 * - **Keep-alive.** A pending `Atomics.waitAsync` does not keep Deno's event loop alive, so a program
 *   whose main thread only awaits a lock would exit. While any wait is pending, one shared interval
 *   timer is held (reference-counted) and released when the last wait ends.
 * - **Abort.** An in-flight `waitAsync` cannot be withdrawn from the engine's waiter list. On abort the
 *   kernel is resumed at once with "timed-out" (it backs out exactly as from a timeout), and the
 *   orphaned `waitAsync` is watched: if a `notify` later lands on it ("ok"), the wake-up is forwarded
 *   with one more `notify` on the same word, so an aborted waiter never swallows a wake-up. Kernels
 *   re-check their condition after every wake-up, so a forwarded wake-up is at worst spurious.
 *
 * @module
 */
import { type KernelGen, REAL, waitAsync, type WaitRequest, type WaitResult } from "./_atomics.ts";

let holds = 0;
let keepAlive: ReturnType<typeof setInterval> | undefined;

function hold(): void {
  if (holds++ === 0) keepAlive = setInterval(() => {}, 1 << 30);
}

function unhold(): void {
  if (--holds === 0) {
    clearInterval(keepAlive);
    keepAlive = undefined;
  }
}

const ABORTED = Symbol("aborted");

/**
 * Drives `kernel` to completion. Waits happen with `Atomics.waitAsync`; an abort of `signal` during a
 * wait resumes the kernel with "timed-out". The caller tells a timeout from an abort by
 * `signal.aborted` after a failed result.
 */
export async function runAsync<R>(kernel: KernelGen<R>, signal?: AbortSignal): Promise<R> {
  let step = kernel.next();
  if (step.done) return step.value;
  hold();
  let aborted: Promise<typeof ABORTED> | undefined;
  let onAbort: (() => void) | undefined;
  try {
    while (!step.done) {
      const request = step.value as WaitRequest;
      let result: WaitResult;
      if (signal?.aborted) {
        result = "timed-out";
      } else {
        const pending = waitAsync(request.a, request.i, request.expected, request.deadline);
        if (typeof pending === "string") {
          result = pending;
        } else if (signal === undefined) {
          result = await pending;
        } else {
          aborted ??= new Promise((resolve) => {
            onAbort = () => resolve(ABORTED);
            signal.addEventListener("abort", onAbort, { once: true });
          });
          const first = await Promise.race([pending, aborted]);
          if (first === ABORTED) {
            forwardWakeUp(pending, request);
            result = "timed-out";
          } else {
            result = first;
          }
        }
      }
      step = kernel.next(result);
    }
    return step.value;
  } finally {
    if (onAbort) signal?.removeEventListener("abort", onAbort);
    unhold();
  }
}

/** Passes on a `notify` that lands on an abandoned waiter (see the module doc). */
function forwardWakeUp(pending: Promise<WaitResult>, request: WaitRequest): void {
  pending.then((result) => {
    if (result === "ok") REAL.notify(request.a, request.i, 1);
  });
}
