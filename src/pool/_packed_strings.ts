/**
 * A list of strings packed for the trip between a pool and its workers: a `map` chunk whose items
 * are all strings, or the results of a chunk that are all strings. Used on both sides (the pool
 * packs items and unpacks results, `_chunking.ts` and `_map.ts`; the worker unpacks items and packs
 * results, `_worker_pool.ts`); imports nothing.
 *
 * - **Layout.** One `SharedArrayBuffer` (it crosses to the other thread by reference, where an array
 *   of strings is cloned string by string), seen as a `Uint8Array`: an `Int32Array` header of
 *   `2 + n + 1` words (`n`, the byte length of the text, then where each string starts in the text
 *   and where the last ends, in UTF-16 code units), then the strings joined, UTF-8 encoded. The other
 *   side decodes the text once and slices it: a slice is ~10x cheaper than a string's clone.
 * - **Exact.** `packStrings` refuses (returns `undefined`) a list with an item that is not a string,
 *   or whose joined text holds a lone surrogate (UTF-8 cannot carry it). Two strings whose ends
 *   form a surrogate pair once joined come back apart: the offsets cut the pair where they met.
 * - **Recognized by its type.** A chunk or a chunk's results is otherwise always an array, an
 *   `Int32Array` or a `Float64Array` (`packItems` in `_chunking.ts`): a `Uint8Array` in that place is
 *   this layout.
 *
 * @module
 */

/** Fewer strings than this travel as an array: packing pays off only for many. */
export const MIN_PACKED = 16;

// Made at first use: a worker that never sees packed strings does not pay for them at start.
let encoder: TextEncoder | undefined;
let decoder: TextDecoder | undefined;

/**
 * `list` packed (see the module doc) if it holds at least {@linkcode MIN_PACKED} items, every one a
 * string, and no lone surrogate; else `undefined`.
 */
export function packStrings(list: ArrayLike<unknown>): Uint8Array | undefined {
  const n = list.length;
  if (n < MIN_PACKED) return undefined;
  const header = 3 + n;
  const offsets = new Int32Array(n + 1);
  let at = 0;
  for (let i = 0; i < n; i++) {
    const s = list[i];
    if (typeof s !== "string") return undefined;
    offsets[i] = at;
    at += s.length;
  }
  offsets[n] = at;
  const text = Array.prototype.join.call(list, "");
  if (!wellFormed(text)) return undefined;
  // Encoded in place when the text is ASCII (its UTF-8 is as long as it); else encoded, then copied.
  let buffer = new SharedArrayBuffer(header * 4 + text.length);
  let length = text.length;
  encoder ??= new TextEncoder();
  if (encoder.encodeInto(text, new Uint8Array(buffer, header * 4)).read !== text.length) {
    const bytes = encoder.encode(text);
    length = bytes.length;
    buffer = new SharedArrayBuffer(header * 4 + length);
    new Uint8Array(buffer, header * 4).set(bytes);
  }
  const words = new Int32Array(buffer, 0, header);
  words[0] = n;
  words[1] = length;
  words.set(offsets, 2);
  return new Uint8Array(buffer);
}

/**
 * The strings that {@linkcode packStrings} packed in `packed`, written to `out` from index `at`
 * (a new array of their number by default); returns `out`.
 */
export function unpackStrings(packed: Uint8Array, out?: unknown[], at = 0): unknown[] {
  const words = new Int32Array(packed.buffer, packed.byteOffset, 2);
  const n = words[0]!;
  out ??= new Array<unknown>(n);
  const start = (3 + n) * 4;
  const offsets = new Int32Array(packed.buffer, packed.byteOffset + 8, n + 1);
  // A private copy: TextDecoder may refuse a view of shared memory.
  const text = (decoder ??= new TextDecoder()).decode(packed.slice(start, start + words[1]!));
  for (let i = 0; i < n; i++) out[at + i] = text.slice(offsets[i]!, offsets[i + 1]!);
  return out;
}

/** Whether `s` holds no lone surrogate; false where the runtime cannot tell (so nothing is packed). */
function wellFormed(s: string): boolean {
  const check = (s as { isWellFormed?: () => boolean }).isWellFormed;
  return typeof check === "function" && check.call(s);
}
