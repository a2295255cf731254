// Run: deno run --allow-read examples/queue_sentinel.ts
/**
 * The seed's `Queue` with a sentinel: producer and consumer run at the same time; the consumer
 * blocks in `get` until an item arrives, and stops at `null` (Python's `None`), which the main
 * thread puts once the producer has finished. Every item is processed exactly once, in order.
 *
 * Interlock queues also offer `close()`: `get` then drains what is left and throws
 * `QueueClosedError`, and `for await (const item of queue)` simply ends, with no sentinel value.
 *
 * @module
 */
import { Process, Queue, taskModule } from "@interlock/interlock";

/** The seed's `data_producer(queue)`. */
export function dataProducer(queue: Queue<number | null>): void {
  for (let item = 0; item < 5; item++) queue.putSync(item);
}

/** The seed's `data_consumer(queue)`. */
export function dataConsumer(queue: Queue<number | null>): void {
  for (;;) {
    const item = queue.getSync(); // waits for the next item
    if (item === null) break;
    console.log(`Processed: ${item}`);
  }
}

if (import.meta.main) {
  const communicationQueue = new Queue<number | null>();
  const self = taskModule<typeof import("./queue_sentinel.ts")>(import.meta.url);

  // Create producer and consumer processes
  const producer = new Process(self, "dataProducer", { args: [communicationQueue] });
  const consumer = new Process(self, "dataConsumer", { args: [communicationQueue] });

  // Start processes
  producer.start();
  consumer.start();

  // Wait for producer completion
  await producer.join();

  // Signal end of data
  await communicationQueue.put(null);

  // Wait for consumer completion
  await consumer.join();
  console.log("Consumer finished");
}
