/**
 * Worker-side bodies for the Barrier tests.
 *
 * @module
 */
import { Barrier, BrokenBarrierError } from "../../mod.ts";
import { together } from "../_contention.ts";

/**
 * Crosses `barrier` `n` times. Before generation g it raises `arrivals[g]`; after it, it checks that
 * every party had arrived (`arrivals[g] === parties`) and that the action of generation g had run
 * (`actions[0] > g`), counting violations in `errors[0]`, and counts its index in
 * `slots[g * parties + index]`. This side's action counts generations in `actions[0]` and checks
 * that all parties of its generation had arrived. Starts together with the probe's other parties.
 */
export function generations(
  shared: Barrier,
  n: number,
  arrivals: Int32Array,
  slots: Int32Array,
  actions: Int32Array,
  errors: Int32Array,
  useAsync: boolean,
  probe: Int32Array,
): Promise<number> {
  const parties = shared.parties;
  const barrier = Barrier.from(shared, {
    action: () => {
      const g = Atomics.load(actions, 0);
      if (Atomics.load(arrivals, g) !== parties) Atomics.add(errors, 0, 1);
      Atomics.add(actions, 0, 1);
    },
  });
  return together(probe, async () => {
    for (let g = 0; g < n; g++) {
      Atomics.add(arrivals, g, 1);
      const index = useAsync ? await barrier.wait() : barrier.waitSync();
      if (Atomics.load(arrivals, g) !== parties) Atomics.add(errors, 0, 1);
      if (Atomics.load(actions, 0) <= g) Atomics.add(errors, 0, 1);
      Atomics.add(slots, g * parties + index, 1);
    }
    return n;
  });
}

/** Waits once (blocking, optional timeout) and reports the outcome: the index or the error name. */
export function waitOnce(barrier: Barrier, timeout?: number): string {
  try {
    return String(barrier.waitSync(timeout === undefined ? undefined : { timeout }));
  } catch (e) {
    if (e instanceof BrokenBarrierError) {
      const cause = e.cause as Error | undefined;
      return cause ? `BrokenBarrierError(${cause.name})` : "BrokenBarrierError";
    }
    return (e as Error).name;
  }
}
