/**
 * The sequential specification of `Barrier`: the kernel's state machine (`src/kernel/barrier.ts`),
 * one transition per atomic step.
 *
 * @module
 */
import { BrokenBarrierError } from "../../errors.ts";
import * as K from "../../kernel/barrier.ts";
import { BLOCKED, suspend, type Suspension } from "./_blocking.ts";

/**
 * The sequential specification of a `Barrier` of `parties` parties: a phase (filling, broken,
 * resetting), how many parties are inside the current generation, and the generation number.
 *
 * - `wait()` is the whole wait without an action: it enters the generation (waiting while the
 *   previous one drains) and returns the party's index; the last party releases everyone in a
 *   later step of its own (where its action would run), the others suspend until released, or fail with `BrokenBarrierError` if the barrier is broken or
 *   reset meanwhile. A party whose wait times out breaks the barrier.
 * - The steps the explorer runs (a party with an action runs it between them): `arrive` (a ticket:
 *   generation and index), `complete` (the last party, after its action), `released` (the others),
 *   `timedOut`; with the kernel's status codes.
 *
 * @example
 * ```ts
 * import { BarrierSpec, BLOCKED, Suspension } from "@interlock/interlock/explore";
 * import assert from "node:assert/strict";
 *
 * const b = new BarrierSpec(2);
 * const first = b.wait() as Suspension;
 * assert.equal(first.resume.call(b, ...first.args), BLOCKED);
 * const last = b.wait() as Suspension; // the last party arrives…
 * assert.equal(last.resume.call(b, ...last.args), 1); // …and releases the first
 * assert.equal(first.resume.call(b, ...first.args), 0);
 * ```
 */
export class BarrierSpec {
  /** Parties per generation. */
  parties: number;
  /** `K.FILLING`, `K.BROKEN` or `K.RESETTING`. */
  phase: number = K.FILLING;
  /** Parties inside the current generation. */
  count = 0;
  /** The generation, mod 2^15. */
  generation = 0;

  /** A fresh barrier of `parties` parties. */
  constructor(parties?: number) {
    parties ??= 2;
    this.parties = parties;
  }

  /**
   * Enters the current generation: a ticket (`generation * K.TICKET_GEN + index`), or
   * `K.BROKEN_BARRIER`; blocks while a full generation or a reset drains.
   */
  arrive(): number | typeof BLOCKED {
    if (this.phase === K.BROKEN) return K.BROKEN_BARRIER;
    if (this.phase !== K.FILLING || this.count >= this.parties) return BLOCKED;
    return this.generation * K.TICKET_GEN + this.count++;
  }

  /**
   * Ends the full generation of `ticket` (its last party, after the action): releases everyone if
   * `ok`, else breaks the barrier; `K.RELEASED` or `K.BROKEN_BARRIER`.
   */
  complete(ticket: number, ok: boolean): number {
    if (this.phase !== K.FILLING) return exit(this);
    if (!ok) {
      this.phase = K.BROKEN;
      return exit(this);
    }
    this.generation = (Math.floor(ticket / K.TICKET_GEN) + 1) & 0x7fff;
    this.count = 0;
    return K.RELEASED;
  }

  /** Whether `ticket`'s generation was released (`K.RELEASED`) or broken; blocks until either. */
  released(ticket: number): number | typeof BLOCKED {
    if (this.generation !== Math.floor(ticket / K.TICKET_GEN)) return K.RELEASED;
    if (this.phase !== K.FILLING) return exit(this);
    return BLOCKED;
  }

  /** A waiting party's deadline passed: it breaks its generation unless released meanwhile. */
  timedOut(ticket: number): number {
    if (this.generation !== Math.floor(ticket / K.TICKET_GEN)) return K.RELEASED;
    if (this.phase !== K.FILLING) return exit(this);
    this.phase = K.BROKEN;
    exit(this);
    return K.TIMED_OUT;
  }

  /**
   * A whole wait without an action: this party's index.
   *
   * @throws {BrokenBarrierError} if the barrier is or gets broken or reset.
   */
  wait(): number | Suspension | typeof BLOCKED {
    const ticket = this.arrive();
    if (ticket === BLOCKED) return BLOCKED;
    if (ticket < 0) throw new BrokenBarrierError();
    const index = ticket % K.TICKET_GEN;
    if (index < this.parties - 1) {
      return suspend(this.waited, [ticket], { onTimeout: this.waitTimedOut });
    }
    // The last party releases the others in a step of its own (where its action runs).
    return suspend(this.completed, [ticket]);
  }

  /** The last party of a {@linkcode BarrierSpec.wait} ends its generation: its index. */
  completed(ticket: number): number {
    if (this.complete(ticket, true) !== K.RELEASED) throw new BrokenBarrierError();
    return ticket % K.TICKET_GEN;
  }

  /** The rest of a {@linkcode BarrierSpec.wait}: the index once released. */
  waited(ticket: number): number | typeof BLOCKED {
    const r = this.released(ticket);
    if (r === BLOCKED) return BLOCKED;
    if (r !== K.RELEASED) throw new BrokenBarrierError();
    return ticket % K.TICKET_GEN;
  }

  /** A {@linkcode BarrierSpec.wait} that timed out (it broke the barrier unless released). */
  waitTimedOut(ticket: number): number {
    if (this.timedOut(ticket) !== K.RELEASED) throw new BrokenBarrierError();
    return ticket % K.TICKET_GEN;
  }

  /** Breaks the barrier. */
  abort(): void {
    this.phase = K.BROKEN;
  }

  /** Returns the barrier to a fresh generation, at once if nobody is inside, else once they left. */
  reset(): void {
    if (this.count === 0) {
      if (this.phase === K.FILLING) return;
      this.generation = (this.generation + 1) & 0x7fff;
      this.phase = K.FILLING;
    } else {
      this.phase = K.RESETTING;
    }
  }

  /** Whether the barrier is broken. */
  broken(): boolean {
    return this.phase === K.BROKEN;
  }

  /** How many parties wait in the current generation (0 while broken or resetting). */
  nWaiting(): number {
    return this.phase === K.FILLING ? this.count : 0;
  }
}

/** A party leaves a broken or resetting generation; the last one out finishes a reset. */
function exit(b: BarrierSpec): number {
  b.count--;
  if (b.phase === K.RESETTING && b.count === 0) {
    b.generation = (b.generation + 1) & 0x7fff;
    b.phase = K.FILLING;
  }
  return K.BROKEN_BARRIER;
}
