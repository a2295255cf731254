/**
 * Scenarios: what a user explores (shared state, thread bodies, invariants), and how it is prepared
 * for many executions: fresh state per execution (snapshot/restore or `setup()`), names for trace
 * addresses, and a fingerprint of the final state.
 *
 * @module
 */
import type { AtomicArray } from "../_atomics.ts";
import { isInterlockObject, TAG } from "../_region.ts";
import { ENTRY0 } from "../kernel/presence.ts";
import type { Prepared } from "./_engine.ts";

/**
 * A virtual thread: a generator function that makes its shared accesses with `yield*` on
 * {@linkcode sim} wrappers (or derived kernels), and may return a result.
 */
export type ThreadBody<S> = {
  // Method syntax makes the parameter bivariant, so a Scenario<Bank> is also a Scenario<unknown>.
  body(shared: S, id: number): Generator<unknown, unknown, unknown>;
}["body"];

/**
 * What to explore: shared state, the threads that race on it, and what must hold.
 *
 * - `setup()` builds the shared state: Interlock objects (`Lock`, `Value`, …), typed arrays over
 *   `SharedArrayBuffer`, and plain objects/arrays of those. Its keys name trace addresses
 *   (`balance.value`, `lock.state`).
 * - Each execution starts from the state `setup()` built: by restoring a snapshot of its memory when
 *   the state holds only shared memory (its plain objects and arrays are then frozen, so a thread
 *   that stores JS-side state in them fails loudly), else by calling `setup()` again (state with
 *   an array of numbers, a `Map`, a class instance, …). Ghost state for checks can live in a typed
 *   array written with plain (non-`sim`) writes: the snapshot restores it, and it costs no step.
 * - `invariant` runs after every complete execution, `always` after every step; either fails by
 *   throwing (e.g. `node:assert`), returning `false`, or returning a message string.
 * - Thread bodies must be deterministic: the same schedule must make them do the same accesses.
 */
export interface Scenario<S> {
  /** A title for reports. */
  readonly name?: string;
  /** Builds the shared state (see above). */
  setup(): S;
  /** The thread bodies; their function names head the trace columns. */
  readonly threads: readonly ThreadBody<S>[];
  /** Checked when every thread finished; receives the threads' return values. */
  invariant?(shared: S, results: unknown[]): unknown;
  /** Checked after every step. */
  always?(shared: S): unknown;
}

/** How each execution gets fresh state. */
export type Reset = "auto" | "snapshot" | "setup";

/** How to name the words of one Interlock object's region. */
export interface Layout {
  /** Bytes of the region. */
  bytes: number;
  /** The name of the word at `byte` bytes into the region, e.g. `state`, `value`, `[2]`. */
  name(byte: number): string;
}

const layouts = new Map<abstract new (...args: never[]) => object, (x: never) => Layout>();

/** Registers how the regions of an Interlock class are named (from its kernel's `FIELDS`). */
export function registerLayout<C extends abstract new (...args: never[]) => object>(
  cls: C,
  layout: (x: InstanceType<C>) => Layout,
): void {
  layouts.set(cls, layout as (x: never) => Layout);
}

const partLayouts = new Map<number, (x: never) => Layout>();

/**
 * Registers how plain objects `{ buffer, byteOffset, ... }` whose region starts with tag `tag` are
 * named: the parts of an Interlock object another one carries (a `Connection`'s `incoming` and
 * `outgoing` queues).
 */
export function registerPartsLayout<P extends { buffer: SharedArrayBuffer; byteOffset: number }>(
  tag: number,
  layout: (x: P) => Layout,
): void {
  partLayouts.set(tag, layout as (x: never) => Layout);
}

/** The layout of `value` if it is the registered parts of an Interlock object. */
function partsLayout(value: object): Layout | undefined {
  const { buffer, byteOffset } = value as { buffer?: unknown; byteOffset?: unknown };
  if (!(buffer instanceof SharedArrayBuffer) || typeof byteOffset !== "number") return undefined;
  if (byteOffset % 4 !== 0 || byteOffset + 4 > buffer.byteLength) return undefined;
  const make = partLayouts.get(new Int32Array(buffer, byteOffset, 1)[0]!);
  return make?.(value as never);
}

/** A layout that names 32-bit words after `fields` (`word7` beyond them). */
export function wordLayout(fields: readonly string[], bytes: number): Layout {
  return { bytes, name: (b) => fields[b >> 2] ?? `word${b >> 2}` };
}

interface Region {
  buffer: ArrayBufferLike;
  start: number;
  end: number;
  label: (byte: number) => string;
  /** The setup key path of the Interlock object the region is (undefined for typed arrays). */
  path?: string;
}

/** What a walk over the shared state found. */
interface Walk {
  buffers: Set<SharedArrayBuffer>;
  /** The named regions (undefined: only the buffers are wanted, no names are built). */
  regions: Region[] | undefined;
  /** Whether the state holds only shared memory and primitives (a snapshot captures it all). */
  pure: boolean;
  /** The plain objects and arrays holding it (frozen in snapshot mode). */
  containers: object[];
}

