/**
 * Manager kernel: the shared-memory mailbox through which every thread that holds a manager proxy
 * talks to the manager's server worker (see `src/manager/`). Clients in any thread claim a slot, pass
 * a serialized request to the server through it chunk by chunk, and read the reply back the same way.
 * Everything a proxy's structured clone needs to reach the server is this one region, so proxies
 * cross `postMessage` (and `Process`/`Pool` arguments) as plain clones: no port to transfer.
 *
 * Shared layout: Int32Array `s` over the manager's region; header lines, then {@linkcode SLOTS} slots.
 * | word             | field   | written by                       | meaning                            |
 * | 0                | tag     | constructor, once                | TAG.Manager                        |
 * | 1                | state   | init, end (CAS, once)            | RUNNING=1, SHUT_DOWN=2, CRASHED=3  |
 * | 2                | slots   | init, once                       | slots in use (at most SLOTS)       |
 * | 16 (own line)    | bell    | clients (add), end               | server doorbell: a sequence number |
 * | 32 (own line)    | free    | releasing clients (add), end     | free-slot sequence number          |
 * | slot k + 0       | slot    | client and server in turn (CAS)  | slot state, see below              |
 * | slot k + 1       | bytes   | the side whose turn it is        | bytes of the chunk in the payload  |
 * | slot k + 2       | total   | the side whose turn it is        | bytes of the whole message         |
 * | slot k + 16 ...  | payload | the side whose turn it is        | {@linkcode CHUNK} bytes, plain     |
 * Slot k's words start at `48 + k * SLOT_WORDS`; each slot starts on its own cache line.
 *
 * Slot states and whose turn it is (only that side touches bytes/total/payload):
 * | value | state       | turn   | meaning                                                      |
 * | 0     | FREE        | nobody | claimable                                                    |
 * | 1     | CLAIMED     | client | the client writes the first request chunk                    |
 * | 2     | TO_SERVER   | server | a request chunk waits in the payload                         |
 * | 3     | SERVER_READ | both*  | the server took the chunk; the client writes the next one,   |
 * |       |             |        | or, after the last one, the server writes the first reply    |
 * | 4     | TO_CLIENT   | client | a reply chunk waits in the payload                           |
 * | 5     | CLIENT_READ | server | the client took a reply chunk; the server writes the next    |
 * | 6     | DEAD        | nobody | the manager ended; never leaves this state                   |
 * (*) Both sides count bytes against `total`, so each knows whether the request is complete: only
 * one of them writes the payload in SERVER_READ.
 *
 * Transitions: claim FREE->CLAIMED (CAS) | post CLAIMED/SERVER_READ->TO_SERVER | server take
 * TO_SERVER->SERVER_READ | reply SERVER_READ/CLIENT_READ->TO_CLIENT | client take TO_CLIENT->
 * CLIENT_READ (more chunks) or ->FREE (last chunk) | end: any->DEAD (exchange, every slot). Every
 * move but end is a CAS from the expected state, so nothing moves a slot out of DEAD.
 *
 * Synchronizes-with: the payload is written with plain stores before the CAS that hands the turn over,
 * and read after the load that observes it; JS atomics are sequentially consistent, so the reader
 * sees the whole chunk.
 *
 * Invariants and wake-ups:
 * - A client sleeps on its slot word only with the value it last read there, and every hand-over
 *   (server take, reply, end) changes that word before notifying it: no lost wake-up.
 * - The server sleeps on `bell` with the value it read *before* scanning the slots; every client
 *   hand-over (post, take of a reply chunk) changes the slot, then adds to `bell`, then notifies. A
 *   hand-over the scan missed therefore changed `bell` first and the wait returns at once.
 * - A client waiting for a free slot sleeps on `free` with the value read before it checks `state`
 *   and scans; a release stores FREE, then adds to `free`, then notifies, and `end` writes `state`
 *   before adding to `free`: either the client sees the change or its wait returns at once. (Checking
 *   `state` before reading `free` loses the end's wake-up: the interleaving explorer found that.)
 * - `end` writes `state` first, then moves every slot to DEAD and bumps `bell` and `free`, notifying
 *   all waiters of each: every sleeper wakes and every later operation sees the end.
 *
 * @module
 */
import type { Seam } from "../_atomics.ts";

/** Word index of the manager's lifecycle state. */
export const STATE = 1;
/** Word index of the number of slots (written once, before the region is shared). */
export const NSLOTS = 2;
/** Word index of the server's doorbell (own cache line). */
export const BELL = 16;
/** Word index of the free-slot sequence (own cache line). */
export const FREE = 32;
/** Word index where slot 0 starts. */
export const SLOT0 = 48;
/** How many requests can be in flight at once, over all threads (the slots a region has room for). */
export const SLOTS = 32;
/** Payload bytes per slot; longer messages travel in several chunks. */
export const CHUNK = 8192;
/** Words per slot: a 64-byte header line, then the payload. */
export const SLOT_WORDS = 16 + CHUNK / 4;
/** Bytes the manager's region needs. */
export const BYTES = (SLOT0 + SLOTS * SLOT_WORDS) * 4;

