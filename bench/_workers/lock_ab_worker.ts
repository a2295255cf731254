/// <reference lib="deno.worker" />
/**
 * Worker side of `bench/lock_ab_bench.ts`: runs one contended loop or one ping-pong with the
 * primitives of the copy of Interlock whose `mod.ts` the job names (or the raw futex lock), and
 * posts back its count and when it started and stopped.
 *
 * @module
 */
import { futexLock, futexUnlock } from "../_futex_lock.ts";
import { type AbJob, READY, STOP } from "./lock_ab_jobs.ts";
import { conditionPing, eventPing, lockPing, rawSpinPing, rawWaitPing } from "./pings.ts";

/**
 * Index of the raw futex lock's word in `data`: a cache line of its own (64 bytes past the
 * counter), as in `lock_bench.ts` and as an Interlock lock's word, which sits in its own region.
 * At index 8 it shared the counter's line and ran at about half the rate lock_bench measured.
 */
const RAW = 16;

// deno-lint-ignore no-explicit-any
const copies = new Map<string, any>();

function now(): number {
  return performance.timeOrigin + performance.now();
}

interface Lockish {
  acquireSync(): unknown;
  release(): void;
}

/** Locked non-atomic increments of `data[0]` until the stop flag; returns how many. */
function contended(data: Int32Array, ctl: Int32Array, lock: Lockish | null): number {
  return lock === null ? contendedFutex(data, ctl) : contendedLock(data, ctl, lock);
}

// Each loop is its own function, as in lock_worker.ts, so that V8 compiles each for its own lock
// only: one function holding both loops ran the raw futex lock at about half lock_bench's rate.

/** {@linkcode contended} with the raw futex lock. */
function contendedFutex(data: Int32Array, ctl: Int32Array): number {
  let n = 0;
  do {
    for (let k = 0; k < 64; k++) {
      futexLock(data, RAW);
      data[0] = data[0]! + 1;
      futexUnlock(data, RAW);
    }
    n += 64;
  } while (Atomics.load(ctl, STOP) === 0);
  return n;
}

/** {@linkcode contended} with an Interlock lock (or semaphore). */
function contendedLock(data: Int32Array, ctl: Int32Array, lock: Lockish): number {
  let n = 0;
  do {
    for (let k = 0; k < 64; k++) {
      lock.acquireSync();
      data[0] = data[0]! + 1;
      lock.release();
    }
    n += 64;
  } while (Atomics.load(ctl, STOP) === 0);
  return n;
}

/** One ping-pong of `rounds` round trips (`./pings.ts`); `M`: the copy's module, null: raw. */
// deno-lint-ignore no-explicit-any
function ping(M: any, job: AbJob): void {
  const { player, rounds, data: turn, objects } = job;
  if (M === null && job.kind === "raw-spin") rawSpinPing(player, rounds, turn);
  else if (M === null) rawWaitPing(player, rounds, turn);
  else if (job.kind === "condition") conditionPing(M, player, rounds, turn, objects);
  else if (job.kind === "event") eventPing(M, player, rounds, turn, objects);
  else lockPing(M, player, rounds, turn, objects);
}

self.onmessage = async (event: MessageEvent<AbJob>) => {
  const job = event.data;
  try {
    if (job.mod !== null && !copies.has(job.mod)) copies.set(job.mod, await import(job.mod));
    const M = job.mod === null ? null : copies.get(job.mod);
    const lock = M === null || job.job === "ping"
      ? null
      : job.kind === "semaphore"
      ? M.Semaphore.from(job.objects[0])
      : M.Lock.from(job.objects[0]);
    Atomics.add(job.ctl, READY, 1);
    while (Atomics.load(job.ctl, READY) < job.parties) Atomics.pause();
    const start = now();
    const count = job.job === "contended" ? contended(job.data, job.ctl, lock) : job.rounds;
    if (job.job === "ping") ping(M, job);
    self.postMessage({ ok: true, count, start, end: now() });
  } catch (error) {
    self.postMessage({ ok: false, error: String(error) });
  }
};
