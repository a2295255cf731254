/**
 * Optimal dynamic partial-order reduction (Abdulla, Aronis, Jonsson, Sagonas: "Optimal Dynamic
 * Partial Order Reduction", POPL 2014; "Source Sets: A Foundation for Optimal Dynamic Partial Order
 * Reduction", JACM 2017), as Nidhugg and GenMC implement it: a stateless depth-first search
 * (every execution re-runs from fresh state, replaying a prefix of choices) that runs exactly one
 * complete execution per Mazurkiewicz trace under the dependence of `_access.ts`.
 *
 * - **Sleep sets** hold, at each state, the threads whose next step (recorded exactly) starts a
 *   class already explored from there; a thread stays asleep through steps independent of its own.
 * - **Races.** After each execution, every race i < j (`_races.ts`) asks for the executions in
 *   which j's thread moves before i: the sequence v = notdep(i).j — the steps after i that do not
 *   happen after it, in order, then j's thread's step as it would run there (its access is
 *   recomputed for that state: a compare-exchange that failed because of i may succeed, a `wait`
 *   may sleep or not, a `notify` may find sleepers or not; an await that would see no change there
 *   cannot move, so that reversal does not exist).
 * - **Wakeup trees** (`_wakeup.ts`): v is inserted into the tree of the state before i unless a
 *   sleeping thread, or the branch being explored, or a branch already in the tree covers it. The
 *   search then follows the tree's branches before choosing freely.
 *
 * - **Forced steps** (awaiting threads that move because no other thread can, `_await.ts`) are
 *   ordered with everything; where they can happen, every awaiting thread is a branch.
 *
 * With these, no explored execution is blocked by its sleep set in the classic setting; blocking
 * steps (waits, awaits) can still make a branch end early. Such executions are counted as
 * `pruned` and are not complete executions.
 *
 * @module
 */
import { type Access, access, accessOf, dependent, NONE, READ, WRITE } from "./_access.ts";
import {
  bit,
  type DfsOptions,
  type DfsResult,
  diverged,
  emptyResult,
  enabledSet,
  lowest,
  tally,
} from "./_pass.ts";
import { type Event, execute, type Execution, type Pending, type Prepared } from "./_engine.ts";
import { stepRecord } from "./_event.ts";
import { Races } from "./_races.ts";
import {
  addressOf,
  CAS,
  LOAD,
  NOTIFY,
  PAUSE,
  SPEC,
  STORE,
  TIMEOUT,
  WAIT,
  XCHG,
} from "./_thread.ts";
import { attempt, type Parts, type SpecCall } from "./_spec_step.ts";
import { insert, type Sequence, weakInitial, WNode } from "./_wakeup.ts";

/** A state of the search: the state before step `depth` of the current execution. */
class Node {
  /** Threads that can move here (to detect nondeterministic bodies on replay). */
  readonly enabled: number;
  /** The thread whose branch is being explored (-1: none could be). */
  chosen = -1;
  /** Sleeping threads, and the access of each one's next step. */
  sleep = 0;
  readonly sleepAcc: Access[] = [];
  /** Branches still to explore from here, in order. */
  wut: WNode[] = [];
  /** Races (i, this step) already reversed with a sequence of steps up to this one only. */
  handled: Set<number> | undefined = undefined;
  constructor(enabled: number) {
    this.enabled = enabled;
  }
}

