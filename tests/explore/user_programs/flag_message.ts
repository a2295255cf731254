/**
 * Message passing through a flag without `Atomics`: the sender writes the data, then raises the
 * flag; the receiver spins on the flag, then reads the data. Plain accesses give no ordering (the
 * reader may never see the flag, or see it before the data). Expected: a data race on the flag.
 *
 * @module
 */

/** Publishes `value` in `data[0]`, then raises `flag[0]`. */
export function send(data: Int32Array, flag: Int32Array, value: number): void {
  data[0] = value;
  flag[0] = 1;
}

/** Waits for `flag[0]`, then returns `data[0]`. */
export function receive(data: Int32Array, flag: Int32Array): number {
  while (flag[0] === 0) {
    // spin
  }
  return data[0]!;
}
