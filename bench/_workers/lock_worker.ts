/// <reference lib="deno.worker" />
/**
 * Worker side of `bench/lock_bench.ts`: runs one measured scenario per message and posts back what
 * it counted and when it started and stopped (`performance.timeOrigin + performance.now()`, so that
 * the main thread can combine the clocks of both workers).
 *
 * Every job starts with a spin barrier on `ctl[READY]` (two parties, or all the workers of a
 * contended run), so no worker runs alone while another is still receiving its message. Hand-written "raw" locks and ping-pongs live
 * here, next to the Interlock variants they are compared with, so both run in the same worker,
 * on the same memory layout.
 *
 * @module
 */
// Interlock first: modules run in import order, so its seam captures the native
// Atomics.waitAsync before the multithreading peer replaces it with a wrapper that keeps the event
// loop turning while a wait is pending (this worker's presence waiters never settle; through the
// wrapper, the worker would spin whenever it idles, stealing a core from the measured workers).
import { Condition, Event, Lock, Semaphore } from "../../mod.ts";
import { Mutex } from "bench-multithreading";
import { REAL, setNap } from "../../src/_atomics.ts";
import * as K from "../../src/kernel/lock.ts";
import * as KS from "../../src/kernel/semaphore.ts";
import { FIRST_PATIENCE } from "../../src/sync/_robust.ts";
import { HoldGuard } from "../../src/sync/_guard.ts";
import { futexLock as rawLock, futexUnlock as rawUnlock } from "../_futex_lock.ts";
import {
  conditionPing,
  eventPing,
  lockPing,
  type PingClasses,
  rawSpinPing,
  rawWaitPing,
} from "./pings.ts";
import {
  type ContendedJob,
  type JobResult,
  type LockKind,
  type PingJob,
  type PingKind,
  READY,
  STOP,
} from "./lock_jobs.ts";

const RAW = 16;

/** The classes the Interlock ping-pongs revive their objects with (`./pings.ts`). */
const CLASSES: PingClasses = { Lock, Event, Condition };

function now(): number {
  return performance.timeOrigin + performance.now();
}

/** Spin barrier of `parties` workers: all start their measured loops together. */
function barrier(ctl: Int32Array, parties = 2): void {
  Atomics.add(ctl, READY, 1);
  while (Atomics.load(ctl, READY) < parties) Atomics.pause();
}

// --- Raw locks, written by hand. ---------------------------------------------------------------

/** Drepper's futex mutex #2 on `s[RAW]` (`bench/_futex_lock.ts`). */
function futexLock(s: Int32Array): void {
  rawLock(s, RAW);
}

function futexUnlock(s: Int32Array): void {
  rawUnlock(s, RAW);
}

/**
 * The Lock kernel as it was before tuning: the futex lock above after up to 64 spins that re-check
 * after every pause (now: after 1, 2, 4 .. 32 pauses). Kept to show what the backoff buys.
 */
function linearSpinLock(s: Int32Array): void {
  if (Atomics.compareExchange(s, RAW, 0, 1) === 0) return;
  for (let n = 64; n > 0; n--) {
    Atomics.pause();
    if (Atomics.load(s, RAW) === 0 && Atomics.compareExchange(s, RAW, 0, 1) === 0) return;
  }
  while (Atomics.exchange(s, RAW, 2) !== 0) Atomics.wait(s, RAW, 2);
}

/** Test-and-test-and-set spin lock with `Atomics.pause`: never sleeps. */
function spinLock(s: Int32Array): void {
  while (Atomics.compareExchange(s, RAW, 0, 1) !== 0) {
    while (Atomics.load(s, RAW) !== 0) Atomics.pause();
  }
}

function spinUnlock(s: Int32Array): void {
  Atomics.store(s, RAW, 0);
}

// --- Contended locked increments. --------------------------------------------------------------
// Each kind's measured loop is its own function, so that V8 compiles it for its own lock only. The
// critical section: the non-atomic increment, and counting turns (how often the holder changes).

/** Runs locked increments until `ctl[STOP]` is set; returns how many this worker did. */
type Loop = (
  ctl: Int32Array,
  data: Int32Array,
  me: number,
  lock: Lock,
  s: Int32Array,
  peer?: Mutex | Semaphore,
) => number;

function rawFutexLoop(ctl: Int32Array, data: Int32Array, me: number): number {
  let n = 0;
  do {
    for (let k = 0; k < 64; k++) {
      futexLock(data);
      data[0] = data[0]! + 1;
      if (data[1] !== me) {
        data[1] = me;
        data[2] = data[2]! + 1;
      }
      futexUnlock(data);
    }
    n += 64;
  } while (Atomics.load(ctl, STOP) === 0);
  return n;
}

function rawSpinLoop(ctl: Int32Array, data: Int32Array, me: number): number {
  let n = 0;
  do {
    for (let k = 0; k < 64; k++) {
      spinLock(data);
      data[0] = data[0]! + 1;
      if (data[1] !== me) {
        data[1] = me;
        data[2] = data[2]! + 1;
      }
      spinUnlock(data);
    }
    n += 64;
  } while (Atomics.load(ctl, STOP) === 0);
  return n;
}

