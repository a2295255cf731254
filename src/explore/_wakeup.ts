/**
 * Wakeup trees (Abdulla et al., "Source Sets: A Foundation for Optimal Dynamic Partial Order
 * Reduction", JACM 2017, section 6): at each state of the search, the ordered tree of step
 * sequences still to explore from it. Each sequence starts a class of executions that no explored
 * sequence (nor a sleeping thread) covers, so the search never runs two equivalent executions.
 *
 * A sequence `w` is *covered* by a node `u` of the tree when `u` is a happens-before prefix of some
 * sequence equivalent to `w` (`u ⊑ w`): following `u` step by step, each step's thread is a *weak
 * initial* of what is left of `w` — its first step there has no predecessor left (it is then taken
 * out), or it takes no step there and its next step is independent of everything left.
 *
 * @module
 */
import { type Access, dependent } from "./_access.ts";

/** A node of a wakeup tree: the thread that moves, with its step's access, and what follows. */
export class WNode {
  readonly thread: number;
  readonly acc: Access;
  readonly children: WNode[] = [];
  constructor(acc: Access) {
    this.thread = acc.thread;
    this.acc = acc;
  }
}

/** A sequence of steps to insert, with happens-before among them. */
export interface Sequence {
  /** The steps' accesses, in order. */
  readonly acc: readonly Access[];
  /** Whether step `a` happens before step `b` (a < b) within the sequence. */
  hb(a: number, b: number): boolean;
}

/**
 * Whether a thread whose next step has access `next` is a weak initial of the steps of `w` still
 * `live`; if it is one by taking a step there, returns that step's index (else -1 for "independent
 * of everything left", or -2 for "not a weak initial").
 */
function initial(next: Access, w: Sequence, live: Uint8Array): number {
  const acc = w.acc;
  const p = next.thread;
  let first = -1;
  for (let k = 0; k < acc.length; k++) {
    if (live[k] && acc[k]!.thread === p) {
      first = k;
      break;
    }
  }
  if (first >= 0) {
    for (let m = 0; m < first; m++) if (live[m] && w.hb(m, first)) return -2;
    return first;
  }
  for (let m = 0; m < acc.length; m++) if (live[m] && dependent(next, acc[m]!)) return -2;
  return -1;
}

/** Whether the thread whose next step has access `next` is a weak initial of all of `w`. */
export function weakInitial(next: Access, w: Sequence): boolean {
  return initial(next, w, new Uint8Array(w.acc.length).fill(1)) !== -2;
}

/**
 * Inserts `w` under a tree whose top-level children are `children` (the root is the state the
 * sequence starts from): descends through the leftmost covering child at each level; if it
 * reaches a leaf, `w` is covered and nothing changes; otherwise what is left of `w` becomes a new
 * branch, after the existing children. Returns whether a branch was added.
 */
export function insert(children: WNode[], w: Sequence): boolean {
  const live = new Uint8Array(w.acc.length).fill(1);
  let left = w.acc.length;
  let level = children;
  for (;;) {
    if (left === 0) return false;
    let next: WNode | undefined;
    for (const c of level) {
      const k = initial(c.acc, w, live);
      if (k === -2) continue;
      if (k >= 0) {
        live[k] = 0;
        left--;
      }
      next = c;
      break;
    }
    if (next === undefined) {
      let at = level;
      for (let k = 0; k < w.acc.length; k++) {
        if (!live[k]) continue;
        const node = new WNode(w.acc[k]!);
        at.push(node);
        at = node.children;
      }
      return true;
    }
    if (next.children.length === 0) return false;
    level = next.children;
  }
}
