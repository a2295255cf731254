/**
 * The specification level of one queue region (a `Queue`, `JoinableQueue` or `SimpleQueue`, or one
 * direction of a `Pipe`): each operation is one atomic step of {@linkcode QueueSpec}, and an
 * operation that took effect is then applied to the region by production code (`Channel`'s
 * non-blocking `tryPut`, `tryGet`, `close` and `taskDone`), so the region's memory stays the
 * truth: `queue.qsize()` in an invariant, or the item a `get` returns (a copy, through the
 * production codec, as in production).
 *
 * - The state (part `queue`) is loaded from the region at the unit's first step: its size, whether
 *   it is closed, its unfinished tasks. Items put before the threads started are
 *   {@linkcode PUT_BEFORE} in the model (a `get` still returns the real item).
 * - Not modelled: the heap's `maxBytes` bound. A put the heap cannot take (the production put would
 *   wait for room, or fail) throws a `RangeError` that says to explore at the kernel level.
 * - Both ends of a pipe share a direction's unit (one per region, by its heap).
 *
 * @module
 */
import { REAL } from "../../_atomics.ts";
import * as K from "../../kernel/queue.ts";
import {
  Channel,
  encode,
  encodedLength,
  encodedPayload,
  type QueueParts,
  StatusBox,
} from "../../channel/_core.ts";
import { BLOCKED } from "../spec/_blocking.ts";
import { QueueSpec } from "../spec/queue.ts";
import { copyModel, type Parts, same, type SpecTarget, withPart } from "../_spec_step.ts";

/** What the model holds for an item that was in the queue before the exploration's threads ran. */
export const PUT_BEFORE: unique symbol = Symbol("an item put before the threads started");

/** The model's methods, as `specOp` takes them. */
export const Q = QueueSpec.prototype;

/** A pipe's `poll`: whether a receive would not wait; blocks until it would not. */
export function ready(this: QueueSpec): true | typeof BLOCKED {
  return this.items.length > 0 || this.isClosed ? true : BLOCKED;
}

const units = new WeakMap<SharedArrayBuffer, ChannelUnit>();

/** The unit of the queue region `parts` (one per region, shared by every wrapper of it). */
export function channelUnit(parts: QueueParts, what: string): ChannelUnit {
  let u = units.get(parts.heap);
  if (u === undefined) {
    u = new ChannelUnit(parts, what);
    units.set(parts.heap, u);
  }
  return u;
}

/** One queue region at the specification level: its target and the effects of its operations. */
export class ChannelUnit {
  /** The unit's specification state, keyed by the region's `ENQ` word. */
  readonly target: SpecTarget;
  /** The region's heap bound (`maxBytes`), for `encode`. */
  readonly laneMax: number;
  /** Production's view of the region, made afresh for each execution (at `load`). */
  #channel: Channel | undefined;
  readonly #what: string;

  constructor(parts: QueueParts, what: string) {
    const head = new Int32Array(parts.buffer, parts.byteOffset, K.BYTES >> 2);
    // Written once by the constructor that created the region: plain reads, no steps.
    const flavour = REAL.load(head, K.FLAVOUR);
    const maxsize = REAL.load(head, K.MAXSIZE);
    const joinable = flavour === K.JOINABLE;
    this.#what = what;
    this.laneMax = REAL.load(head, K.LANE_MAX);
    this.target = {
      object: parts,
      unit: head,
      index: K.ENQ,
      // ENQ does not change when a get takes an item or a task is done.
      watchable: false,
      load: () => {
        // A fresh Channel: an execution may start from restored memory (`reset: "snapshot"`).
        const ch = this.#channel = Channel.revive(what, parts, [flavour]);
        const m = new QueueSpec(maxsize, { joinable });
        m.items = new Array(ch.size()).fill(PUT_BEFORE);
        m.isClosed = ch.closed();
        m.unfinished = joinable ? REAL.load(head, K.UNFINISHED) : 0;
        return { queue: m };
      },
      open: (parts: Parts) => copyModel(parts.queue as QueueSpec),
      close: (parts: Parts, model: object) =>
        same(model, parts.queue) ? parts : withPart(parts, "queue", model),
    };
  }

  /**
   * The effect of a put of `item` that took effect: production puts its record (encoded again: a
   * step of another thread may have encoded since). `what` names the operation in errors.
   */
  put(item: unknown, what: string): () => undefined {
    return () => {
      const kind = encode(what, item, this.laneMax);
      const r = this.#channel!.tryPut(kind, encodedLength, encodedPayload);
      if (r === K.OK) return undefined;
      if (r === K.FULL) {
        throw new RangeError(
          `Cannot ${what}: its storage is at its 'maxBytes' bound, which the specification level ` +
            `does not model (explore this scenario at the kernel level)`,
        );
      }
      throw this.#mismatch();
    };
  }

  /** The effect of a get that took effect: production takes the oldest record; its value. */
  readonly take = (): unknown => {
    const v = this.#channel!.tryGet();
    if (v instanceof StatusBox) throw this.#mismatch();
    return v;
  };

  /** The effect of a close. */
  readonly close = (): undefined => {
    this.#channel!.close();
    return undefined;
  };

  /** The effect of a `taskDone` that took effect. */
  readonly taskDone = (): undefined => {
    if (!this.#channel!.taskDone()) throw this.#mismatch();
    return undefined;
  };

  #mismatch(): Error {
    return new Error(
      `Cannot explore the ${this.#what} at the specification level: its memory no longer agrees ` +
        `with its specification state (was it used outside sim() during the exploration?)`,
    );
  }
}
