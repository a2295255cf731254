/**
 * The data side of the map family: reading items in chunks (`chunkSource`, `checkIterable`),
 * packing a chunk of numbers or of strings for the trip to a worker (`packItems`), and reviving
 * Interlock objects in a result (`reviveResult`). Pure functions; the engine that uses them is
 * `_map.ts`.
 *
 * @module
 */
import { revive } from "../_region.ts";
import type { WireArgs } from "./protocol.ts";
import { packStrings } from "./_packed_strings.ts";

/** Where the map engine pulls its chunks from: `undefined` at the end. */
export interface ChunkSource {
  /** The next chunk (at most `chunksize` items), or `undefined` once the items ran out. */
  next(): unknown[] | undefined | Promise<unknown[] | undefined>;
  /** Closes the underlying iterator early (after an error or an early exit). */
  return?(): unknown;
}

/** Pulls `chunksize` items at a time from a sync or async iterable; `undefined` at the end. */
export function chunkSource(
  what: string,
  items: Iterable<unknown> | AsyncIterable<unknown>,
  chunksize: number,
): ChunkSource {
  if (Array.isArray(items)) {
    let at = 0;
    return {
      next: () => {
        if (at >= items.length) return undefined;
        const chunk = items.slice(at, at + chunksize);
        at += chunksize;
        return chunk;
      },
    };
  }
  if (items !== null && typeof items === "object" && Symbol.asyncIterator in items) {
    const it = (items as AsyncIterable<unknown>)[Symbol.asyncIterator]();
    let done = false;
    return {
      next: async () => {
        if (done) return undefined;
        const chunk: unknown[] = [];
        while (chunk.length < chunksize) {
          const r = await it.next();
          if (r.done) {
            done = true;
            break;
          }
          chunk.push(r.value);
        }
        return chunk.length > 0 ? chunk : undefined;
      },
      return: () => done ? undefined : it.return?.(),
    };
  }
  // The async loop above written out without `await`: a sync source costs no microtask per item.
  const it = checkIterable(what, items as Iterable<unknown>)[Symbol.iterator]();
  let done = false;
  return {
    next: () => {
      if (done) return undefined;
      const chunk: unknown[] = [];
      while (chunk.length < chunksize) {
        const r = it.next();
        if (r.done) {
          done = true;
          break;
        }
        chunk.push(r.value);
      }
      return chunk.length > 0 ? chunk : undefined;
    },
    return: () => done ? undefined : it.return?.(),
  };
}

/** Returns `items` if it is iterable; throws a `TypeError` naming `what` otherwise. */
export function checkIterable(what: string, items: Iterable<unknown>): Iterable<unknown> {
  if (
    items === null || typeof items !== "object" && typeof items !== "string" ||
    typeof (items as Iterable<unknown>)[Symbol.iterator] !== "function"
  ) {
    throw new TypeError(
      `Cannot ${what}: 'items' must be iterable, received ${
        items === null ? "null" : typeof items
      }`,
    );
  }
  return items;
}

/**
 * A chunk of `map` items packed in a typed array over shared memory if every item is a number: an
 * `Int32Array` when all are 32-bit integers (so the task receives small integers, which V8 handles
 * faster than doubles), else a `Float64Array`; if every item is a string, as `packStrings` packs
 * them; else the chunk itself. Over shared memory because a `SharedArrayBuffer` crosses to a worker
 * by reference. Never transferred: a chunk may have to be sent again (to another worker, or after a
 * crash).
 */
export function packItems(chunk: unknown[]): WireArgs {
  const n = chunk.length;
  let ints = true;
  for (let i = 0; i < n; i++) {
    const v = chunk[i];
    if (typeof v !== "number") return typeof v === "string" ? packStrings(chunk) ?? chunk : chunk;
    if (ints && ((v | 0) !== v || Object.is(v, -0))) ints = false;
  }
  const packed = ints
    ? new Int32Array(new SharedArrayBuffer(n * 4))
    : new Float64Array(new SharedArrayBuffer(n * 8));
  for (let i = 0; i < n; i++) packed[i] = chunk[i] as number;
  return packed;
}

/** Revives Interlock objects in a result, without copying results that hold none. */
export function reviveResult(value: unknown): unknown {
  if (typeof value !== "object" || value === null || ArrayBuffer.isView(value)) return value;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const v = value[i];
      if (typeof v === "object" && v !== null) return revive(value);
    }
    return value;
  }
  return revive(value);
}
