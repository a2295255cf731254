/**
 * The client of a hold set (`_lua.ts`: `ACQUIRE`, `RENEW`, `RELEASE`, `CANCEL`...): what Lock,
 * RLock and Semaphore share. A hold set admits at most `capacity` holders at once, each with a
 * lease and a fencing token, and hands free capacity to its queued waiters in FIFO order.
 *
 * @module
 */
import { waitFailure, type WaitOptions } from "../options.ts";
import { type Core, deadline } from "./_core.ts";
import { connectionError, scriptCondition } from "./_engine.ts";
import { ADD_PERMITS, CANCEL, HOLD_INFO, RENEW } from "./_lua.ts";
import {
  acquireCall,
  acquireReply,
  type Acquisition,
  type HoldSetCall,
  releaseCall,
  renewCall,
  type ScriptCall,
} from "./_protocol.ts";
import { waitOn } from "./_wait.ts";
import { Lease } from "./hold.ts";

/** Options of `acquire()` on a Redis lock, `RLock` or semaphore. */
export interface AcquireOptions extends WaitOptions {
  /**
   * After acquiring, wait until this many replicas acknowledged the hold (Redis `WAIT`), so a
   * failover to one of them keeps it. Fewer within `replicaTimeout` gives the hold back and
   * throws a `TimeoutError`. See the replication caveat in the module doc.
   * @default {0}
   */
  replicas?: number;
  /**
   * Milliseconds `WAIT` waits for `replicas` acknowledgements.
   * @default {1000}
   */
  replicaTimeout?: number;
}

/** How a hold set is set up. */
export interface HoldSetConfig {
  /** Messages name it so ("lock 'a'"). */
  readonly what: string;
  /** Its key base (`{ns:name}:kind:`). */
  readonly base: string;
  /** Capacity (the semaphore's initial value; 1 for locks). */
  readonly capacity: number;
  /** Whether the capacity is stored in Redis (semaphores: checked and growable). */
  readonly stored: boolean;
  /** Whether a holder may hold again (RLock). */
  readonly reentrant: boolean;
  /** Lease in ms. */
  readonly lease: number;
}

/** A mismatch between the size this object was created with and the one Redis holds. */
export function mismatch(what: string, error: unknown, mine: number): unknown {
  const condition = scriptCondition(error);
  if (condition?.code === "MISMATCH") {
    const stored = condition.detail;
    return new RangeError(
      `Cannot use ${what}: Redis holds it with size ${stored}, this object was created with ${mine}`,
    );
  }
  return connectionError(`use ${what}`, error);
}

/** An acquisition: the holder's lease. */
export interface Acquired {
  readonly lease: Lease;
}

/** The client of one hold set (see the module doc). */
export class HoldSet {
  readonly #core: Core;
  readonly #config: HoldSetConfig;
  readonly #key: string;
  readonly #head: string[];
  readonly #call: HoldSetCall;

  /** Binds the hold set of `config` to `core`. */
  constructor(core: Core, config: HoldSetConfig) {
    this.#core = core;
    this.#config = config;
    this.#key = config.base + "h";
    this.#head = [String(config.capacity), config.stored ? "1" : "0", config.reentrant ? "1" : "0"];
    this.#call = { key: this.#key, head: this.#head };
  }

  /** The set-up. */
  get config(): HoldSetConfig {
    return this.#config;
  }

