/**
 * Worker-side bodies for the Condition tests: a bounded buffer guarded by one lock and two
 * conditions, `notEmpty` and `notFull`.
 *
 * Buffer layout (Int32Array, accessed only under the lock): [head, tail, count, ...slots].
 * Each body stands twice, blocking (`*Sync`) and Promise form, as the API it tests: one body
 * cannot both block its thread and await.
 *
 * @module
 */
import type { Condition } from "../../mod.ts";
import { together, togetherSync } from "../_contention.ts";

const HEAD = 0;
const TAIL = 1;
const COUNT = 2;
const SLOTS = 3;

function capacity(buf: Int32Array): number {
  return buf.length - SLOTS;
}

function put(buf: Int32Array, value: number): void {
  const tail = buf[TAIL]!;
  buf[SLOTS + tail] = value;
  buf[TAIL] = (tail + 1) % capacity(buf);
  buf[COUNT] = buf[COUNT]! + 1;
}

function take(buf: Int32Array): number {
  const head = buf[HEAD]!;
  const value = buf[SLOTS + head]!;
  buf[HEAD] = (head + 1) % capacity(buf);
  buf[COUNT] = buf[COUNT]! - 1;
  return value;
}

/** Puts `first`, `first + 1`, ... (`n` items), blocking form. */
export function produceSync(
  notEmpty: Condition,
  notFull: Condition,
  buf: Int32Array,
  first: number,
  n: number,
  probe: Int32Array,
): number {
  return togetherSync(probe, () => {
    for (let k = 0; k < n; k++) {
      using _ = notFull.acquireSync();
      notFull.waitForSync(() => buf[COUNT]! < capacity(buf));
      put(buf, first + k);
      notEmpty.notify();
    }
    return n;
  });
}

/** Same as {@linkcode produceSync}, Promise form. */
export function produceAsync(
  notEmpty: Condition,
  notFull: Condition,
  buf: Int32Array,
  first: number,
  n: number,
  probe: Int32Array,
): Promise<number> {
  return together(probe, async () => {
    for (let k = 0; k < n; k++) {
      using _ = await notFull.acquire();
      await notFull.waitFor(() => buf[COUNT]! < capacity(buf));
      put(buf, first + k);
      notEmpty.notify();
    }
    return n;
  });
}

/** Takes `n` items, counting each in `seen[item]`, blocking form; plain waits in a loop. */
export function consumeSync(
  notEmpty: Condition,
  notFull: Condition,
  buf: Int32Array,
  seen: Int32Array,
  n: number,
  probe: Int32Array,
): number {
  return togetherSync(probe, () => {
    for (let k = 0; k < n; k++) {
      using _ = notEmpty.acquireSync();
      while (buf[COUNT] === 0) notEmpty.waitSync();
      Atomics.add(seen, take(buf), 1);
      notFull.notify();
    }
    return n;
  });
}

/** Same as {@linkcode consumeSync}, Promise form. */
export function consumeAsync(
  notEmpty: Condition,
  notFull: Condition,
  buf: Int32Array,
  seen: Int32Array,
  n: number,
  probe: Int32Array,
): Promise<number> {
  return together(probe, async () => {
    for (let k = 0; k < n; k++) {
      using _ = await notEmpty.acquire();
      while (buf[COUNT] === 0) await notEmpty.wait();
      Atomics.add(seen, take(buf), 1);
      notFull.notify();
    }
    return n;
  });
}

/**
 * Takes the condition's RLock `depth` times, waits (with `timeout`, or until notified), and reports
 * the recursion count it holds afterwards and how the wait ended. `steps[0]` is raised (and
 * notified) just before the wait, under the lock.
 */
export function nestedWait(
  cond: Condition,
  depth: number,
  timeout: number,
  steps: Int32Array,
): { outcome: string; recursionCount: number } {
  for (let k = 0; k < depth; k++) cond.acquireSync();
  let outcome = "notified";
  Atomics.store(steps, 0, 1);
  Atomics.notify(steps, 0);
  try {
    cond.waitSync({ timeout });
  } catch (e) {
    outcome = (e as Error).name;
  }
  const lock = cond.lock as { recursionCount(): number };
  const recursionCount = lock.recursionCount();
  for (let k = 0; k < depth; k++) cond.release();
  return { outcome, recursionCount };
}
