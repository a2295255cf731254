/**
 * A whole program run as a subprocess by tests/process/program_test.ts, to check what only a
 * program's end can show: daemon children do not keep it alive, non-daemon children do, and what
 * children log reaches the program's output.
 *
 * Usage: deno run --allow-read tests/_workers/process_program.ts daemon|non-daemon|logging|idle-pool|unresponsive
 *
 * @module
 */
import { Pool, Process, taskModule } from "../../mod.ts";

const children = taskModule<typeof import("./process_fixtures.ts")>(
  new URL("./process_fixtures.ts", import.meta.url),
);

const mode = Deno.args[0];
if (mode === "daemon") {
  // Blocks forever: only the end of the program can stop it.
  const p = new Process(children, "blockForever", { daemon: true });
  p.start();
  console.log(`started daemon ${p.name}, alive: ${p.isAlive}`);
} else if (mode === "non-daemon") {
  const p = new Process(children, "countThenLog", { args: [2_000_000] });
  p.start();
  console.log("main done");
} else if (mode === "idle-pool") {
  // Never closed: an idle pool's workers are daemons, as in Python.
  const tasks = taskModule<typeof import("./pool_tasks.ts")>(
    new URL("./pool_tasks.ts", import.meta.url),
  );
  const pool = new Pool(tasks, { size: 2 });
  console.log(`squares: ${await pool.map("square", [1, 2, 3])}`);
} else if (mode === "unresponsive") {
  // A non-daemon child in a loop that never ends: terminate() abandons it, and the program exits.
  const tasks = taskModule<typeof import("./pool_tasks.ts")>(
    new URL("./pool_tasks.ts", import.meta.url),
  );
  const flags = new Int32Array(new SharedArrayBuffer(8));
  const p = new Process(tasks, "spinUntilReleased", { args: [flags] });
  p.start();
  while (Atomics.load(flags, 0) === 0) await Atomics.waitAsync(flags, 0, 0, 100).value;
  console.log(`terminate: ${await p.terminate()}, alive: ${p.isAlive}`);
} else if (mode === "logging") {
  const p = new Process(children, "logWork", { name: "logger" });
  p.start();
  await p.join();
  console.log(`logger exit code ${p.exitCode}`);
}
