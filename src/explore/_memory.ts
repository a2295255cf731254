/**
 * What shared memory held before a failing schedule's first step, so that pictures of the failure
 * can show every word's value from the start (a trace records what each step read and wrote, not
 * the value under a word's first blind write).
 *
 * A copy of a fresh state's memory is taken before the failing schedule is replayed, and read back
 * at the addresses the replay touched: in snapshot mode the replay runs on the same buffers; in
 * setup mode on a new state whose buffers come in the same order (`setup()` is deterministic).
 *
 * @module
 */
import { type Execution, PAUSE } from "./_engine.ts";
import { Namer, type Ready } from "./_scenario.ts";

/** A copy of the memory of a fresh state of `p` (call it before replaying a schedule). */
export function memoryBefore(p: Ready): Uint8Array[] {
  return p.memoryOf(p.fresh()).map((words) => new Uint8Array(words.buffer).slice());
}

type ArrayConstructor = new (
  buffer: ArrayBuffer,
  byteOffset: number,
  length: number,
) => ArrayLike<number | bigint>;

/**
 * The value, in `before`, of every address the recorded execution `ex` touched, by name; addresses
 * outside the scenario's shared state are left out.
 */
export function initialValues(
  before: readonly Uint8Array[],
  p: Ready,
  ex: Execution,
): Record<string, number | bigint> {
  const buffers = p.memoryOf(ex.shared).map((words) => words.buffer);
  const namer = new Namer(ex.shared);
  const out: Record<string, number | bigint> = {};
  for (const e of ex.events ?? []) {
    if (e.op === PAUSE) continue;
    const name = namer.name(e.a, e.i);
    const copy = before[buffers.indexOf(e.a.buffer)];
    if (name in out || copy === undefined) continue;
    const view = new (e.a.constructor as ArrayConstructor)(
      copy.buffer as ArrayBuffer,
      e.a.byteOffset,
      e.a.length,
    );
    const v = view[e.i];
    if (v !== undefined) out[name] = v;
  }
  return out;
}
