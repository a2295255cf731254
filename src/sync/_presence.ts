/**
 * This thread's presence: the `Atomics.waitAsync` waiters by which any other thread can tell that it
 * still runs (the presence kernel, `src/kernel/presence.ts`). The manager's mailbox arms them on
 * its own registry; the robust primitives (`Lock`, `RLock`, robust semaphores) share one *presence
 * registry* per program, which every one of their clones carries as `registry`.
 *
 * A thread joins a registry once, the first time it makes or revives a robust primitive of it: it
 * claims an entry, arms {@linkcode PRESENCE} waiters there, and from then on names itself in the
 * primitives' words by the entry's id. Nothing on an acquire's fast path touches the registry;
 * only a waiter that has waited long probes the holder it waits for.
 *
 * @module
 */
import { REAL, waitAsync } from "../_atomics.ts";
import { allocate, attach, TAG } from "../_region.ts";
import * as P from "../kernel/presence.ts";

/**
 * Presence waiters a thread keeps armed on its registry entry: each probe of a thread that is busy
 * (not running its event loop) spends one until the thread re-arms it.
 */
const PRESENCE = 16;

/**
 * Arms `n` presence waiters on the `here` word after `lease` and adds them to `lease`; a waiter
 * that a probe wakes is re-armed while `keep()` says so. (The waiters do not keep the thread's
 * event loop alive.)
 */
export function arm(s: Int32Array, lease: number, n: number, keep: () => boolean): void {
  let armed = 0;
  for (let i = 0; i < n; i++) {
    const result = waitAsync(s, lease + 1, 0, Infinity);
    if (typeof result === "string") continue; // `here` is never written: cannot happen
    armed++;
    result.then(() => {
      if (keep()) arm(s, lease, 1, keep);
    });
  }
  P.armed(REAL, s, lease, armed);
}

let id = 0;

/**
 * This thread's presence id: a random number in 1..MAX_ID drawn once per thread, the same in every
 * registry it joins (what a robust lock's word holds while the thread holds it). Two threads of a
 * program share one with odds of about k(k-1) / 2^31 among k threads (1 in 2,000,000 for 10
 * threads); then the death of one of them may go unnoticed, nothing worse.
 */
export function presenceId(): number {
  while (id === 0) id = crypto.getRandomValues(new Uint32Array(1))[0]! % P.MAX_ID + 1;
  return id;
}

/** A presence registry this thread has joined. */
export interface Presence {
  /** The registry's memory: what clones of robust primitives carry as `registry`. */
  readonly buffer: SharedArrayBuffer;
  /** The registry's words. */
  readonly words: Int32Array;
}

/** The registries this thread has joined, by domain id. */
const joined = new Map<number, Presence>();
/** The registry new primitives of this thread use: the first one it made or met. */
let home: Presence | undefined;

const always = () => true;

/** This thread's presence in the registry new primitives use (made on first use). */
export function homePresence(): Presence {
  if (home !== undefined) return home;
  const s = allocate(TAG.Presence, P.bytesFor(P.ENTRIES));
  let domain = 0;
  while (domain === 0) domain = crypto.getRandomValues(new Int32Array(1))[0]!;
  P.init(REAL, s, domain, P.ENTRIES);
  return join(s, domain);
}

/**
 * This thread's presence in the registry whose memory is `buffer` (a clone's `registry`), joined
 * on first sight; `undefined` if `buffer` holds no presence registry.
 */
export function presenceIn(buffer: unknown): Presence | undefined {
  if (!(buffer instanceof SharedArrayBuffer) || buffer.byteLength < P.bytesFor(1)) return undefined;
  const s = new Int32Array(buffer);
  if (REAL.load(s, 0) !== TAG.Presence) return undefined;
  const domain = REAL.load(s, P.DOMAIN);
  const found = joined.get(domain);
  if (found !== undefined) return found;
  const entries = REAL.load(s, P.NENTRIES);
  if (!(entries >= 1 && entries <= P.ENTRIES) || P.bytesFor(entries) > buffer.byteLength) {
    return undefined;
  }
  return join(s, domain);
}

/**
 * Joins registry `s`: claims an entry under this thread's presence id (sweeping the entries of
 * gone threads if it is full) and arms its presence waiters. With no entry to be had, the thread
 * counts itself in `overflow`: its primitives work, but its death goes unnoticed, and so may
 * others' from then on (see `src/kernel/presence.ts`).
 */
function join(s: Int32Array, domain: number): Presence {
  const entries = REAL.load(s, P.NENTRIES);
  const me = presenceId();
  let e = P.register(REAL, s, P.ENTRY0, entries, me);
  if (e === P.FULL && P.sweep(REAL, s) > 0) e = P.register(REAL, s, P.ENTRY0, entries, me);
  if (e >= 0) arm(s, P.entryWord(e) + 1, PRESENCE, always);
  else P.overflowed(REAL, s);
  const presence: Presence = { buffer: s.buffer as SharedArrayBuffer, words: s };
  joined.set(domain, presence);
  home ??= presence;
  return presence;
}

/**
 * This thread's presence in the registry of `value`, the structured clone of a robust primitive
 * `what` (its `registry` field); throws the `TypeError` of a bad clone otherwise.
 */
export function attachPresence(what: string, value: unknown): Presence {
  const presence = presenceIn((value as { registry?: unknown }).registry);
  if (presence === undefined) {
    throw new TypeError(
      `Cannot revive ${what}: expected a ${what} or its structured clone, ` +
        "its 'registry' is not a presence registry",
    );
  }
  return presence;
}

/** A robust lock's memory: its words, and the presence registry its slow path probes holders in. */
export interface RobustHome {
  /** The lock's words. */
  readonly s: Int32Array;
  /** The registry the lock's holders show they are alive in. */
  readonly presence: Presence;
}

/** What {@linkcode reviveRobust} attached for the constructor that runs next. */
let revived: RobustHome | undefined;

/**
 * The memory of the `Lock` or `RLock` being constructed: what {@linkcode reviveRobust} attached
 * just before, or fresh words (`bytes` long, tagged `tag`) in this thread's home registry.
 */
export function robustHome(tag: number, bytes: number): RobustHome {
  const home = revived ?? { s: allocate(tag, bytes), presence: homePresence() };
  revived = undefined;
  return home;
}

/**
 * The first half of a `Lock`'s or `RLock`'s `from()`: attaches the clone `value` (a `what` tagged
 * `tag`, `bytes` long) and its registry for the constructor its caller runs next.
 *
 * @throws {TypeError} if `value` is not such a clone (nothing is attached).
 */
export function reviveRobust(what: string, tag: number, value: unknown, bytes: number): void {
  const s = attach(what, tag, value, bytes);
  revived = { s, presence: attachPresence(what, value) };
}
