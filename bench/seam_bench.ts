/**
 * The cost of the atomics seam and of the `Lock` and `Semaphore` classes on an uncontended lock.
 *
 * Situation modelled: "Uncontended" in Go's `mutex_test.go`: one thread takes and gives back a lock
 * that nobody else wants (the common case of a lock guarding rarely shared state). Whatever this
 * costs beyond raw `Atomics` is pure overhead of the abstraction, paid on every acquire.
 *
 * Each sample runs {@linkcode PAIRS} acquire/release pairs, so the harness's own per-call overhead
 * does not blur the comparison (divide by 1,000 for one pair). Every group has a hand-written
 * baseline measured in the same run; read the ratios, not the absolute times.
 *
 * Two ways to run it:
 * - `deno bench --allow-read --allow-env --allow-sys bench/seam_bench.ts` (part of `deno task bench`):
 *   `Deno.bench` groups, ratios of averages.
 * - `deno run --allow-read bench/seam_bench.ts [rounds]`: the same cases, interleaved round by round
 *   (every case once per round, 60 rounds by default), printing per case the median time and the
 *   median of its per-round ratios to the group's baseline. On a shared, noisy machine this is the
 *   figure to trust: a slow moment hits the baseline and the case alike.
 *
 * @module
 */
import { Lock, Semaphore } from "../mod.ts";
import { REAL } from "../src/_atomics.ts";
import * as K from "../src/kernel/lock.ts";
import * as H from "./_hand_lock.ts";
import { loadAverage, median, printRatios, spread } from "./_stats.ts";

/** Acquire/release pairs per sample. */
const PAIRS = 1000;

const STATE = 1;
/** The holder id the kernel cases take the lock under (a presence id; nobody probes it here). */
const ME = 1;

interface Case {
  name: string;
  group: string;
  baseline?: boolean;
  fn: () => void | Promise<void>;
}

const cases: Case[] = [];

/** Registers a case with `Deno.bench`, or for the interleaved runner under `deno run`. */
function bench(c: Case): void {
  if (import.meta.main) cases.push(c);
  else Deno.bench({ name: c.name, group: c.group, baseline: c.baseline ?? false, fn: c.fn });
}

function words(): Int32Array {
  return new Int32Array(new SharedArrayBuffer(64));
}

// --- Hand-written Atomics in this file: the kernel's algorithm, seam inlined by hand. ----------
// (_hand_lock.ts holds the same functions in a module of their own: with both, the cases
// separate the seam's cost from the cost of calling across modules.)

function handTryAcquire(s: Int32Array): boolean {
  return Atomics.compareExchange(s, STATE, 0, 1) === 0;
}

function handRelease(s: Int32Array): boolean {
  const c = Atomics.compareExchange(s, STATE, 1, 0);
  if (c === 1) return true;
  if (c === 0) return false;
  if (c !== 2) throw new Error(`Inconsistent lock state: ${c}`);
  Atomics.store(s, STATE, 0);
  Atomics.notify(s, STATE, 1);
  return true;
}

// --- The seam: kernel through REAL vs the same algorithm written with Atomics. -----------------

{
  const group = "seam: tryAcquire + release";
  const hand = words();
  bench({
    name: "hand-written algorithm, Atomics inlined, this file",
    group,
    baseline: true,
    fn() {
      for (let k = 0; k < PAIRS; k++) {
        if (!handTryAcquire(hand)) throw new Error("not acquired");
        if (!handRelease(hand)) throw new Error("not released");
      }
    },
  });
  const handModule = words();
  bench({
    name: "hand-written algorithm, Atomics inlined, own module",
    group,
    fn() {
      for (let k = 0; k < PAIRS; k++) {
        if (!H.tryAcquire(handModule)) throw new Error("not acquired");
        if (!H.release(handModule)) throw new Error("not released");
      }
    },
  });
  const kernel = words();
  bench({
    name: "kernel through the REAL seam (K.tryAcquire, K.release)",
    group,
    fn() {
      for (let k = 0; k < PAIRS; k++) {
        if (!K.tryAcquire(REAL, kernel, ME)) throw new Error("not acquired");
        if (!K.release(REAL, kernel, ME)) throw new Error("not released");
      }
    },
  });
}

{
  const group = "seam: acquire + release";
  const hand = words();
  bench({
    name: "hand-written algorithm, Atomics inlined, own module",
    group,
    baseline: true,
    fn() {
      for (let k = 0; k < PAIRS; k++) {
        if (!H.acquire(hand, Infinity)) throw new Error("not acquired");
        if (!H.release(hand)) throw new Error("not released");
      }
    },
  });
  const kernel = words();
  bench({
    name: "kernel through the REAL seam (K.acquire, K.release)",
    group,
    fn() {
      for (let k = 0; k < PAIRS; k++) {
        if (K.acquire(REAL, kernel, ME, Infinity) !== K.ACQUIRED) throw new Error("not acquired");
        if (!K.release(REAL, kernel, ME)) throw new Error("not released");
      }
    },
  });
}

// --- The public API vs the simplest raw lock pair. ---------------------------------------------

