/**
 * What each thread holds at the specification level (locks and semaphores it acquired and has not
 * released), kept by the engine for deadlock reports: "T0 (taker) holds a, waits to acquire b".
 *
 * @module
 */
import type { AtomicArray } from "../_atomics.ts";
import { SPEC, type Thread } from "./_thread.ts";
import { objectOf } from "./_trace_step.ts";

/** By thread id: the key words of the units it holds, once per level held. */
export type Holding = Map<number, { a: AtomicArray; i: number }[]>;

/** Keeps `holding` in step with `t`'s specification-level call `name` that returned `result`. */
export function hold(holding: Holding, t: Thread, name: string, result: unknown): void {
  const held = holding.get(t.id) ?? [];
  if (name === "acquire" || name === "tryAcquire" && result === true) {
    held.push({ a: t.a, i: t.i });
  } else if (name === "release") {
    const k = held.findLastIndex((h) => h.a === t.a && h.i === t.i);
    if (k >= 0) held.splice(k, 1);
  } else return;
  holding.set(t.id, held);
}

/**
 * The deadlocked threads `sleepers`, with addresses named by `name`: `T0 (taker) holds a, waits to
 * acquire b` at the specification level, `T0 (taker) sleeps on a.state` at the kernel level.
 */
export function deadlockNames(
  name: ((a: AtomicArray, i: number) => string) | undefined,
  sleepers: Thread[],
  holding: Holding,
): string {
  if (name === undefined) return sleepers.map((t) => `T${t.id} (${t.name})`).join(", ");
  const object = (a: AtomicArray, i: number) => objectOf(name(a, i));
  return sleepers.map((t) => {
    const held = [...new Set((holding.get(t.id) ?? []).map((h) => object(h.a, h.i)))];
    const holds = held.length > 0 ? `holds ${held.join(", ")}, ` : "";
    const at = t.op === SPEC
      ? `waits to ${t.spec!.name} ${object(t.a, t.i)}`
      : `sleeps on ${name(t.a, t.i)}`;
    return `T${t.id} (${t.name}) ${holds}${at}`;
  }).join("; ");
}
