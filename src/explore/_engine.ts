/**
 * The explorer's engine: one execution of a scenario under a scheduling policy.
 *
 * How a step works. A thread is a generator; every shared access it makes goes through the simulated
 * seam {@linkcode SIM} (directly, through `sim(x)` wrappers, or through a derived kernel from
 * `src/kernel_gen/`). A seam operation does not touch memory: it writes an operation descriptor into
 * the thread's own record (no allocation) and yields. So between steps every unfinished thread is
 * parked *before* its next shared access, and the scheduler knows what each would do next. A step
 * picks one thread, performs its pending operation atomically on the real shared memory (with the
 * real `Atomics` function, so values wrap and coerce exactly as in production), and resumes that
 * thread, which runs its thread-local code up to its next shared access. Every shared access is
 * therefore a preemption point, and operations are sequentially consistent, as `Atomics` is.
 *
 * Waiting is simulated exactly: `wait` checks the value and joins the waiter list of its address
 * (keyed by buffer and byte index) in one step, or returns "not-equal"; a sleeper wakes only by a
 * `notify` (arrival order, count respected: it resumes with "ok" within the notifier's step) or, if
 * its deadline is finite, by its timeout firing, which is one more scheduling choice (there is no
 * clock). A `pause` (a spin-wait hint) that ends a spin loop's repeated iteration (the same reads,
 * no side effect) awaits a change of what the thread read (`_await.ts`): the thread cannot move
 * until another thread changes one of those words, unless no other thread can move at all; so
 * spin loops neither multiply schedules nor run forever.
 *
 * Threads that die. `terminate(k)` (a step of another thread, as `worker.terminate()` is a call of
 * another thread) ends thread k wherever it is: it runs no more code, and its waits are dropped, as
 * V8 drops a dead isolate's waiters. Each thread has an entry in the execution's presence registry
 * (`src/kernel/presence.ts`; made when first needed: entry k is Tk's, id k + 1, with a lease of
 * `PRESENCE_LEASE` (`_presence.ts`)); a `notify` on its `here` word counts one waiter while the thread
 * lives and none once it is terminated, so the production probe tells the two apart. A sleep begun
 * in a robust acquire (`patient`: production sleeps at most its patience, then probes the holder)
 * may also end when its patience runs out: one more scheduling choice, offered once per
 * termination since the sleeper last ran out (probing while every thread lives changes nothing
 * but a lease, so it is not explored). A termination depends on every step (`_access.ts`).
 *
 * @module
 */
import { type AtomicArray, atomics } from "../_atomics.ts";
import { coerced, type Stretch, watchOf } from "./_await.ts";
import { type Ending, type Event, type Pending, stepRecord, type Watch } from "./_event.ts";
import { Waiters } from "./_waiters.ts";
import { describeError, verdict } from "./_verdict.ts";
import { deadlockNames, type Holding } from "./_holding.ts";
import type { Parts, SpecRun } from "./_spec_step.ts";
import { blockedBy, pendingOf, runSpec, specBlocked } from "./_spec_run.ts";
import { hereWord, presenceNotified, presenceRegistryOf } from "./_presence.ts";
import {
  ADD,
  addressOf,
  BLOCKED,
  CAS,
  DONE,
  LOAD,
  NOTIFY,
  numberBuffers,
  OP,
  PAUSE,
  RUNNABLE,
  setRunning,
  SPEC,
  STORE,
  SUB,
  TERMINATE,
  Thread,
  TIMEOUT,
  WAIT,
  XCHG,
} from "./_thread.ts";

export type { Ending, Event, Pending, Watch } from "./_event.ts";
// The engine's callers reach threads, operation codes and the simulated seam through it.
export * from "./_thread.ts";

/** Everything an execution needs from a scenario, prepared once. */
export interface Prepared {
  /** Returns the shared state for a fresh execution (restored snapshot or a new `setup()`). */
  fresh(): unknown;
  /** Thread bodies. */
  bodies: readonly ((shared: never, id: number) => Iterator<unknown, unknown, unknown>)[];
  /** Display names of the threads. */
  names: readonly string[];
  /** Checked after every complete execution. */
  invariant: ((shared: never, results: unknown[]) => unknown) | undefined;
  /** Checked after every step. */
  always: ((shared: never) => unknown) | undefined;
  /** Step bound of one execution (livelock beyond). */
  maxSteps: number;
  /** The words of a state's shared memory, buffer by buffer in a fixed order (to number them). */
  memoryOf?(shared: unknown): readonly { readonly buffer: ArrayBufferLike }[];
  /** Names addresses of a state (`lock.state`), for deadlock reports. */
  namer?(shared: unknown): (a: AtomicArray, i: number) => string;
}

