/**
 * The map family of `Pool` (`map`, `starmap`, `mapAsync`, `starmapAsync`, `imap`, `imapUnordered`),
 * written over three calls of the dispatcher ({@linkcode MapHost}): `submitTo` a chunk as one task,
 * `cancel` a chunk not yet started, and wait for `room` in a bounded queue. One engine (`chunks`)
 * reads the items as room frees up and yields each chunk's results; the public forms collect or
 * stream them.
 *
 * @module
 */
import { AsyncResult, settledCallbacks } from "./async_result.ts";
import { type Kind, MAP } from "./protocol.ts";
import {
  abortSignalOf,
  type MapAsyncOptions,
  type MapOptions,
  type TaskOptions,
} from "./pool_options.ts";
import type { Dispatcher } from "./_dispatcher.ts";
import { checkIterable, chunkSource, packItems } from "./_chunking.ts";
import { unpackStrings } from "./_packed_strings.ts";
import { MAX_BATCH } from "./_placement.ts";
import type { Task } from "./_member.ts";

/** A chunk in flight: its task, then its outcome. */
interface Chunk {
  task: Task | undefined;
  settled: boolean;
  ok: boolean;
  value: unknown;
}

/** Items in a chunk from which it is sent before the next chunk is read (see `chunks`). */
const OVERLAP_CHUNK = 4096;

/**
 * What the map family needs of a pool's dispatcher: its `size` (the default `chunksize` of `map`, the
 * window of chunks in flight), `checkRunning`, `submitTo` (one task per chunk), `cancel` (a chunk not
 * started), `room` (wait while `maxQueue` tasks wait) and `newId` (the id of a `mapAsync` result).
 */
export type MapHost = Pick<
  Dispatcher,
  "size" | "checkRunning" | "submitTo" | "cancel" | "room" | "newId"
>;

/** `map` / `starmap`: reads every item first (as Python does), resolves with the results in order. */
export async function mapAll(
  host: MapHost,
  what: string,
  name: string,
  kind: Kind,
  items: Iterable<unknown>,
  options: MapOptions | undefined,
): Promise<unknown[]> {
  const list = Array.isArray(items) ? items : Array.from(checkIterable(what, items));
  let chunksize = options?.chunksize;
  if (chunksize === undefined) {
    chunksize = Math.max(1, Math.ceil(list.length / (host.size * 4)));
  }
  // Each chunk's results go into place as soon as they arrive (in order: `chunks` yields them so),
  // while the workers still run the chunks after it: unpacking and copying overlap their work
  // instead of following it.
  const out = new Array<unknown>(list.length);
  for await (
    const [index, values] of chunks(host, what, name, kind, list, chunksize, options, true)
  ) {
    if (index === 0 && Array.isArray(values) && values.length === list.length) return values;
    const at = index * chunksize;
    if (values instanceof Uint8Array) unpackStrings(values, out, at); // packed strings
    else for (let i = 0; i < values.length; i++) out[at + i] = values[i];
  }
  return out;
}

/** `mapAsync` / `starmapAsync`: `mapAll` behind an {@linkcode AsyncResult} that can cancel it. */
export function mapAsync(
  host: MapHost,
  what: string,
  name: string,
  kind: Kind,
  items: Iterable<unknown>,
  options: MapAsyncOptions<unknown> | undefined,
): AsyncResult<unknown[]> {
  host.checkRunning(what);
  const controller = new AbortController();
  const user = options?.signal;
  const signal = user ? AbortSignal.any([user, controller.signal]) : controller.signal;
  const promise = mapAll(host, what, name, kind, items, { ...options, signal });
  let done = false;
  promise.then(() => done = true, () => done = true);
  const id = host.newId();
  const result = new AsyncResult(id, promise, {
    // A map counts as running from submission until its last chunk settles.
    running: () => !done,
    cancel: () => {
      if (done) return false;
      controller.abort(new DOMException("The task was cancelled", "AbortError"));
      return true;
    },
  });
  settledCallbacks(result, options?.callback, options?.errorCallback);
  return result;
}

