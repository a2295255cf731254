// Run: deno run --allow-read examples/process_ids.ts
/**
 * The seed's process and parent ids: two children print their own id and their parent's, as
 * `os.getpid()` and `os.getppid()`. In Interlock a "process" is a worker thread, and
 * `currentProcess()` tells who the calling thread is: its `name`, its `id` (unique in the program;
 * 0 is the main thread, `"MainProcess"`) and its `parentId`. A child can start children of its own:
 * the grandchild's parent is the child, not the main thread.
 *
 * @module
 */
import { currentProcess, Process, taskModule } from "@interlock/interlock";

const self = taskModule<typeof import("./process_ids.ts")>(import.meta.url);

/** The seed's `display_process_details()`. */
export function displayProcessDetails(): void {
  const me = currentProcess();
  console.log(`${me.name}: Current Process ID: ${me.id}`);
  console.log(`${me.name}: Parent Process ID: ${me.parentId}`);
}

/** Starts a child of this child and waits for it (a worker may block: `joinSync`). */
export function startGrandchild(): void {
  displayProcessDetails();
  const grandchild = new Process(self, "displayProcessDetails", { name: "Grandchild" });
  grandchild.start();
  grandchild.joinSync();
}

if (import.meta.main) {
  const main = currentProcess();
  console.log(`${main.name}: Current Process ID: ${main.id}`);

  // Initialize two separate processes, launch them, wait for completion.
  const worker1 = new Process(self, "displayProcessDetails", { name: "Worker-1" });
  const worker2 = new Process(self, "displayProcessDetails", { name: "Worker-2" });
  worker1.start();
  worker2.start();
  await worker1.join();
  await worker2.join();
  console.log(`Started ${worker1.name} (id ${worker1.id}) and ${worker2.name} (id ${worker2.id})`);

  // A process that starts a process.
  const parent = new Process(self, "startGrandchild", { name: "Child" });
  parent.start();
  await parent.join();
}
