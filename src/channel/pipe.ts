/**
 * `Pipe` and `Connection`: two connected ends that send values to each other, as Python's
 * `multiprocessing.Pipe`. Each direction is a queue (`src/kernel/queue.ts`); each end's shared
 * state is in `src/kernel/pipe.ts`.
 *
 * @module
 */
import { REAL } from "../_atomics.ts";
import { allocate, attach, registerClass, TAG } from "../_region.ts";
import { BrokenPipeError, EOFError, RuntimeError } from "../errors.ts";
import * as P from "../kernel/pipe.ts";
import * as K from "../kernel/queue.ts";
import { deadlineOf, type SyncWaitOptions, waitFailure, type WaitOptions } from "../options.ts";
import { Channel, type QueueParts as PipeDirection, StatusBox } from "./_core.ts";
import { tryPutItem } from "./_glue.ts";
import { checkOptions, DEFAULT_MAX_BYTES, maxBytesOf } from "./_options.ts";

export type { PipeDirection };

/** Options of {@linkcode Pipe}. */
export interface PipeOptions {
  /**
   * `true`: both ends send and receive. `false`: the first end only receives and the second only
   * sends, as Python's `Pipe(duplex=False)`.
   * @default {true}
   */
  duplex?: boolean;
  /**
   * Bound of each direction's storage in bytes (as {@linkcode QueueOptions.maxBytes}).
   * @default {1073741824}
   */
  maxBytes?: number;
}

/**
 * Creates a pipe and returns its two ends, as Python's `multiprocessing.Pipe()`: what one end
 * sends, the other receives, in order.
 *
 * - Duplex by default: both ends send and receive. With `duplex: false` the first end only
 *   receives and the second only sends.
 * - `send` does not wait for the receiver (the pipe is unbounded; see {@linkcode Connection.send});
 *   `recv` (Promise) and `recvSync` (blocking) wait for a value.
 * - Closing an end lets the other end receive what was already sent, then `recv` throws
 *   {@linkcode EOFError}; sending to a closed end throws {@linkcode BrokenPipeError}.
 * - Send an end to a worker with `postMessage(end)` and call `Connection.from(data)` there (or pass
 *   it to a `Process`/`Pool` task).
 *
 * @typeParam T The type of the values sent.
 * @param options `duplex` and `maxBytes`.
 * @returns The two ends.
 * @throws {TypeError} if `options` has the wrong types; {RangeError} for a bad `maxBytes`.
 *
 * @example The seed: a child sends a list, the parent receives it
 * ```ts
 * import { Pipe } from "@interlock/interlock";
 * import assert from "node:assert/strict";
 *
 * const [parentConn, childConn] = Pipe<number[]>();
 * childConn.send([1, 2, 3, 4]); // in the seed, from a worker
 * childConn.close();
 * assert.deepEqual(await parentConn.recv(), [1, 2, 3, 4]);
 * ```
 */
export function Pipe<T = unknown>(options?: PipeOptions): [Connection<T>, Connection<T>] {
  const what = "create pipe";
  checkOptions(what, options);
  const duplex = options?.duplex ?? true;
  if (typeof duplex !== "boolean") {
    throw new TypeError(`Cannot ${what}: 'duplex' must be a boolean, received ${typeof duplex}`);
  }
  const maxBytes = maxBytesOf(what, options?.maxBytes ?? DEFAULT_MAX_BYTES);
  const ab = Channel.create(K.PIPE, 0, maxBytes);
  if (!duplex) {
    return [
      connection<T>(P.CAN_RECV, ab, undefined),
      connection<T>(P.CAN_SEND, undefined, ab),
    ];
  }
  const ba = Channel.create(K.PIPE, 0, maxBytes);
  return [
    connection<T>(P.CAN_RECV | P.CAN_SEND, ab, ba),
    connection<T>(P.CAN_RECV | P.CAN_SEND, ba, ab),
  ];
}

let reviving:
  | { s: Int32Array; rx: Channel | undefined; tx: Channel | undefined }
  | undefined;

