/**
 * Double-checked initialisation of a shared value: `state[0]` says whether `state[1]` holds it.
 * `instance` checks the flag with a plain read before taking the lock, so a reader can see the flag
 * set by another thread with no synchronization at all. Expected: a data race on the flag.
 * `instanceSafe` reads and writes the flag with `Atomics`, which orders the value's plain write
 * before any reader that sees the flag: no race, every caller gets 42.
 *
 * @module
 */
import type { Lock } from "../../../mod.ts";

/** The value, initialising it on first use (the broken pattern). */
export function instance(state: Int32Array, lock: Lock): number {
  if (state[0] === 0) {
    using _ = lock.acquireSync();
    if (state[0] === 0) {
      state[1] = 42;
      state[0] = 1;
    }
  }
  return state[1]!;
}

/** The value, initialising it on first use, with an atomic flag. */
export function instanceSafe(state: Int32Array, lock: Lock): number {
  if (Atomics.load(state, 0) === 0) {
    using _ = lock.acquireSync();
    if (Atomics.load(state, 0) === 0) {
      state[1] = 42;
      Atomics.store(state, 0, 1);
    }
  }
  return state[1]!;
}
