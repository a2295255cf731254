/**
 * The atomics seam: the one module of Interlock that calls `Atomics.*`.
 *
 * Every primitive's shared-memory algorithm (a *kernel*, in `src/kernel/`) is written as plain
 * synchronous TypeScript whose first parameter is `A: Seam`, and it touches shared memory only through
 * `A`. From that single source two forms exist:
 *
 * - the **plain form** (`src/kernel/*.ts`), called with {@linkcode REAL}: what `*Sync` methods and the
 *   non-blocking fast paths run. `REAL`'s methods are one-line forwards to `Atomics` that V8 inlines;
 *   `bench/seam_bench.ts` measures them against hand-written `Atomics` code in the same run.
 * - the **generator form** (`src/kernel_gen/*.ts`), derived mechanically by `tools/derive_kernels.ts`
 *   (every kernel function becomes `function*`, every call on `A` or to another kernel becomes
 *   `yield*`), and checked to be up to date by `tests/tools/derive_kernels_test.ts`. It runs with a
 *   {@linkcode GenSeam}: the production async driver ({@linkcode ASYNC}) suspends it only at
 *   `wait` (turned into `Atomics.waitAsync`), while the interleaving explorer (`src/explore/`)
 *   suspends it before *every* shared access and decides which virtual thread moves next.
 *
 * Why this split: generators in the hot synchronous path cost ~6× on a locked transfer on these
 * machines, while real workers run in lock-step manage only ~16 k steps/s. Deriving one form from the
 * other keeps production at the speed of hand-written Atomics code and lets the explorer search the
 * very algorithm users run.
 *
 * Time: a wait takes an absolute `deadline` in `performance.now()` milliseconds of the calling agent
 * (`Infinity`: no deadline), so kernels never read a clock; under the explorer a finite deadline makes
 * "the timeout fires" one more scheduling choice. In production a thread may also cap each single
 * blocking sleep ({@linkcode setNap}: a robust acquire's patience), which the explorer models as
 * its own choice (a sleeper's patience running out, `src/explore/_engine.ts`).
 *
 * @module
 */

/** Integer typed arrays whose elements are numbers and that `Atomics` accepts. */
export type AtomicNumberArray =
  | Int8Array
  | Uint8Array
  | Int16Array
  | Uint16Array
  | Int32Array
  | Uint32Array;

/** Integer typed arrays whose elements are bigints and that `Atomics` accepts. */
export type AtomicBigIntArray = BigInt64Array | BigUint64Array;

/** Any typed array that `Atomics` accepts. */
export type AtomicArray = AtomicNumberArray | AtomicBigIntArray;

/** The element type of an atomic typed array: `bigint` for 64-bit arrays, else `number`. */
export type ElementOf<T extends AtomicArray> = T extends AtomicBigIntArray ? bigint : number;

/** How a wait ended, exactly as `Atomics.wait` reports it. */
export type WaitResult = "ok" | "not-equal" | "timed-out";

/**
 * The shared-memory operations a kernel may perform. All are sequentially consistent, as `Atomics` is.
 */
