/**
 * Manager kernel: the shared-memory mailbox through which every thread that holds a manager proxy
 * talks to the manager's server worker (see `src/manager/`). Clients in any thread claim a slot, pass
 * a serialized request to the server through it chunk by chunk, and read the reply back the same way.
 * Everything a proxy's structured clone needs to reach the server is this one region, so proxies
 * cross `postMessage` (and `Process`/`Pool` arguments) as plain clones: no port to transfer.
 *
 * Shared layout: Int32Array `s` over the manager's region; header lines, the agent registry, then
 * {@linkcode SLOTS} slots.
 * | word             | field   | written by                       | meaning                            |
 * | 0                | tag     | constructor, once                | TAG.Manager                        |
 * | 1                | state   | init, end (CAS, once)            | RUNNING=1, SHUT_DOWN=2, CRASHED=3  |
 * | 2                | slots   | init, once                       | slots in use (at most SLOTS)       |
 * | 3                | reap    | claimers that wait long (add)    | reap-request sequence number       |
 * | 4                | agents  | init, once                       | registry entries in use (<= AGENTS)|
 * | 16 (own line)    | bell    | clients (add), end               | server doorbell: a sequence number |
 * | 32 (own line)    | free    | releasing clients (add), end     | free-slot sequence number          |
 * | entry e + 0      | gen     | registering thread (CAS), server | FREE / TAKEN / RETIRING and cycle  |
 * |                  |         | (retire, when it is gone)        | (the presence kernel's registry)   |
 * | entry e + 1      | lease   | owner (add), server (CAS down,   | presence waiters the owner armed   |
 * |                  |         | store 0 when the owner is gone)  | that no probe has consumed yet     |
 * | entry e + 2      | here    | nobody (always 0)                | the owner's presence waiters wait  |
 * |                  |         |                                  | here (`Atomics.waitAsync`)         |
 * | slot k + 0       | slot    | client and server in turn (CAS)  | bits 0..2: slot state (see below); |
 * |                  |         |                                  | bits 3..: 1 + the presence record  |
 * |                  |         |                                  | naming the holder (0 = none)       |
 * | slot k + 1       | bytes   | the side whose turn it is        | bytes of the chunk in the payload  |
 * | slot k + 2       | total   | the side whose turn it is        | bytes of the whole message         |
 * | slot k + 3       | lease   | as an entry's, for the slot's    | fallback presence record, used by  |
 * | slot k + 4       | here    | own presence record (see below)  | holders without a registry entry   |
 * | slot k + 16 ...  | payload | the side whose turn it is        | {@linkcode CHUNK} bytes, plain     |
 * Entry e's words start at `48 + 4 * e` (entries are cold: written at registration, probes and
 * re-arms only, so they share lines). Slot k's words start at `SLOT0 + k * SLOT_WORDS`; each slot
 * starts on its own cache line.
 *
 * Invariant, in short (the details follow):
 * - Only the side whose turn a slot's state names touches its bytes/total/payload; every move but
 *   `end` is a CAS from the expected state, so nothing leaves DEAD.
 * - No lost wake-up: each sleeper waits on a word (its slot, `bell`, `free`) with the value it read
 *   before its check, and every hand-over changes that word before notifying it.
 * - A slot is reclaimed from its holder only after a probe proved the holder's presence record gone.
 *
 * A slot word is `(1 + r) << 3 | state` while a holding has the slot (`r`: the holder's presence
 * record, named by the claim's own CAS and kept by every move of the holding), and the bare state
 * FREE, DEAD or RECLAIMING otherwise ({@linkcode held}, {@linkcode stateOf}, {@linkcode recordOf}).
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
 * | 7     | RECLAIMING  | server | the server is freeing the slot of a dead holder              |
 * (*) Both sides count bytes against `total`, so each knows whether the request is complete: only
 * one of them writes the payload in SERVER_READ.
 *
 * Transitions (a holding's moves keep its record): claim FREE->CLAIMED naming the holder's record
 * (CAS) | post CLAIMED/SERVER_READ->TO_SERVER | server take
 * TO_SERVER->SERVER_READ | reply SERVER_READ/CLIENT_READ->TO_CLIENT | client take TO_CLIENT->
 * CLIENT_READ (more chunks) or ->FREE (last chunk) | reap (server): CLAIMED/TO_SERVER/SERVER_READ/
 * TO_CLIENT/CLIENT_READ->RECLAIMING->FREE when the holder is dead | end: any->DEAD (exchange, every
 * slot). Every move but end is a CAS from the expected state, so nothing moves a slot out of DEAD.
 * Entries: register FREE->TAKEN (CAS, by a thread) | retire TAKEN->RETIRING->FREE (by the server,
 * after a probe found the owner dead). An entry is never given back by a living thread: it lasts
 * as long as its owner. Registry entries and presence records are the presence kernel's
 * (`./presence.ts`), whose header has the probe's argument; the summary here is the mailbox's use.
 *
 * Dead holders (a worker terminated in the middle of a call). Each thread proves it is alive with
 * *presence waiters* on a *presence record* (`lease`, `here`; see `./presence.ts` for the record,
 * the probe and why it never calls a living thread gone), once per thread and manager, not per
 * call: before its first claim it takes a registry entry and arms the entry's record, re-armed for
 * as long as the manager runs. A claim then names that record in the slot word by the CAS that
 * claims (so no held slot ever names nobody), and the release's CAS to FREE drops it. When the
 * registry is full, a claim names its slot's own record instead (record id AGENTS + k), which the
 * call arms right after the claim for the length of the call, and disarms (`lease` 0, wake all)
 * before letting the slot go. So:
 * - `lease` <= the owner's waiters on `here` at all times, except after a slot record's `disarm`
 *   (its holder is done with the slot) or after `end` (which wakes every waiter; nothing is
 *   re-armed after it).
 * - Probe (`probe`, by the server only): the presence kernel's. GONE for a slot record may also
 *   mean that its holder disarmed after the probe's CAS: it has finished with the slot, and freeing
 *   it is what it was about to do.
 * - Reap (`reap`, by the server between its own moves, when asked): read every slot word (its
 *   state and record at once); probe every taken entry and every slot record a slot names; then for
 *   each slot naming a gone record, CAS the observed word -> RECLAIMING, clear the slot record's
 *   `lease`, CAS RECLAIMING -> FREE, bump `free`; last, retire each gone entry (`lease` 0, then
 *   FREE), so a new owner starts from `lease` 0 and no slot names it any more.
 * - No ABA: every word a reap observes can come back only through a move of the server (a
 *   TO_CLIENT needs its reply; FREE then CLAIMED needs a release or a reap), so a successful CAS
 *   from the observed word proves the same holding still has the slot. A gone owner runs no code,
 *   so no slot can come to name its entry after the reap read the slots. RECLAIMING keeps claimers
 *   off until the slot record's `lease` is 0 again; `end` may still move it to DEAD (the last CAS
 *   then fails).
 * - When: a claimer that finds no free slot before its (short, growing) deadline adds to `reap`
 *   and rings the bell, as does a thread that finds the registry full; the server reaps before its
 *   next scan.
 * - Every held slot names an armed record, whenever its holder dies (the claim names the entry the
 *   thread armed before claiming), except in the registry-full fallback: a holder terminated
 *   between its claim and arming its slot's record, or between disarming it and the release's CAS
 *   (a few instructions each, no await), leaves `lease` 0, "cannot tell", and its slot is never
 *   reaped (the mailbox explorer test shows both). Not covered either: a thread terminated
 *   between taking its entry and arming it keeps that entry (not a slot) for good, and a thread
 *   whose every waiter was spent by probes while it was blocked (a long synchronous call) is not
 *   reaped if it dies before it runs its event loop again. A probe that lands while a terminated
 *   thread's isolate is still being torn down counts it alive and spends one of its waiters, hence
 *   several.
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
 *   all waiters of each: every sleeper wakes and every later operation sees the end. It also wakes
 *   every presence waiter; owners re-arm only while the manager runs, so none is left behind.
 *
 * @module
 */
