/**
 * What each thread holds (locks and semaphores it acquired and has not released), kept by the
 * engine at the specification level and by `sim()`'s calls at the kernel level, for deadlock
 * reports: "T0 (taker) holds a, waits to acquire b", "T0 (taker) holds a, waits in b.acquire()
 * (sleeps on b.state)".
 *
 * @module
 */
import type { AtomicArray } from "../_atomics.ts";
import { SPEC, type Thread } from "./_thread.ts";
import { objectOf } from "./_trace_step.ts";
import { callText } from "./_fold.ts";

/** By thread id: the key words of the units it holds, once per level held. */
export type Holding = Map<number, { a: AtomicArray; i: number }[]>;

/**
 * Keeps `holding` in step with `t`'s call `name` that returned `result`, on the unit whose key word
 * is `key` (at the specification level, the thread's pending step's word; at the kernel level, the
 * object's first word: see `sim/_frame.ts`).
 */
export function hold(
  holding: Holding,
  t: Thread,
  key: { a: AtomicArray; i: number },
  name: string,
  result: unknown,
): void {
  const held = holding.get(t.id) ?? [];
  if (name === "acquire" || name === "tryAcquire" && result === true) {
    held.push({ a: key.a, i: key.i });
  } else if (name === "release") {
    const k = held.findLastIndex((h) => h.a === key.a && h.i === key.i);
    if (k >= 0) held.splice(k, 1);
  } else return;
  holding.set(t.id, held);
}

/**
 * The deadlocked threads `sleepers`, with addresses named by `name`: `T0 (taker) holds a, waits to
 * acquire b` at the specification level, `T0 (taker) holds a, waits in b.acquire() (sleeps on
 * b.state)` at the kernel level (`T0 (taker) sleeps on flag` outside any `sim()` call).
 */
export function deadlockNames(
  name: ((a: AtomicArray, i: number) => string) | undefined,
  sleepers: Thread[],
  holding: Holding,
): string {
  if (name === undefined) return sleepers.map((t) => `T${t.id} (${t.name})`).join(", ");
  const object = (a: AtomicArray, i: number) => objectOf(name(a, i));
  return sleepers.map((t) => {
    let held = [...new Set((holding.get(t.id) ?? []).map((h) => object(h.a, h.i)))];
    const frame = t.frame;
    const callee = frame &&
      object(new Int32Array(frame.object.buffer, frame.object.byteOffset, 1), 0);
    // A condition's wait gives its lock back while it sleeps.
    if (frame?.method.startsWith("wait")) held = held.filter((h) => h !== callee);
    const holds = held.length > 0 ? `holds ${held.join(", ")}, ` : "";
    const at = t.op === SPEC
      ? `waits to ${t.spec!.name} ${object(t.a, t.i)}`
      : frame !== undefined
      ? `waits in ${callee}.${callText(frame)} (sleeps on ${name(t.a, t.i)})`
      : `sleeps on ${name(t.a, t.i)}`;
    return `T${t.id} (${t.name}) ${holds}${at}`;
  }).join("; ");
}
