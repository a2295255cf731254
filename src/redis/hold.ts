/**
 * A hold on a Redis primitive (a lock, an `RLock` level, a semaphore permit): its fencing token,
 * its lease and the watchdog that renews it, and the guard `acquire()` returns.
 *
 * Lease states (client side):
 *
 * | state    | entered by                                  | signal  |
 * | -------- | ------------------------------------------- | ------- |
 * | live     | acquire (or hand-off)                       | not aborted |
 * | lost     | a renewal refused, or the local lease end passed without a renewal | aborted with `LeaseLostError` |
 * | ended    | release (or the context closed)             | unchanged |
 *
 * - **Renewal.** Every `lease / 3` ms the watchdog runs the renew script; a refused renewal (the
 *   lease had ended in Redis) makes the hold lost at once.
 * - **Local lease end.** The client keeps a conservative estimate of when the lease ends in Redis:
 *   the time it *sent* the request that last set the lease, plus the lease. Redis set the lease
 *   with its own clock no earlier, so the client gives up no later than Redis does (with the same
 *   clock rate). If that time passes without a successful renewal (a paused process resuming, a
 *   partition), the hold is lost even before Redis is heard from.
 * - **Timers are unref'd**: a hold does not keep the program alive; a program that exits while
 *   holding frees the hold when its lease ends (close the context to release at once).
 *
 * @module
 */
import { LeaseLostError } from "./errors.ts";
import { unrefTimer } from "../_runtime.ts";

/** How a lease is renewed and released in Redis. */
export interface LeaseOps {
  /** Runs the renew script; true if extended, false if the lease had ended. */
  renew(): Promise<boolean>;
  /** What this lease holds, for messages ("lock 'a'"). */
  readonly what: string;
}

/** A timer that does not keep the program alive (node's types make `setTimeout` an object). */
function unrefTimeout(fn: () => void, ms: number): number {
  const timer = setTimeout(fn, ms);
  unrefTimer(timer);
  return timer as unknown as number;
}

/**
 * One lease in Redis and its watchdog (see the module doc). One timer at a time, due at the next
 * renewal, or at the local lease end while a renewal is in flight; the `AbortController` is made
 * when the signal is first read (most holds never read it): both measured in
 * `bench/redis_bench.ts`, where they are part of every acquire + release.
 */
export class Lease {
  /** The fencing token of the acquisition that created the lease. */
  readonly token: bigint;
  readonly #ops: LeaseOps;
  readonly #ms: number;
  #controller: AbortController | undefined;
  #lost: LeaseLostError | undefined;
  #timer: number | undefined;
  /** Local lease end and next renewal, `performance.now()` ms. */
  #end = 0;
  #renewAt = 0;
  #renewing = false;
  #ended = false;

  /**
   * Starts the watchdog of a lease of `ms` that Redis set no earlier than `sentAt`
   * (`performance.now()`); `renewNow` renews at once (a hand-off, whose grant time is unknown).
   */
  constructor(token: bigint, ms: number, sentAt: number, ops: LeaseOps, renewNow = false) {
    this.token = token;
    this.#ms = ms;
    this.#ops = ops;
    this.#extended(sentAt);
    if (renewNow) this.#renewAt = 0;
    this.#arm();
  }

  /** Aborts (with `LeaseLostError`) when the lease is lost. */
  get signal(): AbortSignal {
    if (this.#controller === undefined) {
      this.#controller = new AbortController();
      if (this.#lost !== undefined) this.#controller.abort(this.#lost);
    }
    return this.#controller.signal;
  }

  /** Whether the lease was lost. */
  get lost(): boolean {
    return this.#lost !== undefined;
  }

  /** Stops the watchdog (released, or the context closed). */
  end(): void {
    this.#ended = true;
    clearTimeout(this.#timer);
  }

  /** Marks the lease lost: stops the watchdog and aborts the signal. */
  lose(detail: string): void {
    if (this.#lost !== undefined) return;
    this.end();
    this.#lost = new LeaseLostError(`Lost the hold of ${this.#ops.what}: ${detail}`, {
      token: this.token,
    });
    this.#controller?.abort(this.#lost);
  }

  /** The error that `release()` of this lost lease throws. */
  lostError(): LeaseLostError {
    return this.#lost!;
  }

  #extended(sentAt: number): void {
    this.#end = sentAt + this.#ms;
    this.#renewAt = sentAt + this.#ms / 3;
  }