/** Runs the optimal search over the schedules of `p`. */
export function optimal(p: Prepared, o: DfsOptions): DfsResult {
  const visible = p.always !== undefined;
  const n = p.bodies.length;
  const result = emptyResult();
  const stack: Node[] = [];
  const races = new Races();
  /** Accesses of the current execution's steps (filled as it runs). */
  let accs: Access[] = [];
  /** Children of the wakeup-tree branch being followed, for the next new state. */
  let pending: WNode[] = [];

  const choose = (ex: Execution): number => {
    const d = ex.steps;
    const enabled = enabledSet(ex);
    if (d < stack.length) {
      const node = stack[d]!;
      if (node.enabled !== enabled) throw diverged(d);
      // A branch taken up from the wakeup tree whose thread cannot move here does not exist (a
      // blocked specification-level step, or a patience timeout placed before the termination
      // that made it possible).
      return enabled & bit(node.chosen) ? node.chosen : -1;
    }
    const node = new Node(enabled);
    if (d > 0) {
      // Threads stay asleep through a step independent of their own next step.
      const parent = stack[d - 1]!;
      let q = parent.sleep;
      const moved = q ? accs[d - 1] = accessOf(ex.events![d - 1]!, visible) : undefined;
      while (q) {
        const t = lowest(q);
        q &= ~bit(t);
        const a = parent.sleepAcc[t]!;
        if (!dependent(a, moved!)) {
          node.sleep |= bit(t);
          node.sleepAcc[t] = a;
        }
      }
    }
    stack.push(node);
    let pick: number;
    if (pending.length > 0) {
      const c = pending[0]!;
      node.wut = pending.slice(1);
      pending = c.children;
      pick = node.chosen = c.thread;
    } else {
      const open = enabled & ~node.sleep;
      if (open === 0) return -1; // every continuation is equivalent to an explored one
      const last = ex.last;
      pick = node.chosen = last >= 0 && open & bit(last) ? last : lowest(open);
    }
    if (ex.forced) {
      // Only awaiting threads can move, and only because nobody else can: every one of them is a
      // branch (forced steps are ordered with everything, so they never race).
      let q = enabled & ~node.sleep & ~bit(pick);
      for (const c of node.wut) q &= ~bit(c.thread);
      while (q) {
        const t = lowest(q);
        q &= ~bit(t);
        node.wut.push(new WNode(access(t, { all: true })));
      }
    }
    // A branch whose thread cannot move here does not exist (a blocked step).
    return enabled & bit(pick) ? pick : -1;
  };

  for (;;) {
    accs = [];
    const ex = execute(p, choose, true);
    if (tally(result, o, ex)) return result;
    const events = ex.events!;
    for (let k = 0; k < events.length; k++) accs[k] ??= accessOf(events[k]!, visible);
    races.analyse(accs, n);
    const rs = races.races;
    for (let r = 0; r < rs.length; r += 2) {
      const i = rs[r]!;
      const j = rs[r + 1]!;
      // When every step after j happens after i, the sequence depends only on steps 0..j: once
      // handled while the state before j stays on the stack, it is handled for good.
      if (races.beforeAllAfter(i, j) && !once(stack[j]!, i)) continue;
      reverse(i, events[j]!, accs[j]!, events, accs, races, stack, visible);
    }
    // Steps a thread could have made before step i and not after it (a woken sleeper's timeout,
    // an await whose change i undid, a specification-level call i blocked) race with i too.
    for (let i = 0; i < events.length; i++) {
      // When every later step happens after step i, such a race's sequence is the pending step
      // alone: the same every time step i's state is on the stack, so it is handled once.
      const alone = races.beforeAllAfter(i, i);
      for (const d of events[i]!.disabled ?? []) {
        if (alone && !once(stack[i]!, -1 - d.thread)) continue;
        const e = pendingEvent(d);
        reverse(i, e, accessOf(e, visible), events, accs, races, stack, visible);
      }
      // A thread that came to a blocked specification-level call (Nidhugg's failed lock): its
      // call races with the step that last changed the unit's state, if that step may come after.
      const parked = events[i]!.parked;
      if (parked !== undefined) {
        const w = lastWrite(events, i, parked);
        if (w >= 0 && !races.happensBefore(w, i)) {
          const key = -1 - 64 * (w + 1) - parked.thread;
          if (races.beforeAllAfter(w, i) && !once(stack[i]!, key)) continue;
          const e = pendingEvent(parked);
          reverse(w, e, accessOf(e, visible), events, accs, races, stack, visible);
        }
      }
    }
    // Backtrack to the deepest state with a branch left.
    let d = stack.length - 1;
    for (; d >= 0; d--) {
      const n = stack[d]!;
      if (n.chosen >= 0 && d < events.length) {
        n.sleep |= bit(n.chosen);
        n.sleepAcc[n.chosen] = accs[d]!;
      }
      const next = n.wut.shift();
      if (next !== undefined) {
        n.handled = undefined;
        n.chosen = next.thread;
        pending = next.children;
        break;
      }
    }
    if (d < 0) return result;
    stack.length = d + 1;
  }
}

/**
 * Whether race `key` is handled at `node` for the first time (and marks it): races whose reversal
 * depends only on the steps up to the node's own step, handled once while the node is on the stack.
 */
function once(node: Node, key: number): boolean {
  const seen = node.handled ??= new Set();
  if (seen.has(key)) return false;
  seen.add(key);
  return true;
}

/** A pending step as an event that has not run (for {@linkcode reversed}). */
function pendingEvent(d: Pending): Event {
  const e = stepRecord(d.thread, d.op, { ...d, y: 0 }, undefined, false);
  e.watch = d.watch;
  if (d.spec !== undefined) {
    // A call that has not run: a would-be write of its unit (reversed() works out what it does).
    const addr = addressOf(d.a, d.i);
    e.spec = {
      call: d.spec,
      addr,
      before: NO_PARTS,
      after: NO_PARTS,
      wrote: true,
      timedOut: false,
    };
  }
  return e;
}

