/**
 * The glue between the public queue classes (`Queue`, `JoinableQueue`, `SimpleQueue`, and the
 * sending side of `Connection`) and their {@linkcode Channel}: validate the wait's options, encode
 * the item, call the channel, and turn a failed status into the error the class documents (the
 * constructors' options are validated in `_options.ts`). Each public method is one call into
 * here, so the classes keep only their signatures and docs, except the blocking hot paths
 * (`Queue.putSync`/`getSync`, `SimpleQueue.put`/`getSync`): written out in the classes, they are
 * 4-12% faster worker to worker (paired A/B in one process), since one more call layer makes V8
 * inline less of what lies below.
 *
 * @module
 */
import { QueueClosedError, QueueEmptyError, QueueFullError } from "../errors.ts";
import * as K from "../kernel/queue.ts";
import { deadlineOf, waitFailure, type WaitOptions } from "../options.ts";
import { type Channel, encode, encodedLength, encodedPayload, StatusBox } from "./_core.ts";

/** What a queue's puts say they were doing, in errors. */
export const PUT = "put an item on the queue";
/** What a queue's gets say they were doing, in errors. */
export const GET = "get an item from the queue";

// ---------------------------------------------------------------------------------------------
// Putting

/**
 * Encodes `item` (errors say "Cannot `what`") and puts it on `c` without waiting for room: the
 * status of {@linkcode Channel.tryPut} (`ringWait` as there).
 */
export function tryPutItem(c: Channel, what: string, item: unknown, ringWait: boolean): number {
  const kind = encode(what, item, c.laneMax);
  return c.tryPut(kind, encodedLength, encodedPayload, ringWait);
}

/** A queue's `put`: waits without blocking the thread while the queue is full. */
export async function putItem(
  c: Channel,
  item: unknown,
  options: WaitOptions | undefined,
): Promise<void> {
  const deadline = deadlineOf(PUT, options);
  const kind = encode(PUT, item, c.laneMax);
  const r = await c.put(kind, encodedLength, encodedPayload, deadline, options?.signal);
  if (r !== K.OK) throw putFailure(r, options);
}

/** A queue's `putNowait` (`ringWait` false) or `SimpleQueue.put` (`ringWait` true). */
export function putItemNowait(c: Channel, item: unknown, ringWait: boolean): void {
  const r = tryPutItem(c, PUT, item, ringWait);
  if (r !== K.OK) throw putFailure(r, undefined);
}

/** The error a failed put throws. */
export function putFailure(status: number, options: WaitOptions | undefined): unknown {
  if (status === K.CLOSED) return new QueueClosedError("Cannot put an item on a closed queue");
  if (status === K.FULL) return new QueueFullError();
  return waitFailure(PUT, options);
}

// ---------------------------------------------------------------------------------------------
// Getting

/** A queue's `get`: waits without blocking the thread while the queue is empty. */
export async function getItem<T>(c: Channel, options: WaitOptions | undefined): Promise<T> {
  const deadline = deadlineOf(GET, options);
  const v = await c.get(deadline, options?.signal);
  if (v instanceof StatusBox) throw getFailure(v.status, options);
  return v as T;
}

/** A queue's `getNowait`. */
export function getItemNowait<T>(c: Channel): T {
  const v = c.tryGet();
  if (v instanceof StatusBox) throw getFailure(v.status, undefined);
  return v as T;
}

/** The error a failed get throws. */
export function getFailure(status: number, options: WaitOptions | undefined): unknown {
  if (status === K.CLOSED) {
    return new QueueClosedError("Cannot get an item: the queue is closed and empty");
  }
  if (status === K.EMPTY) return new QueueEmptyError();
  return waitFailure(GET, options);
}
