/**
 * Data races on plain memory, found online while the virtual threads of an instrumented module run
 * (`_runtime.ts` calls in here at every shared access it makes), FastTrack-style (Flanagan and
 * Freund 2009): a vector clock per thread, and per location the clock of its last plain write, and
 * each thread's last plain read, atomic read and atomic write.
 *
 * Happens-before (what orders two accesses of different threads):
 * - program order within a thread; everything `setup()` did before every thread;
 * - an `Atomics` write (store, read-modify-write, a compare-exchange that wrote) releases its
 *   address, an `Atomics` read (load, read-modify-write, any compare-exchange, a wait's check)
 *   acquires it (JavaScript's atomics are sequentially consistent, so a read that sees a write
 *   synchronizes with it; joining every earlier write of the address is conservative);
 * - `Atomics.notify` releases the waiter list of its address and a wait it woke acquires it;
 * - every operation on an Interlock object releases the object when it starts and acquires it when
 *   it ends (a `Condition` also its lock). This is conservative: two operations that do not
 *   synchronize in the primitive's kernel (two `locked()` calls) are taken to, so a race may hide
 *   behind them, but none is invented.
 *
 * A race is two accesses of different threads to the same element (same buffer and byte offset),
 * at least one a write and at least one plain, neither ordered before the other. Accesses through
 * views of different element sizes over the same bytes are not compared.
 *
 * An execution's state starts when thread 0's body is called (`start`), so race detection covers
 * scenarios whose threads come from `module.thread()` (as `fromModule` builds them), thread 0
 * included; threads whose body did not `start` in this execution are not tracked.
 *
 * @module
 */
import type { Thread } from "./_engine.ts";
import { DataRaceError, type RaceAccess, type SourceSite } from "./_module_errors.ts";
import { Namer } from "./_scenario.ts";

/** Most threads an execution has (`Scenario.threads` holds at most 30). */
const WIDTH = 32;

/** Most distinct addresses a spin loop reads (see `RaceDetector.spins`). */
const STRETCH = 8;

const PLAIN_READ = 0;
const PLAIN_WRITE = 1;
const ATOMIC_READ = 2;
const ATOMIC_WRITE = 3;
/** How an access is named in reports. */
const KINDS = ["read", "write", "atomic read", "atomic write"] as const;

/** What is known of one location. */
class Location {
  /** The execution this knowledge is of (see `RaceDetector.#gen`). */
  gen = 0;
  /** Threads 0 … n - 1 may have entries below. */
  n = 0;
  /** Last plain write: thread (-1: none), its clock then, and its site. */
  pwThread = -1;
  pwClock = 0;
  pwSite = 0;
  /** Per thread: the clock of its last plain read, atomic read, atomic write (0: none). */
  readonly pr = new Int32Array(WIDTH);
  readonly ar = new Int32Array(WIDTH);
  readonly aw = new Int32Array(WIDTH);
  /** ... and the sites of those accesses. */
  readonly prSite = new Int32Array(WIDTH);
  readonly arSite = new Int32Array(WIDTH);
  readonly awSite = new Int32Array(WIDTH);

  /** Forgets every access: knowledge of execution `gen` starts. */
  renew(gen: number): void {
    const n = this.n;
    this.gen = gen;
    this.n = 0;
    this.pwThread = -1;
    this.pr.fill(0, 0, n);
    this.ar.fill(0, 0, n);
    this.aw.fill(0, 0, n);
  }
}

/** The race detector of the current execution (one per process: executions never overlap). */
export class RaceDetector {
  readonly #siteOf: (id: number) => SourceSite;
  /** Vector clock of each thread (`clocks[t][u]`: the last step of u that happens before t now). */
  readonly #clocks: Int32Array[] = Array.from({ length: WIDTH }, () => new Int32Array(WIDTH));
  /** The Thread object each id stands for in this execution (others are not tracked). */
  readonly #owner: (Thread | undefined)[] = new Array(WIDTH).fill(undefined);
  /** Per thread: its body started in this execution, and it is not registered yet. */
  readonly #starting: boolean[] = new Array(WIDTH).fill(false);
  readonly #names: string[] = new Array(WIDTH).fill("");
  /**
   * Per thread: what it acquires when its current operation ends (see
   * {@linkcode RaceDetector.later}): objects, and one more object (NaN: none).
   */
  readonly #pending: (readonly number[] | undefined)[] = new Array(WIDTH).fill(undefined);
  readonly #pendingAcquire = new Float64Array(WIDTH).fill(NaN);
  #width = 0;
  /**
   * The execution the state below is of: a location or clock of another is stale and starts over
   * on first use, so that starting an execution costs no sweep of them. (The maps are emptied once
   * they grow large: executions that make fresh state (`reset: "setup"`) have fresh addresses.)
   */
  #gen = 1;
  readonly #locations = new Map<number, Location>();
  /** Synchronization objects' clocks; word WIDTH holds the execution they are of. */
  readonly #sync = new Map<number, Int32Array>();
  readonly #scratch = new Int32Array(WIDTH);
  #shared: unknown = undefined;
  /** The first race of this execution, if any. */
  race: DataRaceError | undefined = undefined;
  /**
   * Per thread: the addresses it read since it last wrote or synchronized (see `spins`), up to
   * STRETCH of them from `t * STRETCH` on, and how many.
   */
  readonly #stretch = new Float64Array(WIDTH * STRETCH);
  readonly #stretched = new Int32Array(WIDTH);

