/**
 * Event kernel: the shared-memory algorithm of `Event`, a flag that `set` raises (waking every
 * waiter) and `clear` lowers.
 *
 * Shared layout: Int32Array `e` over the event's region, 12 bytes (padded to one cache line).
 * | index | field   | written by               | meaning                                          |
 * | 0     | tag     | constructor, once        | TAG.Event                                        |
 * | 1     | state   | set / clear (CAS)        | bit 0: the flag; bits 1..31: generation, the     |
 * |       |         |                          | number of clear->set transitions (mod 2^31)      |
 * | 2     | waiters | wait (add/sub)           | waiters that may sleep on `state`                |
 *
 * Transitions:
 * - set: (g, 0) -> (g+1, 1) (CAS), then notify all sleepers if `waiters` > 0; (g, 1) unchanged.
 * - clear: (g, 1) -> (g, 0) (CAS); (g, 0) unchanged.
 * - wait: returns at once if the flag is up; else, having read state (g, 0), raises `waiters` and
 *   sleeps while state === (g, 0). It returns as soon as state differs from (g, 0): the only
 *   transition out of a lowered flag is a set, so a change means "set happened since I started",
 *   even if a clear already followed (Python semantics: a waiter released by `set` stays released;
 *   the generation keeps a quick set-then-clear from looking like "nothing happened").
 *
 * Invariant: a waiter sleeps only while state equals the value it read with the flag down. No lost
 * wake-up: the waiter raises `waiters` before the wait's atomic check-and-sleep, and set changes
 * state before it reads `waiters`, so either the wait sees the new state or set sees the waiter and
 * notifies (sequential consistency orders both write-then-read pairs).
 * Synchronizes-with: set's CAS of `state` is read by the waiter's load after waking.
 *
 * @module
 */
import type { Seam } from "../_atomics.ts";

// The functions below use module-private twins of the exported constants: V8 reads an exported
// binding through its module cell at every use (~7% of an uncontended pair, see src/kernel/lock.ts).
const $STATE = 1;
const $WAITERS = 2;
const $FLAG = 1;

/** Word index of the flag and generation. */
export const STATE: number = $STATE;
/** Word index of the number of waiters that may sleep. */
export const WAITERS: number = $WAITERS;
/** Bytes the event's region needs. */
export const BYTES = 12;
/** The name of each word, by index (for traces). */
export const FIELDS: readonly string[] = ["tag", "state", "waiters"];

/** The flag bit of `state`. */
export const FLAG: number = $FLAG;

/** Raises the flag and wakes every waiter; does nothing if it is already up. */
export function set(A: Seam, e: Int32Array): void {
  let v = A.load(e, $STATE);
  for (;;) {
    if ((v & $FLAG) !== 0) return;
    // Next generation, flag up; the generation wraps within 31 bits.
    const seen = A.compareExchange(e, $STATE, v, (((v >>> 1) + 1) << 1) | $FLAG);
    if (seen === v) break;
    v = seen;
  }
  // Read `waiters` only after changing state (see the invariant above).
  if (A.load(e, $WAITERS) > 0) A.notify(e, $STATE, Infinity);
}

/** Lowers the flag; does nothing if it is down. Never wakes anyone. */
export function clear(A: Seam, e: Int32Array): void {
  let v = A.load(e, $STATE);
  while ((v & $FLAG) !== 0) {
    const seen = A.compareExchange(e, $STATE, v, v & ~$FLAG);
    if (seen === v) return;
    v = seen;
  }
}

/** Whether the flag is up (a snapshot). */
export function isSet(A: Seam, e: Int32Array): boolean {
  return (A.load(e, $STATE) & $FLAG) !== 0;
}

/**
 * Returns true once the flag is up or has been raised since the call began; false (nothing changed)
 * if `deadline` passes first.
 */
export function wait(A: Seam, e: Int32Array, deadline: number): boolean {
  const v = A.load(e, $STATE);
  if ((v & $FLAG) !== 0) return true;
  // Spin briefly: a cross-core wake-up costs ~40 µs here.
  for (let n = A.spin; n > 0; n--) {
    A.pause();
    if (A.load(e, $STATE) !== v) return true;
  }
  // Announce a sleeper before the wait's check, so set either changes state first or notifies us.
  A.add(e, $WAITERS, 1);
  for (;;) {
    // No lost wake-up: we sleep only while state === v, and set changes it before notifying.
    const result = A.wait(e, $STATE, v, deadline);
    if (A.load(e, $STATE) !== v) {
      A.sub(e, $WAITERS, 1);
      return true;
    }
    if (result === "timed-out") {
      A.sub(e, $WAITERS, 1);
      return false;
    }
  }
}
