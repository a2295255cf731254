// Run: deno run --allow-read examples/queue_producer_consumer.ts
/**
 * The seed's `Queue` between processes: a producer process puts five numbers on a queue; once it
 * has finished, a consumer process takes items until the queue is empty. The queue lives in shared
 * memory, so both processes (and the main thread) use the same one; items come out in the order
 * they went in (FIFO).
 *
 * `while (!queue.empty())` is only safe here because the producer has finished before the consumer
 * starts: with both running at once, "empty" can just mean "not produced yet". For that case, see
 * `examples/queue_sentinel.ts` (an end marker) or `queue.close()`.
 *
 * @module
 */
import { Process, Queue, taskModule } from "@interlock/interlock";

/** The seed's `producer(queue)`. */
export function producer(queue: Queue<number>): void {
  for (let i = 0; i < 5; i++) {
    queue.putSync(i); // add an item to the queue
    console.log(`Produced: ${i}`);
  }
}

/** The seed's `consumer(queue)`. */
export function consumer(queue: Queue<number>): void {
  while (!queue.empty()) {
    const item = queue.getSync();
    console.log(`Consumed: ${item}`);
  }
}

if (import.meta.main) {
  const queue = new Queue<number>();
  const self = taskModule<typeof import("./queue_producer_consumer.ts")>(import.meta.url);
  const producerProcess = new Process(self, "producer", { args: [queue] });
  const consumerProcess = new Process(self, "consumer", { args: [queue] });

  producerProcess.start();
  await producerProcess.join();

  consumerProcess.start();
  await consumerProcess.join();
}
