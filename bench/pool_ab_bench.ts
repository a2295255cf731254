/**
 * A/B of the Pool's dispatch and `map` between two copies of Interlock, in one run: this tree's
 * `Pool` (B) against another copy's (A, typically main), with piscina beside them; rounds interleave
 * A, B and piscina so that the machine's load weighs on all alike, A and B in turn first.
 *
 * Figures: tiny tasks/s (`--tasks` calls of `square(i)` through `pool.apply`, 2 workers), tiny
 * items/s through `imap` and `imapUnordered` (20,000 `square(i)`, chunksize 1), and the
 * time of `Pool.map` echoing 1,000,000 integers and 1,000,000 short strings (`"s123456"`); beside
 * each, the CPU time it took, read from `/proc` (the main thread's, and the whole process's),
 * which a busy machine moves far less than wall time: CPU per task is what dispatch costs. And a
 * floor for the map of strings: the main thread alone making 1e6 strings of 7 characters (sliced
 * from one text) and keeping them in one array, the least any transport must do there; its time
 * over B's map of numbers bounds what "strings / numbers" can reach. Beside it, reading the 1e6
 * input strings once (`join`, the cheapest visit of every string V8 offers, and the first step of
 * packing them): the main thread does both in any map of strings, whatever carries them.
 *
 * Run (A is a copy of main's files, so that both load their own workers):
 *
 * ```sh
 * mkdir -p /tmp/base && git archive main mod.ts src | tar -x -C /tmp/base
 * deno run -A bench/pool_ab_bench.ts --base /tmp/base/mod.ts [--runs 7] [--tasks 200000]
 * ```
 *
 * @module
 */
import { Piscina } from "piscina";
import { Pool } from "../mod.ts";
import { loadAverage, median, parseFlags, printRatios, spread } from "./_stats.ts";

const TASKS = new URL("./_workers/tiny_tasks.ts", import.meta.url);
const PISCINA_WORKER = new URL("./peers/piscina_worker.mjs", import.meta.url);
/** Items of each imap round, and the sum of their squares. */
const IMAP_ITEMS = 20_000;
const IMAP_SUM = (IMAP_ITEMS - 1) * IMAP_ITEMS * (2 * IMAP_ITEMS - 1) / 6;

/** What both copies' pools offer here. */
interface AnyPool {
  apply(name: string, args: unknown[]): Promise<unknown>;
  map(name: string, items: unknown[]): Promise<unknown[]>;
  imap(name: string, items: unknown[]): AsyncIterable<unknown>;
  imapUnordered(name: string, items: unknown[]): AsyncIterable<unknown>;
  terminate(): Promise<unknown>;
}
type PoolClass = new (module: URL, options: { size: number }) => AnyPool;

/** CPU milliseconds so far: this process's main thread, and the whole process (every thread). */
function cpuMs(): [main: number, process: number] {
  const ticks = (path: string) => {
    const fields = Deno.readTextFileSync(path).split(") ")[1]!.split(" ");
    return (Number(fields[11]) + Number(fields[12])) * 10; // utime + stime, 100 ticks a second
  };
  return [ticks(`/proc/${Deno.pid}/task/${Deno.pid}/stat`), ticks(`/proc/${Deno.pid}/stat`)];
}

/** Runs `job`; returns its wall seconds and CPU milliseconds (main thread, process). */
async function timed(job: () => Promise<void>): Promise<[number, number, number]> {
  const [m0, p0] = cpuMs();
  const start = performance.now();
  await job();
  const seconds = (performance.now() - start) / 1000;
  const [m1, p1] = cpuMs();
  return [seconds, m1 - m0, p1 - p0];
}

