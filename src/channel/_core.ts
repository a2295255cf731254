/**
 * The machinery shared by `Queue`, `JoinableQueue`, `SimpleQueue` and `Pipe` connections: a queue
 * region (kernel in `src/kernel/queue.ts`, the lane's in `queue_lane.ts`), record encoding
 * (`_codec.ts`), and the put/get algorithms in blocking, async and non-waiting forms over the
 * ring, falling back to the lane in the heap (`_lane.ts`). The public classes are thin shells
 * around a {@linkcode Channel}; their options and validation are in `_options.ts`.
 *
 * @module
 */
import { ASYNC, REAL } from "../_atomics.ts";
import { runAsync } from "../_async.ts";
import { allocate, attach, TAG, withArticle } from "../_region.ts";
import * as K from "../kernel/queue.ts";
import * as G from "../kernel_gen/queue.ts";
import * as L from "../kernel/queue_lane.ts";
import * as GL from "../kernel_gen/queue_lane.ts";
import * as C from "./_codec.ts";
import { Lane, laneBytes, NONE } from "./_lane.ts";

/** Ring slots of an unbounded queue (and the most any queue gets). */
export const RING_SLOTS = 1024;
/** Payload bytes a ring slot holds; longer records go to the lane. */
export const SLOT_PAYLOAD = K.SLOT_BYTES - K.SLOT_HEADER;
/**
 * How long a waiting put (`putSync`, `put`) whose record would spill into the lane (the ring is
 * full, or records already sit in the lane) waits for consumers to catch up first, in ms (see
 * `waitSlot` in the kernel). If consumers took nothing meanwhile, they are taken to be idle: puts
 * then spill at once, without waiting, until a consumer takes something. Non-waiting puts
 * (`putNowait`, `SimpleQueue.put`, `Connection.send`) spill at once.
 */
const RING_WAIT_MS = 1;

/** #place's status when the record would spill into the lane and the caller did not allow it. */
const RING_FULL = -100;

/**
 * The shared parts of one queue, as its structured clone carries them: those of a `Queue`, or of one
 * direction of a `Pipe` (a `Connection`'s `incoming` and `outgoing`).
 */
export interface QueueParts {
  /** The queue's region. */
  readonly buffer: SharedArrayBuffer;
  /** Where the region starts. */
  readonly byteOffset: number;
  /** The queue's growable storage. */
  readonly heap: SharedArrayBuffer;
}

/** The smallest power of two >= `n` (n >= 1). */
export function nextPow2(n: number): number {
  let p = 1;
  while (p < n) p *= 2;
  return p;
}

/** The working state of one queue in one thread. */
export class Channel implements QueueParts {
  readonly buffer: SharedArrayBuffer;
  readonly byteOffset: number;
  readonly heap: SharedArrayBuffer;
  readonly S: K.Shape;
  readonly flavour: number;
  readonly maxsize: number;
  readonly laneMax: number;
  readonly #ring: C.Mem;
  readonly #lane: Lane;
  readonly #slot0: number;
  readonly #joinable: boolean;
  /** See #consumersIdle. */
  #idleAt: number | undefined;

  private constructor(q: Int32Array, heap: SharedArrayBuffer) {
    this.buffer = q.buffer as SharedArrayBuffer;
    this.byteOffset = q.byteOffset;
    this.heap = heap;
    const slots = REAL.load(q, K.SLOTS);
    this.maxsize = REAL.load(q, K.MAXSIZE);
    this.flavour = REAL.load(q, K.FLAVOUR);
    this.laneMax = REAL.load(q, K.LANE_MAX);
    this.S = K.shape(q, slots, this.maxsize);
    this.#ring = C.memOf(this.buffer);
    this.#slot0 = this.byteOffset + K.SLOT0 * 4;
    this.#joinable = this.flavour === K.JOINABLE;
    this.#lane = new Lane(this.S, heap, this.laneMax, this.#joinable);
  }

  /** Creates a queue region and heap. `maxsize` and `maxBytes` are validated by the caller. */
  static create(flavour: number, maxsize: number, maxBytes: number): Channel {
    const slots = maxsize > 0 ? Math.min(RING_SLOTS, Math.max(2, nextPow2(maxsize))) : RING_SLOTS;
    const q = allocate(TAG.Queue, K.BYTES + slots * K.SLOT_BYTES);
    REAL.store(q, K.SLOTS, slots);
    REAL.store(q, K.MAXSIZE, maxsize);
    REAL.store(q, K.FLAVOUR, flavour);
    REAL.store(q, K.LANE_MAX, maxBytes);
    // Slot k starts free for position k (Vyukov's initial sequence numbers).
    const S = K.shape(q, slots, maxsize);
    for (let k = 0; k < slots; k++) REAL.store(q, K.slotWord(S, k), k);
    const heap = new SharedArrayBuffer(0, { maxByteLength: maxBytes });
    return new Channel(q, heap);
  }