export interface Seam {
  /**
   * How many times a kernel may {@linkcode Seam.pause} while it spins for a signal (a set, a
   * notify, a release of a permit, an item) before it sleeps, re-checking after every pause. A
   * kernel reads it once per spin phase: in {@linkcode REAL} it adapts to how often spinning
   * paid off in this thread, and each read counts as one phase. A Lock's acquire reads
   * {@linkcode Seam.lockSpin} instead.
   */
  readonly spin: number;
  /**
   * How many times the Lock kernel's acquire may {@linkcode Seam.pause} while it spins for the
   * holder to release (also when a `Condition` waiter takes its lock back), re-checking after 1,
   * 2, 4, ... 32 pauses. Read once per spin phase, as {@linkcode Seam.spin}, but a budget of its
   * own in {@linkcode REAL}: a holder's turn is short while it runs, where a signal may be far
   * away, so how often one kind of spin paid off says little about the other.
   */
  readonly lockSpin: number;
  /**
   * How many times a `Condition` waiter whose ticket is `seq` (the condition's sequence number when
   * it registered) may {@linkcode Seam.pause} while it spins for a notify, re-checking after every
   * pause. Called once per spin phase; accesses no shared memory and never suspends (a derived
   * kernel calls it plainly). In {@linkcode REAL}: a budget of its own that goes back to the full
   * budget after every phase that caught its notify, and a long probe for the tickets whose low
   * bits are 0 or 1 (see `budgets` there): a hand-off whose two sides sleep stays asleep otherwise.
   */
  notifySpin(seq: number): number;
  /** `Atomics.load`. */
  load<T extends AtomicArray>(a: T, i: number): ElementOf<T>;
  /** `Atomics.store`; returns the stored value. */
  store<T extends AtomicArray>(a: T, i: number, v: ElementOf<T>): ElementOf<T>;
  /** `Atomics.add`; returns the previous value. */
  add<T extends AtomicArray>(a: T, i: number, v: ElementOf<T>): ElementOf<T>;
  /** `Atomics.sub`; returns the previous value. */
  sub<T extends AtomicArray>(a: T, i: number, v: ElementOf<T>): ElementOf<T>;
  /** `Atomics.exchange`; returns the previous value. */
  exchange<T extends AtomicArray>(a: T, i: number, v: ElementOf<T>): ElementOf<T>;
  /** `Atomics.compareExchange`; returns the previous value (equal to `expected` on success). */
  compareExchange<T extends AtomicArray>(
    a: T,
    i: number,
    expected: ElementOf<T>,
    replacement: ElementOf<T>,
  ): ElementOf<T>;
  /**
   * Sleeps while `a[i] === expected`, until notified or until `deadline` (`performance.now()` ms).
   * Checking the value and joining the waiter queue is one atomic step, so a notify that follows a
   * change of `a[i]` can never be missed.
   */
  wait(a: Int32Array, i: number, expected: number, deadline: number): WaitResult;
  /** `Atomics.notify`: wakes up to `count` waiters of `a[i]` in arrival order; returns how many. */
  notify(a: Int32Array, i: number, count: number): number;
  /** A spin-wait hint (`Atomics.pause`); no shared access. */
  pause(): void;
  /**
   * Marks the start of a kernel loop whose head is marked with {@linkcode Seam.at} under the same
   * `site`. Production seams leave it out (kernels call it as `A.loop?.(site)`, which costs one
   * property miss); the explorer's state caching uses it (see {@linkcode Seam.at}). `back` (default
   * 0): how many of the kernel's latest shared accesses count as inside the loop, as if the loop
   * had started before them (their results must then live on only in the head's live variables).
   */
  loop?(site: string, back?: number): void;
  /**
   * Marks the head of a kernel loop (`site`: a name unique among all kernels' loops) with the
   * values of its live variables. Production seams leave it out (kernels call it as
   * `A.at?.(site, ...live)`: one property miss, the arguments never evaluated); under the
   * explorer it is no step, only a note for state caching (`explore(..., { reduce: "states" })`),
   * which then forgets the history of the loop's earlier laps: a thread that arrives here again
   * with the same `live` values is in the same local state. The contract that makes it sound:
   *
   * - `A.loop?.(site, back)` runs once each time the loop is entered, before its first
   *   `A.at?.(site)`;
   * - every local variable of the kernel (and of the kernel functions and wrappers that called it,
   *   up to the user's call) that the code after the head may read is either unchanged since
   *   the `back` shared accesses before `A.loop?.(site, back)` or among `live` (numbers, bigints,
   *   strings, booleans; anything else is compared as its text).
   *
   * Breaking it makes state caching merge states that differ: it can then miss states and
   * failures (`tests/explore/loop_marks_test.ts` compares it against the plain search).
   */
  at?(site: string, ...live: unknown[]): void;
}

/**
 * The generator form of {@linkcode Seam}, used by derived kernels (`src/kernel_gen/`). What the
 * generators yield is private to whoever drives them (the async driver or the explorer).
 */
