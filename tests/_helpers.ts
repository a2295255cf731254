/**
 * Test helpers: run exported functions of fixture modules in real workers.
 *
 * @module
 */

const HARNESS = new URL("./_workers/harness.ts", import.meta.url);

/** One call to run in its own worker: `fixtures[name](...args)`. */
export interface WorkerCall {
  /** The fixture module (a file under tests/_workers/). */
  url: URL;
  /** The export to call. */
  name: string;
  /** Arguments; Interlock objects are revived in the worker. */
  args: unknown[];
}

/**
 * Starts one worker per call, runs them concurrently and resolves with their results in order.
 * Rejects with the first worker's error. Every worker is terminated before this settles.
 */
export async function inWorkers<T = unknown>(calls: WorkerCall[]): Promise<T[]> {
  const workers = calls.map(() => new Worker(HARNESS, { type: "module" }));
  try {
    return await Promise.all(calls.map((call, k) =>
      new Promise<T>((resolve, reject) => {
        const worker = workers[k]!;
        worker.onmessage = (e: MessageEvent<{ ok: boolean; value: T; error: unknown }>) =>
          e.data.ok ? resolve(e.data.value) : reject(e.data.error);
        worker.onerror = (e) => {
          e.preventDefault();
          reject(new Error(`Worker failed: ${e.message}`));
        };
        worker.postMessage({ url: call.url.href, name: call.name, args: call.args });
      })
    ));
  } finally {
    for (const worker of workers) worker.terminate();
  }
}

/** `n` calls of the same export with the same arguments. */
export function times(n: number, url: URL, name: string, args: unknown[]): WorkerCall[] {
  return Array.from({ length: n }, () => ({ url, name, args }));
}