  /**
   * Revives the channel of a queue clone, checking its shape. `what` names the class for errors;
   * `flavours` lists the flavours the caller accepts.
   */
  static revive(what: string, value: unknown, flavours: readonly number[]): Channel {
    const q = attach(what, TAG.Queue, value, K.BYTES);
    const fail = (why: string) =>
      new TypeError(
        `Cannot revive ${what}: expected ${withArticle(what)} or its structured clone, ${why}`,
      );
    const slots = REAL.load(q, K.SLOTS);
    if (
      slots < 2 || (slots & (slots - 1)) !== 0 ||
      q.byteOffset + K.BYTES + slots * K.SLOT_BYTES > q.buffer.byteLength
    ) {
      throw fail("its memory holds no valid queue");
    }
    const flavour = REAL.load(q, K.FLAVOUR);
    if (!flavours.includes(flavour)) {
      throw new TypeError(
        `Cannot revive ${what}: this is ${withArticle(flavourName(flavour))} (or its structured ` +
          `clone), not ${withArticle(what)}`,
      );
    }
    const { heap } = value as Partial<QueueParts>;
    if (
      !(heap instanceof SharedArrayBuffer) || !heap.growable ||
      heap.maxByteLength !== REAL.load(q, K.LANE_MAX)
    ) {
      throw fail("its 'heap' is not the queue's growable SharedArrayBuffer");
    }
    const words = new Int32Array(q.buffer, q.byteOffset, (K.BYTES >> 2) + slots * 16);
    return new Channel(words, heap);
  }

  // -------------------------------------------------------------------------------------------
  // Putting

  /**
   * Puts without waiting for room: OK, FULL (bounded queue at maxsize, or heap at its bound) or
   * CLOSED. `kind`/`length`/`payload` come from {@linkcode encode}. With `ringWait`, a record that
   * would spill into the lane first blocks the thread up to RING_WAIT_MS for consumers to catch up
   * (`SimpleQueue.put`, `Connection.send`: as a write to a full pipe blocks in Python); without it,
   * it spills at once (`putNowait`).
   */
  tryPut(kind: number, length: number, payload: unknown, ringWait = false): number {
    const S = this.S;
    if (this.maxsize > 0) {
      const r = K.tryCount(REAL, S);
      if (r !== K.OK) return r;
    }
    return this.#placeCounted(kind, length, payload, Infinity, true, ringWait);
  }

  /** Puts, blocking the thread until `deadline` if the queue is full: OK, CLOSED or TIMED_OUT. */
  putSync(kind: number, length: number, payload: unknown, deadline: number): number {
    if (this.maxsize > 0) {
      const r = K.count(REAL, this.S, deadline);
      if (r !== K.OK) return r;
    }
    return this.#placeCounted(kind, length, payload, deadline, false, true);
  }

  /** Puts, waiting without blocking the thread if the queue is full: OK, CLOSED or TIMED_OUT. */
  async put(
    kind: number,
    length: number,
    payload: unknown,
    deadline: number,
    signal: AbortSignal | undefined,
  ): Promise<number> {
    const S = this.S;
    if (this.maxsize > 0) {
      let r = K.tryCount(REAL, S);
      if (r === K.FULL) r = await runAsync(G.count(ASYNC, S, deadline), signal);
      if (r !== K.OK) return r;
    }
    let spill = this.#consumersIdle();
    for (;;) {
      const r = this.#place(kind, length, payload, spill);
      if (r === RING_FULL) {
        spill = true;
        const before = K.progress(REAL, S);
        const until = Math.min(deadline, performance.now() + RING_WAIT_MS);
        await runAsync(G.waitSlot(ASYNC, S, until), signal);
        if (signal?.aborted) return this.#settle(K.TIMED_OUT);
        if (K.progress(REAL, S) === before) this.#idleAt = before;
        continue;
      }
      if (r !== K.FULL) return this.#settle(r);
      const w = await runAsync(
        GL.waitRoom(ASYNC, S, laneBytes(length), this.laneMax, deadline),
        signal,
      );
      if (w !== K.OK) return this.#settle(w);
    }
  }

