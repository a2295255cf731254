/**
 * The sequential specification of `Semaphore` and `BoundedSemaphore`.
 *
 * @module
 */
import * as K from "../../kernel/semaphore.ts";
import { releaseError } from "../../sync/semaphore.ts";
import { BLOCKED } from "./_blocking.ts";

/**
 * The sequential specification of a `Semaphore` (or, with `bounded`, a `BoundedSemaphore`): a
 * number of permits; `acquire` takes one, waiting while there is none; `release(n)` gives `n` back,
 * which may not raise a bounded semaphore above its initial value.
 *
 * @example
 * ```ts
 * import { BLOCKED, SemaphoreSpec } from "@interlock/interlock/explore";
 * import assert from "node:assert/strict";
 *
 * const s = new SemaphoreSpec(1, { bounded: true });
 * s.acquire();
 * assert.equal(s.acquire(), BLOCKED);
 * s.release();
 * assert.throws(() => s.release(), { name: "RuntimeError" }); // above the initial value
 * assert.equal(s.value(), 1);
 * ```
 */
export class SemaphoreSpec {
  /** Permits available. */
  permits: number;
  /** The most permits it may hold: the initial value if bounded, else `2^31 - 1`. */
  bound: number;
  /** Whether it is a `BoundedSemaphore`. */
  bounded: boolean;

  /** A semaphore with `value` permits. */
  constructor(value?: number, options?: { bounded?: boolean }) {
    value ??= 1;
    this.permits = value;
    this.bounded = options?.bounded ?? false;
    this.bound = this.bounded ? value : K.MAX_VALUE;
  }

  /** Takes one permit; blocks while there is none. */
  acquire(): void | typeof BLOCKED {
    if (this.permits === 0) return BLOCKED;
    this.permits--;
  }

  /** Takes one permit if there is one; returns whether it did. */
  tryAcquire(): boolean {
    return this.acquire() !== BLOCKED;
  }

  /**
   * Gives back `n` permits.
   *
   * @throws {RuntimeError} if a bounded semaphore would rise above its initial value.
   * @throws {RangeError} if a plain one would exceed `2^31 - 1`.
   */
  release(n?: number): void {
    n ??= 1;
    if (this.permits > this.bound - n) {
      throw releaseError(n, this.bounded ? this.bound : undefined);
    }
    this.permits += n;
  }

  /** The number of available permits. */
  value(): number {
    return this.permits;
  }
}
