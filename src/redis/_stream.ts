/**
 * The client side of a stream consumer group (`_lua_stream.ts`), shared by `Queue` and `Pool`
 * workers: reading with `XREADGROUP BLOCK`, reclaiming idle deliveries of dead consumers, and the
 * watchdog that keeps this consumer's deliveries its own.
 *
 * - **Reading** blocks in `XREADGROUP ... BLOCK` on a lent blocking connection (no polling): the
 *   slice ends at the caller's deadline or when a reclaim is due, whichever is first; an abort
 *   interrupts it with `CLIENT UNBLOCK` (so an entry the server already delivered is never lost in
 *   a dropped connection: it arrives, or it stays pending for this consumer and is reclaimed).
 * - **Reclaiming** (`claim` script, `XAUTOCLAIM`) runs before a read when due: at first, then when
 *   the script said the earliest pending delivery of another consumer reaches the visibility
 *   timeout, and at least once per visibility timeout. It is a wake-up at a known time, as a
 *   lock's lease end is for its waiters (`_wait.ts`), never a loop on a fixed period.
 * - **Visibility lease.** A delivery is this consumer's while its idle time stays under the
 *   visibility timeout: the watchdog renews every held delivery every third of it (one script for
 *   all). A renewal the server refuses, or none for a whole visibility timeout (a pause, a
 *   partition), makes the delivery lost: `onLost` is told. The local estimate starts when the
 *   request that last set the idle time was sent (a renewal, a reclaim), as `hold.ts` does, except
 *   for a blocking read, whose delivery time is unknown within its block: there it starts when
 *   the reply arrived, which may be a little late. What guarantees at-least-once is the server:
 *   every acknowledgement, renewal and result is refused for a delivery this consumer no longer
 *   holds; the estimate only tells the consumer early.
 *
 * @module
 */
import { checkOptions, type Core } from "./_core.ts";
import {
  type Arg,
  BINARY,
  type Blocking,
  connectionError,
  isReply,
  type Script,
} from "./_engine.ts";
import { STREAM_INIT, STREAM_RENEW } from "./_lua_stream.ts";
import { unrefTimer } from "../_runtime.ts";

/** The group's settings, stored in Redis by its first user. */
export interface GroupConfig {
  /** Visibility timeout, ms. */
  visibility: number;
  /** Most deliveries of one entry; past it the entry is buried. */
  maxDeliveries: number;
  /** Maximum unacknowledged entries (queues; 0: unbounded). */
  maxsize: number;
}

/** One delivered entry. */
export interface Delivery {
  /** The stream entry id. */
  readonly id: string;
  /** Its fields (bytes). */
  readonly fields: ReadonlyMap<string, Uint8Array>;
  /** How many times it has been delivered, this time included. */
  readonly deliveries: number;
}

/** How the owner of a consumer sets it up. */
export interface ConsumerSpec {
  /** The stream key (`b..s`). */
  readonly stream: string;
  /** What it consumes, for messages ("queue 'jobs'"). */
  readonly what: string;
  /** The config this side asks for; fields it did not set explicitly adopt the stored ones. */
  readonly config: GroupConfig;
  /** Which of `config`'s fields were set explicitly (a mismatch with Redis is a RangeError). */
  readonly explicit: ReadonlySet<keyof GroupConfig>;
  /** The reclaim script (`QUEUE_CLAIM` or `POOL_CLAIM`) and its arguments after the fifth. */
  readonly claim: Script;
  readonly claimArgs: () => Arg[];
  /** Dead letters kept. */
  readonly keep: number;
  /** Told of deliveries this consumer lost (reclaimed by another, or not renewed in time). */
  onLost(ids: string[]): void;
}

/** Extra ms after a reclaim is due: server times are whole ms. */
const SLACK = 2;

