/**
 * How queue items, task arguments and task results become bytes in Redis, and back. What is read
 * back is **untrusted**: any client of the server may have written it.
 *
 * | first byte | payload                                   | for                                 |
 * | ---------- | ----------------------------------------- | ----------------------------------- |
 * | `J` (0x4a) | UTF-8 JSON text                           | trees JSON carries exactly          |
 * | 0xff       | `node:v8` `serialize` bytes (its header)  | everything else structured clone takes |
 *
 * - **Why two forms.** `node:v8` `serialize` + `deserialize` cost 20-100 µs for a small object in
 *   Deno 2.9 on this machine (each call builds a serializer), `JSON` about 1 µs; a Redis round trip
 *   is ~150 µs. JSON is used only where it gives back exactly what structured clone would: plain
 *   objects and dense arrays (no extra array properties, no shared or cyclic references) of
 *   strings, finite numbers other than -0, booleans and null. One `JSON.stringify` pass with a
 *   replacer checks that while it writes.
 * - **Refused at encode** (`TypeError`, nothing written): functions, symbols, and objects holding
 *   them; `SharedArrayBuffer`s (memory cannot be shared through Redis) and class instances
 *   holding them, as Interlock's shared objects do. A typed array over a `SharedArrayBuffer`
 *   travels as a copy, as `node:v8` makes it.
 * - **Decoding untrusted bytes** never runs code: JSON text is parsed by `JSON.parse` (a
 *   `__proto__` key stays an own property), the rest by V8's deserializer, which builds plain data
 *   (no constructors, getters or prototypes of the reader's classes run) and throws on malformed
 *   input (fuzzed: 600,000 mutated and random payloads, every one a value or a thrown error).
 *   Every failure becomes a {@linkcode CorruptPayloadError}; nothing else escapes.
 *
 * @module
 */
import { Buffer } from "node:buffer";
import { deserialize, serialize } from "node:v8";
import { CorruptPayloadError } from "./errors.ts";

const JSON_TAG = 0x4a; // "J"
const V8_TAG = 0xff;

/** The state of one JSON-exactness check (the replacer cannot return it). */
let exact = true;
/**
 * The objects met so far: the first few in an array (a small item, the common case, costs no
 * `Set`, which V8 grows through its runtime), all of them in a `Set` past that.
 */
const FEW = 8;
const seenFew: object[] = [];
let seenMany: Set<object> | undefined;

/** Records `object`; whether it was met before in this check. */
function metBefore(object: object): boolean {
  if (seenMany !== undefined) {
    if (seenMany.has(object)) return true;
    seenMany.add(object);
    return false;
  }
  if (seenFew.includes(object)) return true;
  if (seenFew.length < FEW) seenFew.push(object);
  else {
    seenMany = new Set(seenFew);
    seenMany.add(object);
  }
  return false;
}

/** Forgets the objects met (so the module keeps no reference to the caller's data). */
function forget(): void {
  seenFew.length = 0;
  seenMany = undefined;
}

function replacer(this: unknown, key: string, value: unknown): unknown {
  // `this[key]` is the value before any `toJSON` (a Date arrives here as a string).
  const original = (this as Record<string, unknown>)[key];
  switch (typeof original) {
    case "string":
    case "boolean":
      return value;
    case "number":
      if (!Number.isFinite(original) || Object.is(original, -0)) exact = false;
      return value;
    case "object": {
      if (original === null) return value;
      if (metBefore(original)) {
        exact = false; // shared or cyclic: structured clone keeps the sharing, JSON would not
        return undefined;
      }
      const proto = Object.getPrototypeOf(original);
      if (Array.isArray(original)) {
        if (proto !== Array.prototype || Object.keys(original).length !== original.length) {
          exact = false;
        }
      } else if (proto !== Object.prototype && proto !== null) exact = false;
      return exact ? value : undefined;
    }
    default: // undefined, bigint, function, symbol
      exact = false;
      return undefined;
  }
}

/**
 * Encodes `value` for Redis: a `J`-tagged JSON string when JSON carries it exactly, else the
 * `node:v8` bytes.
 *
 * @throws {TypeError} naming `what` if structured clone cannot carry `value` through Redis.
 */
export function encode(what: string, value: unknown): string | Uint8Array {
  exact = true;
  forget();
  let text: string | undefined;
  try {
    text = JSON.stringify({ v: value }, replacer);
  } catch {
    exact = false; // a getter threw, a cycle, a bigint deep inside: let v8 decide
  }
  forget();
  if (exact && text !== undefined) return "J" + text.slice(5, -1);
  let bytes: Uint8Array;
  try {
    bytes = serialize(value);
  } catch (error) {
    throw new TypeError(
      `Cannot ${what}: the value cannot be cloned (${(error as Error).message}); functions, ` +
        `symbols and shared memory cannot travel through Redis`,
      { cause: error },
    );
  }
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

const utf8 = new TextDecoder("utf-8", { fatal: true });

/**
 * Decodes bytes read from Redis (see the module doc).
 *
 * @param bytes The payload as read (`Buffer`), or undefined if the entry had none.
 * @param id The stream entry it came from.
 * @param what What it is, for the message ("item 1-0 of queue 'jobs'"): made only on failure.
 * @throws {CorruptPayloadError} if the bytes are not a payload this codec wrote.
 */
export function decode(bytes: Uint8Array | undefined, id: string, what: () => string): unknown {
  if (bytes === undefined || bytes.length === 0) {
    throw new CorruptPayloadError(`Cannot read ${what()}: it has no payload`, { id });
  }
  try {
    if (bytes[0] === JSON_TAG) return JSON.parse(utf8.decode(bytes.subarray(1)));
    if (bytes[0] === V8_TAG) return deserialize(bytes);
  } catch (error) {
    throw new CorruptPayloadError(
      `Cannot read ${what()}: its payload is corrupt (${(error as Error)?.message ?? error})`,
      { id, cause: error },
    );
  }
  throw new CorruptPayloadError(
    `Cannot read ${what()}: its payload is not one Interlock wrote (first byte 0x${
      bytes[0]!.toString(16).padStart(2, "0")
    })`,
    { id },
  );
}
