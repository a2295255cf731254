/**
 * The pool's queue of tasks not yet sent to a worker: FIFO, with O(1) removal of any task (an aborted
 * caller) and a way to put tasks taken back from a dead or stuck worker at the front, in order.
 *
 * @module
 */

/** What the queue needs of an entry: whether it still waits (entries that stopped waiting are skipped). */
export interface Queued {
  /** True while the entry is in a queue. */
  queued: boolean;
}

/** A ring-buffer deque; removed entries stay in place, flagged, and are dropped when reached. */
export class TaskQueue<T extends Queued> {
  #items: (T | undefined)[] = new Array(64);
  #head = 0;
  #tail = 0; // one past the last entry
  #live = 0;

  /** Entries still waiting. */
  get length(): number {
    return this.#live;
  }

  /** Appends `item`. */
  push(item: T): void {
    if (this.#tail - this.#head === this.#items.length) this.#grow();
    this.#items[this.#tail++ & (this.#items.length - 1)] = item;
    item.queued = true;
    this.#live++;
  }

  /** Puts `items` in front of every waiting entry, keeping their order. */
  unshiftAll(items: readonly T[]): void {
    for (let i = items.length - 1; i >= 0; i--) {
      if (this.#tail - this.#head === this.#items.length) this.#grow();
      const item = items[i]!;
      this.#items[--this.#head & (this.#items.length - 1)] = item;
      item.queued = true;
      this.#live++;
    }
  }

  /** Removes and returns the first waiting entry. */
  shift(): T | undefined {
    while (this.#head !== this.#tail) {
      const k = this.#head++ & (this.#items.length - 1);
      const item = this.#items[k];
      this.#items[k] = undefined;
      if (item?.queued) {
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
    const old = this.#items;
    const next = new Array<T | undefined>(old.length * 2);
    const n = this.#tail - this.#head;
    for (let i = 0; i < n; i++) next[i] = old[(this.#head + i) & (old.length - 1)];
    this.#items = next;
    this.#head = 0;
    this.#tail = n;
  }
}
