/**
 * Exhaustive search: stateless depth-first search over schedules (every execution re-runs from fresh
 * state, replaying a prefix of choices), with
 *
 * - **preemption bounding** (CHESS): an execution may switch away from a thread that could continue
 *   at most `bound` times; switching when the running thread finished, sleeps, or paused is free.
 *   A search that never had to cut a schedule for the bound covered every interleaving.
 * - **dynamic partial-order reduction** (source-DPOR, Abdulla et al. 2014): after each execution,
 *   every pair of racing steps (different threads, dependent, ordered by happens-before with nothing
 *   in between) asks for the reversed order to be explored from the state before the first step.
 *   Dependence: two accesses to the same address, at least one a write (a failed CAS and a `wait`
 *   that found another value are reads); waiter lists are separate objects per address, written by
 *   a sleeping `wait`, a `notify` and a timeout; a `notify` happens-before everything the threads it
 *   woke do next; `pause` depends on everything (it changes who may run). Without a bound, sleep
 *   sets prune schedules equivalent to explored ones. With a bound (BPOR, Coons et al. 2013) the
 *   reversal is also requested at the start of the first step's thread block, where it costs no
 *   extra preemption, and sleep sets are off (they are unsound with bounding).
 *
 * Threads are bitmasks (at most 30 threads).
 *
 * @module
 */
import {
  addressOf,
  CAS,
  type Event,
  execute,
  type Execution,
  LOAD,
  NOTIFY,
  PAUSE,
  type Prepared,
  type Thread,
  TIMEOUT,
  WAIT,
} from "./_engine.ts";

/** How a transition touches shared state, for dependence. */
interface Access {
  /** 0 none, 1 read, 2 write. */
  mem: number;
  /** Address (buffer id and byte index) of the memory access, or of the waiter list. */
  addr: number;
  /** Bytes accessed. */
  size: number;
  /** Whether it changes the waiter list of `addr`. */
  queue: boolean;
  /** `pause`: depends on everything. */
  all: boolean;
}

const ALL: Access = { mem: 0, addr: 0, size: 0, queue: false, all: true };

/** The access a thread's next transition would make (conservative: an RMW counts as a write). */
function pendingAccess(t: Thread): Access {
  if (t.status === 1) {
    return { mem: 0, addr: addressOf(t.a, t.i), size: 4, queue: true, all: false };
  }
  if (t.op === PAUSE) return ALL;
  const addr = addressOf(t.a, t.i);
  const size = t.a.BYTES_PER_ELEMENT;
  if (t.op === LOAD) return { mem: 1, addr, size, queue: false, all: false };
  if (t.op === WAIT) return { mem: 1, addr, size, queue: true, all: false };
  if (t.op === NOTIFY) return { mem: 0, addr, size, queue: true, all: false };
  return { mem: 2, addr, size, queue: false, all: false };
}

const probes = new Map<unknown, { 0: unknown }>();

/** Whether an executed CAS wrote (its old value equals the coerced expected value). */
function casWrote(e: Event): boolean {
  let probe = probes.get(e.a.constructor);
  if (!probe) {
    probe = new (e.a.constructor as new (n: number) => { 0: unknown })(1);
    probes.set(e.a.constructor, probe);
  }
  probe[0] = e.x;
  return probe[0] === e.result;
}

/** Kinds of memory access, as stored by the race analysis. */
const NO_MEM = 0;
const READ = 1;
const WRITE = 2;

function overlaps(p: Access, q: Access): boolean {
  // Same buffer (high part of the address) and overlapping byte ranges.
  return p.addr < q.addr + q.size && q.addr < p.addr + p.size &&
    Math.floor(p.addr / 2 ** 32) === Math.floor(q.addr / 2 ** 32);
}

/** Whether two transitions may not commute. */
export function dependent(p: Access, q: Access): boolean {
  if (p.all || q.all) return true;
  if (p.queue && q.queue && p.addr === q.addr) return true;
  return (p.mem === 2 && q.mem > 0 || q.mem === 2 && p.mem > 0) && overlaps(p, q);
}

/** A state of the search: the state before step `depth` of the current execution. */
interface Node {
  enabled: number;
  /** Thread of the previous step, or -1. */
  last: number;
  lastEnabled: boolean;
  preemptions: number;
  chosen: number;
  backtrack: number;
  done: number;
  sleep: number;
  /** Pending accesses of the enabled threads (for sleep sets). */
  access: Access[] | undefined;
}

