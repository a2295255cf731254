/**
 * Exhaustive search: stateless depth-first search over schedules (every execution re-runs from fresh
 * state, replaying a prefix of choices), with
 *
 * - **optimal dynamic partial-order reduction** (`_optimal.ts`) when there is no preemption bound:
 *   one complete execution per class of equivalent executions (Mazurkiewicz trace);
 * - **preemption bounding** (CHESS): an execution may switch away from a thread that could continue
 *   at most `bound` times; switching when the running thread finished, sleeps, or awaits is free.
 *   A search that never had to cut a schedule for the bound covered every interleaving. With
 *   reduction, a race (`_races.ts`) asks for the reversed order from the state before its first
 *   step (j's thread if it can move there, else every thread) and where that step's thread block
 *   began, where switching costs no extra preemption (BPOR, Coons et al. 2013); sleep sets and
 *   wakeup trees are off, as they are unsound with a bound.
 * - **plain search** (`dpor: false`): every enabled thread is a branch at every state.
 *
 * Threads are bitmasks (at most 30 threads).
 *
 * @module
 */
import { type Access, accessOf } from "./_access.ts";
import { execute, type Execution, type Prepared } from "./_engine.ts";
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
import { optimal } from "./_optimal.ts";
import { Races } from "./_races.ts";

export type { DfsOptions, DfsResult } from "./_pass.ts";

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
}

/** Runs one exhaustive pass over the schedules of `p`. */
export function dfs(p: Prepared, o: DfsOptions): DfsResult {
  if (o.dpor && o.bound === Infinity) return optimal(p, o);
  const stack: Node[] = [];
  const result = emptyResult();
  const cost = (n: Node, q: number) => n.lastEnabled && q !== n.last ? 1 : 0;
  const races = new Races();
  const visible = p.always !== undefined;

  const choose = (ex: Execution): number => {
    const d = ex.steps;
    const enabled = enabledSet(ex);
    if (d < stack.length) {
      const n = stack[d]!;
      if (n.enabled !== enabled) throw diverged(d);
      return n.chosen;
    }
    const parent = d > 0 ? stack[d - 1] : undefined;
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
    };
    const pick = lastEnabled ? last : lowest(enabled);
    if (node.preemptions + cost(node, pick) > o.bound) {
      result.cut = true;
      return -1;
    }
    node.chosen = pick;
    node.done = bit(pick);
    // With reduction, races add branches; plain DFS branches on every enabled thread (those over
    // the bound are cut later).
    // Where only awaiting threads can move (forced steps, which never race), each is a branch.
    node.backtrack = o.dpor && !ex.forced ? bit(pick) : enabled;
    stack.push(node);
    return pick;
  };

  for (;;) {
    const ex = execute(p, choose, o.dpor);
    if (o.dpor) {
      const accs: Access[] = ex.events!.map((e) => accessOf(e, visible));
      races.analyse(accs, ex.threads.length);
      const rs = races.races;
      for (let r = 0; r < rs.length; r += 2) reverse(rs[r]!, rs[r + 1]!, accs, stack);
    }
    if (tally(result, o, ex)) return result;
    // Backtrack to the deepest state with an unexplored branch within the bound.
    let d = stack.length - 1;
    for (; d >= 0; d--) {
      const n = stack[d]!;
      let todo = n.backtrack & ~n.done & n.enabled;
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

/**
 * BPOR's branches for the race (i, j) (Flanagan-Godefroid style, as Coons et al. prove it): j's
 * thread at the state before i, or every enabled thread if it cannot move there; and the same
 * where i's thread block began, where switching costs no extra preemption.
 */
function reverse(i: number, j: number, accs: readonly Access[], stack: Node[]): void {
  const node = stack[i];
  if (node === undefined) return;
  const ti = accs[i]!.thread;
  const tj = accs[j]!.thread;
  node.backtrack |= node.enabled & bit(tj) ? bit(tj) : node.enabled;
  let b = i;
  while (b > 0 && accs[b - 1]!.thread === ti) b--;
  if (b < i) {
    const start = stack[b]!;
    start.backtrack |= start.enabled & bit(tj) ? bit(tj) : start.enabled;
  }
}
