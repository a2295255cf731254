/**
 * Two locks taken in opposite orders (A then B, B then A). Expected: a deadlock.
 *
 * @module
 */
import type { Lock } from "../../../mod.ts";

/** Takes `a`, then `b`. */
export function ab(a: Lock, b: Lock): void {
  using _a = a.acquireSync();
  using _b = b.acquireSync();
}

/** Takes `b`, then `a`. */
export function ba(a: Lock, b: Lock): void {
  using _b = b.acquireSync();
  using _a = a.acquireSync();
}
