/**
 * Waiter lists: one per address (buffer and byte index), in arrival order, as `Atomics.wait` and
 * `Atomics.notify` keep them; and the entries aborted sleeps leave behind, whose wake-ups the
 * aborted threads' forwarders pass on.
 *
 * @module
 */
import { atomics, type WaitResult } from "../_atomics.ts";
import { addressOf, BLOCKED, NOTIFY, PARKED, RUNNABLE, Thread } from "./_thread.ts";

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

/** The waiter lists of one execution. */
export class Waiters {
  readonly #threads: Thread[];
  readonly #lists = new Map<number, (Thread | Orphan)[]>();

  /** `threads`: the execution's threads (forwarders are appended to it as they are needed). */
  constructor(threads: Thread[]) {
    this.#threads = threads;
  }

  /** `Atomics.wait` semantics; returns undefined when the thread went to sleep. */
  wait(t: Thread): WaitResult | undefined {
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
    t.patientWait = t.patient;
    const list = this.#lists.get(t.key);
    if (list) list.push(t);
    else this.#lists.set(t.key, [t]);
    return undefined;
  }

  /**
   * `Atomics.notify` semantics; returns the woken threads (not yet resumed). Wake-ups that land on
   * orphaned waits count, and go to the aborted threads' forwarders (listed in `forwarded`).
   */
  notify(t: Thread, forwarded: number[]): number[] {
    const a = t.a;
    if (!(a instanceof Int32Array || a instanceof BigInt64Array)) {
      atomics.notify(a, t.i, 0); // throws the engine's exact TypeError
    }
    atomics.load(a, t.i); // validates the index
    const c = t.x === undefined ? Infinity : Math.trunc(Number(t.x));
    let count = Number.isNaN(c) ? 0 : Math.max(c, 0);
    if (!(a.buffer instanceof SharedArrayBuffer)) return [];
    const list = this.#lists.get(addressOf(a, t.i));
    const woke: number[] = [];
    while (list !== undefined && list.length > 0 && count > 0) {
      const w = list.shift()!;
      count--;
      if (w instanceof Orphan) {
        const f = this.forwarderOf(w.of);
        f.forwards.push({ a: a as Int32Array, i: t.i });
        if (f.status === PARKED) this.park(f);
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
    const f = new Thread(this.#threads.length, `${t.name} (forwards)`);
    if (f.id > 30) throw new RangeError("Cannot explore: too many threads with aborted waits");
    f.forwardsFor = t.id;
    f.status = PARKED;
    t.forwarder = f;
    this.#threads.push(f);
    return f;
  }

  /** Makes a forwarder runnable with its next forward as pending notify, or parks it. */
  park(f: Thread): void {
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

  /**
   * Takes sleeping `t` off its list as its timeout fires (or its patience runs out), or leaves an
   * orphaned entry in its place if its wait was abortable and its signal fired; `t` can run again.
   */
  leave(t: Thread, patience: boolean): void {
    const list = this.#lists.get(t.key)!;
    const at = list.indexOf(t);
    if (t.abortWait && !patience) {
      list[at] = new Orphan(t);
      t.aborted = true;
    } else {
      list.splice(at, 1);
    }
    t.abortWait = false;
    t.status = RUNNABLE;
  }

  /**
   * The non-empty lists, by address in ascending order, as text: `address:T1,o2` (`o2`: an orphaned
   * wait of thread 2); part of a state's key (`_stateful.ts`).
   */
  key(): string {
    const out: string[] = [];
    for (const [at, list] of this.#lists) {
      if (list.length === 0) continue;
      const ids = list.map((w) => w instanceof Orphan ? `o${w.of.id}` : `${w.id}`);
      out.push(`${at}:${ids}`);
    }
    return out.sort().join(" ");
  }

  /**
   * Drops terminated thread `v` from every list: its sleep, and the orphaned waits of its aborted
   * sleeps (a dead isolate's `waitAsync`s go with it); its forwarder forwards nothing more.
   */
  drop(v: Thread): void {
    for (const list of this.#lists.values()) {
      for (let j = list.length - 1; j >= 0; j--) {
        const w = list[j]!;
        if (w === v || (w instanceof Orphan && w.of === v)) list.splice(j, 1);
      }
    }
    if (v.forwarder) {
      v.forwarder.forwards.length = 0;
      v.forwarder.status = PARKED;
    }
  }
}