/** Parses `[id, [field, value, ...]]` entries (bytes) into deliveries. */
export function entries(list: unknown, deliveries: (fields: Map<string, Uint8Array>) => number) {
  const out: Delivery[] = [];
  for (const item of (list ?? []) as [Uint8Array, Uint8Array[] | null, number?][]) {
    const fields = new Map<string, Uint8Array>();
    const flat = item[1] ?? [];
    for (let i = 0; i + 1 < flat.length; i += 2) {
      const name = String(flat[i]);
      if (!fields.has(name)) fields.set(name, flat[i + 1]!);
    }
    out.push({
      id: String(item[0]),
      fields,
      deliveries: typeof item[2] === "number" ? item[2] : deliveries(fields),
    });
  }
  return out;
}

/** Deliveries before a requeue, from an entry's `n` field (0 if absent or malformed). */
export function priorDeliveries(fields: ReadonlyMap<string, Uint8Array>): number {
  const n = Number(String(fields.get("n") ?? "0"));
  return Number.isSafeInteger(n) && n > 0 ? n : 0;
}

/** A `RangeError` for a setting that differs from the one Redis holds. */
function mismatch(what: string, key: string, mine: number, stored: number): RangeError {
  return new RangeError(
    `Cannot use ${what}: Redis holds it with ${key} ${stored}, this object asked for ${mine}`,
  );
}

/** One consumer of one group (see the module doc). */
export class Consumer {
  /** This consumer's name in the group: unique per object. */
  readonly name: string;
  readonly #core: Core;
  readonly #spec: ConsumerSpec;
  #config: GroupConfig;
  #ready: Promise<GroupConfig> | undefined;
  #initDone = false;
  #nextClaim = 0;
  /** Held deliveries -> when the request that last extended them was sent (performance.now). */
  readonly #held = new Map<string, number>();
  #timer: ReturnType<typeof setTimeout> | undefined;
  #renewing = false;
  /** After a failed renewal: not before this time (performance.now). */
  #retryAt = 0;
  #stopped = false;
  /** The interrupts of the reads in flight (stop() ends them). */
  readonly #reading = new Set<() => void>();

  /** A consumer of `spec.stream` named after a new id of `core`. */
  constructor(core: Core, spec: ConsumerSpec) {
    this.#core = core;
    this.#spec = spec;
    this.#config = spec.config;
    this.name = core.nextId();
  }

  /** The settings in force (those stored in Redis, once {@linkcode Consumer.init} ran). */
  get config(): GroupConfig {
    return this.#config;
  }

  /** Whether {@linkcode Consumer.init} has run (its `config` is the stored one). */
  get ready(): boolean {
    return this.#initDone;
  }

  /** How many deliveries this consumer holds. */
  get holding(): number {
    return this.#held.size;
  }

