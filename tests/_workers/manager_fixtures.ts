/**
 * Worker-side bodies for the Manager tests: they receive proxies as arguments (revived by the
 * harness) and call the manager's server from their own thread.
 *
 * @module
 */
import type { Managed, ManagedDict, ManagedList, ManagedObject } from "../../src/manager/mod.ts";
import { allRunning, contend } from "../_contention.ts";
import type { Counter } from "./manager_types.ts";

/**
 * Atomic increments of `dict["count"]` and appends of `[who, k]` to `list`, interleaved, started
 * together with the probe's other parties and repeated until the probe counted enough calls made
 * while every party was calling; returns how many of each it made.
 */
export function countAndAppend(
  dict: ManagedDict<string, number>,
  list: ManagedList<[number, number]>,
  who: number,
  probe: Int32Array,
): Promise<number> {
  let k = 0;
  return contend(probe, () => allRunning(probe), async () => {
    await dict.update("count", "add", 1);
    await list.append([who, k++]);
  });
}

/** `n` calls of a registered counter's non-atomic `increment`. */
export async function incrementCounter(counter: ManagedObject, n: number): Promise<number> {
  const c = counter as Managed<Counter>;
  let last = 0;
  for (let k = 0; k < n; k++) last = await c.increment();
  return last;
}

/** What the worker received: the proxy's class name and a value read through it. */
export async function describeProxy(dict: ManagedDict<string, string>): Promise<[string, string]> {
  return [dict.constructor.name, (await dict.get("greeting")) ?? "missing"];
}

/** Round-trips a long value through the manager from a worker. */
export async function echoLong(list: ManagedList<string>, length: number): Promise<number> {
  await list.append("y".repeat(length));
  return ((await list.get(-1)) ?? "").length;
}

/**
 * Starts a call that will not be answered (`hang()`), signals `started` (word 0 becomes 1), and
 * reports how the call ended: the error's name.
 */
export async function pendingCall(obj: ManagedObject, started: Int32Array): Promise<string> {
  const call = (obj as Managed<{ hang(): Promise<never> }>).hang();
  Atomics.store(started, 0, 1);
  Atomics.notify(started, 0);
  try {
    await call;
    return "resolved";
  } catch (e) {
    return (e as Error).name;
  }
}

/** The name of the error a call through `dict` rejects with, or "resolved". */
export async function callAfterEnd(dict: ManagedDict<string, number>): Promise<string> {
  try {
    await dict.get("x");
    return "resolved";
  } catch (e) {
    return (e as Error).name;
  }
}

/**
 * `n` concurrent calls of a registered `Gate`'s `pass` (see manager_types.ts), as callers `first`,
 * `first + 1`, ...; resolves once the gate opens.
 */
export async function passGate(gate: ManagedObject, first: number, n: number): Promise<number[]> {
  const g = gate as Managed<{ pass(who: number): Promise<number> }>;
  return await Promise.all(Array.from({ length: n }, (_, i) => g.pass(first + i)));
}

/** `n` concurrent atomic increments of `dict[key]`; the values they returned, sorted. */
export async function addConcurrently(
  dict: ManagedDict<string, number>,
  key: string,
  n: number,
): Promise<number[]> {
  const values = await Promise.all(Array.from({ length: n }, () => dict.update(key, "add", 1)));
  return values.sort((a, b) => a - b);
}