/** A scheduling policy: returns the id of the enabled thread that moves next, or -1 to stop. */
export type Chooser = (ex: Execution) => number;

let runningEx: Execution | undefined;

/** The execution whose thread runs now (its wrappers' presence registry, see the module doc). */
export function currentExecution(): Execution {
  if (runningEx === undefined) throw new Error("No explorer execution is running");
  return runningEx;
}

/** One execution of a scenario. */
export class Execution {
  readonly threads: Thread[];
  /** Ids of the threads that can move now (valid during `choose`). */
  readonly enabled: number[];
  /** How many entries of `enabled` are valid. */
  count = 0;
  /** The thread that made the previous step, or -1. */
  last = -1;
  /** Steps made. */
  steps = 0;
  /** Preemptions made (switches away from a thread that could have continued). */
  preemptions = 0;
  /** Thread id of every step, in order. */
  readonly choices: number[] = [];
  /** Recorded steps (when recording). */
  readonly events: Event[] | undefined;
  /** How it ended (set when it ends). */
  ending: Ending = "ok";
  /** Why it failed, in words. */
  reason = "";
  /** The error behind the failure (thrown by a thread or an invariant), if any. */
  cause: unknown = undefined;
  /** The shared state it ran on. */
  readonly shared: unknown;
  /** Whether awaiting threads are enabled only because no other thread can move (see `collect`). */
  forced = false;
  /** The specification-level state of each unit touched, by key address (`_spec_step.ts`). */
  readonly units: Map<number, Parts> = new Map();
  /** What each thread holds at the specification level (`_holding.ts`), for deadlocks. */
  readonly holding: Holding = new Map();
  /** How many threads another thread terminated so far. */
  terminations = 0;
  /** The waiter lists (read by the state-caching search, `_stateful.ts`). */
  readonly waiters: Waiters;
  /** The threads' presence registry (made when first needed; only `presenceRegistry` sets it). */
  registry: Int32Array | undefined;
  /** The scenario's shared memory for this execution (`Prepared.memoryOf`, surveyed once). */
  readonly memory: readonly { readonly buffer: ArrayBufferLike }[];

  constructor(p: Prepared, record: boolean) {
    this.shared = p.fresh();
    this.memory = p.memoryOf ? p.memoryOf(this.shared) : [];
    numberBuffers(this.memory.map((w) => w.buffer));
    this.events = record ? [] : undefined;
    const n = p.bodies.length;
    this.threads = new Array(n);
    this.enabled = new Array(n).fill(0);
    for (let k = 0; k < n; k++) this.threads[k] = new Thread(k, p.names[k]!);
    this.waiters = new Waiters();
  }

