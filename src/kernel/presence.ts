/**
 * Presence kernel: how a thread shows, in shared memory, that it is alive, and how any other thread
 * finds out that it is gone (terminated, or ended). The manager reclaims the mailbox slots of dead
 * callers with it (`./manager.ts`); `Lock`, `RLock` and robust semaphores tell a dead holder from a
 * slow one with it (`./lock.ts`, `./semaphore.ts`, through the presence registry below).
 *
 * Presence record: two words, `lease` then `here`. Its owner arms `Atomics.waitAsync` *presence
 * waiters* on `here` (nobody ever writes it) and then adds one to `lease` per waiter armed; a
 * waiter that a probe wakes is armed again (then `lease` += 1) by the owner's event loop. V8
 * drops a thread's async waiters when its isolate is torn down, so `Atomics.notify`'s count says
 * whether the owner still runs:
 * - `lease` <= the owner's waiters on `here` at all times (it arms, then adds; a probe subtracts,
 *   then wakes one).
 * - probe: CAS `lease` n -> n-1 (n > 0), then notify one waiter of `here`. Woke one: ALIVE. Woke
 *   none although `lease` promised one: GONE (the owner's isolate is gone). `lease` 0: UNKNOWN (not
 *   armed yet, or every waiter spent by probes while the owner was busy: it re-arms only when its
 *   event loop runs). A probe never calls a living owner gone.
 *
 * Registry: an array of entries that threads claim once each. A thread names itself by its
 * presence id, a random number drawn once per thread (so the same in every registry it joins, and
 * a constant on every fast path), stored in its entry; anyone can then probe the owner of an id.
 * The manager keeps a registry in its mailbox; the primitives share one *presence registry*
 * region per program (layout below).
 * | word        | field | written by                                  | meaning                    |
 * | entry e + 0 | gen   | register (CAS FREE -> TAKEN), retire (CAS   | bits 0..1: FREE=0, TAKEN=1,|
 * |             |       | TAKEN -> RETIRING, then store next FREE)    | RETIRING=2; bits 2..: cycle|
 * | entry e + 1 | lease | owner (add), probers (CAS down), retire (0) | the entry's presence record|
 * | entry e + 2 | here  | nobody (always 0)                           | (lease, here)              |
 * | entry e + 3 | id    | register, retire (0)                        | the owner's presence id    |
 * Transitions of `gen`: register g (FREE) -> g+1 (TAKEN), then `id` := the thread's id | retire,
 * after a probe found the owner GONE: g+1 -> g+2 (RETIRING), `lease` := 0, `id` := 0, -> g+4
 * (FREE). Only a living thread registers, and only a proof of death retires, so an entry lasts
 * exactly as long as its owner; RETIRING keeps registrants off until `lease` is 0 again.
 * Probing an id (`probeId`) probes every TAKEN entry holding it (ALIVE if any is: ids are random,
 * and two threads may share one, so a living holder is never taken for dead); if none holds it, its
 * thread was registered (a thread joins the registry of a primitive before it can hold it) and has
 * been retired: GONE, unless some thread found the registry full (`overflow` > 0: that thread has
 * no entry, so an absent id proves nothing: UNKNOWN). Ids are 1..MAX_ID; ANONYMOUS and the lock
 * kernel's ABANDONED, above it, name nobody a probe may look for.
 *
 * The presence registry region (`TAG.Presence`), one per program, shared by clones of every robust
 * primitive (their `registry` field):
 * | word       | field    | written by           | meaning                                     |
 * | 0          | tag      | constructor, once    | TAG.Presence                                |
 * | 1          | domain   | constructor, once    | a random nonzero id (tells registries apart)|
 * | 2          | entries  | constructor, once    | entries in the region (<= ENTRIES)          |
 * | 3          | overflow | joiners (add)        | threads that found every entry taken        |
 * | 16 + 4e .. | entry e  | see above            |                                             |
 *
 * Invariant: an id held in a primitive's word names either a living thread or a proven-dead one;
 * GONE is only ever concluded from a probe that found no waiter where `lease` promised one, or
 * from the absence of the id's entry in a registry that never overflowed (retired: itself
 * concluded from such a probe).
 * Synchronizes-with: the owner's add to `lease` follows its `waitAsync`; a prober's CAS reads it.
 *
 * @module
 */
import type { Seam } from "../_atomics.ts";

/** Word index of the presence registry's domain id. */
export const DOMAIN = 1;
/** Word index of the number of entries of the presence registry. */
export const NENTRIES = 2;
/** Word index of the presence registry's count of threads that found it full. */
export const OVERFLOW = 3;
/** Word index of the presence registry's entry 0. */
export const ENTRY0 = 16;
/** Words per registry entry: gen, lease, here, id. */
export const ENTRY_WORDS = 4;
/** The most entries a presence registry may have: threads alive at once that can be probed. */
export const ENTRIES = 1023;
/** Bytes of a presence registry region with `entries` entries. */
export function bytesFor(entries: number): number {
  return (ENTRY0 + entries * ENTRY_WORDS) * 4;
}

/** `gen` state: claimable. */
export const FREE = 0;
/** `gen` state: owned by a thread. */
export const TAKEN = 1;
/** `gen` state: being freed after its owner was found gone. */
export const RETIRING = 2;

/** `probe`: the record's owner lives (one of its waiters woke). */
export const ALIVE = 1;
/** `probe`: the record's owner is gone (no waiter, although its `lease` promised one). */
export const GONE = 0;
/** `probe`: cannot tell (no waiter promised). */
export const UNKNOWN = -1;

