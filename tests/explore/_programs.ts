/**
 * Random programs for differential tests of the search: 2 or 3 threads of 1 to 3 operations on
 * two words, among them plain, timed and abortable waits, CAS failures, pauses and spin loops.
 */
import fc from "fast-check";
import { currentThread, SIM } from "../../src/explore/_engine.ts";
import { type Scenario, sim } from "../../src/explore/mod.ts";

/** One operation of a random program. */
export type Op = {
  k:
    | "load"
    | "store"
    | "add"
    | "cas"
    | "xchg"
    | "wait"
    | "waitT"
    | "waitA"
    | "notify"
    | "pause"
    | "spin"
    | "rewait";
  c: number;
  v: number;
  w: number;
};

/** Every kind of operation. */
export const KINDS: readonly Op["k"][] = [
  "load",
  "store",
  "add",
  "cas",
  "xchg",
  "wait",
  "waitT",
  "waitA",
  "notify",
  "pause",
  "spin",
  "rewait",
];

/** Random programs of the operations of `kinds`. */
export function programs(kinds: readonly Op["k"][] = KINDS): fc.Arbitrary<Op[][]> {
  const op: fc.Arbitrary<Op> = fc.record({
    k: fc.constantFrom(...kinds),
    c: fc.nat({ max: 1 }),
    v: fc.nat({ max: 2 }),
    w: fc.nat({ max: 2 }),
  });
  return fc.array(fc.array(op, { minLength: 1, maxLength: 3 }), { minLength: 2, maxLength: 3 });
}

/** The scenario of a random program; each thread returns what its operations returned. */
export function program(threads: Op[][]): Scenario<{ m: Int32Array }> {
  return {
    setup: () => ({ m: new Int32Array(new SharedArrayBuffer(8)) }),
    threads: threads.map((ops) =>
      function* t({ m }: { m: Int32Array }) {
        const seen: unknown[] = [];
        const s = sim(m);
        for (const o of ops) {
          if (o.k === "load") seen.push(yield* s.load(o.c));
          else if (o.k === "store") yield* s.store(o.c, o.v);
          else if (o.k === "add") seen.push(yield* s.add(o.c, o.v));
          else if (o.k === "cas") seen.push(yield* s.compareExchange(o.c, o.v, o.w));
          else if (o.k === "xchg") seen.push(yield* s.exchange(o.c, o.v));
          else if (o.k === "wait") seen.push(yield* s.wait(o.c, o.v));
          else if (o.k === "waitT") seen.push(yield* s.wait(o.c, o.v, { timeout: 1 }));
          else if (o.k === "waitA") {
            // An abortable sleep: its abort leaves the list and wakes the word's other waiters.
            currentThread().abortable = true;
            seen.push(yield* SIM.wait(m, o.c, o.v, Infinity));
            currentThread().abortable = false;
          } else if (o.k === "notify") seen.push(yield* s.notify(o.c, o.w));
          else if (o.k === "pause") yield* s.pause();
          else if (o.k === "spin") {
            // A spin with a budget of 2: awaits a change, or runs out when nobody else can move.
            for (let n = 0; n < 2 && (yield* s.load(o.c)) === o.v; n++) yield* s.pause();
          } else {
            // Re-waits on the same value while the wait returns "not-equal" (at most twice).
            for (let n = 0; n < 2; n++) {
              const r = yield* s.wait(o.c, o.v, { timeout: 1 });
              seen.push(r);
              if (r !== "not-equal") break;
            }
          }
        }
        return seen.join(",");
      }
    ),
  };
}
