// Run: deno run --allow-read examples/event.ts
/**
 * The seed's `Event`: a worker waits until the main thread sets the event. The seed's
 * `time.sleep(2)` only simulates the main thread being busy; the event, not the delay, makes the
 * worker wait, so "Event is set, worker proceeds" always comes after "Setting the event".
 *
 * The worker blocks in `event.waitSync()` (fine in a worker); the main thread would use
 * `await event.wait()`, which leaves its event loop free.
 *
 * @module
 */
import { Event, Process, taskModule } from "@interlock/interlock";

/** The seed's `worker()`. */
export function worker(event: Event): void {
  console.log("Worker waiting for event to be set");
  event.waitSync(); // blocks until the event is set
  console.log("Event is set, worker proceeds");
}

if (import.meta.main) {
  const event = new Event();
  const self = taskModule<typeof import("./event.ts")>(import.meta.url);
  const thread = new Process(self, "worker", { args: [event] });
  thread.start();

  await new Promise((resolve) => setTimeout(resolve, 500)); // simulate being busy
  console.log("Setting the event");
  event.set(); // release the worker
  await thread.join();
}