import type { Seam, WaitResult } from "../_atomics.ts";
import * as P from "./presence.ts";

/** Word index of the manager's lifecycle state. */
export const STATE = 1;
/** Word index of the number of slots (written once, before the region is shared). */
export const NSLOTS = 2;
/** Word index of the reap-request sequence (claimers that found no free slot add to it). */
export const REAP = 3;
/** Word index of the number of registry entries in use (written once, at init). */
export const NAGENTS = 4;
/** Offset of a slot's own presence record's `lease` word (the registry-full fallback). */
export const LEASE = 3;
/** Offset of a slot's own presence record's `here` word (presence waiters wait on it; always 0). */
export const HERE = 4;
/** Word index of registry entry 0. */
export const AGENT0 = 48;
/** Words per registry entry: gen, lease, here, spare (the presence kernel's entries). */
export const AGENT_WORDS = P.ENTRY_WORDS;
/** Registry entries a region has room for: threads with a presence of their own. */
export const AGENTS = 64;
/** Word index of the server's doorbell (own cache line). */
export const BELL = 16;
/** Word index of the free-slot sequence (own cache line). */
export const FREE = 32;
/** Word index where slot 0 starts (after the registry; on a cache-line boundary). */
export const SLOT0 = AGENT0 + AGENTS * AGENT_WORDS;
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
/** Slot state: the server is freeing the slot of a dead holder. */
export const S_RECLAIMING = 7;