/** The manager serves calls. */
export const RUNNING = 1;
/** `shutdown()` ended the manager. */
export const SHUT_DOWN = 2;
/** The server worker died. */
export const CRASHED = 3;

/** Slot state: claimable. */
export const S_FREE = 0;
/** Slot state: a client writes the first request chunk. */
export const S_CLAIMED = 1;
/** Slot state: a request chunk waits for the server. */
export const S_TO_SERVER = 2;
/** Slot state: the server took a request chunk. */
export const S_SERVER_READ = 3;
/** Slot state: a reply chunk waits for the client. */
export const S_TO_CLIENT = 4;
/** Slot state: the client took a reply chunk. */
export const S_CLIENT_READ = 5;
/** Slot state: the manager ended. */
export const S_DEAD = 6;

/** `claim` found no free slot before its deadline. */
export const TIMED_OUT = -1;
/** The manager ended (read {@linkcode STATE} for how). */
export const ENDED = -2;

/** Word index of slot `k`'s state. */
export function slotWord(k: number): number {
  return SLOT0 + k * SLOT_WORDS;
}

/** Byte offset of slot `k`'s payload within the region. */
export function payloadByte(k: number): number {
  return (slotWord(k) + 16) * 4;
}

/** Marks a fresh region as running with `slots` slots (before anyone can see it). */
export function init(A: Seam, s: Int32Array, slots: number): void {
  if (!(slots >= 1 && slots <= SLOTS)) throw new RangeError(`Bad manager slot count: ${slots}`);
  A.store(s, NSLOTS, slots);
  A.store(s, STATE, RUNNING);
}

/** The manager's lifecycle state: RUNNING, SHUT_DOWN or CRASHED. */
export function state(A: Seam, s: Int32Array): number {
  return A.load(s, STATE);
}

/**
 * Ends the manager with `how` (SHUT_DOWN or CRASHED) and wakes everyone. Returns false, changing
 * nothing, if it had ended already (the first end wins).
 */
export function end(A: Seam, s: Int32Array, how: number): boolean {
  if (A.compareExchange(s, STATE, RUNNING, how) !== RUNNING) return false;
  const slots = A.load(s, NSLOTS);
  for (let k = 0; k < slots; k++) {
    // Changing the word before notifying: a client about to sleep on its old value returns at once.
    A.exchange(s, slotWord(k), S_DEAD);
    A.notify(s, slotWord(k), Infinity);
  }
  A.add(s, BELL, 1);
  A.notify(s, BELL, Infinity);
  A.add(s, FREE, 1);
  A.notify(s, FREE, Infinity);
  return true;
}

/**
 * Claims a free slot for one request; returns its index, ENDED, or TIMED_OUT once `deadline` passes
 * (nothing claimed).
 */
export function claim(A: Seam, s: Int32Array, deadline: number): number {
  const slots = A.load(s, NSLOTS);
  for (;;) {
    // Read the sequence before checking the state and scanning: a release or an end after that
    // changes it, so the wait below returns at once (`end` writes the state before bumping it).
    const seen = A.load(s, FREE);
    if (A.load(s, STATE) !== RUNNING) return ENDED;
    for (let k = 0; k < slots; k++) {
      if (
        A.load(s, slotWord(k)) === S_FREE &&
        A.compareExchange(s, slotWord(k), S_FREE, S_CLAIMED) === S_FREE
      ) return k;
    }
    if (A.wait(s, FREE, seen, deadline) === "timed-out") {
      // A wake-up that raced with the timeout must not be swallowed: pass it on.
      A.notify(s, FREE, 1);
      return TIMED_OUT;
    }
  }
}

/**
 * Hands a request chunk (already in slot `k`'s payload) to the server and rings its bell. Returns
 * false if the manager ended.
 */
export function post(A: Seam, s: Int32Array, k: number, bytes: number, total: number): boolean {
  const w = slotWord(k);
  const from = A.load(s, w);
  if (from !== S_CLAIMED && from !== S_SERVER_READ) return false;
  A.store(s, w + 1, bytes);
  A.store(s, w + 2, total);
  if (A.compareExchange(s, w, from, S_TO_SERVER) !== from) return false;
  ring(A, s);
  return true;
}

/** Rings the server's doorbell after a client hand-over. */
export function ring(A: Seam, s: Int32Array): void {
  A.add(s, BELL, 1);
  A.notify(s, BELL, 1);
}

