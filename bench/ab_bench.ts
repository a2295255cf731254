/**
 * Paired A/B of the uncontended fast paths: this checkout's `Lock`, `RLock` and `Semaphore` against
 * another checkout's (say, main's), in one process, round by round.
 *
 * Situation modelled: "Uncontended" in Go's `mutex_test.go`, as `seam_bench.ts`: one thread takes
 * and gives back a primitive that nobody else wants, the path every acquire pays. A change to a
 * kernel or a class (robustness, spinning) must not slow it; this measures by how much it does.
 *
 * Usage: `deno run --allow-read bench/ab_bench.ts <other checkout> [rounds] [operations per sample]`
 * (default 60 rounds of 1,000), where the other
 * checkout is a directory holding the other version's `src/` (e.g. made with
 * `git archive main src | tar -x -C /tmp/main-src`). Every round runs each case once for both
 * versions, in alternating order (A then B, then B then A), {@linkcode PAIRS} operations each; the
 * report is, per case, the median of the per-round ratios B/A (this checkout over the other) with
 * their min-max, and ends with one JSON line of those medians.
 *
 * @module
 */
import { median, spread } from "./_stats.ts";

/** Operations per sample (so the harness's own overhead does not blur the comparison). */
let PAIRS = 1000;

type Ctor<T> = new (...args: never[]) => T;
interface Lockish {
  tryAcquire(): boolean;
  acquireSync(): Disposable;
  acquire(): Promise<Disposable>;
  release(): void;
}
interface Version {
  Lock: Ctor<Lockish>;
  RLock: Ctor<Lockish>;
  Semaphore: new (value?: number, options?: { robust?: boolean }) => Lockish;
}

/** The primitives of the checkout whose root is the URL `root` (ending in `/`). */
async function load(root: URL): Promise<Version> {
  const url = (path: string) => new URL(path, root).href;
  const [{ Lock }, { RLock }, { Semaphore }] = await Promise.all([
    import(url("src/sync/lock.ts")),
    import(url("src/sync/rlock.ts")),
    import(url("src/sync/semaphore.ts")),
  ]);
  return { Lock, RLock, Semaphore };
}

/** One measured case: a loop of {@linkcode PAIRS} operations on an object made by `make`. */
interface Case {
  name: string;
  make(v: Version): Lockish;
  run(x: Lockish): void | Promise<void>;
}

const tryRelease = (x: Lockish) => {
  for (let k = 0; k < PAIRS; k++) {
    if (!x.tryAcquire()) throw new Error("not acquired");
    x.release();
  }
};
const syncRelease = (x: Lockish) => {
  for (let k = 0; k < PAIRS; k++) {
    x.acquireSync();
    x.release();
  }
};
const syncDispose = (x: Lockish) => {
  for (let k = 0; k < PAIRS; k++) x.acquireSync()[Symbol.dispose]();
};
const asyncDispose = async (x: Lockish) => {
  for (let k = 0; k < PAIRS; k++) (await x.acquire())[Symbol.dispose]();
};

const CASES: Case[] = [
  { name: "Lock tryAcquire + release", make: (v) => new v.Lock(), run: tryRelease },
  { name: "Lock acquireSync + release", make: (v) => new v.Lock(), run: syncRelease },
  { name: "Lock acquireSync + dispose", make: (v) => new v.Lock(), run: syncDispose },
  { name: "Lock await acquire + dispose", make: (v) => new v.Lock(), run: asyncDispose },
  { name: "RLock tryAcquire + release", make: (v) => new v.RLock(), run: tryRelease },
  { name: "RLock acquireSync + release", make: (v) => new v.RLock(), run: syncRelease },
  { name: "Semaphore tryAcquire + release", make: (v) => new v.Semaphore(1), run: tryRelease },
  { name: "Semaphore acquireSync + release", make: (v) => new v.Semaphore(1), run: syncRelease },
  {
    // The other version has no robust option (it ignores it): the price of robust mode itself.
    name: "Semaphore({ robust }) tryAcquire + release",
    make: (v) => new v.Semaphore(1, { robust: true }),
    run: tryRelease,
  },
];

async function time(c: Case, x: Lockish): Promise<number> {
  const t0 = performance.now();
  await c.run(x);
  return (performance.now() - t0) * 1e6 / PAIRS;
}

async function main(other: string, rounds: number): Promise<void> {
  const a = await load(new URL(`file://${Deno.realPathSync(other)}/`));
  const b = await load(new URL("../", import.meta.url));
  const objects = CASES.map((c) => [c.make(a), c.make(b)] as const);
  const ratios = CASES.map(() => [] as number[]);
  const ns = CASES.map(() => [[], []] as [number[], number[]]);
  const warmup = Math.max(5, rounds >> 3);
  for (let r = 0; r < warmup + rounds; r++) {
    for (const [i, c] of CASES.entries()) {
      const [xa, xb] = objects[i]!;
      let ta: number, tb: number;
      if (r % 2 === 0) {
        ta = await time(c, xa);
        tb = await time(c, xb);
      } else {
        tb = await time(c, xb);
        ta = await time(c, xa);
      }
      if (r < warmup) continue;
      ratios[i]!.push(tb / ta);
      ns[i]![0].push(ta);
      ns[i]![1].push(tb);
    }
  }
  console.log(
    `ab_bench: ${rounds} rounds (after ${warmup} warm-up), ${PAIRS} operations per sample; ` +
      `A = ${other}, B = this checkout\n`,
  );
  console.log("| case | A ns/op (median) | B ns/op (median) | B/A per round: median (min-max) |");
  console.log("| --- | --- | --- | --- |");
  const json: Record<string, number> = {};
  for (const [i, c] of CASES.entries()) {
    const [na, nb] = ns[i]!;
    console.log(
      `| ${c.name} | ${median(na).toFixed(1)} | ${median(nb).toFixed(1)} | ` +
        `${spread(ratios[i]!, (x) => x.toFixed(3))} |`,
    );
    json[c.name] = Number(median(ratios[i]!).toFixed(3));
  }
  console.log(JSON.stringify({ bench: "ab", ratios: json }));
}

if (import.meta.main) {
  const [other, rounds, pairs] = Deno.args;
  if (other === undefined) {
    console.error(
      "Usage: deno run --allow-read bench/ab_bench.ts <other checkout> [rounds] [operations]",
    );
    Deno.exit(2);
  }
  PAIRS = Number(pairs ?? PAIRS);
  await main(other, Number(rounds ?? 60));
}
