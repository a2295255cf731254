/**
 * Proof that a real-worker concurrency test really ran concurrently. Two workers that start 10-26 ms
 * apart and run 1 ms each never overlap, and a test of mutual exclusion then passes with or without
 * the lock. So every such test shares a *probe* (a few words of shared memory) with its workers:
 *
 * - they start together behind a gate (each arrives, then waits until all have arrived);
 * - each records when it starts and ends running: the high-water mark of workers running at once
 *   (all of them, for contention tests), and whether any worker ran alone (its interval met no
 *   other's: hand-off tests, whose parties cannot finish without each other, require none did);
 * - before entering the guarded section, a worker records whether another thread held it then
 *   (*contention*), and the workers keep going until contention was seen `target` times (or
 *   `maxOps` operations, or {@linkcode SPIN_LIMIT_MS}, whichever comes first): on a loaded machine
 *   threads rarely run at the same instant, so a fixed number of operations may not contend at all;
 * - inside the section each records how many threads are inside with it: more than `limit` is a
 *   violation, seen directly even when no update happens to be lost.
 *
 * The main-thread side ({@linkcode probe}, {@linkcode assertContended}) and the worker side
 * ({@linkcode contendSync}, {@linkcode contend}, {@linkcode guarded}) live in this one module, which
 * imports only `node:process`, so fixtures load it in workers on every runtime.
 * `CONTENTION_LOG=1 deno task test` prints what each contended run observed (to set targets).
 *
 * @module
 */
import process from "node:process";

const ARRIVED = 0;
const RUNNING = 1;
const OVERLAP = 2;
const CONTENDED = 3;
const INSIDE = 4;
const VIOLATIONS = 5;
const MAX_INSIDE = 6;
const PARTIES = 7;
const LIMIT = 8;
const TARGET = 9;
const MIN_OPS = 10;
const MAX_OPS = 11;
const ENTERED = 12;
const ALONE = 13;
const WORDS = 14;

/**
 * How long workers keep going to reach the contention target before they give up, in ms. On an
 * idle 2-core machine the tests' targets are met in well under a second; with a load of 6 per core
 * from other work, 2 workers of the Lock test saw 187-285 contended entries in 4 s; with a load of 12
 * per core, 5 threads of the RLock test saw 291 in 6 s, and 2 workers of the Lock test once 195 of
 * 200 at a load of 4 per core. So targets stay at or below 250, and the limit is 15 s: a test that
 * meets its target stops there, so only a loaded machine's runs take longer.
 */
export const SPIN_LIMIT_MS = 15_000;
/** How long a worker waits at the start gate for the others, in ms. */
const GATE_MS = 8_000;

/** What a contended run must show. */
export interface ProbeOptions {
  /** Threads that start together (workers, plus the main thread if it takes part). */
  parties: number;
  /** How many threads the section admits at once. @default {1} */
  limit?: number;
  /** Contended entries to observe before stopping. @default {200} */
  target?: number;
  /** Operations each thread does at least. @default {1000} */
  minOps?: number;
  /** Operations each thread does at most. @default {Infinity} (the time limit stops it) */
  maxOps?: number;
}

/** A fresh probe for `options.parties` threads (main-thread side). */
export function probe(options: ProbeOptions): Int32Array {
  const p = new Int32Array(new SharedArrayBuffer(4 * WORDS));
  const minOps = options.minOps ?? 1_000;
  p[PARTIES] = options.parties;
  p[LIMIT] = options.limit ?? 1;
  p[TARGET] = options.target ?? 200;
  p[MIN_OPS] = minOps;
  p[MAX_OPS] = Math.min(options.maxOps ?? 0x7fffffff, 0x7fffffff);
  return p;
}

/** What a probe recorded. */
export interface Observed {
  /** The most threads that ran their loops at the same time. */
  overlap: number;
  /** Entries that found the section held by another thread. */
  contended: number;
  /** Parties whose run met no other party's (they started after all others ended). */
  alone: number;
  /** Entries that found more than `limit` threads inside (the exclusion failed). */
  violations: number;
  /** The most threads inside the section at once. */
  maxInside: number;
}

