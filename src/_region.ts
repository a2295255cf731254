/**
 * Shared regions: where each Interlock object lives, how its structured clone is recognised, and how
 * clones are revived into working objects on the other side of `postMessage`.
 *
 * Every object owns a region of a `SharedArrayBuffer`, rounded up to whole 64-byte cache lines so
 * that two objects never share a line. Word 0 of the region holds a type tag written once at
 * construction (before the object can be shared), so `X.from(clone)` can tell a `Lock` clone from a
 * `Semaphore` clone, and from anything else, and throw a `TypeError`.
 *
 * A structured clone of an Interlock object keeps exactly its own enumerable properties: `buffer`
 * (the same `SharedArrayBuffer`, shared, not copied), `byteOffset`, and for composite objects the
 * clones of their parts (a `Condition`'s `lock`). Private fields are dropped, and `from` rebuilds them.
 *
 * @module
 */
import { REAL } from "./_atomics.ts";

/** Bytes per cache line; hot words written by different threads sit on different lines. */
export const CACHE_LINE = 64;

/** Type tags (word 0 of each region). Four ASCII letters each, so a memory dump reads. */
export const TAG = {
  Lock: 0x4c4f434b, // "LOCK"
  RLock: 0x524c434b, // "RLCK"
  Semaphore: 0x53454d41, // "SEMA"
  BoundedSemaphore: 0x42534d41, // "BSMA"
  Event: 0x45564e54, // "EVNT"
  Condition: 0x434f4e44, // "COND"
  Barrier: 0x42415252, // "BARR"
  Value: 0x56414c55, // "VALU"
  Array: 0x41525259, // "ARRY"
  Queue: 0x51554555, // "QUEU"
  Pipe: 0x50495045, // "PIPE"
  Manager: 0x4d4e4752, // "MNGR": a manager's mailbox; every proxy's clone points at it
  PoolSlots: 0x504f4f4c, // "POOL": one pool worker's task slots (src/kernel/task_slot.ts)
  ProcessLatch: 0x50524f43, // "PROC": a process's exit latch (src/kernel/exit_latch.ts)
  Presence: 0x50524553, // "PRES": the presence registry robust primitives share (src/kernel/presence.ts)
} as const;

/** The shared part of every Interlock object: the fields a structured clone carries. */
export interface Region {
  /** The shared memory the object lives in. */
  readonly buffer: SharedArrayBuffer;
  /** Where the object's region starts in `buffer` (a multiple of 8). */
  readonly byteOffset: number;
}

/** Rounds `bytes` up to whole cache lines. */
export function lines(bytes: number): number {
  return Math.ceil(bytes / CACHE_LINE) * CACHE_LINE;
}

/** Allocates a fresh region of at least `bytes` bytes, tagged with `tag`, and returns it as words. */
export function allocate(tag: number, bytes: number): Int32Array {
  const words = new Int32Array(new SharedArrayBuffer(lines(Math.max(bytes, 4))));
  REAL.store(words, 0, tag);
  return words;
}

/**
 * Checks that `value` is (a clone of) an Interlock object of type `tag` with a region of `bytes`
 * bytes, and returns its words. Throws a `TypeError` naming `what` otherwise: for another Interlock
 * object, one that says which ("Cannot revive Queue: this is a Lock (or its structured clone), not a
 * Queue"), whatever the sizes of the two regions.
 */
export function attach(what: string, tag: number, value: unknown, bytes: number): Int32Array {
  const fail = (why: string) =>
    new TypeError(
      `Cannot revive ${what}: expected ${withArticle(what)} or its structured clone, ${why}`,
    );
  if (typeof value !== "object" || value === null) throw fail(`received ${describe(value)}`);
  // The tag first: it takes one word, so another class's smaller region is still named.
  const head = wordsOf(value, 4);
  if (typeof head === "string") throw fail(head);
  const found = REAL.load(head, 0);
  if (found !== tag) {
    const name = tagName(found);
    if (name === undefined) throw fail(`its memory holds no Interlock object (tag ${found})`);
    throw new TypeError(
      `Cannot revive ${what}: this is ${withArticle(name)} (or its structured clone), not ` +
        withArticle(what),
    );
  }
  const words = wordsOf(value, bytes);
  if (typeof words === "string") throw fail(words);
  return words;
}

