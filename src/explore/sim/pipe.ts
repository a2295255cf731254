/**
 * `SimConnection`: one end of a `Pipe` under the explorer. Each direction is a queue region run as
 * `SimQueue` runs it (`./_channel.ts`: ring and lane through their derived kernels), and the end's
 * own words (`src/kernel/pipe.ts`: mode, closed) are read and written as steps, with `Connection`'s
 * own checks and errors.
 *
 * @module
 */
import { REAL } from "../../_atomics.ts";
import { BrokenPipeError, EOFError, QueueClosedError, RuntimeError } from "../../errors.ts";
import * as P from "../../kernel/pipe.ts";
import * as K from "../../kernel/queue.ts";
import { deadlineOf } from "../../options.ts";
import { encode, StatusBox } from "../../channel/_core.ts";
import { Connection } from "../../channel/pipe.ts";
import { registerLayout, wordLayout } from "../_scenario.ts";
import { atSpecLevel, TIMED_OUT } from "../_spec_step.ts";
import { SimChannel } from "./_channel.ts";
import { type ChannelUnit, channelUnit, Q, ready } from "./_channel_spec.ts";
import {
  abortable,
  abortably,
  aborted,
  failed,
  type SimWaitOptions,
  specOp,
  type Step,
  timed,
  wrapperOf,
} from "./_common.ts";
import { SimArray } from "./memory.ts";

const SEND = "send a value on the pipe";
const RECV = "receive from the pipe";
const POLL = "poll the pipe";

/**
 * One end of a `Pipe` under the explorer: `send`, `recv`, `poll`, `close` and `closed`, each the
 * steps `Connection` takes (the pipe's queue kernel, ring and lane, and the end's closed word).
 *
 * - `send` never waits, as in production (its wait of up to a millisecond for a ring slot ends at
 *   once here, see {@linkcode SimQueue}).
 * - `recv` sleeps until a value arrives, or throws `EOFError` once the other end is closed and
 *   everything it sent was received; a finite `timeout` makes "the timeout fires" a choice.
 * - The values are the ones sent (copies, through the production codec); the queue words they
 *   pass through are named in traces (`a.outgoing.ENQ`, `b.incoming.slot0.seq`, `a.closed`).
 * - At the specification level (`level: "spec"`, or `specLevel(connection)`), each direction's
 *   `send`/`recv`/`poll`/`close` is one atomic step of its queue's {@linkcode QueueSpec} (as
 *   `SimQueue` there), and the end's closed word is read and written as in production: `close`
 *   marks the end, then closes the direction it sends to, then the one it receives from. Put
 *   both ends at that level (`specLevel(a)` and `specLevel(b)`): a direction is one unit for both.
 *
 * @example
 * ```ts
 * import { Connection, Pipe } from "@interlock/interlock";
 * import { explore, sim } from "@interlock/interlock/explore";
 * import assert from "node:assert/strict";
 *
 * type S = { a: Connection<number>; b: Connection<number> };
 * const report = explore<S>({
 *   setup: () => {
 *     const [a, b] = Pipe<number>();
 *     return { a, b };
 *   },
 *   threads: [
 *     function* sender({ a }: S) {
 *       yield* sim(a).send(1);
 *       yield* sim(a).send(2);
 *       yield* sim(a).close();
 *     },
 *     function* receiver({ b }: S) {
 *       const got: number[] = [];
 *       for (;;) {
 *         try {
 *           got.push(yield* sim(b).recv());
 *         } catch (error) {
 *           if ((error as Error).name === "EOFError") return got.join();
 *           throw error;
 *         }
 *       }
 *     },
 *   ],
 *   invariant: (_, [, got]) => got === undefined || got === "1,2",
 * });
 * assert.ok(report.ok && report.complete);
 * ```
 */
export class SimConnection<T = unknown> {
  readonly #connection: Connection<T>;
  readonly #s: SimArray<Int32Array>;
  readonly #rx: SimChannel | undefined;
  readonly #tx: SimChannel | undefined;

  /** Wraps `connection` (normally through `sim`). */
  constructor(connection: Connection<T>) {
    // The mode is written once by `Pipe()`: a plain read, no step.
    const words = new Int32Array(connection.buffer, connection.byteOffset, P.BYTES >> 2);
    const mode = P.mode(REAL, words);
    this.#connection = connection;
    this.#s = new SimArray(words);
    this.#rx = (mode & P.CAN_RECV) !== 0 ? channelOf(connection.incoming!) : undefined;
    this.#tx = (mode & P.CAN_SEND) !== 0 ? channelOf(connection.outgoing!) : undefined;
  }

  /**
   * Sends `value` to the other end without waiting for the receiver (as `Connection.send`).
   *
   * @throws {TypeError} if `value` cannot be cloned; {RangeError} if it exceeds `maxBytes`.
   * @throws {BrokenPipeError} if the other end is closed.
   * @throws {RuntimeError} if this end is closed or receive-only.
   */
  *send(value: T): Step<void> {
    const tx = yield* this.#usable("send on", this.#tx, "receive-only");
    const u = this.#unit(this.#connection.outgoing);
    if (u !== undefined) {
      encode(SEND, value, u.laneMax);
      try {
        yield* specOp(u.target, "send", Q.put, [value], false, u.put(value, SEND), {
          value,
        });
        return;
      } catch (error) {
        if (!(error instanceof QueueClosedError)) throw error;
      }
      if (yield* this.closed()) throw closedEnd("send on");
      throw new BrokenPipeError("Cannot send: the other end of the pipe is closed");
    }
    const r = yield* tx.put(encode(SEND, value, tx.laneMax), Infinity, false, true);
    if (r === K.OK) return;
    if (r === K.CLOSED) {
      if (yield* this.closed()) throw closedEnd("send on");
      throw new BrokenPipeError("Cannot send: the other end of the pipe is closed");
    }
    throw new RangeError(`Cannot ${SEND}: its storage is at its 'maxBytes' bound`);
  }