/** `register`: every entry is taken. */
export const FULL = -1;

/** The largest presence id a thread may draw (ids are 1..MAX_ID). */
export const MAX_ID: number = (1 << 30) - 3;
/** An id no thread has, for holders nobody may probe (the queue's lane lock). */
export const ANONYMOUS: number = (1 << 30) - 2;

/** Whether `id` is an id a thread may have (else it names nobody that can be probed). */
export function probeable(id: number): boolean {
  return id >= 1 && id <= MAX_ID;
}

/** Word index of the presence registry's entry `e`. */
export function entryWord(e: number): number {
  return ENTRY0 + e * ENTRY_WORDS;
}

/** Writes a fresh presence registry's domain id and size (before anyone can see it). */
export function init(A: Seam, s: Int32Array, domain: number, entries: number): void {
  if (!(entries >= 1 && entries <= ENTRIES)) throw new RangeError(`Bad registry size: ${entries}`);
  A.store(s, DOMAIN, domain);
  A.store(s, NENTRIES, entries);
}

/**
 * Claims a FREE entry among `count` entries starting at word `first` for the calling thread, whose
 * presence id is `id`: returns the entry's index, or FULL. The thread arms its presence waiters
 * next (see {@linkcode armed}).
 */
export function register(A: Seam, s: Int32Array, first: number, count: number, id: number): number {
  for (let e = 0; e < count; e++) {
    const w = first + e * ENTRY_WORDS;
    const g = A.load(s, w);
    if ((g & 3) === FREE && A.compareExchange(s, w, g, (g + 1) | 0) === g) {
      A.store(s, w + 3, id);
      return e;
    }
  }
  return FULL;
}

/** A thread found every entry of the presence registry `s` taken (it stays without one). */
export function overflowed(A: Seam, s: Int32Array): void {
  A.add(s, OVERFLOW, 1);
}

/** Whether a `gen` value is TAKEN. */
export function taken(gen: number): boolean {
  return (gen & 3) === TAKEN;
}

/**
 * Frees the entry at word `w`, TAKEN in generation `gen`, whose owner a probe found GONE. Returns
 * false (nothing changed) if it was retired already.
 */
export function retire(A: Seam, s: Int32Array, w: number, gen: number): boolean {
  if (A.compareExchange(s, w, gen, (gen + 1) | 0) !== gen) return false;
  // Clear the lease and the id before the entry is FREE again: its next owner starts from 0.
  A.store(s, w + 1, 0);
  A.store(s, w + 3, 0);
  A.store(s, w, (gen + 3) | 0);
  return true;
}

/** The owner of the presence record at `lease` armed `n` more presence waiters on `lease + 1`. */
export function armed(A: Seam, s: Int32Array, lease: number, n: number): void {
  A.add(s, lease, n);
}

/**
 * Withdraws the presence record at `lease` (its owner is done with it, and its waiters are not
 * re-armed): no probe may count on the waiters any more, so `lease` goes to 0 and they are woken.
 */
export function disarm(A: Seam, s: Int32Array, lease: number): void {
  A.exchange(s, lease, 0);
  A.notify(s, lease + 1, Infinity);
}

/**
 * Probes the owner of the presence record at `lease`: ALIVE (one of its waiters woke, and is
 * re-armed), GONE (none, although `lease` promised one), or UNKNOWN (none promised).
 */
export function probe(A: Seam, s: Int32Array, lease: number): number {
  const n = A.load(s, lease);
  if (n <= 0) return UNKNOWN;
  if (A.compareExchange(s, lease, n, n - 1) !== n) return UNKNOWN;
  return A.notify(s, lease + 1, 1) === 1 ? ALIVE : GONE;
}

/**
 * Probes the thread whose presence id is `id` in the presence registry `s`. Every TAKEN entry that
 * holds the id is probed (two threads may have drawn the same id: a living one must never be
 * taken for dead because the other died), and those found GONE are retired, free for new threads:
 * ALIVE if one is alive, else UNKNOWN if one could not tell or the registry overflowed (a thread
 * without an entry may hold the id), else GONE, with or without an entry holding the id (see
 * "Probing an id" above); UNKNOWN for ids no thread may have.
 */
export function probeId(A: Seam, s: Int32Array, id: number): number {
  if (!probeable(id)) return UNKNOWN;
  const entries = A.load(s, NENTRIES);
  let verdict = A.load(s, OVERFLOW) > 0 ? UNKNOWN : GONE;
  for (let e = 0; e < entries; e++) {
    const w = entryWord(e);
    const gen = A.load(s, w);
    if (!taken(gen) || A.load(s, w + 3) !== id) continue;
    const v = probe(A, s, w + 1);
    if (v === GONE) retire(A, s, w, gen);
    else if (v === ALIVE) return ALIVE;
    else verdict = UNKNOWN;
  }
  return verdict;
}

/**
 * Probes every TAKEN entry of the presence registry `s` and retires those whose owner is gone
 * (a thread found it full); returns how many it freed.
 */
export function sweep(A: Seam, s: Int32Array): number {
  const entries = A.load(s, NENTRIES);
  let freed = 0;
  for (let e = 0; e < entries; e++) {
    const w = entryWord(e);
    const gen = A.load(s, w);
    if (taken(gen) && probe(A, s, w + 1) === GONE && retire(A, s, w, gen)) freed++;
  }
  return freed;
}