/** Reads what `p` recorded. */
export function observed(p: Int32Array): Observed {
  return {
    overlap: Atomics.load(p, OVERLAP),
    contended: Atomics.load(p, CONTENDED),
    alone: Atomics.load(p, ALONE),
    violations: Atomics.load(p, VIOLATIONS),
    maxInside: Atomics.load(p, MAX_INSIDE),
  };
}

/**
 * Throws unless the run really contended: every party ran at the same time as the others, the
 * section was found held at least `target` times, and it never admitted more than `limit` threads.
 */
export function assertContended(p: Int32Array, what: string): Observed {
  const o = observed(p);
  const parties = p[PARTIES]!;
  const fail = (why: string) => {
    throw new Error(`${what}: ${why} (${JSON.stringify(o)})`);
  };
  if (o.violations > 0) fail(`${o.violations} entries found more than ${p[LIMIT]} threads inside`);
  if (o.overlap < parties) fail(`only ${o.overlap} of ${parties} threads ever ran at once`);
  if (o.contended < p[TARGET]!) {
    fail(`the section was found held only ${o.contended} times, fewer than ${p[TARGET]}`);
  }
  if (process.env.CONTENTION_LOG) console.log(`  ${what}: ${JSON.stringify(o)}`);
  return o;
}

function raise(p: Int32Array, i: number, value: number): void {
  let seen = Atomics.load(p, i);
  while (value > seen) {
    const before = Atomics.compareExchange(p, i, seen, value);
    if (before === seen) return;
    seen = before;
  }
}

function arrive(p: Int32Array): number {
  return Atomics.add(p, ARRIVED, 1) + 1;
}

function gateFailure(p: Int32Array): Error {
  return new Error(
    `Start gate: only ${Atomics.load(p, ARRIVED)} of ${
      p[PARTIES]
    } threads arrived in ${GATE_MS} ms`,
  );
}

// The gate's blocking and waiting forms are written out twice: a worker blocks in Atomics.wait,
// which the main thread must not, and its async form needs the event loop kept alive.

/** Arrives at the start gate and blocks until every party has (worker side). */
export function startTogetherSync(p: Int32Array): void {
  const parties = p[PARTIES]!;
  if (arrive(p) === parties) {
    Atomics.notify(p, ARRIVED);
    return;
  }
  const end = performance.now() + GATE_MS;
  for (let n = Atomics.load(p, ARRIVED); n < parties; n = Atomics.load(p, ARRIVED)) {
    const left = end - performance.now();
    if (left <= 0) throw gateFailure(p);
    Atomics.wait(p, ARRIVED, n, left);
  }
}

/** Arrives at the start gate and waits, without blocking the thread, until every party has. */
export async function startTogether(p: Int32Array): Promise<void> {
  const parties = p[PARTIES]!;
  if (arrive(p) === parties) {
    Atomics.notify(p, ARRIVED);
    return;
  }
  const end = performance.now() + GATE_MS;
  for (let n = Atomics.load(p, ARRIVED); n < parties; n = Atomics.load(p, ARRIVED)) {
    const left = end - performance.now();
    if (left <= 0) throw gateFailure(p);
    const r = Atomics.waitAsync(p, ARRIVED, n, left);
    if (r.async) {
      // waitAsync alone does not keep the main thread's event loop alive.
      const keep = setTimeout(() => {}, left);
      await r.value;
      clearTimeout(keep);
    }
  }
}

/** Counts this thread as running; returns what {@linkcode stop} needs. */
function start(p: Int32Array): { others: number; entered: number } {
  const others = Atomics.add(p, RUNNING, 1);
  raise(p, OVERLAP, others + 1);
  return { others, entered: Atomics.add(p, ENTERED, 1) };
}

