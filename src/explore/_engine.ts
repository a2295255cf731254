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
 * clock). A `pause` (a spin-wait hint) after a stretch of reads with no side effect awaits a change
 * of what the thread read (`_await.ts`): the thread cannot move until another thread changes one
 * of those words, unless no other thread can move at all; so spin loops neither multiply schedules
 * nor run forever.
 *
 * @module
 */
import { type AtomicArray, atomics, type WaitResult } from "../_atomics.ts";
import type { Stretch } from "./_await.ts";
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
  PARKED,
  PAUSE,
  RUNNABLE,
  setRunning,
  STORE,
  SUB,
  Thread,
  TIMEOUT,
  WAIT,
  XCHG,
} from "./_thread.ts";

export {
  ADD,
  addressOf,
  BLOCKED,
  bufferId,
  CAS,
  currentThread,
  DONE,
  LOAD,
  NOTIFY,
  PARKED,
  PAUSE,
  RUNNABLE,
  setSpin,
  SIM,
  STORE,
  SUB,
  Thread,
  TIMEOUT,
  WAIT,
  XCHG,
} from "./_thread.ts";

/**
 * A waiter-list entry left behind by an aborted sleep: production's `runAsync` cannot withdraw an
 * in-flight `Atomics.waitAsync`, so on abort it resumes the kernel at once and leaves the wait
 * registered; a `notify` that lands on it counts as a wake-up and is passed on by one more
 * `notify` on the same word, later (`src/_async.ts`). The explorer models "later" as a step of the
 * aborting thread's forwarder.
 */
class Orphan {
  readonly of: Thread;
  constructor(of: Thread) {
    this.of = of;
  }
}

/** One step as recorded (for traces, replay checks and partial-order reduction). */
export interface Event {
  /** The thread that moved. */
  thread: number;
  /** Operation code (TIMEOUT for a fired timeout). */
  op: number;
  a: AtomicArray;
  i: number;
  x: number | bigint;
  y: number | bigint;
  /** What the operation returned ("ok"-less waits: the thread went to sleep). */
  result: unknown;
  /** The value at the address after the step (undefined for pause, or if the operation threw). */
  after: number | bigint | undefined;
  /** Whether a `wait` went to sleep. */
  slept: boolean;
  /** Threads a `notify` woke, in order. */
  woke: number[] | undefined;
  /**
   * Forwarders a `notify` handed a wake-up to (it landed on an aborted sleeper's orphaned wait,
   * which production forwards with one more `notify` later).
   */
  forwarded: number[] | undefined;
  /** A TIMEOUT step that was an abort (the orphaned wait stays in the waiter list). */
  aborted: boolean;
  /** Whether the operation threw (the error went into the thread). */
  threw: boolean;
  /** Whether this step preempted a thread that could have continued. */
  preempted: boolean;
  /** Whether the thread finished (returned or threw) within this step. */
  finished: boolean;
  /** The value at the address before the step (memory operations that did not throw). */
  before: number | bigint | undefined;
  /**
   * For a step that awaited a change (a `pause` or a re-`wait` at the end of a stretch without side
   * effects, see `_await.ts`): the words it watched and the values the thread had seen there.
   */
  watch: Watch | undefined;
  /** Whether an awaiting thread moved only because no other thread could (no change seen). */
  forced: boolean;
  /**
   * Steps of other threads that could happen before this step and cannot right after it: a
   * timeout (or abort) of a sleeper this `notify` woke, an await whose watched words this write
   * put back as the thread had seen them. (Partial-order reduction reverses these too.)
   */
  disabled: Pending[] | undefined;
}

/** A step a thread could have made (see {@linkcode Event.disabled}). */
export interface Pending {
  readonly thread: number;
  /** TIMEOUT, PAUSE or WAIT (an await). */
  readonly op: number;
  readonly a: AtomicArray;
  readonly i: number;
  readonly x: number | bigint;
  /** For an await: the words it watched. */
  readonly watch: Watch | undefined;
}

