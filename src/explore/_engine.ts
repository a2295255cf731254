/**
 * The explorer's engine: the simulated seam, virtual threads, and one execution of a scenario under
 * a scheduling policy.
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
 * clock). A thread that executed `pause` (a spin-wait hint) yields: it is not scheduled again until
 * another thread has moved, unless no other thread can; so spin loops terminate under every strategy.
 *
 * @module
 */
import { type AtomicArray, atomics, type GenSeam, type WaitResult } from "../_atomics.ts";

// Operation codes (what a thread's pending step does).
export const LOAD = 0;
export const STORE = 1;
export const ADD = 2;
export const SUB = 3;
export const XCHG = 4;
export const CAS = 5;
export const WAIT = 6;
export const NOTIFY = 7;
export const PAUSE = 8;
/** Not an operation a thread yields: the step in which a blocked thread's timeout fires. */
export const TIMEOUT = 9;

// Thread states.
export const RUNNABLE = 0;
export const BLOCKED = 1;
export const DONE = 2;
/** A forwarder with nothing to forward (neither enabled nor unfinished). */
export const PARKED = 3;

/** What a thread body yields (through `yield*`) at every shared access. */
const OP: unique symbol = Symbol("interlock.explore.op");

const NO_ARRAY = new Int32Array(0);

/** A virtual thread and its pending operation. */
export class Thread {
  /** Index in the scenario's thread list. */
  readonly id: number;
  /** The body's name, for traces. */
  readonly name: string;
  gen: Iterator<unknown, unknown, unknown> | undefined = undefined;
  status: number = RUNNABLE;
  // The pending operation (valid while RUNNABLE), or the wait it sleeps in (while BLOCKED).
  op: number = LOAD;
  a: AtomicArray = NO_ARRAY;
  i = 0;
  x: number | bigint = 0;
  y: number | bigint = 0;
  deadline = Infinity;
  /** Waiter-list key while BLOCKED. */
  key = 0;
  /** Set by `pause`: give way to the other threads for one step. */
  yielded = false;
  /** Set by a wrapper while it runs a kernel on behalf of a call with an abort signal. */
  abortable = false;
  /** Whether the current sleep can be aborted (it began while `abortable`). */
  abortWait = false;
  /** Set when this thread's last sleep was aborted (the wrapper throws an `AbortError`). */
  aborted = false;
  /**
   * For a forwarder (see {@linkcode Execution.forwarderOf}): the thread it forwards for; else -1.
   */
  forwardsFor = -1;
  /** A forwarder's pending forwards: the addresses to notify once each. */
  readonly forwards: { a: Int32Array; i: number }[] = [];
  /** This thread's forwarder, once it has one. */
  forwarder: Thread | undefined = undefined;
  result: unknown = undefined;
  error: unknown = undefined;
  failed = false;
  /** The one reusable iterator every seam operation of this thread returns (see {@linkcode Step}). */
  readonly step: Step = new Step();

  constructor(id: number, name: string) {
    this.id = id;
    this.name = name;
  }
}

/**
 * What a seam operation returns to `yield*`: an iterator that yields {@linkcode OP} once (parking
 * the thread with its pending operation) and then returns what the scheduler resumed it with. One
 * per thread, reused for every operation: a hand-written iterator instead of a generator saves a
 * generator object and one level of delegation per step. Errors the scheduler throws into the
 * thread propagate through `throw`, exactly as out of a generator.
 */
class Step {
  #parked = false;
  readonly #yielded = { done: false, value: OP as unknown };
  readonly #returned = { done: true, value: undefined as unknown };

  /** Arms the iterator for one operation. */
  arm(): this {
    this.#parked = false;
    return this;
  }

  next(value?: unknown): IteratorResult<unknown, unknown> {
    if (!this.#parked) {
      this.#parked = true;
      return this.#yielded as IteratorResult<unknown, unknown>;
    }
    this.#returned.value = value;
    return this.#returned as IteratorResult<unknown, unknown>;
  }

  throw(e?: unknown): IteratorResult<unknown, unknown> {
    throw e;
  }

  return(value?: unknown): IteratorResult<unknown, unknown> {
    this.#returned.value = value;
    return this.#returned as IteratorResult<unknown, unknown>;
  }

  [Symbol.iterator](): this {
    return this;
  }
}

let running: Thread | undefined;
let spinCount = 0;

/** Sets `A.spin` of {@linkcode SIM} for the coming executions; returns the previous value. */
export function setSpin(spin: number): number {
  const previous = spinCount;
  spinCount = spin;
  return previous;
}

/** The virtual thread running now (wrappers use its id as the agent id of `RLock` owners). */
export function currentThread(): Thread {
  return me();
}

function me(): Thread {
  if (running === undefined) {
    throw new Error(
      "Explorer operations can only run inside a thread body driven by the explorer " +
        "(explore, search, sample or replay)",
    );
  }
  return running;
}

/**
 * The simulated seam: each operation parks the calling virtual thread with the operation as its
 * pending step; the scheduler performs it and resumes the thread with its result.
 */