  /**
   * Receives the next value, sleeping until one arrives (as `recvSync`, or `recv`).
   *
   * @throws {EOFError} once the other end is closed and everything it sent was received.
   * @throws {RuntimeError} if this end is closed or send-only.
   * @throws {DOMException} named `TimeoutError` if a finite `timeout` fires first, `AbortError` if
   * the signal of an `abortable` call fires (as `recv({ signal })`).
   */
  *recv(options?: SimWaitOptions): Step<T> {
    const rx = yield* this.#usable("receive on", this.#rx, "send-only");
    const u = this.#unit(this.#connection.incoming);
    if (u !== undefined) {
      let r: unknown;
      try {
        r = yield* specOp(u.target, "recv", Q.get, [], timed(RECV, options), u.take);
      } catch (error) {
        if (!(error instanceof QueueClosedError)) throw error;
        if (yield* this.closed()) throw closedEnd("receive on");
        throw new EOFError("Cannot receive: the other end of the pipe is closed and drained");
      }
      if (r === TIMED_OUT) throw failed(RECV, options);
      return r as T;
    }
    const deadline = deadlineOf(RECV, options);
    const v = yield* abortably(rx.get(deadline, true, abortable(options)), options);
    if (!(v instanceof StatusBox)) return v as T;
    if (v.status === K.CLOSED) {
      if (yield* this.closed()) throw closedEnd("receive on");
      throw new EOFError("Cannot receive: the other end of the pipe is closed and drained");
    }
    throw failed(RECV, options);
  }

  /**
   * Whether `recv` would not wait (a value is ready, or the other end is closed), waiting up to
   * `timeout` ms for that (as `pollSync`): with a positive `timeout`, "the timeout fires" is a
   * scheduling choice. `abortable` (as `poll(timeout, { signal })`): "the signal fires" is one
   * more choice while it waits.
   *
   * @throws {RuntimeError} if this end is closed or send-only.
   * @throws {DOMException} named `AbortError` if the signal of an `abortable` poll fires.
   */
  *poll(timeout?: number, options?: { abortable?: boolean }): Step<boolean> {
    const rx = yield* this.#usable("poll", this.#rx, "send-only");
    const deadline = deadlineOf(POLL, { timeout: timeout ?? 0 });
    const o = { abortable: options?.abortable === true };
    const u = this.#unit(this.#connection.incoming);
    const isReady = u === undefined
      ? yield* abortably(rx.poll(deadline, o.abortable), o)
      : (yield* specOp(u.target, "poll", ready, [], deadline !== Infinity || o.abortable)) !==
        TIMED_OUT;
    if (!isReady) {
      // As `poll(timeout, { signal })`: an aborted poll throws the signal's reason.
      if (aborted(o)) throw failed(POLL, o);
      return false;
    }
    // Ready, unless this end's own close (which closes its incoming queue) woke the poll.
    if (yield* this.closed()) throw closedEnd("poll");
    return true;
  }

  /** Closes this end (idempotent): the other end receives what was sent, then `EOFError`. */
  *close(): Step<void> {
    // As `Connection.close`: every call closes the queues, not only the first.
    yield* this.#s.exchange(P.CLOSED, 1);
    if (atSpecLevel(this.#connection)) {
      for (const direction of [this.#connection.outgoing, this.#connection.incoming]) {
        const u = this.#unit(direction);
        if (u !== undefined) yield* specOp(u.target, "close", Q.close, [], false, u.close);
      }
      return;
    }
    if (this.#tx !== undefined) yield* this.#tx.close();
    if (this.#rx !== undefined) yield* this.#rx.close();
  }

  /** Whether this end was closed (by any thread). */
  *closed(): Step<boolean> {
    return (yield* this.#s.load(P.CLOSED)) !== 0;
  }

  /** The unit of `direction` if this end is at the specification level. */
  #unit(direction: Connection["incoming"]): ChannelUnit | undefined {
    if (direction === undefined || !atSpecLevel(this.#connection)) return undefined;
    return channelUnit(direction, "pipe");
  }

  *#usable(what: string, c: SimChannel | undefined, missing: string): Step<SimChannel> {
    if (yield* this.closed()) throw closedEnd(what);
    if (c === undefined) throw new RuntimeError(`Cannot ${what} a ${missing} connection`);
    return c;
  }
}

/** One channel per pipe direction, shared by both ends' wrappers (one per queue region). */
function channelOf(parts: NonNullable<Connection["incoming"]>): SimChannel {
  return wrapperOf(parts.heap, () => new SimChannel(parts));
}

function closedEnd(what: string): RuntimeError {
  return new RuntimeError(`Cannot ${what} a closed connection`);
}

registerLayout(Connection, () => wordLayout(P.FIELDS, P.BYTES));
