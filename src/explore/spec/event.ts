/**
 * The sequential specification of `Event`.
 *
 * @module
 */
import { BLOCKED, suspend, type Suspension } from "./_blocking.ts";

/**
 * The sequential specification of an `Event`: a flag, and how many times it went up. `wait`
 * returns at once while the flag is up; otherwise it waits for the next `set`, and a waiter
 * released by a `set` stays released even if a `clear` follows before it runs (Python's
 * semantics): so `wait` is a suspension on the number of sets.
 *
 * @example
 * ```ts
 * import { BLOCKED, EventSpec, Suspension } from "@interlock/interlock/explore";
 * import assert from "node:assert/strict";
 *
 * const e = new EventSpec();
 * const waiting = e.wait() as Suspension; // the flag is down: it waits
 * assert.equal(waiting.resume.call(e, ...waiting.args), BLOCKED);
 * e.set();
 * e.clear(); // set, then cleared before the waiter ran
 * assert.equal(waiting.resume.call(e, ...waiting.args), undefined); // still released
 * ```
 */
export class EventSpec {
  /** Whether the flag is up. */
  flag = false;
  /** How many times the flag went up. */
  sets = 0;

  /** Raises the flag (releasing every waiter); does nothing if it is up. */
  set(): void {
    if (this.flag) return;
    this.flag = true;
    this.sets++;
  }

  /** Lowers the flag. */
  clear(): void {
    this.flag = false;
  }

  /** Whether the flag is up. */
  isSet(): boolean {
    return this.flag;
  }

  /** Returns at once if the flag is up; else waits until it is raised. */
  wait(): void | Suspension {
    if (this.flag) return;
    return suspend(this.raised, [this.sets]);
  }

  /** The rest of a `wait` that began after `sets` raises: done once the flag went up again. */
  raised(sets: number): void | typeof BLOCKED {
    if (this.sets === sets) return BLOCKED;
  }
}