/** `imap` / `imapUnordered`: yields each item's result, in order or as its chunk finishes. */
export async function* imap(
  host: MapHost,
  what: string,
  name: string,
  items: Iterable<unknown> | AsyncIterable<unknown>,
  options: MapOptions | undefined,
  ordered: boolean,
): AsyncGenerator<unknown> {
  for await (
    const [, values] of chunks(
      host,
      what,
      name,
      MAP,
      items,
      options?.chunksize ?? 1,
      options,
      ordered,
    )
  ) {
    const list = values instanceof Uint8Array ? unpackStrings(values) : values;
    for (let i = 0; i < list.length; i++) yield list[i];
  }
}

/**
 * The engine of the map family: reads `items` in chunks as room frees up (at most a window of
 * chunks in flight), submits each chunk as one task, and yields `[chunk index, results]`, in
 * order or as they finish; results of strings only come packed (a `Uint8Array`, see
 * `_packed_strings.ts`), for the caller to unpack where they go. On early exit or error, drops the
 * chunks not started.
 */
async function* chunks(
  host: MapHost,
  what: string,
  name: string,
  kind: Kind,
  items: Iterable<unknown> | AsyncIterable<unknown>,
  chunksize: number,
  options: MapOptions | undefined,
  ordered: boolean,
): AsyncGenerator<[number, ArrayLike<unknown>]> {
  if (typeof chunksize !== "number" || !Number.isInteger(chunksize) || chunksize < 1) {
    throw new RangeError(
      `Cannot ${what}: 'chunksize' must be a positive integer, received ${chunksize}`,
    );
  }
  // The map's signal and timeout, as one signal that every chunk shares.
  const signal = abortSignalOf(what, options);
  signal?.throwIfAborted();
  host.checkRunning(what);
  const source = chunkSource(what, items, chunksize);
  // Chunks in flight at most: enough to keep two batches on each worker.
  const window = host.size * 2 * MAX_BATCH;
  const low = window - MAX_BATCH;
  let refilling = true;
  const pending = new Map<number, Chunk>();
  let next = 0;
  let wanted = 0;
  let exhausted = false;
  const taskOptions: TaskOptions | undefined = signal ? { signal } : undefined;
  // Unordered: the indices of the chunks that settled, in the order they did, from `head` on (a
  // `Promise.race` over every chunk in flight cost O(window) per chunk).
  const settled: number[] = [];
  let head = 0;
  /** Wakes the wait for a chunk to settle. */
  let wake: (() => void) | undefined;
  const arrived = (index: number, chunk: Chunk, ok: boolean, value: unknown) => {
    chunk.settled = true;
    chunk.ok = ok;
    chunk.value = value;
    if (!ordered) settled.push(index);
    const waiting = wake;
    wake = undefined;
    waiting?.();
  };
  try {
    for (;;) {
      // Refill a batch or more at a time: one chunk read per chunk yielded went to the workers one
      // chunk per message (the pump runs as soon as it is submitted), and imap of tiny items ran at
      // a tenth of the rate of as many `apply` calls.
      while (!exhausted && pending.size < window && (refilling ||= pending.size <= low)) {
        const room = host.room();
        if (room) await room;
        let items = source.next();
        if (items instanceof Promise) items = await items;
        if (items === undefined) {
          exhausted = true;
          break;
        }
        const index = next++;
        const chunk: Chunk = { task: undefined, settled: false, ok: false, value: undefined };
        pending.set(index, chunk);
        chunk.task = host.submitTo(
          what,
          name,
          kind,
          kind === MAP ? packItems(items) : items,
          taskOptions,
          (value) => arrived(index, chunk, true, value),
          (error) => arrived(index, chunk, false, error),
        );
        // A big chunk goes to a worker before the next one is read and packed (the pump runs in
        // a microtask), so that packing overlaps the workers' work; small ones still go in batches.
        if (items.length >= OVERLAP_CHUNK) await undefined;
      }
      refilling = false;
      if (pending.size === 0) return;
      let index = wanted;
      if (ordered) wanted++;
      else {
        while (head === settled.length) await new Promise<void>((resolve) => wake = resolve);
        index = settled[head++]!;
        if (head >= 1024 && head * 2 >= settled.length) {
          settled.splice(0, head);
          head = 0;
        }
      }
      const chunk = pending.get(index)!;
      while (!chunk.settled) await new Promise<void>((resolve) => wake = resolve);
      pending.delete(index);
      if (!chunk.ok) throw chunk.value;
      yield [index, chunk.value as ArrayLike<unknown>];
    }
  } finally {
    for (const { task } of pending.values()) if (task) host.cancel(task);
    await source.return?.();
  }
}