  /** Creates the group and config if needed, and adopts the stored config (once). */
  init(): Promise<GroupConfig> {
    this.#ready ??= this.#init().catch((error) => {
      this.#ready = undefined;
      throw error;
    });
    return this.#ready;
  }

  async #init(): Promise<GroupConfig> {
    const c = this.#spec.config;
    const reply = await this.#core.engine.script(STREAM_INIT, [this.#spec.stream], [
      String(c.visibility),
      String(c.maxDeliveries),
      String(c.maxsize),
    ]).catch((e) => {
      throw connectionError(`use ${this.#spec.what}`, e);
    }) as [string, string, string];
    const stored: GroupConfig = {
      visibility: Number(reply[0]),
      maxDeliveries: Number(reply[1]),
      maxsize: Number(reply[2]),
    };
    for (const key of this.#spec.explicit) {
      if (stored[key] !== c[key]) throw mismatch(this.#spec.what, key, c[key], stored[key]);
    }
    this.#config = stored;
    this.#initDone = true;
    return stored;
  }

  /**
   * Reads up to `count` entries: reclaimed ones first when a reclaim is due, else new ones,
   * waiting until `deadline` (`performance.now()` ms) or `signal`. Returns `[]` on timeout or
   * abort; a delivery that raced with the abort is returned (it is held either way).
   */
  async read(
    count: number,
    deadline: number,
    signal: AbortSignal | undefined,
  ): Promise<Delivery[]> {
    const what = `read from ${this.#spec.what}`;
    if (!this.#initDone) await this.init();
    const engine = this.#core.engine;
    let conn: Blocking | undefined;
    const interrupt = () => {
      if (conn !== undefined) engine.interrupt(conn, this.#spec.stream);
    };
    signal?.addEventListener("abort", interrupt, { once: true });
    this.#reading.add(interrupt);
    try {
      for (;;) {
        if (this.#stopped) return [];
        if (performance.now() >= this.#nextClaim) {
          const sentAt = performance.now();
          const claimed = await this.#claim(count);
          if (claimed.length > 0) return this.#hold(claimed, sentAt);
        }
        const now = performance.now();
        if (signal?.aborted) return [];
        const once = now >= deadline; // timeout 0 (or passed): one look, without blocking
        if (!once) {
          conn ??= engine.idle(this.#spec.stream) ?? await engine.blocking(this.#spec.stream);
        }
        if (signal?.aborted) return [];
        const slice = Math.max(1, Math.ceil(Math.min(deadline, this.#nextClaim) - now));
        const args = ["XREADGROUP", "GROUP", "g", this.name, "COUNT", String(count)];
        if (!once) args.push("BLOCK", String(slice));
        args.push("STREAMS", this.#spec.stream, ">");
        let reply: unknown;
        try {
          reply = once
            ? await engine.command(this.#spec.stream, args, BINARY)
            : await engine.block(conn!, args, BINARY);
        } catch (error) {
          if (!(isReply(error) && error.message.startsWith("NOGROUP"))) throw error;
          // The stream was deleted under us: make it (and the group) again.
          this.#ready = undefined;
          this.#initDone = false;
          await this.init();
          continue;
        }
        if (reply !== null && reply !== undefined) {
          const list = (reply as unknown[])[1];
          const got = entries(list, (fields) => 1 + priorDeliveries(fields));
          // The entry was delivered when the server answered, after a block of up to a whole
          // slice: its visibility is counted from the reply's arrival (see the module doc).
          if (got.length > 0) return this.#hold(got, once ? now : performance.now());
        }
        if (once) return [];
      }
    } catch (error) {
      if (error instanceof RangeError) throw error; // settings that differ from Redis's
      if (conn !== undefined) conn.broken = true;
      throw connectionError(what, error);
    } finally {
      this.#reading.delete(interrupt);
      signal?.removeEventListener("abort", interrupt);
      if (conn !== undefined) engine.giveBack(conn);
    }
  }

  async #claim(count: number): Promise<Delivery[]> {
    const c = this.#config;
    const sentAt = performance.now();
    const [list, due] = await this.#core.engine.script(
      this.#spec.claim,
      [this.#spec.stream],
      [
        this.name,
        String(c.visibility),
        String(c.maxDeliveries),
        String(count),
        String(this.#spec.keep),
        ...this.#spec.claimArgs(),
      ],
      undefined,
      BINARY,
    ) as [unknown, number];
    // Next due: when the earliest pending delivery of another consumer can be reclaimed, and at
    // least once per visibility timeout (a delivery made after this script).
    const wait = due >= 0 ? Math.min(due + SLACK, c.visibility) : c.visibility;
    this.#nextClaim = sentAt + wait;
    return entries(list, () => 1);
  }

  #hold(got: Delivery[], sentAt: number): Delivery[] {
    for (const d of got) this.#held.set(d.id, sentAt);
    this.#arm();
    return got;
  }

  /**
   * Forgets deliveries this consumer no longer holds (acknowledged, buried, requeued). The timer
   * stays: a tick with nothing held does nothing (cheaper than a timer per delivery).
   */
  release(ids: Iterable<string>): void {
    for (const id of ids) this.#held.delete(id);
  }

  /** Whether `id` is still held (not lost). */
  holds(id: string): boolean {
    return this.#held.has(id);
  }

  /** Stops the watchdog (the owner closes); held deliveries stay pending in Redis. */
  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    for (const interrupt of this.#reading) interrupt();
  }

  /** Whether {@linkcode Consumer.stop} ran (a read it interrupted returns `[]`). */
  get stopped(): boolean {
    return this.#stopped;
  }

  #oldest(): number {
    let oldest = Infinity;
    for (const at of this.#held.values()) oldest = Math.min(oldest, at);
    return oldest;
  }

  /** One timer: the next renewal, or the local visibility end while a renewal is in flight. */
  #arm(): void {
    if (this.#timer !== undefined || this.#stopped || this.#held.size === 0) return;
    const oldest = this.#oldest();
    const end = oldest + this.#config.visibility;
    const renewAt = Math.max(oldest + this.#config.visibility / 3, this.#retryAt);
    const at = this.#renewing ? end : Math.min(renewAt, end);
    const timer = setTimeout(() => {
      this.#timer = undefined;
      this.#tick();
    }, Math.max(0, at - performance.now()));
    unrefTimer(timer);
    this.#timer = timer;
  }

  #tick(): void {
    if (this.#stopped) return;
    const now = performance.now();
    const expired = [...this.#held].filter(([, at]) => now >= at + this.#config.visibility);
    if (expired.length > 0) this.#lose(expired.map(([id]) => id));
    if (this.#held.size === 0) return;
    const due = Math.max(this.#oldest() + this.#config.visibility / 3, this.#retryAt);
    if (!this.#renewing && now >= due) void this.#renew();
    else this.#arm();
  }

  async #renew(): Promise<void> {
    this.#renewing = true;
    const ids = [...this.#held.keys()];
    const sentAt = performance.now();
    this.#arm();
    let lost: string[] | undefined;
    try {
      lost = (await this.#core.engine.script(STREAM_RENEW, [this.#spec.stream], [
        this.name,
        ...ids,
      ]) as unknown[]).map(String);
    } catch {
      lost = undefined; // unreachable: try again soon; the local visibility end decides
      this.#retryAt = performance.now() + Math.min(this.#config.visibility / 10, 1_000);
    } finally {
      this.#renewing = false;
    }
    if (this.#stopped) return;
    if (lost !== undefined) {
      this.#retryAt = 0;
      const gone = new Set(lost);
      for (const id of ids) if (!gone.has(id) && this.#held.has(id)) this.#held.set(id, sentAt);
      if (lost.length > 0) this.#lose(lost.filter((id) => this.#held.has(id)));
    }
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#arm();
  }

  #lose(ids: string[]): void {
    if (ids.length === 0) return;
    for (const id of ids) this.#held.delete(id);
    this.#spec.onLost(ids);
  }
}

/** Validates a count option: an integer from `min` to 2^31-1. */
export function checkCount(what: string, key: string, value: unknown, min: number): number {
  if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > 2 ** 31 - 1) {
    throw new RangeError(
      `Cannot ${what}: '${key}' must be an integer from ${min} to 2^31-1, received ${
        String(value)
      }`,
    );
  }
  return value;
}

/** The consumer settings of a queue or pool, validated: `[config, explicitly set keys]`. */
export function groupConfig(
  what: string,
  core: Core,
  options: { visibility?: number; maxDeliveries?: number } | undefined,
  maxsize: number | undefined,
): [GroupConfig, Set<keyof GroupConfig>] {
  const opts = checkOptions(what, options);
  const explicit = new Set<keyof GroupConfig>();
  const pick = (key: keyof GroupConfig, value: unknown, fallback: number, min: number) => {
    if (value === undefined) return fallback;
    explicit.add(key);
    return checkCount(what, key, value, min);
  };
  return [{
    visibility: pick("visibility", opts.visibility, core.lease, 30),
    maxDeliveries: pick("maxDeliveries", opts.maxDeliveries, 5, 1),
    maxsize: pick("maxsize", maxsize, 0, 0),
  }, explicit];
}
