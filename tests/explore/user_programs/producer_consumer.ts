/**
 * A producer and a consumer over a `Queue`, with `null` as the end marker. Expected: the consumer
 * gets every item, in order, in every schedule.
 *
 * @module
 */
import type { Queue } from "../../../mod.ts";

/** Puts 1 … `items`, then the end marker. */
export function produce(queue: Queue<number | null>, items: number): void {
  for (let i = 1; i <= items; i++) queue.putSync(i);
  queue.putSync(null);
}

/** Takes items until the end marker; returns them. */
export function consume(queue: Queue<number | null>): number[] {
  const got: number[] = [];
  for (;;) {
    const item = queue.getSync();
    if (item === null) return got;
    got.push(item);
  }
}