function walk(value: unknown, path: string, out: Walk, depth: number): void {
  if (value === null || typeof value !== "object") {
    if (typeof value === "function" || typeof value === "symbol") out.pure = false;
    return;
  }
  if (depth > 16) {
    out.pure = false;
    return;
  }
  if (ArrayBuffer.isView(value)) {
    if (value instanceof DataView || !(value.buffer instanceof SharedArrayBuffer)) {
      out.pure = false;
      return;
    }
    const a = value as AtomicArray;
    out.buffers.add(a.buffer as SharedArrayBuffer);
    const bpe = a.BYTES_PER_ELEMENT;
    out.regions?.push({
      buffer: a.buffer,
      start: a.byteOffset,
      end: a.byteOffset + a.byteLength,
      label: (b) => a.length === 1 ? path : `${path}[${(b - a.byteOffset) / bpe}]`,
    });
    return;
  }
  const parts = isInterlockObject(value) ? undefined : partsLayout(value);
  if (isInterlockObject(value) || parts !== undefined) {
    const { buffer, byteOffset } = value as { buffer: SharedArrayBuffer; byteOffset: number };
    out.buffers.add(buffer);
    if (out.regions !== undefined) {
      const make = layouts.get((value as object).constructor as never);
      const layout = parts ?? (make ? make(value as never) : wordLayout([], 64));
      out.regions.push({
        buffer,
        path,
        start: byteOffset,
        end: byteOffset + Math.max(layout.bytes, 4),
        label: (b) => {
          const field = layout.name(b - byteOffset);
          return field.startsWith("[") ? `${path}${field}` : `${path}.${field}`;
        },
      });
    }
    const named = out.regions !== undefined;
    for (const [k, v] of Object.entries(value)) {
      if (k !== "buffer" && k !== "byteOffset") {
        walk(v, named ? `${path}.${k}` : "", out, depth + 1);
      }
    }
    return;
  }
  if (Array.isArray(value)) {
    // An array of numbers (or an empty one) is JS-side state threads may push to: not snapshotable.
    if (value.length === 0 || value.some((v) => v === null || typeof v !== "object")) {
      out.pure = false;
    }
    out.containers.push(value);
    const named = out.regions !== undefined;
    value.forEach((v, k) => walk(v, named ? `${path}[${k}]` : "", out, depth + 1));
    return;
  }
  const proto = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) {
    out.pure = false;
    return;
  }
  out.containers.push(value);
  const named = out.regions !== undefined;
  for (const [k, v] of Object.entries(value)) {
    walk(v, !named ? "" : path ? `${path}.${k}` : k, out, depth + 1);
  }
}

/** The buffers of `shared`, in the order {@linkcode survey} finds them, without naming anything. */
function buffersOf(shared: unknown): Set<SharedArrayBuffer> {
  const out: Walk = { buffers: new Set(), regions: undefined, pure: true, containers: [] };
  walk(shared, "", out, 0);
  return out.buffers;
}