/** Bits of a slot word that hold its state; the bits above name the holder's presence record. */
export const STATE_BITS = 3;
/** Mask of a slot word's state bits. */
export const STATE_MASK = (1 << STATE_BITS) - 1;

/** The slot word of a holding in state `state` whose holder's presence record is `r`. */
export function held(r: number, state: number): number {
  return ((r + 1) << STATE_BITS) | state;
}

/** The state in slot word `word`. */
export function stateOf(word: number): number {
  return word & STATE_MASK;
}

/** The presence record that slot word `word` names (its holder's), or -1 for none. */
export function recordOf(word: number): number {
  return (word >>> STATE_BITS) - 1;
}

/** Slot word `word` moved to state `state` by the same holding. */
function moved(word: number, state: number): number {
  return (word & ~STATE_MASK) | state;
}

/** `claim` found no free slot before its deadline. */
export const TIMED_OUT = -1;
/** The manager ended (read {@linkcode STATE} for how). */
export const ENDED = -2;
/** `register` found every registry entry taken. */
export const FULL = -3;

/** Word index of slot `k`'s state. */
export function slotWord(k: number): number {
  return SLOT0 + k * SLOT_WORDS;
}

/** Byte offset of slot `k`'s payload within the region. */
export function payloadByte(k: number): number {
  return (slotWord(k) + 16) * 4;
}

/** Word index of registry entry `e`'s owner word. */
export function agentWord(e: number): number {
  return AGENT0 + e * AGENT_WORDS;
}

/**
 * Word index of presence record `r`'s `lease` (its `here` is the next word): registry entry `r`
 * below {@linkcode AGENTS}, else slot `r - AGENTS`'s own record.
 */
export function leaseWord(r: number): number {
  return r < AGENTS ? agentWord(r) + 1 : slotWord(r - AGENTS) + LEASE;
}

/**
 * Marks a fresh region as running with `slots` slots and `agents` registry entries (before anyone
 * can see it).
 */
export function init(A: Seam, s: Int32Array, slots: number, agents: number = AGENTS): void {
  if (!(slots >= 1 && slots <= SLOTS)) throw new RangeError(`Bad manager slot count: ${slots}`);
  if (!(agents >= 0 && agents <= AGENTS)) {
    throw new RangeError(`Bad manager registry size: ${agents}`);
  }
  A.store(s, NSLOTS, slots);
  A.store(s, NAGENTS, agents);
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
  // Presence waiters see the end when they wake and are not re-armed.
  const agents = A.load(s, NAGENTS);
  for (let e = 0; e < agents; e++) A.notify(s, leaseWord(e) + 1, Infinity);
  for (let k = 0; k < slots; k++) A.notify(s, leaseWord(AGENTS + k) + 1, Infinity);
  return true;
}

/** The free-slot sequence; read it before {@linkcode tryClaim}, wait on it with {@linkcode awaitFree}. */
export function freeSeq(A: Seam, s: Int32Array): number {
  return A.load(s, FREE);
}

/**
 * Claims a free slot without waiting for the holder of registry entry `e` (its armed presence
 * record), or, with `e` = -1 (no entry), for a holder that arms the slot's own record next: returns
 * the slot's index, ENDED, or TIMED_OUT when none is free. The claiming CAS names the record.
 */