/** Options of one exhaustive pass. */
export interface DfsOptions {
  /** Preemption bound (Infinity: none). */
  bound: number;
  /** Use partial-order reduction. */
  dpor: boolean;
  /** Stop after this many executions. */
  maxExecutions: number;
  /** Called after every execution; return true to stop. */
  onExecution(ex: Execution): boolean;
}

/** What one exhaustive pass did. */
export interface DfsResult {
  executions: number;
  /** Executions abandoned as equivalent to explored ones (sleep-set blocked). */
  pruned: number;
  steps: number;
  /** Whether some schedule was cut by the preemption bound. */
  cut: boolean;
  /** Whether the pass stopped early (failure found, limit, or `onExecution`). */
  stopped: boolean;
  /** Whether the limit on executions stopped it. */
  limited: boolean;
}

const bit = (k: number) => 1 << k;

function lowest(mask: number): number {
  return 31 - Math.clz32(mask & -mask);
}

/** Runs one exhaustive pass over the schedules of `p`. */
export function dfs(p: Prepared, o: DfsOptions): DfsResult {
  const stack: Node[] = [];
  const useSleep = o.dpor && o.bound === Infinity;
  const result: DfsResult = {
    executions: 0,
    pruned: 0,
    steps: 0,
    cut: false,
    stopped: false,
    limited: false,
  };
  const cost = (n: Node, q: number) => n.lastEnabled && q !== n.last ? 1 : 0;
  const scratch = new Scratch();

  const choose = (ex: Execution): number => {
    const d = ex.steps;
    let enabled = 0;
    for (let j = 0; j < ex.count; j++) enabled |= bit(ex.enabled[j]!);
    if (d < stack.length) {
      const n = stack[d]!;
      if (n.enabled !== enabled) {
        throw new Error(
          `Nondeterministic thread bodies: replaying a schedule diverged at step ${d + 1} ` +
            "(threads must do the same shared accesses given the same schedule)",
        );
      }
      return n.chosen;
    }
    const parent = d > 0 ? stack[d - 1] : undefined;
    let sleep = 0;
    let access: Access[] | undefined;
    if (useSleep) {
      access = [];
      for (let j = 0; j < ex.count; j++) {
        const k = ex.enabled[j]!;
        access[k] = pendingAccess(ex.threads[k]!);
      }
      if (parent) {
        const moved = parent.access![parent.chosen]!;
        let candidates = (parent.sleep | parent.done) & ~bit(parent.chosen) & enabled;
        while (candidates) {
          const q = lowest(candidates);
          candidates &= ~bit(q);
          if (!dependent(parent.access![q]!, moved)) sleep |= bit(q);
        }
      }
    }
    const last = ex.last;
    const lastEnabled = last >= 0 && (enabled & bit(last)) !== 0;
    const node: Node = {
      enabled,
      last,
      lastEnabled,
      preemptions: parent ? parent.preemptions + cost(parent, parent.chosen) : 0,
      chosen: -1,
      backtrack: 0,
      done: 0,
      sleep,
      access,
    };
    const open = enabled & ~sleep;
    if (open === 0) return -1; // every continuation is equivalent to an explored one
    let pick = lastEnabled && (open & bit(last)) ? last : lowest(open);
    if (node.preemptions + cost(node, pick) > o.bound) {
      result.cut = true;
      return -1;
    }
    node.chosen = pick;
    node.done = bit(pick);
    if (o.dpor) {
      node.backtrack = bit(pick);
    } else {
      // Plain DFS: every enabled thread is a branch (those over the bound are cut later).
      node.backtrack = open;
    }
    stack.push(node);
    pick = node.chosen;
    return pick;
  };

  for (;;) {
    const ex = execute(p, choose, o.dpor);
    result.executions++;
    result.steps += ex.steps;
    if (ex.ending === "pruned") result.pruned++;
    if (o.dpor) analyse(ex.events!, stack, ex.threads.length, o.bound !== Infinity, scratch);
    if (o.onExecution(ex)) {
      result.stopped = true;
      return result;
    }
    if (result.executions >= o.maxExecutions) {
      result.stopped = true;
      result.limited = true;
      return result;
    }
    // Backtrack to the deepest state with an unexplored branch within the bound.
    let d = stack.length - 1;
    for (; d >= 0; d--) {
      const n = stack[d]!;
      let todo = n.backtrack & ~n.done & ~n.sleep & n.enabled;
      let next = -1;
      while (todo) {
        const q = lowest(todo);
        todo &= ~bit(q);
        if (n.preemptions + cost(n, q) > o.bound) {
          n.done |= bit(q);
          result.cut = true;
          continue;
        }
        next = q;
        break;
      }
      if (next >= 0) {
        n.chosen = next;
        n.done |= bit(next);
        break;
      }
    }
    if (d < 0) return result;
    stack.length = d + 1;
  }
}

