/**
 * The production async driver: runs a derived (generator-form) kernel, performing every wait it
 * yields with `Atomics.waitAsync` (see `src/_atomics.ts` for the two kernel forms).
 *
 * - **Keep-alive.** A pending `Atomics.waitAsync` does not keep Deno's event loop alive, so a program
 *   whose main thread only awaits a lock would exit. While any wait is pending, one shared interval
 *   timer is held (reference-counted) and released when the last wait ends.
 * - **Abort.** An in-flight `waitAsync` cannot be withdrawn from the engine's waiter list, and left
 *   there it would take a later `notify(word, 1)` (a lock's release) for itself. Its promise settles
 *   only when this thread's event loop next runs, so forwarding that wake-up from there came too
 *   late whenever the thread blocked first: a thread that then slept in `Atomics.wait` on the same
 *   word (the Queue's lane lock, taken again by the retried get) took its own wake-up and slept
 *   forever (seen on Bun; every runtime behaves so, see `tests/sync/async_abort_test.ts`). So the
 *   abort listener notifies the word at once, all its waiters: that removes the abandoned waiter
 *   from the list before the kernel resumes with "timed-out" (it backs out exactly as from a
 *   timeout), and any `notify` that landed on it before is passed on to every other waiter of the
 *   word. Kernels re-check their condition after every wake-up, so the others' wake-up is at worst
 *   spurious.
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
  let sleeping: WaitRequest | undefined; // the abortable wait in flight
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
            onAbort = () => {
              // Leave no waiter behind (module doc), in the abort's own task: no other code of
              // this thread can run, and block on the word, before ours is gone.
              if (sleeping) REAL.notify(sleeping.a, sleeping.i, Infinity);
              resolve(ABORTED);
            };
            signal.addEventListener("abort", onAbort, { once: true });
          });
          sleeping = request;
          const first = await Promise.race([pending, aborted]);
          sleeping = undefined;
          result = first === ABORTED ? "timed-out" : first;
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