export const SIM: GenSeam = {
  get spin(): number {
    return spinCount;
  },
  load(a, i) {
    const t = me();
    t.op = LOAD;
    t.a = a;
    t.i = i;
    return t.step.arm() as never;
  },
  store(a, i, v) {
    const t = me();
    t.op = STORE;
    t.a = a;
    t.i = i;
    t.x = v;
    return t.step.arm() as never;
  },
  add(a, i, v) {
    const t = me();
    t.op = ADD;
    t.a = a;
    t.i = i;
    t.x = v;
    return t.step.arm() as never;
  },
  sub(a, i, v) {
    const t = me();
    t.op = SUB;
    t.a = a;
    t.i = i;
    t.x = v;
    return t.step.arm() as never;
  },
  exchange(a, i, v) {
    const t = me();
    t.op = XCHG;
    t.a = a;
    t.i = i;
    t.x = v;
    return t.step.arm() as never;
  },
  compareExchange(a, i, e, r) {
    const t = me();
    t.op = CAS;
    t.a = a;
    t.i = i;
    t.x = e;
    t.y = r;
    return t.step.arm() as never;
  },
  wait(a, i, expected, deadline) {
    const t = me();
    t.op = WAIT;
    t.a = a;
    t.i = i;
    t.x = expected;
    t.deadline = deadline;
    return t.step.arm() as never;
  },
  notify(a, i, count) {
    const t = me();
    t.op = NOTIFY;
    t.a = a;
    t.i = i;
    t.x = count;
    return t.step.arm() as never;
  },
  pause() {
    const t = me();
    t.op = PAUSE;
    return t.step.arm() as never;
  },
};

const bufferIds = new WeakMap<ArrayBufferLike, number>();
let nextBufferId = 1;

let lastBuffer: ArrayBufferLike | undefined;
let lastBufferId = 0;

/** A small number naming `buffer` for the lifetime of the process. */
export function bufferId(buffer: ArrayBufferLike): number {
  if (buffer === lastBuffer) return lastBufferId;
  let id = bufferIds.get(buffer);
  if (id === undefined) {
    id = nextBufferId++;
    bufferIds.set(buffer, id);
  }
  lastBuffer = buffer;
  lastBufferId = id;
  return id;
}

/** The address of element `i` of `a`: buffer id and byte index in one number. */
export function addressOf(a: AtomicArray, i: number): number {
  return bufferId(a.buffer) * 2 ** 32 + a.byteOffset + i * a.BYTES_PER_ELEMENT;
}

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
  readonly #queues = new Map<number, (Thread | Orphan)[]>();
  #yielders = 0;

  constructor(p: Prepared, record: boolean) {
    this.shared = p.fresh();
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
    let yielded = 0;
    for (let k = 0; k < ts.length; k++) {
      const t = ts[k]!;
      if (t.status === RUNNABLE) {
        if (t.yielded) yielded++;
        else this.enabled[c++] = k;
      } else if (t.status === BLOCKED && (t.deadline !== Infinity || t.abortWait)) {
        this.enabled[c++] = k;
      }
    }
    if (c === 0 && yielded > 0) {
      for (let k = 0; k < ts.length; k++) if (ts[k]!.status === RUNNABLE) this.enabled[c++] = k;
    }
    this.count = c;
    return c;
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
    if (this.#yielders > 0) {
      for (const u of this.threads) {
        if (u !== t && u.yielded) {
          u.yielded = false;
          this.#yielders--;
        }
      }
    }
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
      }
      this.#park(t);
      for (const w of woke) this.#resume(this.threads[w]!, "ok", false);
      return;
    }
    let result: unknown;
    let slept = false;
    let woke: number[] | undefined;
    let forwarded: number[] | undefined;
    let threw = false;
    try {
      switch (t.op) {
        case LOAD:
          result = atomics.load(t.a, t.i);
          break;
        case STORE:
          result = atomics.store(t.a, t.i, t.x);
          break;
        case ADD:
          result = atomics.add(t.a, t.i, t.x);
          break;
        case SUB:
          result = atomics.sub(t.a, t.i, t.x);
          break;
        case XCHG:
          result = atomics.exchange(t.a, t.i, t.x);
          break;
        case CAS:
          result = atomics.compareExchange(t.a, t.i, t.x, t.y);
          break;
        case WAIT:
          result = this.#wait(t);
          slept = result === undefined;
          break;
        case NOTIFY:
          forwarded = [];
          woke = this.#notify(t, forwarded);
          result = woke.length + forwarded.length;
          break;
        case PAUSE:
          t.yielded = true;
          this.#yielders++;
          break;
      }
    } catch (e) {
      threw = true;
      result = e;
    }
    const ev = this.events === undefined ? undefined : this.#record(t, t.op, preempted, result);
    if (ev) {
      ev.slept = slept;
      ev.woke = woke;
      ev.forwarded = forwarded;
      ev.threw = threw;
      if (!threw && t.op !== PAUSE) ev.after = atomics.load(t.a, t.i);
    }
    if (woke) { for (const w of woke) this.#resume(this.threads[w]!, "ok", false); }
    if (!slept) this.#resume(t, result, threw);
    if (ev) ev.finished = t.status === DONE;
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
    running = t;
    let r: IteratorResult<unknown, unknown>;
    try {
      r = isError ? t.gen!.throw!(value) : t.gen!.next(value);
    } catch (e) {
      running = undefined;
      this.#fail(t, e);
      return;
    }
    running = undefined;
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