/** Reusable buffers of the race analysis (one per search). */
class Scratch {
  clocks = new Int32Array(0);
  threadClock = new Int32Array(0);
  thread = new Int32Array(0);
  mem = new Int8Array(0);
  queue = new Uint8Array(0);
  all = new Uint8Array(0);
  addr = new Float64Array(0);
  firstInV = new Int32Array(0);
  /** Per execution: address -> slot (a small index into the per-slot state below). */
  slots = new Map<number, number>();
  lastWrite: number[] = [];
  lastQueue: number[] = [];
  reads: number[][] = [];
  deps: number[] = [];
  races: number[] = [];

  /** Makes room for `n` events of `threads` threads. */
  fit(n: number, threads: number): void {
    if (this.thread.length < n) {
      const size = Math.max(n, this.thread.length * 2, 64);
      this.thread = new Int32Array(size);
      this.mem = new Int8Array(size);
      this.queue = new Uint8Array(size);
      this.all = new Uint8Array(size);
      this.addr = new Float64Array(size);
    }
    if (this.clocks.length < n * threads) {
      this.clocks = new Int32Array(Math.max(n * threads, this.clocks.length * 2));
    }
    if (this.threadClock.length !== threads * threads) {
      this.threadClock = new Int32Array(threads * threads);
      this.firstInV = new Int32Array(threads);
    }
    this.threadClock.fill(0);
    this.slots.clear();
    this.races.length = 0;
  }
}

/**
 * Race analysis of one execution (source-DPOR): vector clocks for happens-before (`clocks[j * T + t]`
 * is 1 + the last step of thread t that happens before step j, inclusive), then for every race (i, j)
 * a branch at the state before i that starts the reversed order.
 */
function analyse(
  events: readonly Event[],
  stack: Node[],
  T: number,
  bounded: boolean,
  x: Scratch,
): void {
  const n = events.length;
  x.fit(n, T);
  const { clocks, threadClock, thread, mem, queue, all, addr, slots, lastWrite, reads, lastQueue } =
    x;
  const deps = x.deps;
  const lastOf = new Int32Array(T).fill(-1);
  let lastAll = -1;
  for (let j = 0; j < n; j++) {
    const e = events[j]!;
    const p = e.thread;
    // The access this step made (a failed CAS and a not-equal wait are reads).
    const op = e.op;
    const isAll = op === PAUSE;
    let m = NO_MEM;
    let isQueue = false;
    let at = 0;
    if (!isAll && !e.threw) {
      at = addressOf(e.a, e.i);
      if (op === LOAD) m = READ;
      else if (op === WAIT) {
        m = READ;
        isQueue = e.slept;
      } else if (op === NOTIFY || op === TIMEOUT) isQueue = true;
      else if (op === CAS) m = casWrote(e) ? WRITE : READ;
      else m = WRITE;
    }
    thread[j] = p;
    mem[j] = m;
    queue[j] = isQueue ? 1 : 0;
    all[j] = isAll ? 1 : 0;
    addr[j] = at;
    deps.length = 0;
    if (lastAll >= 0) deps.push(lastAll);
    let slot = -1;
    if (m > 0 || isQueue) {
      const known = slots.get(at);
      if (known === undefined) {
        slot = slots.size;
        slots.set(at, slot);
        lastWrite[slot] = -1;
        lastQueue[slot] = -1;
        if (reads[slot]) reads[slot]!.length = 0;
        else reads[slot] = [];
      } else {
        slot = known;
      }
    }
    if (isAll) {
      for (let t = 0; t < T; t++) if (lastOf[t]! >= 0 && t !== p) deps.push(lastOf[t]!);
    } else if (slot >= 0) {
      if (m > 0) {
        const w = lastWrite[slot]!;
        if (w >= 0) deps.push(w);
        if (m === 2) { for (const r of reads[slot]!) deps.push(r); }
      }
      if (isQueue && lastQueue[slot]! >= 0) deps.push(lastQueue[slot]!);
    }
    // clocks[j] = threadClock[p] joined with the clocks of the dependencies.
    const row = j * T;
    const base = p * T;
    for (let t = 0; t < T; t++) clocks[row + t] = threadClock[base + t]!;
    for (const i of deps) {
      const ri = i * T;
      for (let t = 0; t < T; t++) {
        if (clocks[ri + t]! > clocks[row + t]!) clocks[row + t] = clocks[ri + t]!;
      }
    }
    clocks[row + p] = j + 1;
    // Races: dependent earlier steps of other threads not already ordered through something else.
    for (const i of deps) {
      const ti = thread[i]!;
      if (ti === p || threadClock[base + ti]! >= i + 1) continue;
      let immediate = true;
      for (const k of deps) {
        if (k > i && clocks[k * T + ti]! >= i + 1) {
          immediate = false;
          break;
        }
      }
      if (immediate) x.races.push(i, j);
    }
    // Bookkeeping.
    for (let t = 0; t < T; t++) threadClock[base + t] = clocks[row + t]!;
    const continued = e.forwarded?.length ? [...(e.woke ?? []), ...e.forwarded] : e.woke;
    if (continued) {
      // The threads a notify woke (and the forwarders it handed a wake-up) continue after it.
      for (const w of continued) {
        const wb = w * T;
        for (let t = 0; t < T; t++) {
          if (clocks[row + t]! > threadClock[wb + t]!) threadClock[wb + t] = clocks[row + t]!;
        }
      }
    }
    lastOf[p] = j;
    if (isAll) lastAll = j;
    if (m === 1) {
      reads[slot]!.push(j);
    } else if (m === 2) {
      lastWrite[slot] = j;
      reads[slot]!.length = 0;
    }
    if (isQueue) lastQueue[slot] = j;
  }
  // Reversals need the clocks of the whole execution (v reaches past j).
  const races = x.races;
  for (let r = 0; r < races.length; r += 2) {
    reverse(races[r]!, races[r + 1]!, n, T, stack, bounded, x);
  }
}