export function tryClaim(A: Seam, s: Int32Array, e: number): number {
  if (A.load(s, STATE) !== RUNNING) return ENDED;
  const slots = A.load(s, NSLOTS);
  for (let k = 0; k < slots; k++) {
    const mine = held(e >= 0 ? e : AGENTS + k, S_CLAIMED);
    if (
      A.load(s, slotWord(k)) === S_FREE &&
      A.compareExchange(s, slotWord(k), S_FREE, mine) === S_FREE
    ) return k;
  }
  return TIMED_OUT;
}

/**
 * Sleeps until the free-slot sequence moves away from `seen` (read before the failed
 * {@linkcode tryClaim}); "timed-out" once `deadline` passes, passing on a wake-up it may have taken.
 */
export function awaitFree(A: Seam, s: Int32Array, seen: number, deadline: number): WaitResult {
  const r = A.wait(s, FREE, seen, deadline);
  // A wake-up that raced with the timeout must not be swallowed: pass it on.
  if (r === "timed-out") A.notify(s, FREE, 1);
  return r;
}

/**
 * Claims a free slot for one request, as {@linkcode tryClaim}; returns its index, ENDED, or
 * TIMED_OUT once `deadline` passes (nothing claimed).
 */
export function claim(A: Seam, s: Int32Array, e: number, deadline: number): number {
  for (;;) {
    // Read the sequence before checking the state and scanning: a release or an end after that
    // changes it, so the wait below returns at once (`end` writes the state before bumping it).
    const seen = freeSeq(A, s);
    const k = tryClaim(A, s, e);
    if (k !== TIMED_OUT) return k;
    if (awaitFree(A, s, seen, deadline) === "timed-out") return TIMED_OUT;
  }
}

/** Asks the server to probe the slots' holders for dead ones (a claimer found none free). */
export function requestReap(A: Seam, s: Int32Array): void {
  A.add(s, REAP, 1);
  ring(A, s);
}

/** The reap-request sequence; the server probes when it moved since its last probe. */
export function reapSeq(A: Seam, s: Int32Array): number {
  return A.load(s, REAP);
}

/**
 * Takes a free registry entry for the calling thread (once per thread and manager, before its
 * first claim): returns its index, which is also its presence record (the mailbox names threads by
 * index, so the entry's presence id stays 0); FULL if every entry is taken, ENDED if the manager
 * ended. The thread arms its presence waiters next (see {@linkcode armed}), then claims.
 */
export function register(A: Seam, s: Int32Array): number {
  if (A.load(s, STATE) !== RUNNING) return ENDED;
  const e = P.register(A, s, AGENT0, A.load(s, NAGENTS), 0);
  return e === P.FULL ? FULL : e;
}

/** The owner of presence record `r` armed `n` more presence waiters on its `here` word. */
export function armed(A: Seam, s: Int32Array, r: number, n: number): void {
  P.armed(A, s, leaseWord(r), n);
}

/**
 * The holder whose presence record is `r` is done with its slot (before freeing it, or after the
 * manager ended): disarms the record if it is the slot's own.
 */
export function letGo(A: Seam, s: Int32Array, r: number): void {
  // No probe may count on its waiters any more; wake them (they are not re-armed).
  if (r >= AGENTS) P.disarm(A, s, leaseWord(r));
}

/**
 * Probes the owner of presence record `r` (server only): the presence kernel's ALIVE (one of its
 * waiters woke and is re-armed), GONE (none although `lease` promised one), or UNKNOWN.
 */
export function probe(A: Seam, s: Int32Array, r: number): number {
  return P.probe(A, s, leaseWord(r));
}

/**
 * Frees slot `k`, observed holding word `word`, whose holder is gone (server only, in the same
 * synchronous run as the observation). Returns false if the slot moved on meanwhile.
 */
export function reclaim(A: Seam, s: Int32Array, k: number, word: number): boolean {
  const w = slotWord(k);
  if (A.compareExchange(s, w, word, S_RECLAIMING) !== word) return false;
  A.store(s, w + LEASE, 0);
  if (A.compareExchange(s, w, S_RECLAIMING, S_FREE) !== S_RECLAIMING) return false;
  A.add(s, FREE, 1);
  A.notify(s, FREE, 1);
  return true;
}

/**
 * Probes every thread that holds a registry entry or a slot, frees the slots of gone holders, then
 * their entries (server only, between its own moves; see "Dead holders"). Sets `freed[k]` for
 * each slot it freed and returns how many.
 */
