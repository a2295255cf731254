// Run: deno run --allow-read examples/process_lifecycle.ts
/**
 * The seed's tour of a process's life: names (the main thread is `"MainProcess"`, a child gets
 * `"Process-N"` or the `name` you give), daemon processes, `isAlive` before, during and after the
 * run, `join` with a timeout (the child keeps running: check `isAlive`), `terminate()`, and why a
 * process cannot be started twice.
 *
 * Nothing here waits by sleeping: the child tells the parent it runs through one `Event` and waits
 * for the parent's go on another.
 *
 * @module
 */
import { currentProcess, Event, Process, RuntimeError, taskModule } from "@interlock/interlock";

/** Reports who it is, signals `running`, then waits for `go`. */
export function task(running: Event, go: Event): void {
  const me = currentProcess();
  console.log(`Child: my name is ${me.name}, daemon: ${me.daemon}`);
  running.set();
  go.waitSync();
}

/**
 * Waits for an event nobody sets, asynchronously: Deno 2.9 cannot interrupt a thread blocked in
 * `waitSync()`, so `terminate()` could not stop this child if it waited that way.
 */
export async function waitForever(never: Event): Promise<void> {
  await never.wait();
}

if (import.meta.main) {
  const self = taskModule<typeof import("./process_lifecycle.ts")>(import.meta.url);
  console.log(`Main process name: ${currentProcess().name}`);

  // A named daemon child.
  const running = new Event();
  const go = new Event();
  const child = new Process(self, "task", { name: "MyProcess", daemon: true, args: [running, go] });
  console.log(`Name: ${child.name}, daemon: ${child.daemon}`);
  console.log(`Alive before start: ${child.isAlive}`);
  child.start();
  await running.wait();
  console.log(`Alive while running: ${child.isAlive}`);

  // join() with a timeout returns (here: throws TimeoutError) while the child still runs.
  try {
    await child.join({ timeout: 50 });
  } catch (error) {
    if (!(error instanceof DOMException && error.name === "TimeoutError")) throw error;
    console.log(`Join timed out, still alive: ${child.isAlive}`);
  }
  go.set();
  await child.join();
  console.log(`Alive after join: ${child.isAlive}, exit code: ${child.exitCode}`);

  // A process runs once: starting it again is an error.
  try {
    child.start();
  } catch (error) {
    if (!(error instanceof RuntimeError)) throw error;
    console.log(`Start again: ${error.name}: ${error.message}`);
  }

  // terminate() stops a child that would never end on its own.
  const endless = new Process(self, "waitForever", { args: [new Event()] });
  console.log(`Default name: ${endless.name}`);
  endless.start();
  console.log(`Terminate: ${await endless.terminate()}, exit code: ${endless.exitCode}`);

  // A daemon process does not keep the program alive: this one is still waiting when the program
  // ends, and it is stopped with it. (A non-daemon child would keep the program running.)
  const daemon = new Process(self, "waitForever", { daemon: true, args: [new Event()] });
  daemon.start();
  console.log(`Leaving a daemon behind, alive: ${daemon.isAlive}`);
}