/**
 * One end of a {@linkcode Pipe}, as Python's `multiprocessing.connection.Connection`.
 *
 * - `send(value)` copies `value` (as a `Queue` does: structured-clone semantics, a `TypeError`
 *   for values that cannot be cloned, before anything is sent) and does not wait for the receiver.
 * - `recv()` / `recvSync()` return the next value the other end sent, waiting for one; after the
 *   other end closed and everything it sent was received, they throw {@linkcode EOFError}.
 * - `poll(timeout)` tells whether `recv` would return (or throw `EOFError`) without waiting.
 * - `close()` closes this end for every thread that holds it; using a closed end throws
 *   {@linkcode RuntimeError}, as does sending on a receive-only end or receiving on a send-only one.
 *
 * @typeParam T The type of the values sent.
 *
 * @example Request and reply
 * ```ts
 * import { Pipe } from "@interlock/interlock";
 * import assert from "node:assert/strict";
 *
 * const [client, server] = Pipe<string>();
 * client.send("ping");
 * assert.equal(server.recvSync(), "ping");
 * server.send("pong");
 * assert.equal(await client.recv(), "pong");
 * ```
 */
export class Connection<T = unknown> implements Disposable {
  /** The shared memory of this end's state; shared, not copied, by `postMessage`. */
  readonly buffer: SharedArrayBuffer;
  /** Where this end's region starts in {@linkcode Connection.buffer}. */
  readonly byteOffset: number;
  /** The direction this end receives from (`undefined` for a send-only end). */
  readonly incoming: PipeDirection | undefined;
  /** The direction this end sends to (`undefined` for a receive-only end). */
  readonly outgoing: PipeDirection | undefined;
  readonly #s: Int32Array;
  readonly #rx: Channel | undefined;
  readonly #tx: Channel | undefined;

  /**
   * Connections come from {@linkcode Pipe} (and {@linkcode Connection.from} revives them); calling
   * the constructor directly throws.
   *
   * @throws {TypeError} always, when called directly.
   *
   * @example
   * ```ts
   * import { Connection } from "@interlock/interlock";
   * import assert from "node:assert/strict";
   *
   * assert.throws(() => new Connection(), TypeError);
   * ```
   */
  constructor() {
    const state = reviving;
    reviving = undefined;
    if (state === undefined) {
      throw new TypeError("Cannot create a Connection directly: use Pipe()");
    }
    this.#s = state.s;
    this.#rx = state.rx;
    this.#tx = state.tx;
    this.buffer = state.s.buffer as SharedArrayBuffer;
    this.byteOffset = state.s.byteOffset;
    this.incoming = state.rx && parts(state.rx);
    this.outgoing = state.tx && parts(state.tx);
  }

  /**
   * Returns a working connection over the memory of `value`, a `Connection` or its structured
   * clone (what a worker receives from `postMessage(end)`).
   *
   * @typeParam T The type of the values the caller expects (not checked).
   * @throws {TypeError} if `value` is not a `Connection` or a clone of one.
   *
   * @example
   * ```ts
   * import { Connection, Pipe } from "@interlock/interlock";
   * import assert from "node:assert/strict";
   *
   * const [a, b] = Pipe<string>();
   * const inWorker = Connection.from<string>(structuredClone(b));
   * inWorker.send("from the worker");
   * assert.equal(a.recvSync(), "from the worker");
   * assert.throws(() => Connection.from({}), TypeError);
   * ```
   */
  static from<T = unknown>(value: unknown): Connection<T> {
    if (value instanceof Connection) return value;
    const s = attach("Connection", TAG.Pipe, value, P.BYTES);
    const mode = P.mode(REAL, s);
    const { incoming, outgoing } = value as { incoming?: unknown; outgoing?: unknown };
    const side = (present: boolean, direction: unknown, name: string) => {
      if (present !== (direction !== undefined)) {
        throw new TypeError(
          `Cannot revive Connection: its '${name}' does not match the connection's mode`,
        );
      }
      return present ? Channel.revive("Connection", direction, [K.PIPE]) : undefined;
    };
    const rx = side((mode & P.CAN_RECV) !== 0, incoming, "incoming");
    const tx = side((mode & P.CAN_SEND) !== 0, outgoing, "outgoing");
    reviving = { s, rx, tx };
    return new Connection<T>();
  }

