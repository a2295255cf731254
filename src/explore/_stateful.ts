/**
 * Exhaustive search with state caching (`explore(..., { reduce: "states" })`): a stateless-replay
 * depth-first search over schedules that remembers every state it reached and does not explore a
 * state twice. It visits every reachable state once, so it covers every final state and checks
 * `always` at every state, however many Mazurkiewicz traces lead there: where optimal DPOR must
 * run one execution per trace (over 3,000,000 for 3 tellers x 2 locked transfers at kernel level),
 * this runs one per edge into a state seen before.
 *
 * What a state is. The explorer cannot copy a generator, so a thread's local state is identified by
 * what determines it: a thread body is deterministic (the replay check enforces it), so its local
 * state is a function of the results its own steps returned, in order (and of the wake-ups it got).
 * Each thread's history is interned into a number (`Histories`: one id per distinct sequence, kept
 * exactly, so no hash can collide). A state's key is then, as text:
 *
 * - every word of the scenario's shared memory (the buffers the scenario's survey finds, as
 *   `finalState` and traces see them) and of the presence registry if it was made;
 * - for each thread: its status, its history id, whether it was terminated, aborted or ran out of
 *   patience (and when), and its await bookkeeping (`Stretch.key`);
 * - the waiter lists (who sleeps on which word, in order);
 * - how many threads were terminated.
 *
 * Two schedules that reach one key reach one state: the same memory, and every thread in the same
 * local state with the same pending step; everything that happens from there is the same.
 *
 * Loop marks (`Seam.loop`, `Seam.at`: a kernel, or a user's loop, names its loop heads and their
 * live variables) shorten histories: at a marked head a thread's history becomes the history where
 * the loop started plus the live values, so the laps of a retry or sleep loop that end where an
 * earlier lap did are one state (the >12,000 distinct in-call histories of `Lock.acquire` in the
 * 3 x 2 locked bank). Sound as long as the marks keep their contract (see `Seam.at`;
 * `tests/explore/loop_marks_test.ts` checks the kernels' marks against optimal DPOR). Without
 * marks the depth (steps made) is a function of the key (each history counts its thread's steps),
 * so `maxSteps` (livelock) cuts the same paths as without caching. With them a state can recur on
 * one schedule: such a cycle is replayed until `maxSteps` reports the livelock the plain search
 * reports; a finite schedule longer than `maxSteps` whose states were all reached sooner by other
 * schedules is not.
 *
 * What it assumes, as partial-order reduction does: threads communicate only through the explorer's
 * operations (no plain JS object shared between thread bodies and written by one of them). It does
 * not support specification-level steps (`level: "spec"`, whose unit states are JS objects): that
 * level is already small. It runs without a preemption bound (a state's bound left depends on the
 * path to it).
 *
 * @module
 */
import { type Access, accessOf, dependent } from "./_access.ts";
import { DONE, execute, type Execution, type Prepared, SPEC, type Thread } from "./_engine.ts";
import type { Event } from "./_event.ts";
import { exactText } from "./_thread.ts";
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

/** Interned histories: id 0 is the empty history; each (id, result) pair gets one new id. */
class Histories {
  readonly #ids = new Map<string, number>();
  /** The history each one extends, by id. */
  readonly #parents: number[] = [0];

  /** The id of history `id` followed by `entry`. */
  extend(id: number, entry: string): number {
    const k = `${id}:${entry}`;
    let next = this.#ids.get(k);
    if (next === undefined) {
      next = this.#ids.size + 1;
      this.#ids.set(k, next);
      this.#parents[next] = id;
    }
    return next;
  }

  /** History `id` without its last `n` entries. */
  back(id: number, n: number): number {
    for (; n > 0; n--) id = this.#parents[id]!;
    return id;
  }
}

/** What a step returned to its thread, as text. */
function resultKey(e: Event): string {
  const r = e.result;
  if (e.threw) {
    return r instanceof Error ? `!${r.name}:${r.message}` : `!${String(r)}`;
  }
  if (e.slept) return "z";
  const prefix = typeof r === "bigint"
    ? "n"
    : typeof r === "string"
    ? "s"
    : typeof r === "number"
    ? ""
    : typeof r;
  return `${prefix}${String(r)}${e.aborted ? "a" : ""}${e.patience ? "p" : ""}`;
}

/**
 * The units of `u` as a string, one character each (exact: strings compare unit by unit; no
 * decoder, which would replace lone surrogates).
 */
function codeUnits(u: Uint16Array): string {
  let s = "";
  for (let k = 0; k < u.length; k += 4096) {
    s += String.fromCharCode.apply(null, u.subarray(k, k + 4096) as unknown as number[]);
  }
  return s;
}