const NO_PARTS: Parts = {};

/** The last step before `i` that changed the state of the unit of pending call `d`, or -1. */
function lastWrite(events: readonly Event[], i: number, d: Pending): number {
  const addr = addressOf(d.a, d.i);
  for (let k = i; k >= 0; k--) {
    const s = events[k]!.spec;
    if (s !== undefined && s.addr === addr && s.wrote) return k;
  }
  return -1;
}

/**
 * A specification-level call `e` that would be blocked right before step i (say, an acquire before
 * the release that step i is) may still move before the step that last changed its unit earlier
 * (the acquire before that release): that step races with it, if `e`'s thread's earlier steps do
 * not happen after it (Nidhugg's treatment of a lock acquire that races with a release).
 */
function reverseEarlier(
  i: number,
  e: Event,
  a: Access,
  events: readonly Event[],
  accs: readonly Access[],
  races: Races,
  stack: readonly Node[],
  visible: boolean,
): void {
  const addr = e.spec!.addr;
  let k = i - 1;
  while (k >= 0 && !(events[k]!.spec?.addr === addr && events[k]!.spec!.wrote)) k--;
  if (k < 0 || events[k]!.thread === e.thread) return;
  const j = events.indexOf(e);
  let p = (j < 0 ? events.length : j) - 1;
  while (p >= 0 && events[p]!.thread !== e.thread) p--;
  if (p > k && races.happensBefore(k, p)) return;
  reverse(k, e, a, events, accs, races, stack, visible);
}

/**
 * Handles the race of step i with step `e` of another thread (with access `a`; a step of the
 * execution after i, or one i disabled): the sequence notdep(i).e, inserted into the wakeup tree
 * of the state before i unless something there already covers it.
 */
function reverse(
  i: number,
  e: Event,
  a: Access,
  events: readonly Event[],
  accs: readonly Access[],
  races: Races,
  stack: readonly Node[],
  visible: boolean,
): void {
  const node = stack[i]!;
  const n = events.length;
  const items: number[] = [];
  for (let k = i + 1; k < n; k++) if (!races.happensBefore(i, k)) items.push(k);
  const last = reversed(i, e, a, events, races, visible);
  if (last === undefined) {
    if (e.op === SPEC) reverseEarlier(i, e, a, events, accs, races, stack, visible);
    return;
  }
  // Happens-before of the final step within the sequence: direct predecessors (its thread's
  // steps, dependent steps, the notify that woke its thread), then everything before those.
  const m = items.length;
  const before = new Uint8Array(m);
  for (let a = m - 1; a >= 0; a--) {
    const x = accs[items[a]!]!;
    let pred = x.thread === last.thread || dependent(x, last) ||
      (x.wakes !== undefined && x.wakes.includes(last.thread));
    for (let b = a + 1; b < m && !pred; b++) {
      if (before[b] && races.happensBefore(items[a]!, items[b]!)) pred = true;
    }
    before[a] = pred ? 1 : 0;
  }
  const acc = items.map((k) => accs[k]!);
  acc.push(last);
  const w: Sequence = {
    acc,
    hb: (a, b) => b === m ? before[a] === 1 : races.happensBefore(items[a]!, items[b]!),
  };
  // The branch being explored from here covers it (the paper keeps that branch in the tree).
  if (weakInitial(accs[i]!, w)) return;
  let q = node.sleep;
  while (q) {
    const t = lowest(q);
    q &= ~bit(t);
    if (weakInitial(node.sleepAcc[t]!, w)) return;
  }
  insert(node.wut, w);
}

/**
 * The access of step `e` (access `a` as recorded) when its thread makes it right after notdep(i)
 * from the state before i (instead of where it ran), or undefined if it cannot move there.
 */
