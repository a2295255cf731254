/**
 * Stopping a worker thread, and knowing whether it really stopped: the one terminate-with-grace that
 * `Process.terminate()` and `Pool`'s kills share.
 *
 * What Deno 2.9 does (measured on 2.9.6, `node:worker_threads`): `worker.terminate()` resolves, and
 * the worker's `exit` event fires, within a few milliseconds, whatever the thread is doing. But a
 * thread that is running JavaScript (a busy loop) or is blocked in a synchronous call
 * (`Atomics.wait`, `Deno.readFileSync` on a FIFO, `Deno.Command(...).outputSync()`) is not
 * interrupted: it runs on until its current job returns to the event loop, and only then ends (a
 * busy loop that never returns keeps its core busy until the program exits). So neither
 * `terminate()` nor `exit` says the thread is gone.
 *
 * Node and Bun do interrupt such a thread: there `terminate()` ends it at once, and a stop is
 * reported `"unresponsive"` only if the thread does not end within the grace all the same.
 *
 * What does: a `MessagePort` whose twin lives in the worker fires `close` when the worker's
 * resources are dropped, that is when the thread has really ended ({@linkcode threadEnd}).
 * {@linkcode stopWorker} waits for that signal for a grace period, and reports a thread that does not
 * give it as not stopped (the caller reports `"unresponsive"`), instead of hanging its caller.
 *
 * Many workers stopped at once share one {@linkcode Grace}, which restarts whenever one of them
 * ends: tearing down a thread takes time, and on a busy 2-core machine 64 idle workers took 1.2 s
 * to end, one after another (up to 0.8 s apart), and more than the 2 s of a fixed grace for a
 * pool's workers. A grace that restarts on every end waits as long as threads keep ending, and
 * still reports a thread stuck in synchronous code 2 s after the last one ended.
 *
 * A worker stopped while *idle* (it runs no task and no initializer, and every task it had not
 * started was revoked, so it cannot start one) runs no synchronous code of ours or of the user's:
 * its thread ends as soon as it is scheduled, and 2 s says nothing about it being stuck. Measured
 * under load 20 on 2 cores (64 idle workers, `terminate()` of a pool): all 64 `close` events came,
 * none was lost, but the first only 10.9 s after the kill and the last at 13.8 s, with a gap of 2.1 s
 * between two; the main thread itself was starved, so its 2 s timers fired ~8 s late, just before
 * the `close` events already due. Idle workers are therefore given {@linkcode IDLE_GRACE}
 * (restarting, as the other), which only bounds the wait should a thread end never be reported.
 *
 * @module
 */
import type { Worker } from "node:worker_threads";

/**
 * Milliseconds a terminated worker has to really end before it is reported unresponsive: a thread
 * that is only between jobs ends at once; one that is stuck in a long synchronous job cannot be
 * stopped until that job returns.
 */
export const TERMINATE_GRACE = 2000;

/**
 * Milliseconds an idle worker (see the module doc) has to end, counted as {@linkcode Grace} counts:
 * it only bounds the wait, since such a thread ends as soon as it is scheduled.
 */
export const IDLE_GRACE = 30_000;

/**
 * The grace period of the workers stopped together (a pool's `terminate()`): it ends
 * `ms` milliseconds after it began or after the last of its workers ended, whichever is later.
 */
export class Grace {
  /** Milliseconds without a worker ending after which the rest count as unresponsive. */
  readonly ms: number;
  /** The same for idle workers (see the module doc). */
  readonly idleMs: number;
  #last = performance.now();

  /** Starts the grace period now. */
  constructor(ms: number = TERMINATE_GRACE, idleMs: number = IDLE_GRACE) {
    this.ms = ms;
    this.idleMs = idleMs;
  }

  /** Records that one of its workers ended: the period restarts. */
  progress(): void {
    this.#last = performance.now();
  }

  /** Milliseconds left before the period of a busy (or `idle`) worker ends (0 or less once it has). */
  left(idle = false): number {
    return this.#last + (idle ? this.idleMs : this.ms) - performance.now();
  }
}

/**
 * Resolves when the thread that holds the twin of `port` has really ended (its resources were
 * dropped). Starts `port` (needed for `close` to be delivered); a port with only a `close` listener
 * does not keep the program alive. Never call `port.close()` before this resolved: closing it here
 * fires the same event.
 *
 * @param port Our end of a channel whose other end was sent to the worker.
 * @returns A promise that resolves when the worker's end is gone.
 */
export function threadEnd(port: MessagePort): Promise<void> {
  return new Promise((resolve) => {
    port.addEventListener("close", () => resolve(), { once: true });
    port.start();
  });
}

/**
 * Terminates `worker` and waits for it to really end (`ended`, from {@linkcode threadEnd}) within
 * `grace`.
 *
 * - Why a grace: in Deno 2.9 a thread stuck in a busy loop or a blocking call cannot be stopped until
 *   that call returns (see the module doc), and waiting for it could hang the caller forever.
 * - A worker that does not end in time is unref'd (it no longer keeps the program alive; the program
 *   may still exit while it runs) and abandoned.
 *
 * @param worker The worker to stop.
 * @param ended Resolves when its thread has really ended.
 * @param grace The grace period, shared by workers stopped together (a fresh one by default).
 * @param idle Whether the worker runs no task and can start none (see the module doc): it is then
 *   given {@linkcode IDLE_GRACE} instead of {@linkcode TERMINATE_GRACE}.
 * @returns Whether the thread ended within the grace period.
 */
export async function stopWorker(
  worker: Worker,
  ended: Promise<void>,
  grace: Grace = new Grace(),
  idle = false,
): Promise<boolean> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const stopped = await new Promise<boolean>((resolve) => {
    void worker.terminate().then(() => ended, () => ended).then(() => {
      grace.progress();
      resolve(true);
    });
    // Re-armed while other workers of the same grace keep ending.
    const check = () => {
      const left = grace.left(idle);
      if (left <= 0) resolve(false);
      else timer = setTimeout(check, left);
    };
    timer = setTimeout(check, grace.left(idle));
  });
  clearTimeout(timer);
  if (!stopped) worker.unref();
  return stopped;
}