/** Asks for the race (i, j) to be reversed: a branch at the state before i (and BPOR's extra). */
function reverse(
  i: number,
  j: number,
  n: number,
  T: number,
  stack: Node[],
  bounded: boolean,
  x: Scratch,
): void {
  const node = stack[i];
  if (node === undefined) return;
  const { clocks, thread, firstInV } = x;
  const ti = thread[i]!;
  const tj = thread[j]!;
  if (bounded) {
    // BPOR (Flanagan-Godefroid style, as Coons et al. prove it): j's thread at the state before i,
    // or every enabled thread if it cannot move there; and the same where i's thread block began,
    // where switching costs no extra preemption. (Source sets are unsound under a bound.)
    node.backtrack |= node.enabled & bit(tj) ? bit(tj) : node.enabled;
    let b = i;
    while (b > 0 && thread[b - 1] === ti) b--;
    if (b < i) {
      const start = stack[b]!;
      start.backtrack |= start.enabled & bit(tj) ? bit(tj) : start.enabled;
    }
    return;
  }
  // v = notdep(i) (every later step that does not happen after i, also those after j), then j.
  // Its initials, the threads whose first step in v has no predecessor in v, can start an
  // execution that reverses the race.
  firstInV.fill(-1);
  for (let k = i + 1; k < n; k++) {
    if (k !== j && clocks[k * T + ti]! < i + 1 && firstInV[thread[k]!]! < 0) {
      firstInV[thread[k]!] = k;
    }
  }
  let initials = 0;
  for (let q = 0; q < T; q++) {
    const k = firstInV[q]! >= 0 ? firstInV[q]! : q === tj ? j : -1;
    if (k < 0) continue;
    let free = true;
    for (let r = 0; r < T && free; r++) {
      // The last step of r that happens before k is in v iff it is at or after r's first step in v.
      if (r !== q && firstInV[r]! >= 0 && clocks[k * T + r]! - 1 >= firstInV[r]!) free = false;
    }
    if (free) initials |= bit(q);
  }
  initials &= node.enabled;
  if (initials === 0) {
    node.backtrack |= node.enabled;
    return;
  }
  // An initial that sleeps here is never explored from this state, so only awake ones count.
  const awake = initials & ~node.sleep;
  if (awake !== 0 && (node.backtrack & awake) === 0) {
    node.backtrack |= awake & bit(tj) ? bit(tj) : bit(lowest(awake));
  }
}