export interface GenSeam {
  // One member per operation, written out as in Seam: kernels call each by name, typed per element.
  /** See {@linkcode Seam.spin}. */
  readonly spin: number;
  /** See {@linkcode Seam.lockSpin}. */
  readonly lockSpin: number;
  /** See {@linkcode Seam.notifySpin} (a plain call: it never suspends). */
  notifySpin(seq: number): number;
  /** See {@linkcode Seam.load}. */
  load<T extends AtomicArray>(a: T, i: number): Generator<unknown, ElementOf<T>, unknown>;
  /** See {@linkcode Seam.store}. */
  store<T extends AtomicArray>(
    a: T,
    i: number,
    v: ElementOf<T>,
  ): Generator<unknown, ElementOf<T>, unknown>;
  /** See {@linkcode Seam.add}. */
  add<T extends AtomicArray>(
    a: T,
    i: number,
    v: ElementOf<T>,
  ): Generator<unknown, ElementOf<T>, unknown>;
  /** See {@linkcode Seam.sub}. */
  sub<T extends AtomicArray>(
    a: T,
    i: number,
    v: ElementOf<T>,
  ): Generator<unknown, ElementOf<T>, unknown>;
  /** See {@linkcode Seam.exchange}. */
  exchange<T extends AtomicArray>(
    a: T,
    i: number,
    v: ElementOf<T>,
  ): Generator<unknown, ElementOf<T>, unknown>;
  /** See {@linkcode Seam.compareExchange}. */
  compareExchange<T extends AtomicArray>(
    a: T,
    i: number,
    expected: ElementOf<T>,
    replacement: ElementOf<T>,
  ): Generator<unknown, ElementOf<T>, unknown>;
  /** See {@linkcode Seam.wait}. */
  wait(
    a: Int32Array,
    i: number,
    expected: number,
    deadline: number,
  ): Generator<unknown, WaitResult, unknown>;
  /** See {@linkcode Seam.notify}. */
  notify(a: Int32Array, i: number, count: number): Generator<unknown, number, unknown>;
  /** See {@linkcode Seam.pause}. */
  pause(): Generator<unknown, void, unknown>;
  /** See {@linkcode Seam.loop}: a plain call, never a suspension. */
  loop?(site: string, back?: number): void;
  /** See {@linkcode Seam.at}: a plain call, never a suspension. */
  at?(site: string, ...live: unknown[]): void;
}

/** The return type of a derived (generator-form) kernel function. */
export type KernelGen<R> = Generator<unknown, R, unknown>;

// Atomics' own signatures are overloaded per element type; the seam's generic signatures are
// checked at the call sites, so the forwards below (and the explorer's engine, which applies the
// very same operations to its simulated memory) view Atomics through one loose signature.
type Loose = (a: AtomicArray, i: number, ...v: (number | bigint)[]) => never;
/** `Atomics` through one loose signature per operation (for the seam and the explorer only). */
export const atomics = Atomics as unknown as {
  load: Loose;
  store: Loose;
  add: Loose;
  sub: Loose;
  exchange: Loose;
  compareExchange: Loose;
  notify: Loose;
  wait: Loose;
  pause?: () => void;
};
const atomicsPause: () => void = atomics.pause?.bind(Atomics) ?? (() => {});

/**
 * The longest one blocking sleep of this thread may last (ms), whatever its deadline: `Infinity`
 * unless a robust acquire set its patience (see {@linkcode setNap}).
 */
let nap = Infinity;

/**
 * Caps each blocking sleep (`REAL.wait`) of this thread at `ms` until set back to `Infinity`: a
 * robust acquire (`src/sync/_robust.ts`) sleeps at most its patience at a time and then probes
 * the holder. A relative cap, not a deadline, so that a wait with no deadline reads no clock: the
 * `performance.now()` that turns a deadline into a timeout (~100-130 ns here) falls between the
 * waiter's announcing CAS and the engine's check of the word, and with more threads than cores
 * every wait that misses the holder's release costs a round of sleeping and waking
 * (bench/RESULTS.md, "why the Lock class trails").
 */
export function setNap(ms: number): void {
  nap = ms;
}

/** Milliseconds left until `deadline`, as `Atomics.wait` wants them. */
export function remaining(deadline: number): number {
  if (deadline === Infinity) return Infinity;
  const left = deadline - performance.now();
  return left > 0 ? left : 0;
}

/**
 * The most pauses a spin phase may take: ~6 µs (a pause is ~50 ns here), about one sleep and
 * wake-up: long enough that two threads handing a lock back and forth keep catching each other while
 * spinning (with 64, about half of the ping-pong runs in bench/lock_bench.ts fell into sleeping at
 * every hand-off), short enough to waste little when the holder keeps the lock.
 */
export const SPIN_MAX = 128;
/** The fewest pauses the adaptive budget goes down to. */
export const SPIN_MIN = 4;
/** How much the budget grows each time a spin phase starts. */
export const SPIN_GROW = 4;
/**
 * How many pauses the occasional probe of {@linkcode Seam.notifySpin} spins: ~50 µs, longer than a
 * halted vCPU takes to wake (~20-40 µs here), so that one side of a sleeping hand-off catches the
 * other's notify spinning and both spin from then on.
 */
export const SPIN_PROBE = 1024;
/**
 * Of every this many tickets of a `Condition` (a power of 2), two spin a probe: those whose low bits
 * are 0 and 1, so that in a hand-off between two threads (each notify bumps the sequence number
 * once) both sides probe, one after the other.
 */