  /** Starts every thread (runs it to its first shared access). */
  start(p: Prepared): void {
    for (const t of this.threads) {
      let gen: unknown;
      try {
        gen = p.bodies[t.id]!(this.shared as never, t.id);
      } catch (e) {
        this.#fail(t, e);
        continue;
      }
      if (typeof (gen as Iterator<unknown>)?.next !== "function") {
        this.#fail(
          t,
          new TypeError(`Thread ${t.id} (${t.name}) is not a generator function: write function*`),
        );
        continue;
      }
      t.gen = gen as Iterator<unknown, unknown, unknown>;
      this.#resume(t, undefined, false);
    }
  }

  /** Fills `enabled`/`count`; returns the count. */
  collect(): number {
    const ts = this.threads;
    let c = 0;
    let awaiting = 0;
    for (let k = 0; k < ts.length; k++) {
      const t = ts[k]!;
      if (t.status === RUNNABLE) {
        if (t.op === SPEC) {
          if (!specBlocked(this, t)) this.enabled[c++] = k;
        } else if (this.awaits(t) && !t.stretch.changed()) awaiting++;
        else this.enabled[c++] = k;
      } else if (
        t.status === BLOCKED && (t.deadline !== Infinity || t.abortWait || this.#impatient(t))
      ) {
        this.enabled[c++] = k;
      }
    }
    // Nobody else can move: awaiting threads move anyway (see `_await.ts`).
    this.forced = c === 0 && awaiting > 0;
    if (this.forced) {
      for (let k = 0; k < ts.length; k++) {
        if (ts[k]!.status === RUNNABLE && ts[k]!.op !== SPEC) this.enabled[c++] = k;
      }
    }
    this.count = c;
    return c;
  }

  /**
   * Whether runnable thread `t`'s pending step awaits a change of what it read: a `pause`, or a
   * `wait` that re-waits on a value it already missed, at the end of a stretch with no side effect.
   */
  awaits(t: Thread): boolean {
    const s = t.stretch;
    if (!s.clean) return false;
    if (t.op === PAUSE) return s.guardsPause();
    if (t.op !== WAIT || s.missedAt.length === 0) return false;
    const expected = coerced(t.a, t.x);
    return expected !== undefined && s.guardsWait(addressOf(t.a, t.i), expected);
  }

  /** Whether thread `k` is in `enabled`. */
  isEnabled(k: number): boolean {
    for (let j = 0; j < this.count; j++) if (this.enabled[j] === k) return true;
    return false;
  }

  /** Makes thread `k` (which must be enabled) move one step. */
  step(k: number): void {
    const t = this.threads[k]!;
    t.marks.length = 0; // what it passes from here on (a sleep passes none)
    const preempted = this.last >= 0 && this.last !== k && this.isEnabled(this.last);
    if (preempted) this.preemptions++;
    this.choices.push(k);
    this.steps++;
    this.last = k;
    if (t.status === BLOCKED) {
      // The timeout fires (the sleeper leaves the waiter list), or its patience runs out (likewise;
      // it probes its holder next), or the abort signal fires (likewise, and every other waiter of
      // the word is woken, as production's abort listener notifies the word: see `_waiters.ts`);
      // either way the kernel sees "timed-out". Patience first: it is due only after a termination.
      const patience = t.outOfPatience = this.#impatient(t);
      if (patience) t.probedAt = this.terminations;
      const woke = this.waiters.leave(t, patience);
      t.stretch.dirty();
      const ev = this.#record(t, TIMEOUT, preempted, "timed-out");
      if (ev) {
        ev.after = atomics.load(t.a, t.i);
        ev.aborted = t.aborted && !patience;
        ev.patience = patience;
        if (woke.length > 0) {
          ev.woke = woke;
          ev.disabled = this.#cancelled(woke);
        }
      }
      for (const w of woke) this.#resume(this.threads[w]!, "ok", false);
      this.#resume(t, "timed-out", false);
      // (Read the thread afresh: leave() made it runnable, which the narrowing above cannot see.)
      if (ev) ev.finished = this.threads[k]!.status === DONE;
      return;
    }
    const s = t.stretch;
    // A step that awaited a change ends the stretch (the loop's iteration) it guarded.
    let watch: Watch | undefined;
    const awaited = this.awaits(t);
    if (awaited) {
      if (this.events !== undefined) watch = watchOf(s);
      s.next();
    }
    let result: unknown;
    let before: number | bigint | undefined;
    let after: number | bigint | undefined;
    let slept = false;
    let woke: number[] | undefined;
    let killed: Pending[] | undefined;
    let threw = false;
    // Awaits another thread could make now that this write may take away (recorded runs only).
    const open = this.events !== undefined && (t.op >= STORE && t.op <= CAS || t.op === SPEC)
      ? this.#openAwaits(t)
      : undefined;
    let spec: SpecRun | undefined;
    try {
      switch (t.op) {
        case LOAD:
          result = before = after = atomics.load(t.a, t.i);
          s.read(t.a, t.i, addressOf(t.a, t.i), before);
          break;
        case STORE:
          before = atomics.load(t.a, t.i);
          result = atomics.store(t.a, t.i, t.x);
          after = atomics.load(t.a, t.i);
          this.#wrote(s, t, before, after);
          break;
        case ADD:
        case SUB:
        case XCHG:
        case CAS:
          result = before = t.op === ADD
            ? atomics.add(t.a, t.i, t.x)
            : t.op === SUB
            ? atomics.sub(t.a, t.i, t.x)
            : t.op === XCHG
            ? atomics.exchange(t.a, t.i, t.x)
            : atomics.compareExchange(t.a, t.i, t.x, t.y);
          after = atomics.load(t.a, t.i);
          this.#wrote(s, t, before, after);
          break;
        case WAIT:
          result = this.waiters.wait(t);
          slept = result === undefined;
          if (slept) {
            s.dirty();
          } else {
            before = after = atomics.load(t.a, t.i);
            const at = addressOf(t.a, t.i);
            s.read(t.a, t.i, at, before);
            s.missed(at, coerced(t.a, t.x)!);
          }
          break;
        case NOTIFY:
          s.dirty();
          if (this.registry !== undefined && t.a.buffer === this.registry.buffer) {
            result = presenceNotified(t, this.threads);
            break;
          }
          woke = this.waiters.notify(t);
          result = woke.length;
          break;
        case TERMINATE:
          s.dirty();
          killed = this.#terminate(t);
          result = killed !== undefined;
          break;
        case PAUSE:
          if (!awaited) s.next();
          break;
        case SPEC:
          before = atomics.load(t.a, t.i);
          spec = runSpec(this, t);
          after = atomics.load(t.a, t.i);
          result = spec.result;
          threw = spec.threw;
          if (threw || spec.record.wrote || spec.record.timedOut || !t.spec!.target.watchable) {
            s.dirty();
          } else s.read(t.a, t.i, addressOf(t.a, t.i), before);
          break;
      }
    } catch (e) {
      threw = true;
      result = e;
      s.dirty();
    }
    const ev = this.events === undefined ? undefined : this.#record(t, t.op, preempted, result);
    if (ev) {
      ev.slept = slept;
      ev.woke = woke;
      ev.threw = threw;
      ev.before = before;
      ev.watch = watch;
      ev.forced = watch !== undefined && this.forced;
      if (!threw && t.op !== PAUSE) ev.after = after ?? atomics.load(t.a, t.i);
      if (spec) {
        ev.before = before;
        ev.after = after;
        ev.spec = spec.record;
        if (spec.record.wrote) ev.disabled = blockedBy(this, t, spec.record);
      }
      if (woke) ev.disabled = this.#cancelled(woke);
      else if (open !== undefined && before !== after) {
        const closed = this.#closed(open);
        if (closed) ev.disabled = [...(ev.disabled ?? []), ...closed];
      } else if (killed !== undefined && killed.length > 0) ev.disabled = killed;
    }
    if (woke) { for (const w of woke) this.#resume(this.threads[w]!, "ok", false); }
    if (!slept) this.#resume(t, result, threw);
    if (ev) {
      ev.finished = t.status === DONE;
      // A thread that now waits at a blocked specification-level call: see Event.parked.
      if (t.status === RUNNABLE && t.op === SPEC && specBlocked(this, t)) ev.parked = pendingOf(t);
    }
  }

  /** The timeouts (or aborts) the sleepers in `woke` could have taken before they were woken. */
  #cancelled(woke: readonly number[]): Pending[] | undefined {
    let out: Pending[] | undefined;
    for (const w of woke) {
      const u = this.threads[w]!;
      if (u.deadline === Infinity && !u.abortWait && !this.#impatient(u)) continue;
      (out ??= []).push({ thread: w, op: TIMEOUT, a: u.a, i: u.i, x: u.x, watch: undefined });
    }
    return out;
  }

  /** Other threads whose await could move now (a watched word changed). */
  #openAwaits(t: Thread): Pending[] | undefined {
    let out: Pending[] | undefined;
    for (const u of this.threads) {
      if (u === t || u.status !== RUNNABLE || !this.awaits(u) || !u.stretch.changed()) continue;
      (out ??= []).push({
        thread: u.id,
        op: u.op,
        a: u.a,
        i: u.i,
        x: u.x,
        watch: watchOf(u.stretch),
      });
    }
    return out;
  }

  /** The awaits of `open` that can no longer move (every watched word is back as seen). */
  #closed(open: readonly Pending[]): Pending[] | undefined {
    const out = open.filter((o) => !this.threads[o.thread]!.stretch.changed());
    return out.length > 0 ? out : undefined;
  }

  /** A write that stored the value already there is a read; any other one is a side effect. */
  #wrote(s: Stretch, t: Thread, before: number | bigint, after: number | bigint): void {
    if (before === after) s.read(t.a, t.i, addressOf(t.a, t.i), before);
    else s.dirty();
  }

  #record(t: Thread, op: number, preempted: boolean, result: unknown): Event | undefined {
    if (this.events === undefined) return undefined;
    const ev = stepRecord(t.id, op, t, result, preempted);
    ev.frame = t.frame;
    this.events.push(ev);
    return ev;
  }

  /**
   * The presence registry of this execution's threads (`_presence.ts`), made on first use as if
   * every thread had armed its presence when it started: a terminated thread's waiters are gone.
   */
  presenceRegistry(): Int32Array {
    return this.registry ??= presenceRegistryOf(this.threads.length);
  }

  /** Whether `t` sleeps patiently and a thread was terminated since its patience last ran out. */
  #impatient(t: Thread): boolean {
    return t.patientWait && this.terminations > t.probedAt;
  }

  /**
   * Thread `t` terminates thread `t.x`: it never runs again, and its waits leave the waiter lists.
   * Returns the step the terminated thread could have made next (which this one took away), or
   * undefined if it had already ended.
   */
  #terminate(t: Thread): Pending[] | undefined {
    const k = Number(t.x);
    if (!Number.isInteger(k) || k < 0 || k >= this.threads.length || k === t.id) {
      throw new RangeError(
        `Cannot terminate thread ${String(t.x)}: expected the index of another scenario thread`,
      );
    }
    // The step names the terminated thread's presence word (what a probe of it notifies).
    t.a = this.presenceRegistry();
    t.i = hereWord(k);
    const v = this.threads[k]!;
    if (v.status === DONE) return undefined;
    const next: Pending[] = [];
    if (v.status === RUNNABLE && v.op === SPEC) {
      if (!specBlocked(this, v)) next.push(pendingOf(v));
    } else if (v.status === RUNNABLE) {
      next.push({ thread: k, op: v.op, a: v.a, i: v.i, x: v.x, watch: undefined });
    } else if (v.deadline !== Infinity || v.abortWait || this.#impatient(v)) {
      next.push({ thread: k, op: TIMEOUT, a: v.a, i: v.i, x: v.x, watch: undefined });
    }
    this.waiters.drop(v);
    v.status = DONE;
    v.terminated = true;
    v.gen = undefined;
    this.terminations++;
    return next;
  }

  #resume(t: Thread, value: unknown, isError: boolean): void {
    runningEx = this;
    setRunning(t);
    let r: IteratorResult<unknown, unknown>;
    try {
      r = isError ? t.gen!.throw!(value) : t.gen!.next(value);
    } catch (e) {
      setRunning(undefined);
      this.#fail(t, e);
      return;
    }
    setRunning(undefined);
    if (r.done) {
      t.status = DONE;
      t.result = r.value;
    } else if (r.value !== OP) {
      this.#fail(
        t,
        new TypeError(
          `Thread ${t.id} (${t.name}) yielded a value that is not an explorer operation: ` +
            "use yield* with sim(...) methods only",
        ),
      );
    }
  }

  #fail(t: Thread, e: unknown): void {
    t.status = DONE;
    t.failed = true;
    t.error = e;
    if (this.ending === "ok") {
      this.ending = "error";
      this.reason = `thread T${t.id} (${t.name}) threw ${describeError(e)}`;
      this.cause = e;
    }
  }

  /** Marks the execution failed (first failure wins). */
  fail(ending: Ending, reason: string, cause?: unknown): void {
    if (this.ending !== "ok") return;
    this.ending = ending;
    this.reason = reason;
    this.cause = cause;
  }

  /** The threads sleeping with no deadline (or blocked at the specification level). */
  sleepers(): Thread[] {
    return this.threads.filter((t) =>
      t.status === BLOCKED || t.status === RUNNABLE && t.op === SPEC && specBlocked(this, t)
    );
  }

  /** Whether every thread finished. */
  allDone(): boolean {
    for (const t of this.threads) if (t.status !== DONE) return false;
    return true;
  }
}

