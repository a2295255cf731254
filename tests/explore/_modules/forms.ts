/**
 * Constructs the explorer derives a generator form for, each in a function whose result the test
 * compares with a plain call of the same function (`tests/explore/module_test.ts`).
 *
 * @module
 */
import type { Barrier, Event, Lock, Queue, Semaphore, SharedArray, Value } from "../../../mod.ts";
import { half } from "./helper.ts";

/** Assignments, compound assignments, prefix and postfix updates of elements. */
export function arithmetic(a: Int32Array): number[] {
  const out: number[] = [];
  a[0] = 5;
  a[0] += 2;
  out.push(a[0]!++);
  out.push(++a[0]!);
  a[1] = a[0]! * 2;
  a[1] -= 3;
  out.push(a[0]!, a[1]!);
  return out;
}

/** Plain accesses to floats go through their bits. */
export function floats(f: Float64Array, g: Float32Array): number[] {
  f[0] = 1.5;
  f[0] *= 3;
  g[1] = 0.1;
  return [f[0]!, g[1]!];
}

/** And to 64-bit integers. */
export function bigints(b: BigInt64Array): bigint {
  b[0] = 2n ** 40n;
  b[0]++;
  return b[0]!;
}

/** A `Value`'s property. */
export function values(v: Value<"i">): number {
  v.value = 3;
  v.value += 4;
  v.value++;
  return v.value;
}

/** A `using` block that throws still releases. */
export function guarded(lock: Lock, v: Value<"i">): string {
  try {
    using _ = lock.acquireSync();
    v.value = 1;
    throw new RangeError("inside");
  } catch (e) {
    return `${(e as Error).message} ${lock.locked()}`;
  }
}

/** Nested blocks release in reverse order. */
export function nested(a: Lock, b: Lock): boolean[] {
  const seen: boolean[] = [];
  {
    using _a = a.acquireSync();
    {
      using _b = b.acquireSync();
      seen.push(a.locked(), b.locked());
    }
    seen.push(b.locked());
  }
  seen.push(a.locked());
  return seen;
}

const double = (x: number) => x * 2;
const first = (a: Int32Array) => a[0]!;

/** Calls between the module's functions are followed; a pure helper passed as a value runs plain. */
export function helpers(a: Int32Array): number[] {
  a[0] = 21;
  return [double(first(a)), ...[1, 2].map(double), half(a)];
}

/** Promise forms of Interlock operations. */
export async function awaited(lock: Lock, queue: Queue<number>): Promise<number> {
  {
    using _ = await lock.acquire();
  }
  await queue.put(7);
  return await queue.get();
}

/** An optional call on an absent object. */
export function optional(barrier?: Barrier): string {
  barrier?.waitSync();
  return "passed";
}

/** A semaphore's value property and its methods. */
export function semaphores(s: Semaphore): number[] {
  s.acquireSync();
  const held = s.value;
  s.release(2);
  return [held, s.value];
}

/** An event. */
export function events(e: Event): boolean {
  e.set();
  e.waitSync();
  return e.isSet();
}

/** A SharedArray's methods and its plain view. */
export function arrays(sa: SharedArray<"d">): number[] {
  sa.set(0, 5);
  sa.set(1, sa.get(0) + 1);
  const view = sa.view;
  view[2] = 2.5;
  return sa.toArray();
}
