/**
 * The lane of a queue in one thread: the byte FIFO in the queue's growable heap (a separate
 * `SharedArrayBuffer`) that carries large records and any record put while the ring is full. Its
 * words live in the queue's region (layout in `src/kernel/queue.ts`) and its lock is the kernel's
 * lane lock (the lane's kernel functions: `src/kernel/queue_lane.ts`); this module copies records
 * in and out of the heap, and grows the heap, while holding that lock.
 *
 * Heap record: a header of {@linkcode LANE_HEADER} bytes (payload length, record kind), then the
 * payload, padded to 8 bytes. Positions grow without bound (31-bit, wrapping) and map to the heap
 * modulo its capacity, a power of two, so a record may wrap around the end; a header never does.
 *
 * @module
 */
import { REAL } from "../_atomics.ts";
import * as K from "../kernel/queue.ts";
import * as L from "../kernel/queue_lane.ts";
import * as C from "./_codec.ts";

/** Bytes of a lane record's header (payload length, kind). */
export const LANE_HEADER = 8;

/** Returned by {@linkcode Lane.take} when the lane turned out to be empty. */
export const NONE: unique symbol = Symbol("none");

/** Heap bytes a record of `length` payload bytes takes in the lane (header and padding included). */
export function laneBytes(length: number): number {
  return LANE_HEADER + ((length + 7) & ~7);
}

// A private scratch memory for lane records (encode before copying in, copy out before decoding).
let scratch: C.Mem = C.memOf(new ArrayBuffer(1024));
function scratchOf(bytes: number): C.Mem {
  if (scratch.u8.length < bytes) {
    let n = scratch.u8.length;
    while (n < bytes) n *= 2;
    scratch = C.memOf(new ArrayBuffer(n));
  }
  return scratch;
}

/** The lane of one queue, as one thread sees it. */
export class Lane {
  readonly #S: K.Shape;
  /** The queue's growable heap. */
  readonly #heap: SharedArrayBuffer;
  readonly #mem: C.Mem;
  /** The heap's bound (`maxBytes`, a power of two). */
  readonly #max: number;
  readonly #joinable: boolean;

  /** The lane of the queue of shape `S`, whose heap is `heap` (bounded by `max` bytes). */
  constructor(S: K.Shape, heap: SharedArrayBuffer, max: number, joinable: boolean) {
    this.#S = S;
    this.#heap = heap;
    this.#mem = C.memOf(heap);
    this.#max = max;
    this.#joinable = joinable;
  }

  /** Appends a record (see `Channel.tryPut` for `kind`/`length`/`payload`): OK, FULL or CLOSED. */
  put(kind: number, length: number, payload: unknown): number {
    const S = this.#S;
    const bytes = laneBytes(length);
    const m = scratchOf(bytes);
    writeRecord(m, kind, length, payload);
    L.laneLock(REAL, S);
    let r: number;
    try {
      let pos = L.laneReserve(REAL, S, bytes);
      if (pos === K.FULL && this.#grow(bytes)) pos = L.laneReserve(REAL, S, bytes);
      if (pos >= 0) {
        if (this.#joinable) K.addTask(REAL, S);
        copyIn(this.#mem.u8, pos, m.u8, bytes, this.#capacity());
        L.laneCommit(REAL, S);
        r = K.OK;
      } else {
        r = pos;
      }
    } finally {
      L.laneUnlock(REAL, S);
    }
    if (r === K.OK) K.wakeConsumers(REAL, S);
    return r;
  }

  /** Takes the oldest record: its value, or {@linkcode NONE} if the lane is empty (or must wait). */
  take(): unknown {
    const S = this.#S;
    L.laneLock(REAL, S);
    let m: C.Mem;
    let kind: number;
    let length: number;
    try {
      const pos = L.lanePop(REAL, S);
      if (pos < 0) return NONE; // EMPTY, or RING: the ring has records to take first

      const cap = this.#capacity();
      [length, kind] = headerAt(this.#mem, pos, cap);
      m = scratchOf(length);
      copyOut(this.#mem.u8, pos + LANE_HEADER, m.u8, length, cap);
      L.laneFree(REAL, S, laneBytes(length));
    } finally {
      L.laneUnlock(REAL, S);
    }
    K.taken(REAL, S);
    return C.read(m, 0, kind, length);
  }

  #capacity(): number {
    return this.#heap.byteLength;
  }

  /**
   * Grows the heap (holding the lane lock) so that `bytes` more fit; false if its bound forbids.
   * Live records keep their positions; their bytes move to where the larger capacity maps them.
   */
  #grow(bytes: number): boolean {
    const cap = this.#capacity();
    const [tail, used] = L.laneSpan(REAL, this.#S);
    const next = grownCapacity(cap, used, bytes, this.#max);
    if (next === 0) return false;
    regrow(this.#heap, this.#mem, tail, used, next);
    L.laneResize(REAL, this.#S, next);
    return true;
  }
}

/**
 * The capacity a lane heap of capacity `cap` holding `used` bytes grows to so that `bytes` more
 * fit, within its bound `max`; 0 if the bound forbids. (The lane, and the explorer's model of it.)
 */
export function grownCapacity(cap: number, used: number, bytes: number, max: number): number {
  let next = Math.max(cap * 2, 4096);
  while (next - used < bytes) next *= 2;
  if (next > max) {
    if (max - used < bytes || cap === max) return 0;
    next = max;
  }
  return next;
}

/**
 * Grows `heap` (viewed by `mem`) to `next` bytes, holding the lane lock: the `used` live bytes from
 * position `tail` keep their positions and move to where the larger capacity maps them.
 */
export function regrow(
  heap: SharedArrayBuffer,
  mem: C.Mem,
  tail: number,
  used: number,
  next: number,
): void {
  const cap = heap.byteLength;
  const live = new Uint8Array(used);
  copyOut(mem.u8, tail, live, used, cap);
  heap.grow(next);
  copyIn(mem.u8, tail, live, used, next);
}

/** Writes a lane record (header, then payload: see `Channel.tryPut`) at the start of `m`. */
export function writeRecord(m: C.Mem, kind: number, length: number, payload: unknown): void {
  m.i32[0] = length;
  m.i32[1] = kind;
  C.write(m, LANE_HEADER, kind, payload);
}

/** The payload length and kind of the lane record at heap position `pos` (capacity `cap`). */
export function headerAt(mem: C.Mem, pos: number, cap: number): [length: number, kind: number] {
  // Records are 8-aligned and the capacity a power of two, so a header never wraps.
  const h = (pos & (cap - 1)) >> 2;
  return [mem.i32[h]!, mem.i32[h + 1]!];
}

/** Copies `n` bytes of `src` into the heap ring at position `pos` (capacity `cap`). */
export function copyIn(
  heap: Uint8Array,
  pos: number,
  src: Uint8Array,
  n: number,
  cap: number,
): void {
  const at = pos & (cap - 1);
  const first = Math.min(n, cap - at);
  heap.set(src.subarray(0, first), at);
  if (first < n) heap.set(src.subarray(first, n), 0);
}

/** Copies `n` bytes from the heap ring at position `pos` (capacity `cap`) into `dst`. */
export function copyOut(
  heap: Uint8Array,
  pos: number,
  dst: Uint8Array,
  n: number,
  cap: number,
): void {
  const at = pos & (cap - 1);
  const first = Math.min(n, cap - at);
  dst.set(heap.subarray(at, at + first), 0);
  if (first < n) dst.set(heap.subarray(0, n - first), first);
}