export const PROBE_EVERY = 512;

/**
 * This thread's spin budgets (each worker has its own copy of this module), one per kind of spin:
 * `budgets[SIGNAL]` for {@linkcode Seam.spin}, `budgets[HOLDER]` for {@linkcode Seam.lockSpin},
 * `budgets[NOTIFY]` for {@linkcode Seam.notifySpin}. The first two adapt by additive increase,
 * multiplicative decrease, as TCP's congestion window: every spin phase that starts (a kernel
 * reads its budget once per phase) raises that budget by {@linkcode SPIN_GROW}; every sleep
 * (`REAL.wait`, which a kernel calls when its spin did not pay off) halves the budget of the
 * phase that read last; a wait that did not sleep (the value had
 * changed since the spin's last check) leaves it alone. When spinning pays (a holder on another
 * core releases within the spin) sleeps are rare and the budget stays at {@linkcode SPIN_MAX};
 * when it does not (more runnable threads than cores, so the holder or the waker is descheduled
 * while we spin and steal its core; or a holder that keeps the lock long), sleeps are frequent and
 * it settles near {@linkcode SPIN_MIN}: the waiter sleeps almost at once, as a plain futex lock
 * does. With a fraction f of phases ending in a sleep it settles near 2 * SPIN_GROW * (1 - f) / f.
 *
 * Why two: with one budget, the sleeps of one kind of wait starved the other's spin. A
 * `Condition` waiter that has slept on the condition takes its lock back from the notifier, who
 * still holds it for a moment; its sleeps had driven the one budget to the minimum, so it spun a
 * few pauses, slept on the lock too, and the notifier's release had to wake it a second time
 * (counted in a scratch run: every lock spin phase of a Condition ping-pong ended asleep, at a
 * budget of 4). Now a thread's waits for signals and its waits for lock holders adapt apart
 * (bench/RESULTS.md, "Condition hand-off and Lock oversubscription").
 *
 * Why a third, adapting otherwise: a `Condition` hand-off between two threads on two idle cores
 * is either spinning (each side catches the other's notify: ~3-5 µs per round trip) or sleeping
 * (each wakes the other from a halted vCPU: ~40 µs), and by additive increase it never left the
 * sleeping state: a sleeping partner takes longer to answer than a full budget spins, so every
 * phase slept and the budget stayed at the minimum (bench/RESULTS.md, "Condition hand-off, why
 * the two benches disagreed"). So `budgets[NOTIFY]` halves after each phase followed by a sleep
 * and goes back to {@linkcode SPIN_MAX} after each that was not (its notify came while it spun:
 * the partner runs); and two tickets in {@linkcode PROBE_EVERY} spin {@linkcode SPIN_PROBE} pauses,
 * long enough to catch a partner that has to wake first, one after the other in a two-thread
 * hand-off, so that the partner then spins too. Where the two share a core no spin can pay, the
 * budget stays at the minimum and the probes cost ~0.2 µs per phase on average (a round trip
 * 0.98-0.99x the previous release's there; on two idle cores 0.16x: bench/RESULTS.md, first
 * section; with 256 in place of 512, 1.06-1.12x and 0.09-0.18x).
 */
const budgets = new Int32Array([SPIN_MAX, SPIN_MAX, SPIN_MAX]);
const SIGNAL = 0;
const HOLDER = 1;
const NOTIFY = 2;
/** The kind of spin whose phase started last: the one a sleep that follows it counts against. */
let phase = SIGNAL;
/** Whether the latest phase of `budgets[NOTIFY]` was followed by a sleep. */
let notifySlept = false;

/** Reads budget `kind` for one spin phase, raising it for the next (see `budgets`). */
function spinPhase(kind: number): number {
  phase = kind;
  const b = budgets[kind]!;
  budgets[kind] = b + SPIN_GROW < SPIN_MAX ? b + SPIN_GROW : SPIN_MAX;
  return b;
}

/**
 * Reads `budgets[NOTIFY]` for one spin phase of a waiter whose ticket is `seq`: the full budget
 * again if the phase before was not followed by a sleep, and a probe for two tickets in every
 * {@linkcode PROBE_EVERY} (see `budgets`).
 */
function notifyPhase(seq: number): number {
  phase = NOTIFY;
  if (!notifySlept) budgets[NOTIFY] = SPIN_MAX;
  notifySlept = false;
  return (seq & (PROBE_EVERY - 1)) < 2 ? SPIN_PROBE : budgets[NOTIFY]!;
}

