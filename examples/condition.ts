// Run: deno run --allow-read examples/condition.ts
/**
 * A `Condition`, the last of the seed's synchronization tools: three consumer processes wait, each
 * holding the condition's lock, until the producer (the main thread) has published the data; the
 * producer sets it under the same lock and calls `notifyAll()` (Python's `notify_all()`), which
 * wakes every waiter; `notify()` would wake one.
 *
 * The consumers wait with `waitForSync(predicate)`, which re-checks the shared state under the lock
 * before sleeping and after each wake-up: a consumer that starts after the producer has already
 * notified sees the data at once instead of waiting for a notification that has passed.
 *
 * @module
 */
import { Condition, Process, taskModule, Value } from "@interlock/interlock";

/** Waits until `data` is published, then reports it. */
export function consumer(condition: Condition, data: Value<"i">, number: number): void {
  console.log(`Consumer ${number} waiting...`);
  let seen: number;
  {
    using _ = condition.acquireSync(); // Python's `with condition:`
    seen = condition.waitForSync(() => data.value); // 0 means "not yet"
  }
  console.log(`Consumer ${number} got the data: ${seen}`);
}

/** Publishes `value` in `data` and wakes every consumer (the main thread runs it). */
export async function producer(
  condition: Condition,
  data: Value<"i">,
  value: number,
): Promise<void> {
  using _ = await condition.acquire();
  console.log("Producer publishing the data");
  data.value = value;
  condition.notifyAll(); // wake every consumer that waits
}

if (import.meta.main) {
  const condition = new Condition(); // bound to a new RLock, as in Python
  const data = new Value("i", 0);
  const self = taskModule<typeof import("./condition.ts")>(import.meta.url);
  const consumers = [1, 2, 3].map((i) =>
    new Process(self, "consumer", { args: [condition, data, i] })
  );
  for (const c of consumers) c.start();
  await producer(condition, data, 42);
  for (const c of consumers) await c.join();
  console.log("All consumers done");
}
