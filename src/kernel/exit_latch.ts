/**
 * Exit-latch kernel: how a `Process` records, once, that its worker ended and with which exit code,
 * so that `joinSync()` can block on it and `exitCode` / `isAlive` read it without a message (see
 * `src/pool/process.ts`).
 *
 * Shared layout: Int32Array `s` over the process's latch region ({@linkcode BYTES} bytes).
 * | index | field | written by                                   | meaning                       |
 * | 0     | tag   | the parent, once                             | TAG.ProcessLatch              |
 * | 1     | state | the closer (the child before it exits, or    | RUNNING=0, CLOSING=2 (code    |
 * |       |       | the parent once it saw the worker end):      | being recorded), EXITED=1     |
 * |       |       | CAS RUNNING->CLOSING once, then store EXITED |                               |
 * | 2     | code  | whoever won the CAS, before storing EXITED   | the exit code                 |
 * | 3     | seq   | whoever won the CAS, after storing EXITED    | 0, then 1: the word waited on |
 *
 * Transitions: close RUNNING->CLOSING (CAS, the one writer), store code, store state EXITED, add seq,
 * notify all. A second close (the parent after the child already closed it) fails its CAS and
 * changes nothing, so the first recorded code stands. Readers take CLOSING for RUNNING: `exitCode`
 * is null and `join` waits until EXITED.
 *
 * Invariant: a joiner sleeps on `seq` only while it is 0, and the closer bumps `seq` after storing
 * EXITED and before notifying: a joiner either sees EXITED / seq 1, or is asleep when the notify
 * comes. No lost wake-up.
 * Synchronizes-with: the closer's store of `code` precedes its store of EXITED, which a reader sees
 * before it reads `code`.
 *
 * @module
 */
import type { Seam } from "../_atomics.ts";

// The functions below use module-private twins of the exported constants: V8 reads an exported
// binding through its module cell at every use (~7% of an uncontended pair, see src/kernel/lock.ts).
const $STATE = 1;
const $CODE = 2;
const $SEQ = 3;
const $RUNNING = 0;
const $CLOSING = 2;
const $EXITED = 1;

/** Word index of the state. */
export const STATE: number = $STATE;
/** Word index of the exit code. */
export const CODE: number = $CODE;
/** Word index of the sequence word joiners sleep on. */
export const SEQ: number = $SEQ;
/** Bytes of the latch region. */
export const BYTES = 16;

/** The worker runs (or has not started). */
export const RUNNING: number = $RUNNING;
/** The exit code is being recorded. */
export const CLOSING: number = $CLOSING;
/** The worker ended; `code` holds its exit code. */
export const EXITED: number = $EXITED;

/** Records that the worker ended with `code`; false (nothing changed) if already recorded. */
export function close(A: Seam, s: Int32Array, code: number): boolean {
  if (A.compareExchange(s, $STATE, $RUNNING, $CLOSING) !== $RUNNING) return false;
  A.store(s, $CODE, code);
  A.store(s, $STATE, $EXITED);
  // Bump seq after the state, then wake every joiner: one sleeping on seq 0 is woken, one about to
  // sleep finds seq 1 and does not.
  A.add(s, $SEQ, 1);
  A.notify(s, $SEQ, Infinity);
  return true;
}

/** The exit code, or null while the worker runs. */
export function exitCode(A: Seam, s: Int32Array): number | null {
  if (A.load(s, $STATE) !== $EXITED) return null;
  return A.load(s, $CODE);
}

/** Waits until the exit is recorded or `deadline` passes; returns whether it is recorded. */
export function join(A: Seam, s: Int32Array, deadline: number): boolean {
  for (let n = A.spin; n > 0; n--) {
    if (A.load(s, $STATE) === $EXITED) return true;
    A.pause();
  }
  while (A.load(s, $STATE) !== $EXITED) {
    // No lost wake-up: we sleep only while seq is 0, and the closer bumps it before notifying.
    if (A.wait(s, $SEQ, 0, deadline) === "timed-out") return A.load(s, $STATE) === $EXITED;
  }
  return true;
}
