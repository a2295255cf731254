/**
 * Benches that run their jobs in workers started from their own file (`pipe_bench.ts`,
 * `queue_bench.ts`): the worker side (load, say "ready", run each job it is sent) and the main
 * side (start workers, hand one a job, await its result).
 *
 * @module
 */
import { revive } from "../mod.ts";

declare const WorkerGlobalScope: unknown;

/** What a bench worker posts back for a job. */
type Outcome<R> = { ok: true; result: R } | { ok: false; error: unknown };

/**
 * The entry of a bench file: in a worker, runs every job it is sent with `run` (the job revived,
 * so that Interlock objects in it work) and posts back what it returned or threw, after saying
 * "ready" once loaded; on the main thread, when run as the main module, runs `main`.
 */
export async function benchEntry<J, R>(
  run: (job: J) => Promise<R>,
  main: () => Promise<void>,
  isMain: boolean,
): Promise<void> {
  if (typeof WorkerGlobalScope !== "undefined") {
    const scope = globalThis as unknown as {
      postMessage(m: unknown): void;
      onmessage: ((e: MessageEvent<J>) => void) | null;
    };
    scope.onmessage = async (e) => {
      try {
        scope.postMessage({ ok: true, result: await run(revive(e.data) as J) });
      } catch (error) {
        scope.postMessage({ ok: false, error });
      }
    };
    scope.postMessage("ready");
  } else if (isMain) {
    await main();
  }
}

/** Starts `n` workers of the bench file `url` and waits until all are loaded. */
export async function startWorkers(url: URL, n: number): Promise<Worker[]> {
  const workers = Array.from({ length: n }, () => new Worker(url, { type: "module" }));
  await Promise.all(workers.map((w) =>
    new Promise<void>((resolve) => {
      w.onmessage = () => resolve();
    })
  ));
  return workers;
}

/** Sends `job` to the bench worker `w`; resolves with what the job returned, rejects with its error. */
export function runOn<R>(w: Worker, job: unknown, transfer: Transferable[]): Promise<R> {
  return new Promise<R>((resolve, reject) => {
    w.onmessage = (e: MessageEvent<Outcome<R>>) =>
      e.data.ok ? resolve(e.data.result) : reject(e.data.error);
    w.onerror = (e) => {
      e.preventDefault();
      reject(new Error(e.message));
    };
    w.postMessage(job, transfer);
  });
}