  /** After a count was taken: place the record, waiting for heap room if allowed. */
  #placeCounted(
    kind: number,
    length: number,
    payload: unknown,
    deadline: number,
    nowait: boolean,
    ringWait: boolean,
  ): number {
    let spill = !ringWait || this.#consumersIdle();
    for (;;) {
      const r = this.#place(kind, length, payload, spill);
      if (r === RING_FULL) {
        spill = true;
        const before = K.progress(REAL, this.S);
        const until = performance.now() + RING_WAIT_MS;
        K.waitSlot(REAL, this.S, nowait ? until : Math.min(deadline, until));
        if (K.progress(REAL, this.S) === before) this.#idleAt = before;
        continue;
      }
      if (r !== K.FULL || nowait) return this.#settle(r);
      const w = L.waitRoom(REAL, this.S, laneBytes(length), this.laneMax, deadline);
      if (w !== K.OK) return this.#settle(w);
    }
  }

  /**
   * Whether consumers looked idle at this thread's last wait (they took nothing during it) and
   * still have taken nothing since: waiting puts then spill into the lane at once.
   */
  #consumersIdle(): boolean {
    const idleAt = this.#idleAt;
    if (idleAt === undefined) return false;
    if (K.progress(REAL, this.S) === idleAt) return true;
    this.#idleAt = undefined;
    return false;
  }

  /** Gives back the count (and task) of a put that failed; passes the status through. */
  #settle(r: number): number {
    if (r !== K.OK && this.maxsize > 0) K.uncount(REAL, this.S);
    return r;
  }

  /**
   * Writes the record into the ring or the lane: OK, CLOSED, FULL (heap at its bound), or
   * RING_FULL (the ring is full and `spill` is false).
   */
  #place(kind: number, length: number, payload: unknown, spill: boolean): number {
    const S = this.S;
    if (length <= SLOT_PAYLOAD) {
      const p = K.tryReserve(REAL, S);
      if (p >= 0) {
        if (this.#joinable) K.addTask(REAL, S);
        writeSlot(this.#ring, this.#slot0, S, p, kind, length, payload);
        K.publish(REAL, S, p);
        return K.OK;
      }
      if (p === K.CLOSED) return K.CLOSED;
      if (!spill) return RING_FULL; // FULL or LANE
    }
    return this.#lane.put(kind, length, payload);
  }

  // -------------------------------------------------------------------------------------------
  // Getting

  /** Takes a record without waiting: the value, or EMPTY / CLOSED. */
  tryGet(): unknown {
    for (;;) {
      const r = K.tryClaim(REAL, this.S);
      if (r >= 0) return this.#takeSlot(r);
      if (r !== K.LANE) return new StatusBox(r);
      const v = this.#lane.take();
      if (v !== NONE) return v;
    }
  }

  /** Takes a record, blocking until `deadline`: the value, or a box with CLOSED / TIMED_OUT. */
  getSync(deadline: number): unknown {
    for (;;) {
      const r = K.claim(REAL, this.S, deadline);
      if (r >= 0) return this.#takeSlot(r);
      if (r !== K.LANE) return new StatusBox(r);
      const v = this.#lane.take();
      if (v !== NONE) return v;
    }
  }

  /** Takes a record, waiting without blocking the thread: the value, or a StatusBox. */
  async get(deadline: number, signal: AbortSignal | undefined): Promise<unknown> {
    const S = this.S;
    for (;;) {
      let r = K.tryClaim(REAL, S);
      if (r === K.EMPTY) r = await runAsync(G.claim(ASYNC, S, deadline), signal);
      if (r >= 0) return this.#takeSlot(r);
      if (r !== K.LANE) return new StatusBox(r);
      const v = this.#lane.take();
      if (v !== NONE) return v;
    }
  }

  #takeSlot(p: number): unknown {
    let value: unknown;
    try {
      value = readSlot(this.#ring, this.#slot0, this.S, p);
    } finally {
      K.release(REAL, this.S, p);
    }
    return value;
  }

  /** Whether a get would not wait now (a record is ready, or the queue is closed). */
  ready(): boolean {
    return K.ready(REAL, this.S);
  }

  /** Waits until {@linkcode Channel.ready}, blocking until `deadline`: true, or false on timeout. */
  pollSync(deadline: number): boolean {
    return K.poll(REAL, this.S, deadline) === K.OK;
  }

  /** Waits until {@linkcode Channel.ready} without blocking the thread. */
  async poll(deadline: number, signal: AbortSignal | undefined): Promise<boolean> {
    if (K.ready(REAL, this.S)) return true;
    return await runAsync(G.poll(ASYNC, this.S, deadline), signal) === K.OK;
  }

  // -------------------------------------------------------------------------------------------
  // State

  /** Closes the queue and wakes every waiter. */
  close(): void {
    K.close(REAL, this.S);
  }

  /** Whether the queue is closed. */
  closed(): boolean {
    return K.closed(REAL, this.S);
  }

  /** Items in the queue (a snapshot). */
  size(): number {
    return K.size(REAL, this.S);
  }

  /** Marks one task done; false if none was unfinished. */
  taskDone(): boolean {
    return K.taskDone(REAL, this.S);
  }

  /** Waits for all tasks, blocking until `deadline`. */
  joinSync(deadline: number): boolean {
    return K.join(REAL, this.S, deadline);
  }

  /** Waits for all tasks without blocking the thread. */
  join(deadline: number, signal: AbortSignal | undefined): Promise<boolean> {
    return runAsync(G.join(ASYNC, this.S, deadline), signal);
  }
}