  #run(script: ScriptCall["script"], args: string[]): Promise<unknown> {
    return this.#send({ script, keys: [this.#key], args: [...this.#head, ...args] });
  }

  /** Sends a call of `_protocol.ts` (the argument lists the explorer's model uses too). */
  #send(call: ScriptCall): Promise<unknown> {
    return this.#core.engine.script(call.script, call.keys, call.args).catch((e) => {
      throw mismatch(this.#config.what, e, this.#config.capacity);
    });
  }

  #leaseOf(holder: string, token: unknown, sentAt: number, handoff: boolean): Lease {
    return new Lease(BigInt(String(token)), this.#config.lease, sentAt, {
      what: this.#config.what,
      renew: () => this.renew(holder),
    }, handoff);
  }

  /** Takes a hold for `holder` if one is free and nobody queues; else undefined. */
  async tryTake(holder: string, count = 1): Promise<Acquired | undefined> {
    this.#core.checkOpen(`acquire ${this.#config.what}`);
    const sentAt = performance.now();
    const lease = this.#config.lease;
    const reply = acquireReply(
      await this.#send(acquireCall(this.#call, holder, holder, lease, count, "try", lease)),
    );
    return reply.done ? { lease: this.#leaseOf(holder, reply.value, sentAt, false) } : undefined;
  }

  /**
   * Waits for a hold for `holder` (see `_wait.ts`). Throws `TimeoutError` / `signal.reason` when
   * the wait fails; a grant that raced with the failure is given back first.
   */
  async take(
    holder: string,
    count: number,
    options: AcquireOptions | undefined,
  ): Promise<Acquired> {
    const what = `acquire ${this.#config.what}`;
    const end = deadline(this.#core, what, options);
    const replicas = checkReplicas(what, options);
    const waiter = this.#core.nextId();
    const lease = this.#config.lease;
    // Lower bounds of the grant's time, for the lease's local end: a token popped by BLPOP was
    // granted after the last script this waiter sent; one collected by a recheck, after the
    // script before it. Either way the lease is renewed at once (`handoff`).
    let [before, last, bound, handoff] = [0, 0, -1, true];
    const poll = async (mode: "try" | "wait" | "recheck"): Promise<Acquisition> => {
      [before, last] = [last, performance.now()];
      const reply: Acquisition = acquireReply(
        await this.#send(acquireCall(this.#call, waiter, holder, lease, count, mode, lease)),
      );
      if (reply.done) [bound, handoff] = mode === "recheck" ? [before, true] : [last, false];
      return reply;
    };
    // The uncontended case first, without the wait's machinery; `timeout: 0` never queues.
    const tryOnly = end <= performance.now();
    const first = await poll(tryOnly ? "try" : "wait"); // #run maps its errors
    if (first.done && replicas.count === 0) {
      return { lease: this.#leaseOf(holder, first.value, last, false) };
    }
    if (!first.done && tryOnly) throw waitFailure(what, options); // nothing was queued
    const token = first.done ? first.value : await waitOn(
      this.#core.engine,
      {
        what,
        tokenKey: `${this.#config.base}w:${waiter}`,
        poll,
        cancel: async () => {
          await this.#run(CANCEL, [waiter, holder, String(count)]);
          return undefined;
        },
        renewEvery: this.#config.lease / 3,
      },
      end,
      options?.signal,
      first,
    );
    if (token === undefined) throw waitFailure(what, options);
    if (bound < 0) bound = last; // the token came from BLPOP
    const acquired = { lease: this.#leaseOf(holder, token, bound, handoff) };
    if (replicas.count > 0) await this.#replicate(holder, count, acquired, replicas, what);
    return acquired;
  }

  async #replicate(
    holder: string,
    count: number,
    acquired: Acquired,
    replicas: { count: number; timeout: number },
    what: string,
  ): Promise<void> {
    // WAIT counts the writes of its own connection: renew the lease there first (a write that
    // follows the grant in the replication stream), then WAIT on the same connection.
    const engine = this.#core.engine;
    const conn = await engine.blocking(this.#key);
    let acked = 0;
    try {
      await engine.script(
        RENEW,
        [this.#key],
        [...this.#head, holder, String(this.#config.lease)],
        conn.client,
      );
      acked = Number(
        await conn.client.sendCommand(["WAIT", String(replicas.count), String(replicas.timeout)]),
      );
    } catch (error) {
      conn.broken = true;
      acquired.lease.end();
      throw connectionError(what, error);
    } finally {
      engine.giveBack(conn);
    }
    if (acked >= replicas.count) return;
    acquired.lease.end();
    await this.release(holder, count).catch(() => {});
    throw new DOMException(
      `Timed out after ${replicas.timeout} ms waiting for ${replicas.count} replica(s) to acknowledge the hold of ${this.#config.what} (${acked} did)`,
      "TimeoutError",
    );
  }

  /** Renews `holder`'s lease; false if it had ended. */
  async renew(holder: string): Promise<boolean> {
    return await this.#send(renewCall(this.#call, holder, this.#config.lease)) === 1;
  }

  /** Gives back `count` holds of `holder`: -1 if its lease had ended, else holds left. */
  async release(holder: string, count = 1): Promise<number> {
    return Number(await this.#send(releaseCall(this.#call, holder, count)));
  }

  /** Adds `n` permits (semaphores); returns the new capacity. */
  async addPermits(n: number): Promise<number> {
    return Number(await this.#run(ADD_PERMITS, [String(n)]));
  }

  /** {holders, capacity, count held by `holder`}, after reaping expired leases. */
  async info(holder = ""): Promise<{ holders: number; capacity: number; count: number }> {
    const [holders, capacity, count] = await this.#run(HOLD_INFO, [holder]) as number[];
    return { holders: holders!, capacity: capacity!, count: count! };
  }
}

function checkReplicas(
  what: string,
  options: AcquireOptions | undefined,
): { count: number; timeout: number } {
  const count = options?.replicas ?? 0;
  const timeout = options?.replicaTimeout ?? 1_000;
  for (const [key, value] of [["replicas", count], ["replicaTimeout", timeout]] as const) {
    if (typeof value !== "number" || !Number.isInteger(value) || value < 0) {
      throw new RangeError(
        `Cannot ${what}: '${key}' must be a non-negative integer, received ${String(value)}`,
      );
    }
  }
  return { count, timeout };
}
