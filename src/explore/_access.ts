/**
 * Dependence: how a recorded step touches shared state, and when two steps do not commute. Two
 * executions are equivalent (the same Mazurkiewicz trace) when one turns into the other by swapping
 * adjacent independent steps; partial-order reduction explores one execution per class.
 *
 * - **Memory.** A step reads or writes the bytes of one word (buffer and byte range, so views of
 *   different widths over the same bytes conflict). A write is a step that changed the value: a
 *   failed compare-exchange, and a store, exchange, add or successful compare-exchange that left
 *   the value as it was, are reads (swapping them with other reads changes nothing). Two accesses
 *   conflict when their bytes overlap and one writes.
 * - **Waiter lists.** Each address has its own waiter list. A `wait` that went to sleep, a timeout
 *   (or abort, which also wakes the word's other waiters) and a `notify` that woke someone write it; a
 *   `notify` that found nobody only reads it. A `wait` that returned "not-equal" does not touch it.
 * - **Wake-ups.** A woken thread's next step happens after the `notify` (or abort) that woke it
 *   (an edge of the happens-before relation, not a conflict).
 * - **Awaits.** A step that awaited a change (`_await.ts`) also reads every word it watched; a
 *   *forced* one (it moved because no other thread could) is ordered with everything.
 * - **Specification-level steps** (`_spec_step.ts`) read or write their unit's state, keyed by the
 *   address of the unit's key word: a write is a step that changed the state.
 * - **Terminations.** `terminate` changes what every thread may do next (the terminated thread's
 *   steps, probes of its presence, the waiter lists it leaves): it conflicts with every step, and
 *   unlike a forced step it races (so the search places it before each of them in turn).
 * - **`always`.** When a scenario checks a predicate after every step, the predicate sees every
 *   intermediate state, so every write conflicts with every other write ("visible"): each state the
 *   predicate can observe is then reached by some explored schedule.
 *
 * @module
 */
import type { Event } from "./_engine.ts";
import { addressOf, LOAD, NOTIFY, PAUSE, SPEC, TERMINATE, TIMEOUT, WAIT } from "./_thread.ts";

/** No access. */
export const NONE = 0;
/** A read. */
export const READ = 1;
/** A write. */
export const WRITE = 2;

/** How one step touches shared state. */
export interface Access {
  /** The thread that moved. */
  readonly thread: number;
  /** A forced step: ordered with every other step. */
  readonly all: boolean;
  /** A termination: conflicts with every other step, and races with them. */
  readonly kill: boolean;
  /** Memory access: {@linkcode NONE}, {@linkcode READ} or {@linkcode WRITE}. */
  readonly mem: number;
  /** Address of the word (see `addressOf`), also the key of its waiter list. */
  readonly addr: number;
  /** Bytes of the word. */
  readonly size: number;
  /** Waiter-list access at `addr`: {@linkcode NONE}, {@linkcode READ} or {@linkcode WRITE}. */
  readonly queue: number;
  /** Words an awaiting step read: address and size pairs. */
  readonly watch: readonly number[] | undefined;
  /** A memory write while a scenario checks `always` (conflicts with every other such write). */
  readonly visible: boolean;
  /** Threads this step woke (they continue after it). */
  readonly wakes: readonly number[] | undefined;
}

/** Builds an access record. */
export function access(
  thread: number,
  fields: Partial<Omit<Access, "thread">> = {},
): Access {
  return {
    thread,
    all: fields.all ?? false,
    kill: fields.kill ?? false,
    mem: fields.mem ?? NONE,
    addr: fields.addr ?? 0,
    size: fields.size ?? 0,
    queue: fields.queue ?? NONE,
    watch: fields.watch,
    visible: fields.visible ?? false,
    wakes: fields.wakes,
  };
}

/** The threads a recorded step (a `notify`, or an abort) woke. */
export function wakesOf(e: Event): number[] | undefined {
  return e.woke?.length ? e.woke : undefined;
}

/** The words an awaiting step watched, as address and size pairs. */
export function watchOf(e: Event): number[] | undefined {
  const w = e.watch;
  if (w === undefined) return undefined;
  const pairs: number[] = [];
  for (let k = 0; k < w.addresses.length; k++) pairs.push(w.addresses[k]!, w.sizes[k]!);
  return pairs;
}

/** How recorded step `e` touched shared state. `visible`: the scenario checks `always`. */
export function accessOf(e: Event, visible: boolean): Access {
  const wakes = wakesOf(e);
  const thread = e.thread;
  let all = false;
  let mem = NONE;
  let addr = 0;
  let size = 0;
  let queue = NONE;
  let write = false;
  const watch = e.forced ? undefined : watchOf(e);
  const kill = e.op === TERMINATE;
  if (e.forced) all = true;
  else if (e.op === SPEC) {
    // A specification-level step reads its unit's state, or writes it if it changed it; a step of
    // a call that has not run (a pending one) counts as a write.
    addr = e.spec!.addr;
    size = 4;
    write = e.spec!.wrote;
    mem = write ? WRITE : READ;
  } else if (!e.threw && e.op !== PAUSE) {
    addr = addressOf(e.a, e.i);
    size = e.a.BYTES_PER_ELEMENT;
    switch (e.op) {
      case LOAD:
        mem = READ;
        break;
      case WAIT:
        mem = READ;
        if (e.slept) queue = WRITE;
        break;
      case NOTIFY:
        queue = wakes ? WRITE : READ;
        break;
      case TIMEOUT:
        queue = WRITE;
        break;
      case TERMINATE:
        break;
      default:
        // Store and read-modify-write operations: a write only if the value changed.
        write = e.before !== e.after;
        mem = write ? WRITE : READ;
    }
  }
  return { thread, all, kill, mem, addr, size, queue, watch, visible: write && visible, wakes };
}

/** Whether byte ranges [a, a + m) and [b, b + n) overlap (addresses carry the buffer id). */
export function overlap(a: number, m: number, b: number, n: number): boolean {
  return a < b + n && b < a + m;
}

/** Whether a step with access `p` may not commute with one with access `q` (another thread's). */
export function dependent(p: Access, q: Access): boolean {
  if (p.all || q.all || p.kill || q.kill) return true;
  if (p.mem !== NONE && q.mem !== NONE && (p.mem === WRITE || q.mem === WRITE)) {
    if (overlap(p.addr, p.size, q.addr, q.size)) return true;
  }
  if (p.queue !== NONE && q.queue !== NONE && (p.queue === WRITE || q.queue === WRITE)) {
    if (p.addr === q.addr) return true;
  }
  if (p.visible && q.visible) return true;
  if (p.watch !== undefined && q.mem === WRITE && watches(p.watch, q)) return true;
  if (q.watch !== undefined && p.mem === WRITE && watches(q.watch, p)) return true;
  return false;
}

function watches(watch: readonly number[], w: Access): boolean {
  for (let k = 0; k < watch.length; k += 2) {
    if (overlap(watch[k]!, watch[k + 1]!, w.addr, w.size)) return true;
  }
  return false;
}