/** The words an awaiting step watched. */
export interface Watch {
  /** The arrays and indices of the words. */
  readonly arrays: readonly AtomicArray[];
  readonly indices: readonly number[];
  /** Their addresses (see `addressOf`). */
  readonly addresses: readonly number[];
  /** Bytes of each word. */
  readonly sizes: readonly number[];
  /** The values the thread had seen. */
  readonly values: readonly (number | bigint)[];
}

/** How an execution ended. */
export type Ending =
  | "ok"
  | "invariant"
  | "deadlock"
  | "livelock"
  | "error"
  | "pruned";

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
}

/** A scheduling policy: returns the id of the enabled thread that moves next, or -1 to stop. */
export type Chooser = (ex: Execution) => number;

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
  readonly #queues = new Map<number, (Thread | Orphan)[]>();

  constructor(p: Prepared, record: boolean) {
    this.shared = p.fresh();
    if (p.memoryOf) numberBuffers(p.memoryOf(this.shared).map((w) => w.buffer));
    this.events = record ? [] : undefined;
    const n = p.bodies.length;
    this.threads = new Array(n);
    // Room for one forwarder per thread.
    this.enabled = new Array(2 * n).fill(0);
    for (let k = 0; k < n; k++) this.threads[k] = new Thread(k, p.names[k]!);
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
        if (this.awaits(t) && !t.stretch.changed()) awaiting++;
        else this.enabled[c++] = k;
      } else if (t.status === BLOCKED && (t.deadline !== Infinity || t.abortWait)) {
        this.enabled[c++] = k;
      }
    }
    // Nobody else can move: awaiting threads move anyway (see `_await.ts`).
    this.forced = c === 0 && awaiting > 0;
    if (this.forced) {
      for (let k = 0; k < ts.length; k++) if (ts[k]!.status === RUNNABLE) this.enabled[c++] = k;
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
    const preempted = this.last >= 0 && this.last !== k && this.isEnabled(this.last);
    if (preempted) this.preemptions++;
    this.choices.push(k);
    this.steps++;
    this.last = k;
    if (t.status === BLOCKED) {
      // The timeout fires (the sleeper leaves the waiter list) or the abort signal does (its wait
      // stays there, orphaned); either way the kernel sees "timed-out".
      const list = this.#queues.get(t.key)!;
      const at = list.indexOf(t);
      if (t.abortWait) {
        list[at] = new Orphan(t);
        t.aborted = true;
      } else {
        list.splice(at, 1);
      }
      t.abortWait = false;
      t.status = RUNNABLE;
      t.stretch.dirty();
      const ev = this.#record(t, TIMEOUT, preempted, "timed-out");
      if (ev) {
        ev.after = atomics.load(t.a, t.i);
        ev.aborted = t.aborted;
      }
      this.#resume(t, "timed-out", false);
      if (ev) ev.finished = t.status === DONE;
      return;
    }
    if (t.forwardsFor >= 0) {
      // A forwarder passes on one wake-up that landed on an orphaned wait.
      t.forwards.shift();
      t.op = NOTIFY;
      t.x = 1;
      const forwarded: number[] = [];
      const woke = this.#notify(t, forwarded);
      const ev = this.#record(t, NOTIFY, preempted, woke.length);
      if (ev) {
        ev.woke = woke;
        ev.forwarded = forwarded;
        ev.after = atomics.load(t.a, t.i);
        ev.disabled = this.#cancelled(woke);
      }
      this.#park(t);
      for (const w of woke) this.#resume(this.threads[w]!, "ok", false);
      return;
    }
    const s = t.stretch;
    // A step that awaited a change ends the stretch (the loop's iteration) it guarded.
    let watch: Watch | undefined;
    if (this.awaits(t)) {
      if (this.events !== undefined) watch = watchOf(s);
      s.reset();
    }
    let result: unknown;
    let before: number | bigint | undefined;
    let after: number | bigint | undefined;
    let slept = false;
    let woke: number[] | undefined;
    let forwarded: number[] | undefined;
    let threw = false;
    // Awaits another thread could make now that this write may take away (recorded runs only).
    const open = this.events !== undefined && t.op >= STORE && t.op <= CAS
      ? this.#openAwaits(t)
      : undefined;
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
          result = this.#wait(t);
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
          forwarded = [];
          woke = this.#notify(t, forwarded);
          result = woke.length + forwarded.length;
          s.dirty();
          break;
        case PAUSE:
          s.reset();
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
      ev.forwarded = forwarded;
      ev.threw = threw;
      ev.before = before;
      ev.watch = watch;
      ev.forced = watch !== undefined && this.forced;
      if (!threw && t.op !== PAUSE) ev.after = after ?? atomics.load(t.a, t.i);
      if (woke) ev.disabled = this.#cancelled(woke);
      else if (open !== undefined && before !== after) ev.disabled = this.#closed(open);
    }
    if (woke) { for (const w of woke) this.#resume(this.threads[w]!, "ok", false); }
    if (!slept) this.#resume(t, result, threw);
    if (ev) ev.finished = t.status === DONE;
  }

  /** The timeouts (or aborts) the sleepers in `woke` could have taken before they were woken. */
  #cancelled(woke: readonly number[]): Pending[] | undefined {
    let out: Pending[] | undefined;
    for (const w of woke) {
      const u = this.threads[w]!;
      if (u.deadline === Infinity && !u.abortWait) continue;
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
    const ev: Event = {
      thread: t.id,
      op,
      a: t.a,
      i: t.i,
      x: t.x,
      y: t.y,
      result,
      after: undefined,
      slept: false,
      woke: undefined,
      forwarded: undefined,
      aborted: false,
      threw: false,
      preempted,
      finished: false,
      before: undefined,
      watch: undefined,
      forced: false,
      disabled: undefined,
    };
    this.events.push(ev);
    return ev;
  }

  /** `Atomics.wait` semantics; returns undefined when the thread went to sleep. */
  #wait(t: Thread): WaitResult | undefined {
    const a = t.a;
    const isInt32 = a instanceof Int32Array;
    if (!(isInt32 || a instanceof BigInt64Array) || !(a.buffer instanceof SharedArrayBuffer)) {
      // Let the engine produce the exact TypeError (it throws before waiting).
      return atomics.wait(a, t.i, t.x, 0) as unknown as WaitResult;
    }
    const now = atomics.load(a, t.i); // validates the index exactly as wait does
    const expected = isInt32 ? Number(t.x) | 0 : BigInt.asIntN(64, BigInt(t.x));
    if (now !== expected) return "not-equal";
    const d = Number(t.deadline);
    t.deadline = Number.isNaN(d) ? Infinity : d;
    t.key = addressOf(a, t.i);
    t.status = BLOCKED;
    t.abortWait = t.abortable;
    const list = this.#queues.get(t.key);
    if (list) list.push(t);
    else this.#queues.set(t.key, [t]);
    return undefined;
  }

  /**
   * `Atomics.notify` semantics; returns the woken threads (not yet resumed). Wake-ups that land on
   * orphaned waits count, and go to the aborted threads' forwarders (listed in `forwarded`).
   */
  #notify(t: Thread, forwarded: number[]): number[] {
    const a = t.a;
    if (!(a instanceof Int32Array || a instanceof BigInt64Array)) {
      atomics.notify(a, t.i, 0); // throws the engine's exact TypeError
    }
    atomics.load(a, t.i); // validates the index
    const c = t.x === undefined ? Infinity : Math.trunc(Number(t.x));
    let count = Number.isNaN(c) ? 0 : Math.max(c, 0);
    if (!(a.buffer instanceof SharedArrayBuffer)) return [];
    const list = this.#queues.get(addressOf(a, t.i));
    const woke: number[] = [];
    while (list !== undefined && list.length > 0 && count > 0) {
      const w = list.shift()!;
      count--;
      if (w instanceof Orphan) {
        const f = this.forwarderOf(w.of);
        f.forwards.push({ a: a as Int32Array, i: t.i });
        if (f.status === PARKED) this.#park(f);
        forwarded.push(f.id);
      } else {
        w.status = RUNNABLE;
        woke.push(w.id);
      }
    }
    return woke;
  }

  /**
   * The thread that passes on `t`'s orphaned wake-ups (created on first use, deterministically, so
   * schedules replay): in production, the promise reaction of the abandoned `waitAsync` in `t`'s
   * agent, which runs at some later point; here, a thread the scheduler may run at any step.
   */
  forwarderOf(t: Thread): Thread {
    if (t.forwarder) return t.forwarder;
    const f = new Thread(this.threads.length, `${t.name} (forwards)`);
    if (f.id > 30) throw new RangeError("Cannot explore: too many threads with aborted waits");
    f.forwardsFor = t.id;
    f.status = PARKED;
    t.forwarder = f;
    this.threads.push(f);
    return f;
  }

  /** Makes a forwarder runnable with its next forward as pending notify, or parks it. */
  #park(f: Thread): void {
    const next = f.forwards[0];
    if (next === undefined) {
      f.status = PARKED;
      return;
    }
    f.status = RUNNABLE;
    f.op = NOTIFY;
    f.a = next.a;
    f.i = next.i;
    f.x = 1;
  }

  #resume(t: Thread, value: unknown, isError: boolean): void {
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

  /** The threads sleeping with no deadline, for deadlock reports. */
  sleepers(): Thread[] {
    return this.threads.filter((t) => t.status === BLOCKED);
  }

  /** Whether every thread finished (forwarders: nothing left to forward). */
  allDone(): boolean {
    for (const t of this.threads) if (t.status !== DONE && t.status !== PARKED) return false;
    return true;
  }
}