function linearSpinLoop(ctl: Int32Array, data: Int32Array, me: number): number {
  let n = 0;
  do {
    for (let k = 0; k < 64; k++) {
      linearSpinLock(data);
      data[0] = data[0]! + 1;
      if (data[1] !== me) {
        data[1] = me;
        data[2] = data[2]! + 1;
      }
      futexUnlock(data);
    }
    n += 64;
  } while (Atomics.load(ctl, STOP) === 0);
  return n;
}

/** The Lock kernel through the REAL seam, without the class (no guard allocated per acquire). */
function kernelLoop(
  ctl: Int32Array,
  data: Int32Array,
  me: number,
  _lock: Lock,
  s: Int32Array,
): number {
  let n = 0;
  do {
    for (let k = 0; k < 64; k++) {
      K.acquire(REAL, s, me, Infinity);
      data[0] = data[0]! + 1;
      if (data[1] !== me) {
        data[1] = me;
        data[2] = data[2]! + 1;
      }
      K.release(REAL, s, me);
    }
    n += 64;
  } while (Atomics.load(ctl, STOP) === 0);
  return n;
}

function interlockLoop(ctl: Int32Array, data: Int32Array, me: number, lock: Lock): number {
  let n = 0;
  do {
    for (let k = 0; k < 64; k++) {
      lock.acquireSync();
      data[0] = data[0]! + 1;
      if (data[1] !== me) {
        data[1] = me;
        data[2] = data[2]! + 1;
      }
      lock.release();
    }
    n += 64;
  } while (Atomics.load(ctl, STOP) === 0);
  return n;
}

function interlockUsingLoop(ctl: Int32Array, data: Int32Array, me: number, lock: Lock): number {
  let n = 0;
  do {
    for (let k = 0; k < 64; k++) {
      using _ = lock.acquireSync();
      data[0] = data[0]! + 1;
      if (data[1] !== me) {
        data[1] = me;
        data[2] = data[2]! + 1;
      }
    }
    n += 64;
  } while (Atomics.load(ctl, STOP) === 0);
  return n;
}

/**
 * The `multithreading` package's `Mutex` (npm `multithreading`, W4G1), the peer: `blockingLock()`
 * returns a guard, disposed to unlock; its lock word is word 0 of `job.peer`.
 */
function multithreadingLoop(
  ctl: Int32Array,
  data: Int32Array,
  me: number,
  _lock: Lock,
  _s: Int32Array,
  peer?: Mutex | Semaphore,
): number {
  const mutex = peer as Mutex;
  let n = 0;
  do {
    for (let k = 0; k < 64; k++) {
      const guard = mutex.blockingLock();
      data[0] = data[0]! + 1;
      if (data[1] !== me) {
        data[1] = me;
        data[2] = data[2]! + 1;
      }
      guard.dispose();
    }
    n += 64;
  } while (Atomics.load(ctl, STOP) === 0);
  return n;
}

/** An Interlock `Semaphore(1)` used as a lock: `acquireSync()` ... `release()`. */
function semaphoreLoop(
  ctl: Int32Array,
  data: Int32Array,
  me: number,
  _lock: Lock,
  _s: Int32Array,
  peer?: Mutex | Semaphore,
): number {
  const sem = peer as Semaphore;
  let n = 0;
  do {
    for (let k = 0; k < 64; k++) {
      sem.acquireSync();
      data[0] = data[0]! + 1;
      if (data[1] !== me) {
        data[1] = me;
        data[2] = data[2]! + 1;
      }
      sem.release();
    }
    n += 64;
  } while (Atomics.load(ctl, STOP) === 0);
  return n;
}

// What the classes add to their kernels, one cost at a time (`lock_bench.ts --costs`).

/**
 * The Lock kernel as `kernelLoop`, but every sleep capped at the robust path's first patience, as
 * `Lock.acquireSync` does (`setNap` in `src/_atomics.ts`): what the timed waits that dead-holder
 * detection needs cost.
 */
function kernelNapLoop(ctl: Int32Array, data: Int32Array, me: number, _l: Lock, s: Int32Array) {
  let n = 0;
  do {
    for (let k = 0; k < 64; k++) {
      if (!K.tryAcquire(REAL, s, me)) {
        setNap(FIRST_PATIENCE);
        try {
          while (K.acquire(REAL, s, me, Infinity) !== K.ACQUIRED);
        } finally {
          setNap(Infinity);
        }
      }
      data[0] = data[0]! + 1;
      if (data[1] !== me) {
        data[1] = me;
        data[2] = data[2]! + 1;
      }
      K.release(REAL, s, me);
    }
    n += 64;
  } while (Atomics.load(ctl, STOP) === 0);
  return n;
}

/** Where `kernelAllocLoop` keeps its last guard, so that V8 cannot leave the allocation out. */
const kept: (HoldGuard | undefined)[] = [undefined];