  #arm(): void {
    clearTimeout(this.#timer);
    if (this.#ended) return;
    const at = this.#renewing ? this.#end : Math.min(this.#renewAt, this.#end);
    this.#timer = unrefTimeout(() => this.#tick(), Math.max(0, at - performance.now()));
  }

  #tick(): void {
    if (this.#ended) return;
    const now = performance.now();
    if (now >= this.#end) {
      this.lose(`its lease of ${this.#ms} ms ended without a renewal`);
    } else if (!this.#renewing && now >= this.#renewAt) {
      void this.#renew(now);
    } else {
      this.#arm();
    }
  }

  async #renew(sentAt: number): Promise<void> {
    this.#renewing = true;
    this.#arm(); // the local lease end, while the renewal is in flight
    let outcome: "extended" | "ended" | "unreachable";
    try {
      outcome = await this.#ops.renew() ? "extended" : "ended";
    } catch {
      outcome = "unreachable";
    } finally {
      this.#renewing = false;
    }
    if (this.#ended) return;
    if (outcome === "ended") {
      this.lose("its lease ended in Redis before the watchdog renewed it");
      return;
    }
    if (outcome === "extended") this.#extended(sentAt);
    // Unreachable: try again soon; the local lease end decides if it stays so.
    else this.#renewAt = performance.now() + Math.min(this.#ms / 10, 1_000);
    this.#arm();
  }
}

/**
 * What `acquire()` of a Redis primitive returns: the hold, its fencing token, and a signal that
 * fires if the hold is lost.
 *
 * - `await using _ = await lock.acquire();` releases at block end and throws there if the hold was
 *   lost ({@linkcode LeaseLostError}). `using` (sync) starts the release and cannot wait for it
 *   nor report its failure (the lease then ends by itself): prefer `await using`.
 * - `token` is the fencing token of the acquisition: pass it to fenced writes
 *   (`RedisValue.set(x, { fence: hold.token })`, {@linkcode checkFence} in your own store).
 * - `signal` aborts with a {@linkcode LeaseLostError} as soon as the holder learns the hold is
 *   lost; pass it to the work done under the hold.
 *
 * @example
 * ```ts
 * import { connect } from "@interlock/interlock/redis";
 * import { startRedisServer } from "@interlock/interlock/redis/testing";
 * import assert from "node:assert/strict";
 *
 * await using server = await startRedisServer();
 * await using ctx = await connect(server.url);
 * const lock = ctx.Lock("accounts");
 * {
 *   await using hold = await lock.acquire();
 *   assert.equal(typeof hold.token, "bigint");
 *   assert.equal(hold.signal.aborted, false);
 *   assert.equal(await lock.locked(), true);
 * }
 * assert.equal(await lock.locked(), false);
 * ```
 */
export class RedisHold implements AsyncDisposable, Disposable {
  readonly #source: { readonly lease: Lease };
  #release: (() => Promise<void>) | undefined;

  /**
   * @ignore Created by the primitives: `source.lease` is the hold's current lease (a
   * `RedisCondition.wait()` takes the lock again, with a new lease); `release` gives it back once.
   */
  constructor(source: { readonly lease: Lease }, release: () => Promise<void>) {
    this.#source = source;
    this.#release = release;
  }

  /**
   * The fencing token of this acquisition: larger than every earlier acquisition's. After a
   * `RedisCondition.wait()`, the token of the lock's new acquisition.
   */
  get token(): bigint {
    return this.#source.lease.token;
  }

  /**
   * Aborts with a {@linkcode LeaseLostError} when the hold is lost. After a
   * `RedisCondition.wait()`, the signal of the lock's new acquisition (read it again).
   */
  get signal(): AbortSignal {
    return this.#source.lease.signal;
  }

  /**
   * Gives the hold back (once; later calls do nothing).
   *
   * @throws {LeaseLostError} if the hold had been lost (nothing changes in Redis).
   * @throws {RedisConnectionError} if Redis cannot be reached (the lease then ends by itself).
   */
  release(): Promise<void> {
    const release = this.#release;
    this.#release = undefined;
    return release?.() ?? Promise.resolve();
  }

  /** Same as {@linkcode RedisHold.release}. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.release();
  }

  /** Starts the release without waiting for it; its failure is not reported. */
  [Symbol.dispose](): void {
    this.release().catch(() => {});
  }
}