  /** `siteOf` turns a site id of the instrumented code into its place in the source. */
  constructor(siteOf: (id: number) => SourceSite) {
    this.#siteOf = siteOf;
  }

  /**
   * Thread `id`'s body is called (it has not run yet) with `shared` as the execution's state:
   * thread 0 starts a new execution (every earlier state is dropped); the thread is tracked from
   * its first access on (`tracks`), by the `Thread` object that makes it.
   */
  start(id: number, shared: unknown): void {
    if (id >= WIDTH) return;
    if (id === 0) this.#reset(shared);
    this.#starting[id] = true;
  }

  /** Registers `t`, whose body started in this execution (see {@linkcode RaceDetector.start}). */
  #register(t: Thread): boolean {
    const id = t.id;
    this.#starting[id] = false;
    this.#owner[id] = t;
    this.#names[id] = t.name;
    const c = this.#clocks[id]!;
    c.fill(0);
    c[id] = 1;
    if (id >= this.#width) this.#width = id + 1;
    return true;
  }

  #reset(shared: unknown): void {
    const n = this.#width;
    this.#owner.fill(undefined, 0, n);
    this.#starting.fill(false);
    this.#pending.fill(undefined, 0, n);
    this.#pendingAcquire.fill(NaN, 0, n);
    this.#stretched.fill(0, 0, n);
    this.#width = 0;
    this.#gen = (this.#gen + 1) | 0;
    if (this.#locations.size > 4096) this.#locations.clear();
    if (this.#sync.size > 4096) this.#sync.clear();
    this.#shared = shared;
    this.race = undefined;
  }

  /** What is known of address `addr` in this execution. */
  #location(addr: number): Location {
    let loc = this.#locations.get(addr);
    if (loc === undefined) {
      loc = new Location();
      this.#locations.set(addr, loc);
    }
    if (loc.gen !== this.#gen) loc.renew(this.#gen);
    return loc;
  }

  /** The clock of synchronization object `key` in this execution, if it has one. */
  #clockOf(key: number, make: boolean): Int32Array | undefined {
    let l = this.#sync.get(key);
    if (l === undefined) {
      if (!make) return undefined;
      l = new Int32Array(WIDTH + 1);
      this.#sync.set(key, l);
    }
    if (l[WIDTH] !== this.#gen) {
      if (!make) return undefined;
      l.fill(0);
      l[WIDTH] = this.#gen;
    }
    return l;
  }

  /**
   * Whether `t`, about to read `addr`, already read it since it last wrote or synchronized: it is
   * spinning (a loop of reads waiting for another thread), and should give way before it reads
   * again (`_runtime.ts` makes it pause), so that a spin loop ends under every strategy.
   */
  spins(t: Thread, addr: number): boolean {
    const id = t.id;
    if (id >= WIDTH) return false;
    const base = id * STRETCH;
    const n = this.#stretched[id]!;
    for (let k = 0; k < n; k++) {
      if (this.#stretch[base + k] === addr) {
        this.#stretch[base] = addr;
        this.#stretched[id] = 1;
        return true;
      }
    }
    // A longer stretch of distinct reads is no spin worth catching: start over.
    const at = n < STRETCH ? n : 0;
    this.#stretch[base + at] = addr;
    this.#stretched[id] = at + 1;
    return false;
  }

  /** `t` wrote or synchronized: its reads start a new stretch (see {@linkcode RaceDetector.spins}). */
  moved(t: Thread): void {
    if (t.id < WIDTH) this.#stretched[t.id] = 0;
  }

