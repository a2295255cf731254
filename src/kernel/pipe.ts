/**
 * Pipe kernel: the shared state of one `Pipe` connection (an end). The data itself flows through
 * two queues (kernel `src/kernel/queue.ts`), one per direction; this region only records the end's
 * mode and whether it was closed, so that every clone of the end agrees.
 *
 * Shared layout: Int32Array `s` over the connection's region, 12 bytes (padded to one cache line).
 * | index | field  | written by        | meaning                                          |
 * | 0     | tag    | constructor, once | TAG.Pipe                                         |
 * | 1     | mode   | constructor, once | CAN_RECV | CAN_SEND (bits)                       |
 * | 2     | closed | close (exchange)  | 0 open, 1 closed                                 |
 *
 * Transitions: closed 0->1 once (exchange; the caller that sees 0 closes the queues). No waits and
 * no notifies here: waiting happens in the queues, whose close wakes their waiters.
 *
 * Not derived into `src/kernel_gen/` (see `NOT_DERIVED` in `tools/derive_kernels.ts`): nothing here
 * waits, so a generator form would suspend nowhere, and `Connection` runs it through `REAL` only.
 *
 * @module
 */
import type { Seam } from "../_atomics.ts";

// The functions below use module-private twins of the exported constants: V8 reads an exported
// binding through its module cell at every use (~7% of an uncontended pair, see src/kernel/lock.ts).
const $MODE = 1;
const $CLOSED = 2;

/** Word index of the mode bits. */
export const MODE: number = $MODE;
/** Word index of the closed flag. */
export const CLOSED: number = $CLOSED;
/** Bytes the region needs. */
export const BYTES = 12;
/** Names of the region's words, for traces. */
export const FIELDS: readonly string[] = ["tag", "mode", "closed"];

/** Mode bit: the end can receive. */
export const CAN_RECV = 1;
/** Mode bit: the end can send. */
export const CAN_SEND = 2;

/** Marks the end closed; true for the one call that closed it. */
export function close(A: Seam, s: Int32Array): boolean {
  return A.exchange(s, $CLOSED, 1) === 0;
}

/** Whether the end is closed. */
export function closed(A: Seam, s: Int32Array): boolean {
  return A.load(s, $CLOSED) !== 0;
}

/** The end's mode bits (constant after creation). */
export function mode(A: Seam, s: Int32Array): number {
  return A.load(s, $MODE);
}