/** Counts this thread as no longer running; records it if no one else ran while it did. */
function stop(p: Int32Array, started: { others: number; entered: number }): void {
  const others = Atomics.sub(p, RUNNING, 1) - 1;
  const laterEntries = Atomics.load(p, ENTERED) - started.entered - 1;
  if (started.others === 0 && others === 0 && laterEntries === 0) Atomics.add(p, ALONE, 1);
}

/** Whether every party is running now (for contention defined as "all at work at once"). */
export function allRunning(p: Int32Array): boolean {
  return Atomics.load(p, RUNNING) === p[PARTIES];
}

/**
 * Whether a thread that has done `n` operations since `start` should stop: not before every party
 * has started (so all of them run at once at some point), then once the target is met.
 */
function done(p: Int32Array, n: number, start: number): boolean {
  if (n < p[MIN_OPS]!) return false;
  const everyone = Atomics.load(p, ENTERED) === p[PARTIES];
  if (everyone && (n >= p[MAX_OPS]! || Atomics.load(p, CONTENDED) >= p[TARGET]!)) return true;
  return (n & 255) === 0 && performance.now() - start > SPIN_LIMIT_MS;
}

/**
 * Runs `body` as one party of the probe: after the start gate, counted as running while it runs
 * (blocking form). For hand-off tests (producers and consumers, ping-pong) that need no contention
 * count: {@linkcode assertOverlapped} then shows the parties really ran at the same time.
 */
export function togetherSync<T>(p: Int32Array, body: () => T): T {
  startTogetherSync(p);
  const started = start(p);
  try {
    return body();
  } finally {
    stop(p, started);
  }
}

/** {@linkcode togetherSync} for bodies that wait without blocking the thread. */
export async function together<T>(p: Int32Array, body: () => Promise<T>): Promise<T> {
  await startTogether(p);
  const started = start(p);
  try {
    return await body();
  } finally {
    stop(p, started);
  }
}

/**
 * Throws unless no party of `p` ran alone: each ran while at least one other did. (Hand-off tests
 * need no more: their parties cannot finish without each other, and on a loaded machine a party
 * may well start only after another has done its share.)
 */
export function assertOverlapped(p: Int32Array, what: string): Observed {
  const o = observed(p);
  if (o.alone > 0) throw new Error(`${what}: ${o.alone} threads ran while no other did`);
  if (o.overlap < 2) throw new Error(`${what}: no two threads ever ran at once`);
  return o;
}

/**
 * The worker side of a contended run, blocking form: starts together with the other parties, then
 * repeats `operation` until the probe's target is met, counting an entry as contended when `busy()`
 * says another thread holds the section right before it. Returns how many operations it did.
 */
export function contendSync(p: Int32Array, busy: () => boolean, operation: () => void): number {
  return togetherSync(p, () => {
    const start = performance.now();
    let n = 0;
    for (; !done(p, n, start); n++) {
      if (busy()) Atomics.add(p, CONTENDED, 1);
      operation();
    }
    return n;
  });
}

/** {@linkcode contendSync} for operations that wait without blocking the thread. */
export function contend(
  p: Int32Array,
  busy: () => boolean,
  operation: () => Promise<void>,
): Promise<number> {
  return together(p, async () => {
    const start = performance.now();
    let n = 0;
    for (; !done(p, n, start); n++) {
      if (busy()) Atomics.add(p, CONTENDED, 1);
      await operation();
    }
    return n;
  });
}

/**
 * Runs `body` inside the guarded section (call it while holding the lock or permit): records how
 * many threads are inside with it, and a violation if more than the probe's `limit` are. A little
 * work while inside keeps holders overlapping.
 */
export function guarded(p: Int32Array, body: () => void): void {
  const inside = Atomics.add(p, INSIDE, 1) + 1;
  if (inside > p[LIMIT]!) Atomics.add(p, VIOLATIONS, 1);
  raise(p, MAX_INSIDE, inside);
  try {
    body();
    for (let spin = 0; spin < 20; spin++) Atomics.load(p, INSIDE);
  } finally {
    Atomics.sub(p, INSIDE, 1);
  }
}