/** A sleep: the spin before it did not pay off; halves that phase's budget (see `budgets`). */
function slept(): void {
  const b = budgets[phase]! >> 1;
  budgets[phase] = b > SPIN_MIN ? b : SPIN_MIN;
  if (phase === NOTIFY) notifySlept = true;
}

/** The production seam: direct `Atomics` calls, with adaptive spin budgets per thread. */
export const REAL: Seam = {
  get spin(): number {
    return spinPhase(SIGNAL);
  },
  get lockSpin(): number {
    return spinPhase(HOLDER);
  },
  notifySpin: notifyPhase,
  load: (a, i) => atomics.load(a, i),
  store: (a, i, v) => atomics.store(a, i, v),
  add: (a, i, v) => atomics.add(a, i, v),
  sub: (a, i, v) => atomics.sub(a, i, v),
  exchange: (a, i, v) => atomics.exchange(a, i, v),
  compareExchange: (a, i, e, r) => atomics.compareExchange(a, i, e, r),
  wait: (a, i, expected, deadline) => {
    const left = Math.min(remaining(deadline), nap); // remaining(Infinity) reads no clock
    const result = Atomics.wait(a, i, expected, left);
    // A wait that found the value changed did not sleep: the spin all but paid off.
    if (result !== "not-equal") slept();
    return result;
  },
  notify: (a, i, count) => Atomics.notify(a, i, count),
  pause: atomicsPause,
};

/**
 * The realm's `Atomics.waitAsync` as it was when this module loaded. Libraries loaded later may
 * replace the global (the npm `multithreading` package wraps it in a `setImmediate` loop that runs
 * until the wait settles); the presence waiters every thread keeps (`src/sync/_presence.ts`) never
 * settle, so through such a wrapper they would keep the thread's event loop busy forever and its
 * program would never exit.
 */
const nativeWaitAsync = Atomics.waitAsync;

/**
 * `Atomics.waitAsync` with the same deadline convention as {@linkcode Seam.wait}. Returns the result
 * directly when it is known at once ("not-equal", or "timed-out" for a passed deadline). Uses the
 * native `Atomics.waitAsync` captured when this module loaded, whatever replaced the global since.
 */
export function waitAsync(
  a: Int32Array,
  i: number,
  expected: number,
  deadline: number,
): WaitResult | Promise<WaitResult> {
  return nativeWaitAsync(a, i, expected, remaining(deadline)).value;
}

/** A wait that a derived kernel asks the {@linkcode ASYNC} driver to perform. */
export interface WaitRequest {
  /** The array waited on. */
  readonly a: Int32Array;
  /** The index waited on. */
  readonly i: number;
  /** The value that must still be there for the wait to sleep. */
  readonly expected: number;
  /** Absolute deadline in `performance.now()` ms. */
  readonly deadline: number;
}

/**
 * The production generator seam: every operation but `wait` completes at once through {@linkcode REAL};
 * `wait` yields a {@linkcode WaitRequest} that `runAsync` (in `src/_async.ts`) turns into
 * `Atomics.waitAsync`.
 */
export const ASYNC: GenSeam = {
  // One generator per operation, written out: each call site in a kernel stays monomorphic.
  // The async forms spin the full budget: their sleeps (waitAsync) do not block the thread.
  spin: SPIN_MAX,
  lockSpin: SPIN_MAX,
  notifySpin: () => SPIN_MAX,
  // deno-lint-ignore require-yield
  *load(a, i) {
    return REAL.load(a, i);
  },
  // deno-lint-ignore require-yield
  *store(a, i, v) {
    return REAL.store(a, i, v);
  },
  // deno-lint-ignore require-yield
  *add(a, i, v) {
    return REAL.add(a, i, v);
  },
  // deno-lint-ignore require-yield
  *sub(a, i, v) {
    return REAL.sub(a, i, v);
  },
  // deno-lint-ignore require-yield
  *exchange(a, i, v) {
    return REAL.exchange(a, i, v);
  },
  // deno-lint-ignore require-yield
  *compareExchange(a, i, e, r) {
    return REAL.compareExchange(a, i, e, r);
  },
  *wait(a, i, expected, deadline) {
    const request: WaitRequest = { a, i, expected, deadline };
    return (yield request) as WaitResult;
  },
  // deno-lint-ignore require-yield
  *notify(a, i, count) {
    return REAL.notify(a, i, count);
  },
  // deno-lint-ignore require-yield
  *pause() {
    REAL.pause();
  },
};
