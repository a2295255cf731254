// Run: deno run --allow-read examples/exit_codes.ts
/**
 * The seed's exit-code check: a child whose function throws ends with exit code 1, and the parent
 * notices ("Process terminated with error code: 1"). As in Python, the child's error is printed
 * (to stderr) and does not take the parent down; Interlock also keeps it, rebuilt with its class,
 * as `process.error`.
 *
 * The other exit codes: `0` when the function returns, the code given to `Deno.exit(n)` (Python's
 * `sys.exit(n)`), `-15` after `terminate()` (Python's `-SIGTERM`), and `null` while it runs.
 *
 * @module
 */
import { Event, Process, taskModule } from "@interlock/interlock";

/** The seed's `error_prone_function()`. */
export function errorProneFunction(): void {
  throw new RangeError("Operation failed!");
}

/** Returns normally: exit code 0. */
export function fine(): void {}

/** Exits explicitly with code 3, as `sys.exit(3)`. */
export function exitThree(): void {
  Deno.exit(3);
}

/**
 * Tells the parent it is running, then waits for an event nobody sets, until terminated. It waits
 * asynchronously: Deno 2.9 cannot interrupt a thread blocked in `waitSync()` (`Atomics.wait`), so
 * `terminate()` would report it `"unresponsive"` instead of stopping it.
 */
export async function waitForever(running: Event, never: Event): Promise<void> {
  running.set();
  await never.wait();
}

if (import.meta.main) {
  const self = taskModule<typeof import("./exit_codes.ts")>(import.meta.url);

  // The seed: a process whose function throws.
  const proc = new Process(self, "errorProneFunction");
  proc.start();
  await proc.join();
  if (proc.exitCode !== 0) {
    console.log(`Process terminated with error code: ${proc.exitCode}`);
    console.log(`Its error: ${proc.error}`);
  }

  // The other ways a process can end.
  const ok = new Process(self, "fine");
  const exited = new Process(self, "exitThree");
  const running = new Event();
  const stuck = new Process(self, "waitForever", { args: [running, new Event()] });
  for (const p of [ok, exited, stuck]) p.start();
  await ok.join();
  await exited.join();
  await running.wait();
  console.log(`Exit code while running: ${stuck.exitCode}`);
  await stuck.terminate();
  console.log(`Exit code after returning: ${ok.exitCode}`);
  console.log(`Exit code after Deno.exit(3): ${exited.exitCode}`);
  console.log(`Exit code after terminate(): ${stuck.exitCode}`);
}