async function main(): Promise<void> {
  const args = [...Deno.args];
  const at = args.indexOf("--base");
  if (at < 0) throw new TypeError("Cannot run: pass --base <path to the other copy's mod.ts>");
  const base = args.splice(at, 2)[1]!;
  const { runs, tasks } = parseFlags(args, { runs: 7, tasks: 200_000 });
  const A = (await import(new URL(base, `file://${Deno.cwd()}/`).href)).Pool as PoolClass;
  const B = Pool as unknown as PoolClass;
  const pools: Record<string, AnyPool> = {
    A: new A(TASKS, { size: 2 }),
    B: new B(TASKS, { size: 2 }),
  };
  const piscina = new Piscina({ filename: PISCINA_WORKER.href, minThreads: 2, maxThreads: 2 });
  const items = Array.from({ length: 1_000_000 }, (_, i) => i);
  const strings = items.map((i) => `s${i}`);
  // 1e6 strings of 7 characters ("s000000" ... "s999999"), joined: what the floor below slices.
  const text = items.map((i) => `s${String(i).padStart(6, "0")}`).join("");
  const rows: Record<string, number[]> = {};
  const add = (key: string, x: number) => (rows[key] ??= []).push(x);
  const tiny = (apply: (i: number) => Promise<unknown>) =>
    timed(async () => {
      const pending = new Array<Promise<unknown>>(tasks);
      for (let i = 0; i < tasks; i++) pending[i] = apply(i);
      const values = await Promise.all(pending);
      if (values[tasks - 1] !== (tasks - 1) ** 2) throw new Error("wrong result");
    });
  const map = (pool: AnyPool, list: unknown[]) =>
    timed(async () => {
      const out = await pool.map("echo", list);
      if (out.length !== list.length || out[999_999] !== list[999_999]) {
        throw new Error("wrong map");
      }
    });
  // imap and imapUnordered of tiny items with their default chunksize (1, as Python's): one task
  // per item, through the map family's chunk engine.
  const streamed = items.slice(0, IMAP_ITEMS);
  const stream = (results: AsyncIterable<unknown>) =>
    timed(async () => {
      let sum = 0;
      for await (const v of results) sum += v as number;
      if (sum !== IMAP_SUM) throw new Error("wrong imap");
    });
  const load = loadAverage();
  try {
    for (let r = -1; r < runs; r++) { // round -1 warms up (threads started, code compiled)
      const rates: Record<string, number> = {};
      // A then B in even rounds, B then A in odd ones: each follows the other's garbage (1e6
      // strings from a map) as often, and neither always runs first after piscina's round. Two
      // copies of the same code ran 0.71x apart in CPU per tiny task, B always second, before.
      const order = r % 2 === 0 ? ["A", "B"] : ["B", "A"];
      for (const name of order) {
        const pool = pools[name]!;
        const [s, mainCpu, cpu] = await tiny((i) => pool.apply("square", [i]));
        const [sn, , cpuN] = await map(pool, items);
        const [ss, , cpuS] = await map(pool, strings);
        const [si] = await stream(pool.imap("square", streamed));
        const [su] = await stream(pool.imapUnordered("square", streamed));
        if (r < 0) continue;
        add(`${name}: imap tiny items/s (chunksize 1)`, IMAP_ITEMS / si);
        add(`${name}: imapUnordered tiny items/s (chunksize 1)`, IMAP_ITEMS / su);
        rates[name] = tasks / s;
        add(`${name}: Pool.apply tiny tasks/s`, tasks / s);
        add(`${name}: main-thread CPU µs per tiny task`, mainCpu * 1000 / tasks);
        add(`${name}: process CPU µs per tiny task`, cpu * 1000 / tasks);
        add(`${name}: map of 1e6 numbers, s`, sn);
        add(`${name}: map of 1e6 strings, s`, ss);
        add(`${name}: map strings / map numbers, wall time`, ss / sn);
        add(`${name}: map strings / map numbers, process CPU`, cpuS / cpuN);
      }
      // The least a map of strings costs the main thread whatever the transport: making its
      // 1e6 result strings (sliced from one text) and keeping them in one array.
      const [floor] = await timed(() => {
        const kept = new Array<string>(text.length / 7);
        for (let i = 0; i < kept.length; i++) kept[i] = text.slice(i * 7, i * 7 + 7);
        if (kept[999_999] !== "s999999") throw new Error("wrong floor");
        return Promise.resolve();
      });
      // Reading the 1e6 input strings once, as packing them for any transport must.
      const [read] = await timed(() => {
        if (strings.join("").length !== 6_888_890) throw new Error("wrong read");
        return Promise.resolve();
      });
      const [ps] = await tiny((i) => piscina.run({ op: "square", x: i }));
      if (r < 0) continue;
      const numbers = rows["B: map of 1e6 numbers, s"]!.at(-1)!;
      add("floor: 1e6 strings made and kept on the main thread, s", floor);
      add("floor / B's map of 1e6 numbers", floor / numbers);
      add("read: the 1e6 input strings joined on the main thread, s", read);
      add("(floor + read) / B's map of 1e6 numbers", (floor + read) / numbers);
      add("piscina: run tiny tasks/s", tasks / ps);
      add("B / A, tiny tasks/s", rates.B! / rates.A!);
      add("B / piscina, tiny tasks/s", rates.B! * ps / tasks);
      add("A / piscina, tiny tasks/s", rates.A! * ps / tasks);
    }
  } finally {
    await Promise.all([pools.A!.terminate(), pools.B!.terminate(), piscina.destroy()]);
  }
  console.log(
    `\nA: ${base}; B: this tree; ${runs} interleaved rounds (${load} before, ${loadAverage()} after)`,
  );
  console.log("| figure | median (min-max) |\n| --- | --- |");
  for (const [key, xs] of Object.entries(rows)) {
    console.log(`| ${key} | ${spread(xs, (x) => x.toFixed(x >= 100 ? 0 : x < 1 ? 3 : 2))} |`);
  }
  const m = (key: string) => median(rows[key]!);
  printRatios("pool_ab", {
    tiny_b_vs_a: m("B / A, tiny tasks/s"),
    tiny_b_vs_piscina: m("B / piscina, tiny tasks/s"),
    tiny_a_vs_piscina: m("A / piscina, tiny tasks/s"),
    tiny_cpu_b_vs_a: m("B: process CPU µs per tiny task") / m("A: process CPU µs per tiny task"),
    imap_b_vs_a: m("B: imap tiny items/s (chunksize 1)") / m("A: imap tiny items/s (chunksize 1)"),
    imap_unordered_b_vs_a: m("B: imapUnordered tiny items/s (chunksize 1)") /
      m("A: imapUnordered tiny items/s (chunksize 1)"),
    map_strings_vs_numbers_b: m("B: map strings / map numbers, wall time"),
    map_strings_vs_numbers_a: m("A: map strings / map numbers, wall time"),
    strings_floor_vs_numbers_map: m("floor / B's map of 1e6 numbers"),
    strings_floor_and_read_vs_numbers_map: m("(floor + read) / B's map of 1e6 numbers"),
  });
}

if (import.meta.main) await main();