/**
 * Sleeps until the server took the chunk posted in slot `k`; returns the slot's new state
 * (SERVER_READ, or DEAD when the manager ended). A posted request cannot be withdrawn, so there is
 * no deadline: the server's take or the manager's end always comes.
 */
export function awaitTaken(A: Seam, s: Int32Array, k: number): number {
  const w = slotWord(k);
  let spin = A.spin;
  for (;;) {
    const now = A.load(s, w);
    if (now !== S_TO_SERVER) return now;
    if (spin > 0) {
      spin--;
      A.pause();
      continue;
    }
    // No lost wake-up: we sleep only while the word still holds TO_SERVER; the take changes it first.
    A.wait(s, w, now, Infinity);
  }
}

/**
 * Sleeps until a reply chunk waits in slot `k`; returns TO_CLIENT, or DEAD when the manager ended.
 * No deadline, for the reason given at {@linkcode awaitTaken}.
 */
export function awaitReply(A: Seam, s: Int32Array, k: number): number {
  const w = slotWord(k);
  let spin = A.spin;
  for (;;) {
    const now = A.load(s, w);
    if (now === S_TO_CLIENT || now === S_DEAD) return now;
    if (now !== S_TO_SERVER && now !== S_SERVER_READ && now !== S_CLIENT_READ) {
      throw new Error(`Inconsistent manager slot state: ${now}`);
    }
    if (spin > 0) {
      spin--;
      A.pause();
      continue;
    }
    // No lost wake-up: every move towards TO_CLIENT or DEAD changes the word before notifying.
    A.wait(s, w, now, Infinity);
  }
}

/** The client took a reply chunk and wants the next one. Returns false if the manager ended. */
export function takeReplyChunk(A: Seam, s: Int32Array, k: number): boolean {
  if (A.compareExchange(s, slotWord(k), S_TO_CLIENT, S_CLIENT_READ) !== S_TO_CLIENT) return false;
  ring(A, s);
  return true;
}

/** The client took the last reply chunk: frees slot `k` and wakes one client waiting for a slot. */
export function release(A: Seam, s: Int32Array, k: number): void {
  if (A.compareExchange(s, slotWord(k), S_TO_CLIENT, S_FREE) !== S_TO_CLIENT) return;
  // Store FREE, then bump the sequence, then notify: a claimer that missed the slot sees the bump.
  A.add(s, FREE, 1);
  A.notify(s, FREE, 1);
}

/** Bytes of the chunk waiting in slot `k` (read by the side whose turn it is). */
export function chunkBytes(A: Seam, s: Int32Array, k: number): number {
  return A.load(s, slotWord(k) + 1);
}

/** Bytes of the whole message a chunk in slot `k` belongs to. */
export function chunkTotal(A: Seam, s: Int32Array, k: number): number {
  return A.load(s, slotWord(k) + 2);
}

/** The server's doorbell value; read it before scanning the slots. */
export function bell(A: Seam, s: Int32Array): number {
  return A.load(s, BELL);
}

/** The state of slot `k`. */
export function slotState(A: Seam, s: Int32Array, k: number): number {
  return A.load(s, slotWord(k));
}

/** The server took the request chunk in slot `k`; wakes its client. False if the manager ended. */
export function takeRequestChunk(A: Seam, s: Int32Array, k: number): boolean {
  const w = slotWord(k);
  if (A.compareExchange(s, w, S_TO_SERVER, S_SERVER_READ) !== S_TO_SERVER) return false;
  A.notify(s, w, 1);
  return true;
}

/**
 * Hands a reply chunk (already in slot `k`'s payload) to the client and wakes it. Returns false if
 * the manager ended.
 */
export function reply(A: Seam, s: Int32Array, k: number, bytes: number, total: number): boolean {
  const w = slotWord(k);
  const from = A.load(s, w);
  if (from !== S_SERVER_READ && from !== S_CLIENT_READ) return false;
  A.store(s, w + 1, bytes);
  A.store(s, w + 2, total);
  if (A.compareExchange(s, w, from, S_TO_CLIENT) !== from) return false;
  A.notify(s, w, 1);
  return true;
}

/**
 * Sleeps until the doorbell moves away from `seen` (a client handed something over); returns true
 * then, or false once the manager has ended.
 */
export function awaitBell(A: Seam, s: Int32Array, seen: number): boolean {
  for (;;) {
    if (A.load(s, STATE) !== RUNNING) return false;
    if (A.load(s, BELL) !== seen) return true;
    // No lost wake-up: clients add to `bell` after each hand-over, before notifying.
    A.wait(s, BELL, seen, Infinity);
  }
}
