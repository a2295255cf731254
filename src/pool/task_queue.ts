/**
 * The pool's queue of tasks not yet sent to a worker: FIFO, with O(1) removal of any task (an aborted
 * caller) and a way to put tasks taken back from a dead or stuck worker at the front, in order.
 *
 * - **Two kinds of entry.** A task with a record (`push`: one that can be cancelled or aborted, a
 *   map chunk, an `applyAsync`), or a plain call with no record (`pushCall`: an `apply` without
 *   options, the common case), which can be neither: it waits as four slots of the queue's columns
 *   (name, arguments, resolving functions), and gets its record from `make` only when it leaves the
 *   queue, moments before it is sent.
 * - **Why.** Tasks submitted at once wait here for the workers: 100,000 tiny `apply` calls keep
 *   100,000 entries alive for the whole burst, all of which survive the main thread's young-generation
 *   collections. A record (~160 bytes) per waiting call was half of what each kept alive (scratch
 *   measure, `Deno.memoryUsage()` after `gc()`: 312 bytes per pending `apply`, 160 with plain calls),
 *   and the time V8 took to copy and promote them set the tiny-task rate and its spread (see
 *   bench/RESULTS.md, "Pool tiny tasks").
 *
 * @module
 */
import type { WireArgs } from "./protocol.ts";

/** What the queue needs of a record: whether it still waits (entries that stopped waiting are skipped). */
export interface Queued {
  /** True while the entry is in a queue. */
  queued: boolean;
}

/** A promise's resolving function, as a plain call keeps it until its record is made. */
export type Settle = (value: unknown) => void;

/** A call of `name(...args)` waiting with no record: what `apply` without options queues. */
export interface PlainCall {
  readonly name: string;
  readonly args: WireArgs;
  /** Its promise (only kept here; see `Dispatcher.call`). */
  readonly promise: Promise<unknown>;
  readonly resolve: Settle;
  readonly reject: Settle;
}

/** Makes the record of a plain call leaving the queue. */
export type MakeRecord<T> = (call: PlainCall) => T;

/**
 * A ring-buffer deque over parallel columns: a record's entry holds it in `#records`; a plain call's
 * entry holds `undefined` there and its parts in the other columns. Removed records stay in place,
 * flagged, and are dropped when reached.
 */
export class TaskQueue<T extends Queued> {
  readonly #make: MakeRecord<T>;
  #records: (T | undefined)[] = new Array(64);
  #calls: (PlainCall | undefined)[] = new Array(64);
  #head = 0;
  #tail = 0; // one past the last entry
  #live = 0;

  /** A queue whose plain calls get their records from `make`. */
  constructor(make: MakeRecord<T>) {
    this.#make = make;
  }

  /** Entries still waiting. */
  get length(): number {
    return this.#live;
  }

  /** Appends `item`. */
  push(item: T): void {
    if (this.#tail - this.#head === this.#records.length) this.#grow();
    this.#records[this.#tail++ & (this.#records.length - 1)] = item;
    item.queued = true;
    this.#live++;
  }

  /** Appends a plain call (it has no record until it leaves the queue). */
  pushCall(call: PlainCall): void {
    if (this.#tail - this.#head === this.#records.length) this.#grow();
    this.#calls[this.#tail++ & (this.#records.length - 1)] = call;
    this.#live++;
  }

  /** Puts `items` in front of every waiting entry, keeping their order. */
  unshiftAll(items: readonly T[]): void {
    for (let i = items.length - 1; i >= 0; i--) {
      if (this.#tail - this.#head === this.#records.length) this.#grow();
      const item = items[i]!;
      this.#records[--this.#head & (this.#records.length - 1)] = item;
      item.queued = true;
      this.#live++;
    }
  }

  /** Removes and returns the first waiting entry (a plain call's record is made now). */
  shift(): T | undefined {
    while (this.#head !== this.#tail) {
      const k = this.#head++ & (this.#records.length - 1);
      const item = this.#records[k];
      if (item === undefined) {
        const call = this.#calls[k]!;
        this.#calls[k] = undefined;
        this.#live--;
        return this.#make(call);
      }
      this.#records[k] = undefined;
      if (item.queued) {
        item.queued = false;
        this.#live--;
        return item;
      }
    }
    return undefined;
  }

  /** Removes `item` if it waits in this queue; returns whether it did. */
  remove(item: T): boolean {
    if (!item.queued) return false;
    item.queued = false;
    this.#live--;
    return true;
  }

  /** Removes and returns every waiting entry, in order. */
  drain(): T[] {
    const out: T[] = [];
    for (let item = this.shift(); item; item = this.shift()) out.push(item);
    return out;
  }

  #grow(): void {
    const size = this.#records.length;
    const n = this.#tail - this.#head;
    const at = (i: number) => (this.#head + i) & (size - 1);
    const regrow = <V>(old: (V | undefined)[]) => {
      const next = new Array<V | undefined>(size * 2);
      for (let i = 0; i < n; i++) next[i] = old[at(i)];
      return next;
    };
    this.#records = regrow(this.#records);
    this.#calls = regrow(this.#calls);
    this.#head = 0;
    this.#tail = n;
  }
}