/** The expected value of a `wait` on `a`, coerced as `Atomics.wait` does (undefined: it throws). */
function coerced(a: AtomicArray, x: number | bigint): number | bigint | undefined {
  try {
    if (a instanceof Int32Array) return Number(x) | 0;
    if (a instanceof BigInt64Array) return BigInt.asIntN(64, BigInt(x));
  } catch {
    // The wait itself throws the engine's error.
  }
  return undefined;
}

/** The words a stretch read, as an awaiting step's {@linkcode Watch}. */
function watchOf(s: Stretch): Watch {
  return {
    arrays: s.arrays.slice(),
    indices: s.indices.slice(),
    addresses: s.addresses.slice(),
    sizes: s.arrays.map((a) => a.BYTES_PER_ELEMENT),
    values: s.values.slice(),
  };
}

/** `Name: message` of an error, or the value's string form. */
export function describeError(e: unknown): string {
  if (e instanceof Error) return `${e.name}: ${e.message}`;
  if (e instanceof DOMException) return `${e.name}: ${e.message}`;
  return String(e);
}

/** Runs a check; returns undefined if it held, else the reason (and the error, if one was thrown). */
export function verdict(
  check: () => unknown,
): { reason: string; cause: unknown } | undefined {
  let out: unknown;
  try {
    out = check();
  } catch (e) {
    return { reason: describeError(e), cause: e };
  }
  if (out === false) return { reason: "the check returned false", cause: undefined };
  if (typeof out === "string") return { reason: out, cause: undefined };
  return undefined;
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
        const names = ex.sleepers().map((t) => `T${t.id} (${t.name})`).join(", ");
        ex.fail("deadlock", `deadlock: every unfinished thread sleeps with no timeout: ${names}`);
      }
      break;
    }
    if (ex.steps >= p.maxSteps) {
      ex.fail("livelock", `livelock: no end after ${p.maxSteps} steps (maxSteps)`);
      break;
    }
    const k = choose(ex);
    if (k < 0) {
      ex.ending = "pruned";
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