{
  const group = "public API vs raw CAS + store";
  const raw = words();
  bench({
    name: "raw Atomics.compareExchange + Atomics.store",
    group,
    baseline: true,
    fn() {
      for (let k = 0; k < PAIRS; k++) {
        if (Atomics.compareExchange(raw, STATE, 0, 1) !== 0) throw new Error("not acquired");
        Atomics.store(raw, STATE, 0);
      }
    },
  });
  const a = new Lock();
  bench({
    name: "lock.tryAcquire() + lock.release()",
    group,
    fn() {
      for (let k = 0; k < PAIRS; k++) {
        if (!a.tryAcquire()) throw new Error("not acquired");
        a.release();
      }
    },
  });
  const b = new Lock();
  bench({
    name: "lock.acquireSync() + guard[Symbol.dispose]()",
    group,
    fn() {
      for (let k = 0; k < PAIRS; k++) {
        b.acquireSync()[Symbol.dispose]();
      }
    },
  });
  const c = new Lock();
  bench({
    name: "lock.acquireSync() + lock.release()",
    group,
    fn() {
      for (let k = 0; k < PAIRS; k++) {
        c.acquireSync();
        c.release();
      }
    },
  });
  // A semaphore's fast paths are one CAS each from a guess of the value (its initial value):
  // Semaphore(1) used as a lock, and Semaphore(4) as a limit of concurrent use.
  for (const permits of [1, 4]) {
    const sem = new Semaphore(permits);
    bench({
      name: `Semaphore(${permits}): sem.acquireSync() + sem.release()`,
      group,
      fn() {
        for (let k = 0; k < PAIRS; k++) {
          sem.acquireSync();
          sem.release();
        }
      },
    });
  }
}

// --- `using`: V8's explicit resource management costs far more than the lock itself. -----------

/** The cheapest possible Disposable: a raw CAS + store lock's guard, no once-only check. */
class RawGuard implements Disposable {
  readonly s: Int32Array;
  constructor(s: Int32Array) {
    this.s = s;
  }
  [Symbol.dispose](): void {
    Atomics.store(this.s, STATE, 0);
  }
}

{
  const group = "using _ = ... (language cost)";
  const raw = words();
  bench({
    name: "raw CAS, then using a hand-written guard that stores 0",
    group,
    baseline: true,
    fn() {
      for (let k = 0; k < PAIRS; k++) {
        if (Atomics.compareExchange(raw, STATE, 0, 1) !== 0) throw new Error("not acquired");
        using _ = new RawGuard(raw);
      }
    },
  });
  const lock = new Lock();
  bench({
    name: "using _ = lock.acquireSync()",
    group,
    fn() {
      for (let k = 0; k < PAIRS; k++) {
        using _ = lock.acquireSync();
      }
    },
  });
}

// --- The Promise form on a free lock (informative: the price of an async function). ------------

{
  const group = "await acquire() on a free lock";
  const raw = words();
  // deno-lint-ignore require-await
  const take = async (s: Int32Array) => {
    if (Atomics.compareExchange(s, STATE, 0, 1) !== 0) throw new Error("not acquired");
    return new RawGuard(s);
  };
  bench({
    name: "raw CAS in an async function, then guard dispose",
    group,
    baseline: true,
    async fn() {
      for (let k = 0; k < PAIRS; k++) (await take(raw))[Symbol.dispose]();
    },
  });
  const lock = new Lock();
  bench({
    name: "(await lock.acquire())[Symbol.dispose]()",
    group,
    async fn() {
      for (let k = 0; k < PAIRS; k++) (await lock.acquire())[Symbol.dispose]();
    },
  });
}

// --- Interleaved runner for `deno run`. --------------------------------------------------------

async function runInterleaved(rounds: number): Promise<void> {
  const warmup = Math.max(5, rounds >> 3);
  const times = new Map<Case, number[]>(cases.map((c) => [c, []]));
  for (let r = 0; r < warmup + rounds; r++) {
    for (const c of cases) {
      const t0 = performance.now();
      await c.fn();
      const ns = (performance.now() - t0) * 1e6 / PAIRS;
      if (r >= warmup) times.get(c)!.push(ns);
    }
  }
  console.log(
    `seam_bench: ${rounds} interleaved rounds, ns per pair median (min-max), ratio = median of ` +
      `per-round ratios to the group's baseline (${loadAverage()})`,
  );
  const ratios: Record<string, number> = {};
  for (const group of new Set(cases.map((c) => c.group))) {
    const members = cases.filter((c) => c.group === group);
    const base = times.get(members.find((c) => c.baseline)!)!;
    console.log(`\n${group}\n| case | ns/pair | x baseline |\n| --- | --- | --- |`);
    for (const c of members) {
      const xs = times.get(c)!;
      const ratio = median(xs.map((x, r) => x / base[r]!));
      if (!c.baseline) ratios[`${slug(group)}: ${c.name}`] = ratio;
      console.log(
        `| ${c.name}${c.baseline ? " (baseline)" : ""} | ${spread(xs, (x) => x.toFixed(1))} | ${
          ratio.toFixed(3)
        } |`,
      );
    }
  }
  printRatios("seam", ratios);
}

/** A group's heading, shortened to its first words, for the JSON ratio names. */
function slug(group: string): string {
  return group.replace(/[*`]/g, "").split(/[,—:]/)[0]!.trim();
}

if (import.meta.main) await runInterleaved(Number(Deno.args[0] ?? 60));
