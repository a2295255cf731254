/**
 * Worker-side bodies for the Queue, JoinableQueue and SimpleQueue tests.
 *
 * @module
 */
import { type JoinableQueue, type Queue, QueueClosedError, type SimpleQueue } from "../../mod.ts";
import { together } from "../_contention.ts";

/** How items are shaped, to exercise each encoding (and the heap for "large"). */
export type ItemKind = "number" | "string" | "object" | "large";

/** The `i`-th item of producer `p` in the shape `kind`. */
export function item(kind: ItemKind, p: number, i: number): unknown {
  switch (kind) {
    case "number":
      return p * 1_000_000 + i;
    case "string":
      return `${p}:${i}`;
    case "object":
      return { p, i };
    case "large":
      return i % 7 === 0 ? `${p}:${i}:${"x".repeat(3_000)}` : `${p}:${i}`;
  }
}

/** Recovers [producer, index] from an item made by {@linkcode item}. */
export function origin(value: unknown): [number, number] {
  if (typeof value === "number") return [Math.floor(value / 1_000_000), value % 1_000_000];
  if (typeof value === "string") {
    const [p, i] = value.split(":");
    return [Number(p), Number(i)];
  }
  const { p, i } = value as { p: number; i: number };
  return [p, i];
}

/**
 * Puts `n` items of producer `p`; `mode` picks the blocking or the Promise form. Starts together
 * with the probe's other parties, and puts once `ready[0]` (consumers started) reaches `ready[1]`.
 */
export function produce(
  queue: Queue,
  p: number,
  n: number,
  kind: ItemKind,
  mode: "sync" | "async",
  probe: Int32Array,
  ready: Int32Array,
): Promise<number> {
  return together(probe, async () => {
    // Produce once every consumer is in its loop: a consumer that started only after the
    // producers were done would run alone, and test less.
    const consumers = ready[1]!;
    const end = performance.now() + 8_000;
    for (let r = Atomics.load(ready, 0); r < consumers; r = Atomics.load(ready, 0)) {
      if (Atomics.wait(ready, 0, r, end - performance.now()) === "timed-out") {
        throw new Error(`Only ${r} of ${consumers} consumers started`);
      }
    }
    for (let i = 0; i < n; i++) {
      if (mode === "sync") queue.putSync(item(kind, p, i));
      else await queue.put(item(kind, p, i));
    }
    return n;
  });
}

/**
 * Gets items until the queue is closed and drained, using short timeouts (retried) so that waits
 * time out mid-way; returns the items as [producer, index] pairs in the order received. Starts
 * together with the probe's other parties, and counts itself in `ready[0]`.
 */
export function consume(
  queue: Queue,
  mode: "sync" | "async",
  timeout: number,
  probe: Int32Array,
  ready: Int32Array,
): Promise<[number, number][]> {
  return together(probe, async () => {
    Atomics.add(ready, 0, 1);
    Atomics.notify(ready, 0);
    const got: [number, number][] = [];
    for (;;) {
      try {
        const value = mode === "sync"
          ? queue.getSync({ timeout })
          : await queue.get({ signal: AbortSignal.timeout(timeout + 1), timeout: timeout * 2 });
        got.push(origin(value));
      } catch (e) {
        if (e instanceof QueueClosedError) return got;
        if ((e as Error).name !== "TimeoutError") throw e;
      }
    }
  });
}

/** The seed's consumer: gets until the `null` sentinel, returns what it processed. */
export function consumeUntilNone(queue: Queue<number | null>): number[] {
  const processed: number[] = [];
  for (;;) {
    const value = queue.getSync();
    if (value === null) return processed;
    processed.push(value);
  }
}

/** The seed's producer: puts 0..4. */
export function produceFive(queue: Queue<number | null>): void {
  for (let item = 0; item < 5; item++) queue.putSync(item);
}

/** The seed's risky operation: reports its error through the queue. */
export function riskyOperation(queue: Queue<unknown>): void {
  try {
    throw new RangeError("division by zero", { cause: { numerator: 1 } });
  } catch (error) {
    queue.putSync(error);
  }
}

/** Takes `n` items from a JoinableQueue, marking each done; returns their sum. */
export function work(queue: JoinableQueue<number>, n: number): number {
  let sum = 0;
  for (let k = 0; k < n; k++) {
    sum += queue.getSync();
    queue.taskDone();
  }
  return sum;
}

/**
 * Blocks in getSync (no timeout) until the queue is closed; reports how the wait ended. Counts
 * itself in `started[0]` right before.
 */
export function waitForClose(queue: Queue, started: Int32Array): string {
  Atomics.add(started, 0, 1);
  try {
    queue.getSync();
    return "got an item";
  } catch (e) {
    return (e as Error).name;
  }
}

/** Echoes `n` items from `input` to `output` through a SimpleQueue pair. */
export function echo(input: SimpleQueue<unknown>, output: SimpleQueue<unknown>, n: number): number {
  for (let k = 0; k < n; k++) output.put(input.getSync());
  return n;
}

/** Puts `n` large byte arrays (each filled with its index) with putSync. */
export function putBlobs(queue: Queue<Uint8Array>, n: number, size: number): number {
  for (let k = 0; k < n; k++) queue.putSync(new Uint8Array(size).fill(k & 0xff));
  return n;
}