/**
 * Writes a record of `kind` (`length` payload bytes; `payload` as {@linkcode encode} left it) into
 * the slot of reserved ring position `p` of the ring whose slot 0 is at byte `slot0` of `ring`.
 * Plain data in a slot only this thread holds: `publish`'s store of the slot's seq releases it.
 * (Channel's puts, and the explorer's `SimQueue`.)
 */
export function writeSlot(
  ring: C.Mem,
  slot0: number,
  S: K.Shape,
  p: number,
  kind: number,
  length: number,
  payload: unknown,
): void {
  S.q[K.slotWord(S, p) + 1] = kind | (length << 8);
  C.write(ring, slot0 + (p & S.mask) * K.SLOT_BYTES + K.SLOT_HEADER, kind, payload);
}

/**
 * Reads the record in the slot of claimed ring position `p` (see {@linkcode writeSlot}); the caller
 * then releases the slot, also when this throws. (Channel's gets, and the explorer's `SimQueue`.)
 */
export function readSlot(ring: C.Mem, slot0: number, S: K.Shape, p: number): unknown {
  const header = S.q[K.slotWord(S, p) + 1]!;
  const at = slot0 + (p & S.mask) * K.SLOT_BYTES + K.SLOT_HEADER;
  return C.read(ring, at, header & 0xff, header >>> 8);
}

/** A failed get's status, distinguishable from any value a queue can carry. */
export class StatusBox {
  /** The kernel status. */
  readonly status: number;
  /** Boxes `status`. */
  constructor(status: number) {
    this.status = status;
  }
}

/** The payload length of the item last passed to {@linkcode encode}. */
export let encodedLength = 0;
/** What to write for the item last passed to {@linkcode encode}: the item, or its bytes. */
export let encodedPayload: unknown;

/**
 * Encodes `item` for a put: returns its record kind, and leaves its payload length in
 * {@linkcode encodedLength} and the payload to write (the item, or its serialized bytes) in
 * {@linkcode encodedPayload} (read both at once: the next encode replaces them). Throws
 * `TypeError` for values that cannot be cloned and `RangeError` for values larger than the heap
 * bound `laneMax`, before anything is enqueued.
 */
export function encode(what: string, item: unknown, laneMax: number): number {
  const kind = C.encode(what, item);
  const length = C.encodedLength;
  if (length > SLOT_PAYLOAD && laneBytes(length) > laneMax) {
    throw new RangeError(
      `Cannot ${what}: the item needs ${length} bytes, more than the queue's 'maxBytes' ` +
        `(${laneMax}) allows`,
    );
  }
  encodedLength = length;
  encodedPayload = C.encodedPayload;
  return kind;
}

const flavours = new Map<number, (value: unknown) => object>();

/** Registers how clones of queues of `flavour` are revived. */
export function registerFlavour(flavour: number, from: (value: unknown) => object): void {
  flavours.set(flavour, from);
}

/** Revives the clone of any queue flavour (the reviver of `TAG.Queue`, see `revive`). */
export function reviveQueue(value: unknown): object {
  const q = attach("Queue", TAG.Queue, value, K.BYTES);
  const flavour = REAL.load(q, K.FLAVOUR);
  const from = flavours.get(flavour);
  if (from === undefined) {
    throw new TypeError(
      `Cannot revive Queue: its memory holds ${withArticle(flavourName(flavour))}`,
    );
  }
  return from(value);
}

function flavourName(flavour: number): string {
  return flavour === K.JOINABLE
    ? "JoinableQueue"
    : flavour === K.SIMPLE
    ? "SimpleQueue"
    : flavour === K.QUEUE
    ? "Queue"
    : flavour === K.PIPE
    ? "Pipe connection's queue"
    : `queue of unknown flavour ${flavour}`;
}