function survey(shared: unknown): Walk & { regions: Region[] } {
  const out: Walk & { regions: Region[] } = {
    buffers: new Set(),
    regions: [],
    pure: true,
    containers: [],
  };
  walk(shared, "", out, 0);
  // Bare typed array or object at the top: name it "shared".
  for (const r of out.regions) {
    if (r.path !== undefined) {
      r.path = r.path.replace(/^(\.|\[)/, (m) => m === "." ? "shared." : "shared[") || "shared";
    }
    const label = r.label;
    r.label = (b) =>
      label(b).replace(/^(\.|\[)/, (m) => m === "." ? "shared." : "shared[") || "shared";
  }
  return out;
}

/** Names addresses of one execution's shared state. */
export class Namer {
  readonly #regions: Region[];
  constructor(shared: unknown) {
    this.#regions = survey(shared).regions;
  }

  /** The name of the Interlock object `x` (`lock`, `accounts[1]`), or `object` if not found. */
  object(x: { buffer: ArrayBufferLike; byteOffset: number }): string {
    for (const r of this.#regions) {
      if (r.buffer === x.buffer && r.start === x.byteOffset && r.path !== undefined) return r.path;
    }
    return "object";
  }

  /** The name of element `i` of `a`, e.g. `balance.value`, `lock.state`, `cells[2]`. */
  name(a: AtomicArray, i: number): string {
    const b = a.byteOffset + i * a.BYTES_PER_ELEMENT;
    for (const r of this.#regions) {
      if (r.buffer === a.buffer && b >= r.start && b < r.end) return r.label(b) || "shared";
    }
    return presenceName(a, b) ?? `memory@${b}`;
  }
}

const ENTRY_FIELDS = ["gen", "lease", "here", "spare"];

/**
 * The name of byte `b` of an execution's presence registry (the engine's), after the thread whose
 * entry it is: `presence.T0.lease`; undefined for other memory.
 */
function presenceName(a: AtomicArray, b: number): string | undefined {
  if (!(a.buffer instanceof SharedArrayBuffer) || a.buffer.byteLength < 4) return undefined;
  if (new Int32Array(a.buffer, 0, 1)[0] !== TAG.Presence) return undefined;
  const word = (b >> 2) - ENTRY0;
  if (word < 0) return `presence[${b >> 2}]`;
  return `presence.T${word >> 2}.${ENTRY_FIELDS[word & 3]}`;
}

/**
 * A 64-bit fingerprint (two 32-bit multiplicative hashes) of the words of `memory` and a string:
 * identifies a final state. Regions are whole cache lines, so every buffer is a whole number of
 * 32-bit words.
 */
export function fingerprint(memory: readonly Int32Array[], extra: string): string {
  let h1 = 0x811c9dc5;
  let h2 = 0x5bd1e995;
  for (const words of memory) {
    for (let k = 0; k < words.length; k++) {
      const w = words[k]!;
      h1 = Math.imul(h1 ^ w, 0x01000193);
      h2 = Math.imul(h2 ^ w, 0x5bd1e995) ^ (h2 >>> 13);
    }
  }
  for (let k = 0; k < extra.length; k++) {
    h1 = Math.imul(h1 ^ extra.charCodeAt(k), 0x01000193);
    h2 = Math.imul(h2 ^ extra.charCodeAt(k), 0x5bd1e995) ^ (h2 >>> 13);
  }
  return (h1 >>> 0).toString(16).padStart(8, "0") + (h2 >>> 0).toString(16).padStart(8, "0");
}

function wordsOf(buffers: Iterable<SharedArrayBuffer>): Int32Array[] {
  return [...buffers].map((b) => new Int32Array(b, 0, b.byteLength >> 2));
}

/** A scenario made ready for many executions. */
export interface Ready extends Prepared {
  /** How fresh state is made. */
  readonly reset: "snapshot" | "setup";
  /** The shared memory of an execution's state, as words (for fingerprints). */
  memoryOf(shared: unknown): readonly Int32Array[];
}

/** Options that shape every execution. */
export interface RunShape {
  maxSteps: number;
  reset: Reset;
}

const GeneratorFunction = Object.getPrototypeOf(function* () {}).constructor as new () => unknown;

/** Prepares `scenario`; validates its shape. */
export function prepare<S>(scenario: Scenario<S>, shape: RunShape): Ready {
  if (typeof scenario !== "object" || scenario === null) {
    throw new TypeError(
      `Cannot explore: 'scenario' must be an object, received ${typeof scenario}`,
    );
  }
  if (typeof scenario.setup !== "function") {
    throw new TypeError("Cannot explore: 'scenario.setup' must be a function");
  }
  const threads = scenario.threads;
  if (!Array.isArray(threads) || threads.length === 0 || threads.length > 30) {
    throw new RangeError(
      "Cannot explore: 'scenario.threads' must be an array of 1 to 30 generator functions",
    );
  }
  threads.forEach((t, k) => {
    if (typeof t !== "function" || !(t instanceof GeneratorFunction)) {
      throw new TypeError(
        `Cannot explore: 'scenario.threads[${k}]' must be a generator function (function*), ` +
          `received ${typeof t === "function" ? "a plain function" : typeof t}`,
      );
    }
  });
  const names = threads.map((t) => t.name || "thread");
  const first = scenario.setup();
  const found = survey(first);
  const reset = shape.reset === "auto" ? (found.pure ? "snapshot" : "setup") : shape.reset;
  let fresh: () => unknown;
  let memoryOf: (shared: unknown) => readonly Int32Array[];
  if (reset === "snapshot") {
    // Restoring memory does not restore JS objects: freeze them, so a thread that mutates them
    // fails loudly instead of leaking state into the next execution.
    for (const c of found.containers) Object.freeze(c);
    const saved = [...found.buffers].map((b) => {
      const view = new Uint8Array(b);
      return { view, copy: view.slice() };
    });
    fresh = () => {
      for (const s of saved) s.view.set(s.copy);
      return first;
    };
    const memory = wordsOf(found.buffers);
    memoryOf = () => memory;
  } else {
    let pending: unknown = first;
    fresh = () => {
      if (pending !== undefined) {
        const s = pending;
        pending = undefined;
        return s;
      }
      return scenario.setup();
    };
    memoryOf = (shared) => wordsOf(buffersOf(shared));
  }
  return {
    reset,
    fresh,
    memoryOf,
    namer: (shared) => {
      const namer = new Namer(shared);
      return (a, i) => namer.name(a, i);
    },
    bodies: threads as unknown as Prepared["bodies"],
    names,
    invariant: scenario.invariant?.bind(scenario) as Prepared["invariant"],
    always: scenario.always?.bind(scenario) as Prepared["always"],
    maxSteps: shape.maxSteps,
  };
}
