/**
 * Waiter lists: one per address (buffer and byte index), in arrival order, as `Atomics.wait` and
 * `Atomics.notify` keep them.
 *
 * An abort of an abortable sleep is modelled as production's `runAsync` performs it
 * (`src/_async.ts`): the abort listener notifies the word, all its waiters, in the abort's own task,
 * so the aborted sleeper's waiter leaves the list and every other waiter of the word is woken, all
 * in the abort's one step; the kernel then resumes with "timed-out".
 *
 * Not modelled: an abort that fires after a `notify` woke the sleeper but before its thread ran the
 * wake-up (production then backs out too, and the abort's notify passes that wake-up on to every
 * waiter of the word). The explorer resumes a woken sleeper in the `notify`'s step, so an abort is a
 * choice only while the wait sleeps. The schedule that aborts just before that `notify` reaches the
 * same memory states; production's order only adds wake-ups (spurious: kernels re-check).
 *
 * @module
 */
import { atomics, type WaitResult } from "../_atomics.ts";
import { addressOf, BLOCKED, RUNNABLE, type Thread } from "./_thread.ts";

/** The waiter lists of one execution. */
export class Waiters {
  readonly #lists = new Map<number, Thread[]>();

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

  /** `Atomics.notify` semantics; returns the woken threads (not yet resumed). */
  notify(t: Thread): number[] {
    const a = t.a;
    if (!(a instanceof Int32Array || a instanceof BigInt64Array)) {
      atomics.notify(a, t.i, 0); // throws the engine's exact TypeError
    }
    atomics.load(a, t.i); // validates the index
    const c = t.x === undefined ? Infinity : Math.trunc(Number(t.x));
    const count = Number.isNaN(c) ? 0 : Math.max(c, 0);
    if (!(a.buffer instanceof SharedArrayBuffer)) return [];
    return this.#wake(this.#lists.get(addressOf(a, t.i)), count);
  }

  /** Wakes the first `count` waiters of `list`. */
  #wake(list: Thread[] | undefined, count: number): number[] {
    const woke: number[] = [];
    while (list !== undefined && list.length > 0 && count-- > 0) {
      const w = list.shift()!;
      w.status = RUNNABLE;
      woke.push(w.id);
    }
    return woke;
  }

  /**
   * Takes sleeping `t` off its list as its timeout fires, its patience runs out, or its signal
   * fires; `t` can run again. An abort (an abortable wait, and not patience) also wakes every other
   * waiter of the word, as production's abort listener does with `notify(word, Infinity)`; returns
   * the threads it woke (not yet resumed).
   */
  leave(t: Thread, patience: boolean): number[] {
    const list = this.#lists.get(t.key)!;
    list.splice(list.indexOf(t), 1);
    const abort = t.abortWait && !patience;
    t.abortWait = false;
    t.status = RUNNABLE;
    if (!abort) return [];
    t.aborted = true;
    return this.#wake(list, Infinity);
  }

  /**
   * The non-empty lists, by address in ascending order, as text: `address:1,2`; part of a state's
   * key (`_stateful.ts`).
   */
  key(): string {
    const out: string[] = [];
    for (const [at, list] of this.#lists) {
      if (list.length === 0) continue;
      out.push(`${at}:${list.map((w) => w.id)}`);
    }
    return out.sort().join(" ");
  }

  /** Drops terminated thread `v`'s sleep from its list (a dead isolate's waits go with it). */
  drop(v: Thread): void {
    for (const list of this.#lists.values()) {
      const at = list.indexOf(v);
      if (at >= 0) list.splice(at, 1);
    }
  }
}
