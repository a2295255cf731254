/**
 * The sequential specifications of the queue family (`Queue`, `JoinableQueue`, `SimpleQueue`) and
 * of a `Pipe`'s two connections.
 *
 * @module
 */
import { BrokenPipeError, EOFError, RuntimeError } from "../../errors.ts";
import * as K from "../../kernel/queue.ts";
import { getFailure, putFailure } from "../../channel/_glue.ts";
import { BLOCKED } from "./_blocking.ts";

/**
 * The sequential specification of a `Queue` (and, with `joinable`, a `JoinableQueue`; a
 * `SimpleQueue` is the unbounded one): a FIFO of items, bounded by `maxsize` (0: unbounded), that
 * can be closed; a joinable queue also counts unfinished tasks.
 *
 * - `put` waits while a bounded queue is full; `get` while it is empty and open. Closing wakes
 *   both: puts fail with `QueueClosedError`, gets take what is left, then fail.
 * - `putNowait`/`getNowait` fail with `QueueFullError`/`QueueEmptyError` instead of waiting.
 *
 * @example
 * ```ts
 * import { BLOCKED, QueueSpec } from "@interlock/interlock/explore";
 * import assert from "node:assert/strict";
 *
 * const q = new QueueSpec(1);
 * q.put("a");
 * assert.equal(q.put("b"), BLOCKED); // full
 * assert.throws(() => q.putNowait("b"), { name: "QueueFullError" });
 * assert.equal(q.get(), "a");
 * assert.equal(q.get(), BLOCKED); // empty
 * q.close();
 * assert.throws(() => q.get(), { name: "QueueClosedError" });
 * ```
 */
export class QueueSpec {
  /** The item bound, 0 for none. */
  maxsize: number;
  /** Whether it is a `JoinableQueue` (puts add tasks, `taskDone` ends them). */
  joinable: boolean;
  /** The items, oldest first. */
  items: unknown[] = [];
  /** Whether the queue was closed. */
  isClosed = false;
  /** Unfinished tasks (joinable queues). */
  unfinished = 0;

  /** An empty queue bounded by `maxsize` (0: unbounded). */
  constructor(maxsize?: number, options?: { joinable?: boolean }) {
    maxsize ??= 0;
    this.maxsize = maxsize;
    this.joinable = options?.joinable ?? false;
  }

  /**
   * Appends `item`; blocks while a bounded queue is full.
   *
   * @throws {QueueClosedError} if the queue is closed.
   */
  put(item: unknown): void | typeof BLOCKED {
    if (this.isClosed) throw putFailure(K.CLOSED, undefined);
    if (this.full()) return BLOCKED;
    this.items.push(item);
    if (this.joinable) this.unfinished++;
  }

  /**
   * Appends `item` if there is room.
   *
   * @throws {QueueFullError} if a bounded queue is full; {QueueClosedError} if it is closed.
   */
  putNowait(item: unknown): void {
    if (this.isClosed) throw putFailure(K.CLOSED, undefined);
    if (this.full()) throw putFailure(K.FULL, undefined);
    this.put(item);
  }

  /**
   * Takes the oldest item; blocks while the queue is empty and open.
   *
   * @throws {QueueClosedError} if the queue is closed and empty.
   */
  get(): unknown {
    if (this.items.length > 0) return this.items.shift();
    if (this.isClosed) throw getFailure(K.CLOSED, undefined);
    return BLOCKED;
  }

  /**
   * Takes the oldest item if there is one.
   *
   * @throws {QueueEmptyError} if the queue is empty; {QueueClosedError} if closed and empty.
   */
  getNowait(): unknown {
    if (this.items.length > 0) return this.items.shift();
    throw getFailure(this.isClosed ? K.CLOSED : K.EMPTY, undefined);
  }

  /** The number of items. */
  qsize(): number {
    return this.items.length;
  }

  /** Whether the queue is empty. */
  empty(): boolean {
    return this.items.length === 0;
  }

