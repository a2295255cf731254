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
 * Terminates `worker` and waits up to `grace` ms for it to really end (`ended`, from
 * {@linkcode threadEnd}).
 *
 * - Why a grace: in Deno 2.9 a thread stuck in a busy loop or a blocking call cannot be stopped until
 *   that call returns (see the module doc), and waiting for it could hang the caller forever.
 * - A worker that does not end in time is unref'd (it no longer keeps the program alive; the program
 *   may still exit while it runs) and abandoned.
 *
 * @param worker The worker to stop.
 * @param ended Resolves when its thread has really ended.
 * @param grace Milliseconds to wait for that.
 * @returns Whether the thread ended within the grace period.
 */
export async function stopWorker(
  worker: Worker,
  ended: Promise<void>,
  grace: number = TERMINATE_GRACE,
): Promise<boolean> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const stopped = await Promise.race([
    worker.terminate().then(() => ended, () => ended).then(() => true),
    new Promise<boolean>((resolve) => timer = setTimeout(() => resolve(false), grace)),
  ]);
  clearTimeout(timer);
  if (!stopped) worker.unref();
  return stopped;
}