/**
 * The Lock kernel as `kernelLoop`, plus the class's guard (`HoldGuard`, one small object) allocated
 * before every acquire, kept until the next: what the allocation costs when V8 does not remove it.
 */
function kernelAllocLoop(ctl: Int32Array, data: Int32Array, me: number, l: Lock, s: Int32Array) {
  let n = 0;
  do {
    for (let k = 0; k < 64; k++) {
      kept[0] = new HoldGuard(l);
      K.acquire(REAL, s, me, Infinity);
      data[0] = data[0]! + 1;
      if (data[1] !== me) {
        data[1] = me;
        data[2] = data[2]! + 1;
      }
      K.release(REAL, s, me);
    }
    n += 64;
  } while (Atomics.load(ctl, STOP) === 0);
  return n;
}

/** The Semaphore kernel through the REAL seam, as `Semaphore(1)` uses it, without the class. */
function semaphoreKernelLoop(
  ctl: Int32Array,
  data: Int32Array,
  me: number,
  _lock: Lock,
  _s: Int32Array,
  peer?: Mutex | Semaphore,
): number {
  const sem = peer as Semaphore;
  const s = new Int32Array(sem.buffer, sem.byteOffset, KS.BYTES >> 2);
  const take = KS.takeGuess(1);
  const give = KS.giveGuess(1);
  const bound = KS.bound(REAL, s);
  let n = 0;
  do {
    for (let k = 0; k < 64; k++) {
      KS.acquire(REAL, s, take, Infinity);
      data[0] = data[0]! + 1;
      if (data[1] !== me) {
        data[1] = me;
        data[2] = data[2]! + 1;
      }
      KS.release(REAL, s, 1, bound, give);
    }
    n += 64;
  } while (Atomics.load(ctl, STOP) === 0);
  return n;
}

const LOOPS: Record<LockKind, Loop> = {
  "raw-futex": rawFutexLoop,
  "raw-spin": rawSpinLoop,
  "futex-linear-spin": linearSpinLoop,
  "kernel": kernelLoop,
  "interlock": interlockLoop,
  "interlock-using": interlockUsingLoop,
  "multithreading": multithreadingLoop,
  "semaphore": semaphoreLoop,
  "semaphore-kernel": semaphoreKernelLoop,
  "kernel-nap": kernelNapLoop,
  "kernel-alloc": kernelAllocLoop,
};

function contended(job: ContendedJob): JobResult {
  const { ctl, data, me } = job;
  const lock = Lock.from(job.lock);
  const s = new Int32Array(lock.buffer, lock.byteOffset, K.BYTES >> 2);
  const loop = LOOPS[job.kind];
  const peer = job.kind === "multithreading"
    ? new Mutex(undefined, job.peer)
    : job.kind === "semaphore" || job.kind === "semaphore-kernel"
    ? Semaphore.from(job.sem)
    : undefined;
  barrier(ctl, job.parties);
  const start = now();
  const count = loop(ctl, data, me, lock, s, peer);
  return { count, start, end: now() };
}

// --- Ping-pong hand-offs. ----------------------------------------------------------------------

// Each kind's measured loop is its own function again; `p` is the player (0 or 1).

/** What a spin-ready waiter costs at best: spin (64 checks), then sleep. */
function rawSpinThenWaitPing(p: number, rounds: number, turn: Int32Array): void {
  for (let i = 0; i < rounds; i++) {
    const mine = 2 * i + p;
    let v = Atomics.load(turn, 0);
    for (let n = 64; v !== mine && n > 0; n--) {
      Atomics.pause();
      v = Atomics.load(turn, 0);
    }
    while (v !== mine) {
      Atomics.wait(turn, 0, v);
      v = Atomics.load(turn, 0);
    }
    Atomics.store(turn, 0, mine + 1);
    Atomics.notify(turn, 0, 1);
  }
}

const PINGS: Record<
  PingKind,
  (p: number, rounds: number, turn: Int32Array, pair: [unknown, unknown]) => void
> = {
  "raw-wait": rawWaitPing,
  "raw-spin": rawSpinPing,
  "raw-spin-then-wait": rawSpinThenWaitPing,
  "lock": (p, rounds, turn, pair) => lockPing(CLASSES, p, rounds, turn, pair),
  "event": (p, rounds, turn, pair) => eventPing(CLASSES, p, rounds, turn, pair),
  "condition": (p, rounds, turn, pair) => conditionPing(CLASSES, p, rounds, turn, pair),
};

function ping(job: PingJob): JobResult {
  const { player, rounds, ctl, turn, pair } = job;
  const body = PINGS[job.kind];
  barrier(ctl);
  const start = now();
  body(player, rounds, turn, pair);
  return { count: rounds, start, end: now() };
}

self.onmessage = (event: MessageEvent<ContendedJob | PingJob>) => {
  const job = event.data;
  try {
    const result = job.job === "contended" ? contended(job) : ping(job);
    self.postMessage({ ok: true, result });
  } catch (error) {
    self.postMessage({ ok: false, error });
  }
};