/** `word` with its indefinite article: "a Lock", "an Event", "an RLock" (said "ar-lock"). */
export function withArticle(word: string): string {
  const vowelSound = /^[A-Z][A-Z]/.test(word)
    ? /^[AEFHILMNORSX]/.test(word)
    : /^[aeiou]/i.test(word);
  return `${vowelSound ? "an" : "a"} ${word}`;
}

/**
 * The first `bytes` bytes of the region `value` points at (its `buffer` from `byteOffset`), or why
 * `value` points at no such region.
 */
function wordsOf(value: object, bytes: number): Int32Array | string {
  const { buffer, byteOffset } = value as Partial<Region>;
  if (!(buffer instanceof SharedArrayBuffer)) return "its 'buffer' is not a SharedArrayBuffer";
  if (
    typeof byteOffset !== "number" || !Number.isInteger(byteOffset) || byteOffset < 0 ||
    byteOffset % 8 !== 0 || byteOffset + bytes > buffer.byteLength
  ) {
    return `its 'byteOffset' (${String(byteOffset)}) does not fit its buffer`;
  }
  return new Int32Array(buffer, byteOffset, bytes >> 2);
}

function describe(value: unknown): string {
  return value === null ? "null" : typeof value;
}

/** The class whose regions carry `tag` ("SharedArray" for `Array`), if any. */
function tagName(tag: number): string | undefined {
  for (const [name, t] of Object.entries(TAG)) {
    if (t === tag) return name === "Array" ? "SharedArray" : name === "Pipe" ? "Connection" : name;
  }
  return undefined;
}

type Reviver = (clone: unknown) => object;
const revivers = new Map<number, Reviver>();
const classes = new Set<abstract new (...args: never[]) => object>();

/**
 * Registers how clones tagged `tag` are revived, and which class's instances are Interlock objects.
 * Each class calls this once, when its module loads.
 */
export function registerClass(
  tag: number,
  cls: abstract new (...args: never[]) => object,
  from: Reviver,
): void {
  revivers.set(tag, from);
  classes.add(cls);
}

/** Whether `value` is a live Interlock object (not a clone). */
export function isInterlockObject(value: unknown): value is Region {
  return typeof value === "object" && value !== null &&
    classes.has((value as object).constructor as abstract new () => object);
}

/** The tag in the memory a clone points at, or `undefined` if it is not a region clone. */
function tagOf(value: object): number | undefined {
  const words = wordsOf(value, 4);
  return typeof words === "string" ? undefined : REAL.load(words, 0);
}

/**
 * Turns structured clones of Interlock objects back into working objects, looking through arrays and
 * plain objects (depth-first, at most 16 levels); everything else is returned as it is. Live objects
 * are returned unchanged.
 *
 * @param value Anything received through `postMessage` or as a task argument.
 * @returns `value` with every Interlock clone in it revived.
 *
 * @example
 * ```ts
 * import { Lock, revive } from "@interlock/interlock";
 * import assert from "node:assert/strict";
 *
 * const lock = new Lock();
 * const [clone] = structuredClone([lock]); // what a worker receives
 * const [again] = revive([clone]) as [Lock];
 * assert.ok(again instanceof Lock);
 * assert.ok(again.tryAcquire());
 * assert.ok(lock.locked()); // the same shared lock
 * ```
 */
export function revive(value: unknown): unknown {
  return reviveDeep(value, 16);
}

function reviveDeep(value: unknown, depth: number): unknown {
  if (typeof value !== "object" || value === null || depth === 0) return value;
  if (isInterlockObject(value)) return value;
  if (Array.isArray(value)) return value.map((v) => reviveDeep(v, depth - 1));
  const proto = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return value;
  const tag = tagOf(value);
  const reviver = tag === undefined ? undefined : revivers.get(tag);
  if (reviver) return reviver(value);
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = reviveDeep(v, depth - 1);
  return out;
}