/** A state on the search's stack: the state before step `depth` of the current execution. */
interface Node {
  readonly enabled: number;
  chosen: number;
  /** Threads still to try from here. */
  todo: number;
  /** Sleeping threads (each one's next step starts schedules explored already), and their steps. */
  sleep: number;
  readonly sleepAcc: Access[];
  /** Each thread's local state here. */
  readonly locals: Locals;
  /** The state's key. */
  readonly key: string;
}

/**
 * The threads' local states, by thread id: the history of the user's code (results of its own
 * steps and of its completed calls), the history of the call in progress (its kernel's results),
 * and which call that is (a frame id, 0: none).
 */
interface Locals {
  readonly user: number[];
  readonly inner: number[];
  readonly call: number[];
  /** The loops the call in progress entered: each one's site and the history on entry. */
  readonly anchors: (ReadonlyMap<string, number> | undefined)[];
  /** Likewise for loops of the user's own code (outside calls). */
  readonly userAnchors: (ReadonlyMap<string, number> | undefined)[];
}

/** Runs one exhaustive pass over the states of `p`, each explored once. */
export function stateful(p: Prepared, o: DfsOptions): DfsResult {
  if (p.memoryOf === undefined) {
    throw new TypeError('Cannot explore: reduce: "states" needs the scenario\'s shared memory');
  }
  const result = emptyResult();
  const stack: Node[] = [];
  /** Every state reached, with the threads asleep at every visit so far. */
  const seen = new Map<string, number>();
  const visible = p.always !== undefined;
  const histories = new Histories();
  /** The memory of the execution `memoryOf`, as 16-bit units, and each buffer's odd last byte. */
  let memory: readonly Uint16Array[] = [];
  let tails: readonly (Uint8Array | undefined)[] = [];
  let memoryOf: Execution | undefined;
  /** The depth of each state on the stack, by key. */
  const onStack = new Map<string, number>();
  /** A cycle of states found in this execution: the choices that repeat it (see `choose`). */
  let cycle: number[] | undefined;

  /** Each thread's local state after step `d - 1` (at the new state before step `d`). */
  const localsAfter = (ex: Execution, d: number): Locals => {
    const ts = ex.threads;
    if (d === 0) {
      const l: Locals = {
        user: ts.map(() => 0),
        inner: ts.map(() => 0),
        call: ts.map((t) => t.frame?.id ?? 0),
        anchors: ts.map(() => undefined),
        userAnchors: ts.map(() => undefined),
      };
      for (const t of ts) {
        marked(l, t, 0);
        if (l.call[t.id] !== 0) marked(l, t, l.call[t.id]!);
      }
      return l;
    }
    const parent = stack[d - 1]!.locals;
    const l: Locals = {
      // One entry per thread, as at depth 0 (the scenario's threads are the same every run).
      user: parent.user.slice(),
      inner: parent.inner.slice(),
      call: parent.call.slice(),
      anchors: parent.anchors.slice(),
      userAnchors: parent.userAnchors.slice(),
    };
    const e = ex.events![d - 1]!;
    moved(l, ts[e.thread]!, resultKey(e));
    for (const w of e.woke ?? []) moved(l, ts[w]!, "w");
    return l;
  };

  /** Thread `t` got `entry` from a step (its own, or a wake-up) and ran to its next one. */
  const moved = (l: Locals, t: Thread, entry: string): void => {
    const k = t.id;
    const call = l.call[k]!;
    if (call === 0) {
      // A step of the user's own code: its result is part of the user-level history.
      l.user[k] = histories.extend(l.user[k]!, entry);
    } else l.inner[k] = histories.extend(l.inner[k]!, entry);
    // Then the loop marks it passed, in order: those of the call the step was in, those of the
    // user's code after that call ended, those of the call it is in now.
    marked(l, t, call);
    const now = t.frame?.id ?? 0;
    if (call !== 0 && now !== call) {
      // The call ended: what the user's code goes on with is its result, however the kernel got
      // there (a primitive result exactly; anything else by the whole history of the call).
      const ended = t.ended?.id === call ? t.ended.returned : undefined;
      const text = ended === undefined ? undefined : exactText(ended.value);
      l.user[k] = histories.extend(l.user[k]!, text ?? `#${l.inner[k]}`);
      l.inner[k] = 0;
      l.anchors[k] = undefined;
    }
    l.call[k] = now;
    if (call !== 0 && now !== call) marked(l, t, 0);
    if (now !== 0 && now !== call) marked(l, t, now);
  };

  /**
   * Applies the loop marks thread `t` passed in call `call` (see `Seam.at`): entering a loop notes
   * the call's history there; at the loop's head the history becomes that one plus the live values,
   * whatever the laps before did. A head whose entry was not seen is ignored (always sound).
   */
  const marked = (l: Locals, t: Thread, call: number): void => {
    const k = t.id;
    const history = call === 0 ? l.user : l.inner;
    const anchorsOf = call === 0 ? l.userAnchors : l.anchors;
    for (const m of t.marks) {
      if (m.call !== call) continue;
      const anchors = anchorsOf[k];
      if (m.live === undefined) {
        anchorsOf[k] = new Map(anchors).set(m.site, histories.back(history[k]!, m.back));
        continue;
      }
      const anchor = anchors?.get(m.site);
      if (anchor !== undefined) history[k] = histories.extend(anchor, `@${m.site}:${m.live}`);
    }
  };

  const keyOf = (ex: Execution, locals: Locals): string => {
    if (memoryOf !== ex) {
      memoryOf = ex;
      memory = ex.memory.map(({ buffer: b }) => new Uint16Array(b, 0, b.byteLength >> 1));
      tails = ex.memory.map(({ buffer: b }) =>
        b.byteLength % 2 === 0 ? undefined : new Uint8Array(b, b.byteLength - 1)
      );
    }
    // Every byte, two to a character: exact, and each buffer's length fixes where it ends.
    let key = "";
    for (let k = 0; k < memory.length; k++) {
      key += `${memory[k]!.length}:${codeUnits(memory[k]!)}${
        tails[k] === undefined ? "" : `.${tails[k]![0]}`
      }`;
    }
    const r = ex.registry;
    if (r !== undefined) {
      key += `/${codeUnits(new Uint16Array(r.buffer, r.byteOffset, r.length * 2))}`;
    }
    key += `|${ex.terminations}|${ex.waiters.key()}`;
    for (const t of ex.threads) {
      if (t.op === SPEC && t.status !== DONE) {
        throw new RangeError(
          'Cannot explore: reduce: "states" runs at kernel level only (a thread made a ' +
            'specification-level step; use level: "kernel" or the default reduction)',
        );
      }
      key += `|${t.status}${t.terminated ? "x" : ""}${t.aborted ? "a" : ""}${
        t.outOfPatience ? "p" : ""
      }${t.probedAt}.${locals.user[t.id]}.${locals.inner[t.id]}.${
        locals.call[t.id] === 0 ? 0 : 1
      }.${t.stretch.key()}`;
    }
    return key;
  };

  const choose = (ex: Execution): number => {
    const d = ex.steps;
    if (cycle !== undefined) return cycleChoice(d);
    const enabled = enabledSet(ex);
    if (d < stack.length) {
      const node = stack[d]!;
      if (node.enabled !== enabled) throw diverged(d);
      return node.chosen;
    }
    const locals = localsAfter(ex, d);
    const key = keyOf(ex, locals);
    // Threads asleep here: asleep before the step just made and independent of it.
    let sleep = 0;
    const sleepAcc: Access[] = [];
    if (d > 0) {
      const parent = stack[d - 1]!;
      let q = parent.sleep;
      const moved = q ? accessOf(ex.events![d - 1]!, visible) : undefined;
      while (q) {
        const t = lowest(q);
        q &= ~bit(t);
        if (!dependent(parent.sleepAcc[t]!, moved!)) {
          sleep |= bit(t);
          sleepAcc[t] = parent.sleepAcc[t]!;
        }
      }
    }
    const at = onStack.get(key);
    if (at !== undefined) {
      // A cycle: this schedule can repeat its steps since depth `at` forever. Replay them until
      // `maxSteps` reports the livelock, as the search without caching would.
      cycle = stack.slice(at).map((n) => n.chosen);
      return cycleChoice(d);
    }
    const stored = seen.get(key);
    // First visit: every thread awake is a branch. A revisit: only those asleep at every earlier
    // visit and awake now (the others were explored from here before).
    const todo = (stored === undefined ? enabled : stored) & ~sleep & enabled;
    seen.set(key, stored === undefined ? sleep : stored & sleep);
    if (todo === 0) return -1;
    const last = ex.last;
    const pick = last >= 0 && todo & bit(last) ? last : lowest(todo);
    stack.push({ enabled, chosen: pick, todo: todo & ~bit(pick), sleep, sleepAcc, locals, key });
    onStack.set(key, d);
    return pick;
  };

  /** The step at depth `d` of a cycle being replayed. */
  const cycleChoice = (d: number): number => cycle![(d - stack.length) % cycle!.length]!;

  for (;;) {
    cycle = undefined;
    const ex = execute(p, choose, true);
    if (tally(result, o, ex)) return result;
    let d = stack.length - 1;
    while (d >= 0 && stack[d]!.todo === 0) d--;
    if (d < 0) return result;
    const n = stack[d]!;
    // The branch just explored falls asleep for the next ones.
    n.sleep |= bit(n.chosen);
    n.sleepAcc[n.chosen] = accessOf(ex.events![d]!, visible);
    n.chosen = lowest(n.todo);
    n.todo &= ~bit(n.chosen);
    for (const gone of stack.splice(d + 1)) onStack.delete(gone.key);
  }
}