  /**
   * Sends `value` to the other end without waiting for the receiver. When the receiver lags far
   * behind while receiving (the pipe's 1,024-slot ring is full), `send` pauses the thread up to
   * about a millisecond to let it catch up (as a write to a full pipe blocks in Python) before it
   * stores the value in the pipe's growable heap.
   *
   * @param value Any structured-clone-able value.
   * @throws {TypeError} if `value` cannot be cloned (nothing is sent).
   * @throws {RangeError} if `value` is larger than the pipe's `maxBytes`.
   * @throws {BrokenPipeError} if the other end is closed.
   * @throws {RuntimeError} if this end is closed or receive-only.
   *
   * @example
   * ```ts
   * import { Pipe, RuntimeError } from "@interlock/interlock";
   * import assert from "node:assert/strict";
   *
   * const [reader, writer] = Pipe<Date>({ duplex: false });
   * writer.send(new Date(0));
   * assert.equal(reader.recvSync().getTime(), 0);
   * assert.throws(() => reader.send(new Date()), RuntimeError);
   * ```
   */
  send(value: T): void {
    const tx = this.#usable("send on", this.#tx, "receive-only");
    const r = tryPutItem(tx, "send a value on the pipe", value, true);
    if (r === K.OK) return;
    if (r === K.CLOSED) {
      if (P.closed(REAL, this.#s)) throw closedEnd("send on");
      throw new BrokenPipeError("Cannot send: the other end of the pipe is closed");
    }
    throw new RangeError("Cannot send a value on the pipe: its storage is at its 'maxBytes' bound");
  }

  /**
   * Receives the next value, waiting (without blocking the thread) until one arrives.
   *
   * @param options `timeout` in ms and/or an abort `signal`.
   * @returns The next value the other end sent.
   * @throws {EOFError} once the other end is closed and everything it sent was received.
   * @throws {RuntimeError} if this end is closed or send-only.
   * @throws {DOMException} named `TimeoutError` when `timeout` passes first (nothing is taken).
   *
   * @example
   * ```ts
   * import { Pipe } from "@interlock/interlock";
   * import assert from "node:assert/strict";
   *
   * const [a, b] = Pipe<number>();
   * const pending = a.recv();
   * b.send(42);
   * assert.equal(await pending, 42);
   * ```
   */
  async recv(options?: WaitOptions): Promise<T> {
    const rx = this.#usable("receive on", this.#rx, "send-only");
    const deadline = deadlineOf("receive from the pipe", options);
    return this.#received(await rx.get(deadline, options?.signal), options);
  }

  /**
   * Receives the next value, blocking the calling thread until one arrives.
   *
   * @param options `timeout` in ms.
   * @returns The next value the other end sent.
   * @throws {EOFError} once the other end is closed and everything it sent was received.
   * @throws {RuntimeError} if this end is closed or send-only.
   * @throws {DOMException} named `TimeoutError` when `timeout` passes first (nothing is taken).
   *
   * @example
   * ```ts
   * import { Pipe } from "@interlock/interlock";
   * import assert from "node:assert/strict";
   *
   * const [a, b] = Pipe<string>();
   * assert.throws(() => a.recvSync({ timeout: 0 }), { name: "TimeoutError" });
   * b.send("now");
   * assert.equal(a.recvSync(), "now");
   * ```
   */
  recvSync(options?: SyncWaitOptions): T {
    const rx = this.#usable("receive on", this.#rx, "send-only");
    return this.#received(rx.getSync(deadlineOf("receive from the pipe", options)), options);
  }

  /**
   * Whether `recv` would not wait: a value is ready, or the other end is closed. Waits up to
   * `timeout` ms (without blocking the thread) for that.
   *
   * @param timeout Milliseconds to wait; `0` (the default) checks and returns at once.
   * @param options An abort `signal`.
   * @returns `true` if a value (or the end of the data) is ready.
   * @throws {RuntimeError} if this end is closed or send-only.
   *
   * @example
   * ```ts
   * import { Pipe } from "@interlock/interlock";
   * import assert from "node:assert/strict";
   *
   * const [a, b] = Pipe<number>();
   * assert.equal(await a.poll(), false);
   * b.send(1);
   * assert.equal(await a.poll(10), true);
   * ```
   */
  async poll(timeout?: number, options?: { signal?: AbortSignal }): Promise<boolean> {
    if (timeout === undefined) timeout = 0;
    const rx = this.#usable("poll", this.#rx, "send-only");
    const signal = options?.signal;
    const deadline = deadlineOf("poll the pipe", signal ? { timeout, signal } : { timeout });
    if (await rx.poll(deadline, signal)) return this.#polled();
    if (signal?.aborted) throw signal.reason;
    return false;
  }

  /**
   * Whether `recv` would not wait, blocking the calling thread up to `timeout` ms for that.
   *
   * @param timeout Milliseconds to wait; `0` (the default) checks and returns at once.
   * @returns `true` if a value (or the end of the data) is ready.
   * @throws {RuntimeError} if this end is closed or send-only.
   *
   * @example
   * ```ts
   * import { Pipe } from "@interlock/interlock";
   * import assert from "node:assert/strict";
   *
   * const [a, b] = Pipe<number>();
   * assert.equal(a.pollSync(), false);
   * b.close();
   * assert.equal(a.pollSync(), true); // recv would throw EOFError at once
   * ```
   */
  pollSync(timeout?: number): boolean {
    if (timeout === undefined) timeout = 0;
    const rx = this.#usable("poll", this.#rx, "send-only");
    return rx.pollSync(deadlineOf("poll the pipe", { timeout })) && this.#polled();
  }

  /**
   * Closes this end for every thread: the other end receives what was already sent and then gets
   * {@linkcode EOFError}; its sends throw {@linkcode BrokenPipeError}. Idempotent.
   *
   * @example
   * ```ts
   * import { Pipe } from "@interlock/interlock";
   * import assert from "node:assert/strict";
   *
   * const [a, b] = Pipe();
   * a.close();
   * assert.equal(a.closed, true);
   * assert.equal(b.closed, false);
   * ```
   */
  close(): void {
    P.close(REAL, this.#s);
    // Every call closes the queues (idempotent), not only the first: a second close must not
    // return while the first is still closing them, or a send to this end could still succeed
    // after it (found by the Pipe's linearizability check).
    this.#tx?.close();
    this.#rx?.close();
  }

  /** Whether this end was closed (by any thread). */
  get closed(): boolean {
    return P.closed(REAL, this.#s);
  }

  /** Closes this end (`using conn = ...`). */
  [Symbol.dispose](): void {
    this.close();
  }

  #usable(what: string, channel: Channel | undefined, missing: string): Channel {
    if (P.closed(REAL, this.#s)) throw closedEnd(what);
    if (channel === undefined) {
      throw new RuntimeError(`Cannot ${what} a ${missing} connection`);
    }
    return channel;
  }

  /**
   * A poll found the incoming queue ready: true, unless this end was closed meanwhile (its close
   * closes that queue too, which is what woke the poll): then it throws as a poll of a closed end
   * does. (Found by the Pipe's linearizability check: a poll racing with its own end's close
   * returned true, which no order of the two explains.)
   */
  #polled(): boolean {
    if (P.closed(REAL, this.#s)) throw closedEnd("poll");
    return true;
  }

  #received(v: unknown, options: WaitOptions | undefined): T {
    if (!(v instanceof StatusBox)) return v as T;
    if (v.status === K.CLOSED) {
      if (P.closed(REAL, this.#s)) throw closedEnd("receive on");
      throw new EOFError("Cannot receive: the other end of the pipe is closed and drained");
    }
    throw waitFailure("receive from the pipe", options);
  }
}

/** Creates an end over fresh state. */
function connection<T>(
  mode: number,
  rx: Channel | undefined,
  tx: Channel | undefined,
): Connection<T> {
  const s = allocate(TAG.Pipe, P.BYTES);
  REAL.store(s, P.MODE, mode);
  reviving = { s, rx, tx };
  return new Connection<T>();
}

function closedEnd(what: string): RuntimeError {
  return new RuntimeError(`Cannot ${what} a closed connection`);
}

function parts(c: Channel): PipeDirection {
  return { buffer: c.buffer, byteOffset: c.byteOffset, heap: c.heap };
}

registerClass(TAG.Pipe, Connection, Connection.from);