  /** Whether a bounded queue is full. */
  full(): boolean {
    return this.maxsize > 0 && this.items.length >= this.maxsize;
  }

  /** Closes the queue. */
  close(): void {
    this.isClosed = true;
  }

  /** Whether the queue is closed. */
  closed(): boolean {
    return this.isClosed;
  }

  /**
   * Ends one task of a joinable queue.
   *
   * @throws {RuntimeError} if no task is unfinished.
   */
  taskDone(): void {
    if (this.unfinished === 0) {
      throw new RuntimeError("Cannot mark a task done: taskDone() called too many times");
    }
    this.unfinished--;
  }

  /** Returns once every task is done; blocks until then. */
  join(): void | typeof BLOCKED {
    if (this.unfinished > 0) return BLOCKED;
  }
}

/**
 * The sequential specification of a `Pipe`: two ends (0 and 1), each with the values sent to it
 * and whether it was closed. Operations take the end they are called on. Without `duplex`, end 0
 * only receives and end 1 only sends (as `Pipe({ duplex: false })`).
 *
 * @example
 * ```ts
 * import { BLOCKED, PipeSpec } from "@interlock/interlock/explore";
 * import assert from "node:assert/strict";
 *
 * const p = new PipeSpec();
 * assert.equal(p.recv(0), BLOCKED);
 * p.send(1, "hi");
 * assert.equal(p.recv(0), "hi");
 * p.close(1);
 * assert.throws(() => p.recv(0), { name: "EOFError" });
 * assert.throws(() => p.send(0, "x"), { name: "BrokenPipeError" });
 * ```
 */
export class PipeSpec {
  /** Whether both ends send and receive. */
  duplex: boolean;
  /** The values sent to each end, oldest first. */
  inbox: [unknown[], unknown[]] = [[], []];
  /** Whether each end was closed. */
  ended: [boolean, boolean] = [false, false];

  /** A fresh pipe. */
  constructor(options?: { duplex?: boolean }) {
    this.duplex = options?.duplex ?? true;
  }

  /**
   * Sends `value` from `end` to the other end.
   *
   * @throws {RuntimeError} if `end` is closed or receive-only.
   * @throws {BrokenPipeError} if the other end is closed.
   */
  send(end: 0 | 1, value: unknown): void {
    usable(this, end, "send on", this.duplex || end === 1, "receive-only");
    if (this.ended[1 - end]) {
      throw new BrokenPipeError("Cannot send: the other end of the pipe is closed");
    }
    this.inbox[1 - end]!.push(value);
  }

  /**
   * Receives the next value sent to `end`; blocks while there is none and the other end is open.
   *
   * @throws {RuntimeError} if `end` is closed or send-only.
   * @throws {EOFError} once the other end is closed and everything it sent was received.
   */
  recv(end: 0 | 1): unknown {
    usable(this, end, "receive on", this.duplex || end === 0, "send-only");
    if (this.inbox[end]!.length > 0) return this.inbox[end]!.shift();
    if (this.ended[1 - end]) {
      throw new EOFError("Cannot receive: the other end of the pipe is closed and drained");
    }
    return BLOCKED;
  }

  /**
   * Whether `recv(end)` would not wait.
   *
   * @throws {RuntimeError} if `end` is closed or send-only.
   */
  poll(end: 0 | 1): boolean {
    usable(this, end, "poll", this.duplex || end === 0, "send-only");
    return this.inbox[end]!.length > 0 || this.ended[1 - end]!;
  }

  /** Closes `end`. */
  close(end: 0 | 1): void {
    this.ended[end] = true;
  }

  /** Whether `end` was closed. */
  closed(end: 0 | 1): boolean {
    return this.ended[end];
  }
}

function usable(p: PipeSpec, end: 0 | 1, what: string, allowed: boolean, missing: string): void {
  if (p.ended[end]) throw new RuntimeError(`Cannot ${what} a closed connection`);
  if (!allowed) throw new RuntimeError(`Cannot ${what} a ${missing} connection`);
}
