/**
 * Helpers for the pool and process tests.
 *
 * @module
 */
import { taskModule } from "../../mod.ts";

/** The tests' task module, typed. */
export const tasks = taskModule<typeof import("../_workers/pool_tasks.ts")>(
  new URL("../_workers/pool_tasks.ts", import.meta.url),
);

/**
 * Rejects if `promise` has not settled after `ms`: a bound that turns a hang (a bug) into a failure;
 * never used to order events.
 */
export function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const bound = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: not settled after ${ms} ms`)), ms);
  });
  return Promise.race([promise, bound]).finally(() => clearTimeout(timer));
}

/** Waits (without blocking the event loop) until `flags[i]` is at least `n`. */
export async function until(flags: Int32Array, i: number, n: number): Promise<void> {
  for (let v = Atomics.load(flags, i); v < n; v = Atomics.load(flags, i)) {
    const r = Atomics.waitAsync(flags, i, v);
    if (r.async) {
      // waitAsync does not keep the event loop alive by itself.
      const keep = setInterval(() => {}, 1 << 30);
      await r.value;
      clearInterval(keep);
    }
  }
}

/** A fresh Int32Array over shared memory. */
export function shared(n: number): Int32Array {
  return new Int32Array(new SharedArrayBuffer(4 * n));
}

/** Whether subprocesses may run (the FIFO helpers need `--allow-run`). */
export const canRun: boolean = Deno.permissions.querySync({ name: "run" }).state === "granted";

async function sh(script: string, ...args: string[]): Promise<string> {
  const out = await new Deno.Command("sh", { args: ["-c", script, "sh", ...args] }).output();
  if (!out.success) throw new Error(`sh failed: ${new TextDecoder().decode(out.stderr)}`);
  return new TextDecoder().decode(out.stdout).trim();
}

/**
 * A named pipe in a fresh temporary directory: a worker that reads it blocks in a synchronous
 * native call until `release()` writes to it. Disposing writes (if not done yet) and removes it.
 */
export async function fifo(): Promise<
  { path: string; release(): Promise<void> } & AsyncDisposable
> {
  const path = await sh('d=$(mktemp -d) && mkfifo "$d/fifo" && echo "$d/fifo"');
  let released = false;
  const release = async () => {
    if (released) return;
    released = true;
    // Opening a FIFO for writing waits for its reader (the blocked worker), then the read returns.
    await sh('printf go > "$1"', path);
  };
  return {
    path,
    release,
    [Symbol.asyncDispose]: async () => {
      // Not released (the test failed early): a read-write open never waits for a reader.
      if (!released) await sh('printf go 1<>"$1"', path);
      await sh('rm -r "$(dirname "$1")"', path);
    },
  };
}