function reversed(
  i: number,
  e: Event,
  a: Access,
  events: readonly Event[],
  races: Races,
  visible: boolean,
): Access | undefined {
  const included = (k: number) => k !== i && (k < i || !races.happensBefore(i, k));
  if (e.op === SPEC) return reversedSpec(e.spec!.call, a, events, included, visible);
  if (e.watch !== undefined) {
    // An await moves only if some word it watched holds another value than it saw.
    let changed = false;
    const w = e.watch;
    for (let k = 0; k < w.addresses.length && !changed; k++) {
      const v = valueAt(w.addresses[k]!, w.sizes[k]!, events, included);
      changed = v === UNKNOWN || v !== w.values[k];
    }
    if (!changed) return undefined;
    if (e.op === PAUSE) return a;
  }
  if (e.threw) return a;
  const op = e.op;
  if (op === TIMEOUT) return a;
  if (op === NOTIFY) {
    const entries = queueEntries(a.addr, events, included);
    const wakes = entries > 0 && Number(e.x) > 0;
    return access(a.thread, { addr: a.addr, size: a.size, queue: wakes ? WRITE : READ });
  }
  if (a.mem === NONE) return a;
  const v = valueAt(a.addr, a.size, events, included);
  if (op === WAIT) {
    const sleeps = v === UNKNOWN || v === coerce(e, e.x);
    return access(a.thread, { ...a, queue: sleeps ? WRITE : NONE });
  }
  let wrote: boolean;
  if (v === UNKNOWN) wrote = true;
  else if (op === STORE || op === XCHG) wrote = v !== e.after;
  else if (op === CAS) wrote = v === coerce(e, e.x) && v !== coerce(e, e.y);
  else wrote = a.mem === WRITE; // add and sub change the value whatever it was, or never
  if (!wrote && a.mem === READ) return a;
  return access(a.thread, {
    mem: wrote ? WRITE : READ,
    addr: a.addr,
    size: a.size,
    visible: wrote && visible,
  });
}

/**
 * The access of specification-level call `call` (recorded access `a`) made after the steps
 * `included`: the unit's state there is the one the last included step that changed it left (or
 * the state at the unit's first step, or, if no step touched the unit, its memory, which nothing
 * else changes); undefined if the call is blocked there (and has no deadline).
 */
function reversedSpec(
  call: SpecCall,
  a: Access,
  events: readonly Event[],
  included: (k: number) => boolean,
  visible: boolean,
): Access | undefined {
  let parts: Parts | undefined;
  let first = -1;
  for (let k = events.length - 1; k >= 0; k--) {
    const s = events[k]!.spec;
    if (s === undefined || s.addr !== a.addr || s.before === NO_PARTS) continue;
    first = k;
    if (!included(k) || !s.wrote) continue;
    parts = s.after;
    break;
  }
  parts ??= first >= 0 ? events[first]!.spec!.before : call.target.load();
  const o = attempt(call, parts);
  if (o.blocked && !call.timed) return undefined;
  const wrote = o.after !== parts;
  return access(a.thread, {
    mem: wrote ? WRITE : READ,
    addr: a.addr,
    size: 4,
    visible: wrote && visible,
  });
}

const UNKNOWN = Symbol("unknown");

/**
 * The value of the word (addr, size) after the steps `included` (the later steps of the execution
 * that write it all happen after i, so they are never included).
 */
function valueAt(
  addr: number,
  size: number,
  events: readonly Event[],
  included: (k: number) => boolean,
): number | bigint | typeof UNKNOWN {
  let first = -1;
  for (let k = events.length - 1; k >= 0; k--) {
    const e = events[k]!;
    if (e.before === undefined) continue; // no memory access (or it threw)
    const at = addressOf(e.a, e.i);
    const bytes = e.a.BYTES_PER_ELEMENT;
    if (at + bytes <= addr || addr + size <= at) continue;
    if (at !== addr || bytes !== size) return UNKNOWN; // views of another width: not tracked
    first = k;
    if (!included(k) || e.op === WAIT || e.op === LOAD) continue;
    return e.after!;
  }
  // No included write: the word still holds what it held before the execution began.
  return first >= 0 ? events[first]!.before! : UNKNOWN;
}

/** Entries in the waiter list of `addr` after the steps `included`. */
function queueEntries(
  addr: number,
  events: readonly Event[],
  included: (k: number) => boolean,
): number {
  let entries = 0;
  for (let k = 0; k < events.length; k++) {
    const e = events[k]!;
    if (e.threw || e.op === PAUSE || !included(k)) continue;
    if (e.op !== WAIT && e.op !== NOTIFY && e.op !== TIMEOUT) continue;
    if (addressOf(e.a, e.i) !== addr) continue;
    if (e.op === WAIT && e.slept) entries++;
    else if (e.op === NOTIFY) entries -= e.woke?.length ?? 0;
    else if (e.op === TIMEOUT) entries -= 1 + (e.woke?.length ?? 0);
  }
  return entries;
}

const probes = new Map<unknown, { 0: unknown }>();

/** `x` stored into an element of `e`'s array (as a compare-exchange coerces its operands). */
function coerce(e: Event, x: number | bigint): unknown {
  let probe = probes.get(e.a.constructor);
  if (!probe) {
    probe = new (e.a.constructor as new (n: number) => { 0: unknown })(1);
    probes.set(e.a.constructor, probe);
  }
  probe[0] = x;
  return probe[0];
}