/**
 * Runs one execution of `p`, letting `choose` pick every step.
 *
 * @param record keep every step as an {@linkcode Event}.
 */
export function execute(p: Prepared, choose: Chooser, record: boolean): Execution {
  const ex = new Execution(p, record);
  ex.start(p);
  const always = p.always;
  const shared = ex.shared as never;
  while (ex.ending === "ok") {
    if (ex.collect() === 0) {
      if (ex.allDone()) {
        if (p.invariant) {
          const results = ex.threads.slice(0, p.bodies.length).map((t) => t.result);
          const bad = verdict(() => p.invariant!(shared, results));
          if (bad) ex.fail("invariant", `invariant violated: ${bad.reason}`, bad.cause);
        }
      } else {
        ex.fail(
          "deadlock",
          `deadlock: every unfinished thread sleeps with no timeout: ${
            deadlockNames(p.namer?.(ex.shared), ex.sleepers(), ex.holding)
          }`,
        );
      }
      break;
    }
    if (ex.steps >= p.maxSteps) {
      ex.fail("livelock", `livelock: no end after ${p.maxSteps} steps (maxSteps)`);
      break;
    }
    const k = choose(ex);
    if (k < 0) {
      if (ex.ending === "ok") ex.ending = "pruned";
      break;
    }
    ex.step(k);
    if (always !== undefined && ex.ending === "ok") {
      const bad = verdict(() => always(shared));
      if (bad) {
        ex.fail("invariant", `invariant violated after step ${ex.steps}: ${bad.reason}`, bad.cause);
      }
    }
  }
  return ex;
}
