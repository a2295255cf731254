/**
 * Task module for the Executor tests.
 *
 * @module
 */
import type { Event } from "../../mod.ts";
import type { ManagedDict } from "../../src/manager/mod.ts";

/** The seed's `square`. */
export function square(x: number): number {
  return x * x;
}

/** Squares `x`, but throws a `RangeError` (with a cause) when `x === bad` (13 by default). */
export function squareUnless(x: number, bad = 13): number {
  if (x === bad) throw new RangeError(`bad item ${x}`, { cause: new Error("inner") });
  return x * x;
}

/** Marks `started[index]`, then blocks its worker until `release` is set; returns `index`. */
export function hold(started: Int32Array, index: number, release: Event): number {
  Atomics.store(started, index, 1);
  Atomics.notify(started, index);
  release.waitSync();
  return index;
}

/** Blocks its worker until `release` is set. */
export function waitFor(release: Event): string {
  release.waitSync();
  return "released";
}

/** `n` atomic increments of `dict[key]` through a manager proxy received as an argument. */
export async function tally(
  dict: ManagedDict<string, number>,
  key: string,
  n: number,
): Promise<number> {
  for (let k = 0; k < n; k++) await dict.update(key, "add", 1);
  return n;
}

/** One item of a map that holds its worker: `hold` with its arguments in an object. */
export interface HoldItem {
  started: Int32Array;
  index: number;
  release: Event;
}

/** `hold(item.started, item.index, item.release)`, for `map`. */
export function holdItem(item: HoldItem): number {
  return hold(item.started, item.index, item.release);
}

/** An initializer that always fails. */
export function failingInit(): void {
  throw new Error("cannot initialize");
}
