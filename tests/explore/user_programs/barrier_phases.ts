/**
 * Two phases separated by a `Barrier`: each worker writes its own slot (a plain write), waits at the
 * barrier, then reads every slot. Expected: no data race (the barrier orders phase 1 before phase
 * 2) and every worker sums every slot.
 *
 * @module
 */
import type { Barrier } from "../../../mod.ts";

/** Writes slot `me`, waits for the others, returns the sum of all slots. */
export function phases(slots: Int32Array, barrier: Barrier, me: number): number {
  slots[me] = me + 1;
  barrier.waitSync();
  let sum = 0;
  for (let k = 0; k < slots.length; k++) sum += slots[k]!;
  return sum;
}