  /** Whether `t` is tracked in this execution. */
  tracks(t: Thread): boolean {
    const id = t.id;
    return id < WIDTH &&
      (this.#owner[id] === t || this.#starting[id] === true && this.#register(t));
  }

  /**
   * Checks and records an access of `t` to element `i` of `a` (its address `addr`), which `t` is
   * about to make: `t` is parked before it, so it could make it now, and its clock does not move
   * before it does. Throws (and keeps) a {@linkcode DataRaceError} if it races with an earlier one.
   * An atomic read also counts what it acquires from `key` (the writes it may read from).
   */
  access(
    t: Thread,
    a: ArrayBufferView,
    i: number,
    addr: number,
    write: boolean,
    atomic: boolean,
    site: number,
    key = NaN,
  ): void {
    if (this.race !== undefined || !this.tracks(t)) return;
    this.settle(t);
    const me = t.id;
    let vc = this.#clocks[me]!;
    const l = atomic && !write ? this.#clockOf(key, false) : undefined;
    if (l !== undefined) {
      const joined = this.#scratch;
      for (let u = 0; u < this.#width; u++) joined[u] = Math.max(vc[u]!, l[u]!);
      vc = joined;
    }
    const loc = this.#location(addr);
    if (me >= loc.n) loc.n = me + 1;
    // Against the last plain write (every kind of access conflicts with it).
    const w = loc.pwThread;
    if (w >= 0 && w !== me && loc.pwClock > vc[w]!) {
      this.#found(a, i, w, PLAIN_WRITE, loc.pwSite, me, write, atomic, site);
    }
    const n = this.#width;
    for (let u = 0; u < n; u++) {
      if (u === me) continue;
      const uc = vc[u]!;
      if (!atomic && loc.aw[u]! > uc) {
        this.#found(a, i, u, ATOMIC_WRITE, loc.awSite[u]!, me, write, atomic, site);
      }
      if (write) {
        if (loc.pr[u]! > uc) {
          this.#found(a, i, u, PLAIN_READ, loc.prSite[u]!, me, write, atomic, site);
        }
        if (!atomic && loc.ar[u]! > uc) {
          this.#found(a, i, u, ATOMIC_READ, loc.arSite[u]!, me, write, atomic, site);
        }
      }
    }
    const now = vc[me]!;
    if (write && !atomic) {
      loc.pwThread = me;
      loc.pwClock = now;
      loc.pwSite = site;
    } else if (write) {
      loc.aw[me] = now;
      loc.awSite[me] = site;
    } else if (atomic) {
      loc.ar[me] = now;
      loc.arSite[me] = site;
    } else {
      loc.pr[me] = now;
      loc.prSite[me] = site;
    }
  }

  #found(
    a: ArrayBufferView,
    i: number,
    thread: number,
    kind: number,
    site: number,
    me: number,
    write: boolean,
    atomic: boolean,
    mySite: number,
  ): never {
    const access = (thread: number, kind: number, site: number): RaceAccess => ({
      thread,
      threadName: this.#names[thread]!,
      kind: KINDS[kind]!,
      site: this.#siteOf(site),
    });
    const address = new Namer(this.#shared).name(a as never, i);
    this.race = new DataRaceError(
      address,
      access(thread, kind, site),
      access(me, (atomic ? 2 : 0) + (write ? 1 : 0), mySite),
    );
    throw this.race;
  }

  /** `t` releases the synchronization object `key`: what it did so far happens before its acquirers. */
  release(t: Thread, key: number): void {
    if (!this.tracks(t)) return;
    this.settle(t);
    const id = t.id;
    const vc = this.#clocks[id]!;
    const l = this.#clockOf(key, true)!;
    const n = this.#width;
    for (let u = 0; u < n; u++) if (vc[u]! > l[u]!) l[u] = vc[u]!;
    vc[id]!++;
  }

  /**
   * `t` acquires `keys` (objects, or one) when the operation it starts now ends: at its next access
   * (the first thing `access`, `release` and `settle` do). That comes in the same step as the end
   * of the operation, since a thread runs its own code up to its next access in one step, and no
   * other thread moves in between. (A thread that ends right after has no access left to order.)
   */
  later(t: Thread, keys: readonly number[] | number): void {
    if (!this.tracks(t)) return;
    if (typeof keys === "number") this.#pendingAcquire[t.id] = keys;
    else this.#pending[t.id] = keys;
  }

  /** Performs `t`'s pending acquires (see {@linkcode RaceDetector.later}). */
  settle(t: Thread): void {
    const id = t.id;
    const keys = this.#pending[id];
    const one = this.#pendingAcquire[id]!;
    if (keys === undefined && one !== one) return;
    this.#pending[id] = undefined;
    this.#pendingAcquire[id] = NaN;
    if (this.#owner[id] !== t) return;
    if (keys !== undefined) { for (const k of keys) this.acquire(t, k); }
    if (one === one) this.acquire(t, one);
  }

  /** `t` acquires the synchronization object `key`: what its releasers did happens before `t` now. */
  acquire(t: Thread, key: number): void {
    if (!this.tracks(t)) return;
    const l = this.#clockOf(key, false);
    if (l === undefined) return;
    const vc = this.#clocks[t.id]!;
    const n = this.#width;
    for (let u = 0; u < n; u++) if (l[u]! > vc[u]!) vc[u] = l[u]!;
  }
}

/** The synchronization key of the waiter list of address `addr` (distinct from every address). */
export function waitersKey(addr: number): number {
  return -addr - 1;
}