export function reap(A: Seam, s: Int32Array, freed: boolean[]): number {
  const slots = A.load(s, NSLOTS);
  const agents = A.load(s, NAGENTS);
  const held: number[] = [];
  const named: number[] = [];
  for (let k = 0; k < slots; k++) {
    // The state and the holder's record in one read (see "No ABA").
    const word = A.load(s, slotWord(k));
    held.push(word);
    named.push(recordOf(word));
  }
  const verdict = new Map<number, number>();
  const gens: number[] = [];
  for (let e = 0; e < agents; e++) {
    const gen = A.load(s, agentWord(e));
    gens.push(gen);
    if (P.taken(gen)) verdict.set(e, probe(A, s, e));
  }
  for (let k = 0; k < slots; k++) {
    const r = named[k]!;
    if (r >= AGENTS && !verdict.has(r)) verdict.set(r, probe(A, s, r));
  }
  let n = 0;
  for (let k = 0; k < slots; k++) {
    const r = named[k]!;
    if (r >= 0 && verdict.get(r) === P.GONE && reclaim(A, s, k, held[k]!)) {
      freed[k] = true;
      n++;
    }
  }
  for (let e = 0; e < agents; e++) {
    if (verdict.get(e) === P.GONE) P.retire(A, s, agentWord(e), gens[e]!);
  }
  return n;
}

/**
 * Hands a request chunk (already in slot `k`'s payload) to the server and rings its bell. Returns
 * false if the manager ended.
 */
export function post(A: Seam, s: Int32Array, k: number, bytes: number, total: number): boolean {
  const w = slotWord(k);
  const from = A.load(s, w);
  if (stateOf(from) !== S_CLAIMED && stateOf(from) !== S_SERVER_READ) return false;
  A.store(s, w + 1, bytes);
  A.store(s, w + 2, total);
  if (A.compareExchange(s, w, from, moved(from, S_TO_SERVER)) !== from) return false;
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
    if (stateOf(now) !== S_TO_SERVER) return stateOf(now);
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
  // The spin-then-sleep loop of awaitTaken, written out: a kernel cannot take its wake-up condition
  // as a callback (the derivation refuses the seam inside a nested function).
  const w = slotWord(k);
  let spin = A.spin;
  for (;;) {
    const now = A.load(s, w);
    const state = stateOf(now);
    if (state === S_TO_CLIENT || state === S_DEAD) return state;
    if (state !== S_TO_SERVER && state !== S_SERVER_READ && state !== S_CLIENT_READ) {
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

/**
 * The client, whose presence record is `r`, took a reply chunk from slot `k` and wants the next
 * one. Returns false if the manager ended.
 */
export function takeReplyChunk(A: Seam, s: Int32Array, k: number, r: number): boolean {
  const from = held(r, S_TO_CLIENT);
  if (A.compareExchange(s, slotWord(k), from, held(r, S_CLIENT_READ)) !== from) return false;
  ring(A, s);
  return true;
}

/**
 * The client, whose presence record is `r`, took the last reply chunk: lets go (see
 * {@linkcode letGo}), frees slot `k` and wakes one client waiting for a slot. (Letting go first:
 * after FREE, the slot's record belongs to the next holder.)
 */
export function release(A: Seam, s: Int32Array, k: number, r: number): void {
  letGo(A, s, r);
  const from = held(r, S_TO_CLIENT);
  if (A.compareExchange(s, slotWord(k), from, S_FREE) !== from) return;
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

/** The state of slot `k` (without the holder's record). */
export function slotState(A: Seam, s: Int32Array, k: number): number {
  return stateOf(A.load(s, slotWord(k)));
}

/** The server took the request chunk in slot `k`; wakes its client. False if the manager ended. */
export function takeRequestChunk(A: Seam, s: Int32Array, k: number): boolean {
  const w = slotWord(k);
  const from = A.load(s, w);
  if (stateOf(from) !== S_TO_SERVER) return false;
  if (A.compareExchange(s, w, from, moved(from, S_SERVER_READ)) !== from) return false;
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
  if (stateOf(from) !== S_SERVER_READ && stateOf(from) !== S_CLIENT_READ) return false;
  A.store(s, w + 1, bytes);
  A.store(s, w + 2, total);
  if (A.compareExchange(s, w, from, moved(from, S_TO_CLIENT)) !== from) return false;
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
