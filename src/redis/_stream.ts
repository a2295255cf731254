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

/** An entry's fields (bytes), by name. */
export interface Fields {
  /** The value of the first field named `name`, if any. */
  get(name: string): Uint8Array | undefined;
}

/** One delivered entry. */
export interface Delivery {
  /** The stream entry id. */
  readonly id: string;
  /** Its fields (bytes). */
  readonly fields: Fields;
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

/** One read in flight: the blocking connection it was lent, once it has one. */
interface Read {
  conn: Blocking | undefined;
}

/** The delivery count of a new delivery: one more than the deliveries before a requeue. */
function countDeliveries(fields: Fields): number {
  return 1 + priorDeliveries(fields);
}

/** Extra ms after a reclaim is due: server times are whole ms. */
const SLACK = 2;

/**
 * An entry's fields read in place from the reply's flat `[name, value, ...]` list (names compared
 * as bytes, so nothing is converted or copied; field names are ASCII): the first of a name wins.
 * Cheaper than a `Map` per entry, which V8 grows through its runtime on the first `set`.
 */
class FlatFields implements Fields {
  readonly #flat: Uint8Array[];

  constructor(flat: Uint8Array[]) {
    this.#flat = flat;
  }

  get(name: string): Uint8Array | undefined {
    const flat = this.#flat;
    next: for (let i = 0; i + 1 < flat.length; i += 2) {
      const key = flat[i]!;
      if (key.length !== name.length) continue;
      for (let k = 0; k < name.length; k++) if (key[k] !== name.charCodeAt(k)) continue next;
      return flat[i + 1];
    }
    return undefined;
  }
}

/** Parses `[id, [field, value, ...]]` entries (bytes) into deliveries. */
export function entries(list: unknown, deliveries: (fields: Fields) => number): Delivery[] {
  const out: Delivery[] = [];
  for (const item of (list ?? []) as [Uint8Array, Uint8Array[] | null, number?][]) {
    const fields = new FlatFields(item[1] ?? []);
    out.push({
      id: String(item[0]),
      fields,
      deliveries: typeof item[2] === "number" ? item[2] : deliveries(fields),
    });
  }
  return out;
}

/** Deliveries before a requeue, from an entry's `n` field (0 if absent or malformed). */
export function priorDeliveries(fields: Fields): number {
  const n = fields.get("n");
  if (n === undefined) return 0;
  const value = Number(String(n));
  return Number.isSafeInteger(value) && value > 0 ? value : 0;
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
  /** Held deliveries, and when the request that last extended each was sent (performance.now). */
  readonly #held = new Held();
  #timer: ReturnType<typeof setTimeout> | undefined;
  #renewing = false;
  /** After a failed renewal: not before this time (performance.now). */
  #retryAt = 0;
  #stopped = false;
  /** The reads in flight (stop() interrupts their blocking commands). */
  readonly #reading: Read[] = [];

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
    if (!this.#initDone) await this.init();
    const engine = this.#core.engine;
    const stream = this.#spec.stream;
    // The hot path (one item at a time) allocates little: no closure without a signal, and the
    // reads in flight are a short array, not a Set (V8 rehashes a Set that empties, each time).
    const read: Read = { conn: undefined };
    const interrupt = signal === undefined ? undefined : () => {
      if (read.conn !== undefined) engine.interrupt(read.conn, stream);
    };
    if (interrupt !== undefined) signal!.addEventListener("abort", interrupt, { once: true });
    this.#reading.push(read);
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
        if (!once) read.conn ??= engine.idle(stream) ?? await engine.blocking(stream);
        if (signal?.aborted || this.#stopped) return [];
        let reply: unknown;
        try {
          reply = once
            ? await engine.command(stream, [
              "XREADGROUP",
              "GROUP",
              "g",
              this.name,
              "COUNT",
              String(count),
              "STREAMS",
              stream,
              ">",
            ], BINARY) // deno-fmt-ignore
            : await engine.block(read.conn!, [
              "XREADGROUP", "GROUP", "g", this.name, "COUNT", String(count),
              "BLOCK", String(Math.max(1, Math.ceil(Math.min(deadline, this.#nextClaim) - now))),
              "STREAMS", stream, ">",
            ], BINARY); // deno-fmt-ignore
        } catch (error) {
          if (!(isReply(error) && error.message.startsWith("NOGROUP"))) throw error;
          // The stream was deleted under us: make it (and the group) again.
          this.#ready = undefined;
          this.#initDone = false;
          await this.init();
          continue;
        }
        if (reply !== null && reply !== undefined) {
          const got = entries((reply as unknown[])[1], countDeliveries);
          // The entry was delivered when the server answered, after a block of up to a whole
          // slice: its visibility is counted from the reply's arrival (see the module doc).
          if (got.length > 0) return this.#hold(got, once ? now : performance.now());
        }
        if (once) return [];
      }
    } catch (error) {
      if (error instanceof RangeError) throw error; // settings that differ from Redis's
      if (read.conn !== undefined) read.conn.broken = true;
      throw connectionError(`read from ${this.#spec.what}`, error);
    } finally {
      this.#reading.splice(this.#reading.indexOf(read), 1);
      if (interrupt !== undefined) signal!.removeEventListener("abort", interrupt);
      if (read.conn !== undefined) engine.giveBack(read.conn);
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
  release(ids: readonly string[]): void {
    this.#held.deleteAll(ids);
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
    for (const { conn } of this.#reading) {
      if (conn !== undefined) this.#core.engine.interrupt(conn, this.#spec.stream);
    }
  }

  /** Whether {@linkcode Consumer.stop} ran (a read it interrupted returns `[]`). */
  get stopped(): boolean {
    return this.#stopped;
  }

  #oldest(): number {
    return this.#held.oldest();
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
    const expired = this.#held.before(now - this.#config.visibility);
    if (expired.length > 0) this.#lose(expired);
    if (this.#held.size === 0) return;
    const due = Math.max(this.#oldest() + this.#config.visibility / 3, this.#retryAt);
    if (!this.#renewing && now >= due) void this.#renew();
    else this.#arm();
  }

  async #renew(): Promise<void> {
    this.#renewing = true;
    const ids = this.#held.ids();
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
    this.#held.deleteAll(ids);
    this.#spec.onLost(ids);
  }
}

/**
 * The held deliveries of a consumer: ids and times in two arrays. A handful are held at a time
 * (one per `get()`, up to a batch or a worker's concurrency), and every delivery is added once
 * and removed once: arrays do that without the `Map` that V8 rehashes through its runtime as it
 * fills with removed entries and shrinks when it empties.
 */
class Held {
  readonly #ids: string[] = [];
  readonly #at: number[] = [];

  get size(): number {
    return this.#ids.length;
  }

  has(id: string): boolean {
    return this.#ids.includes(id);
  }

  set(id: string, at: number): void {
    const i = this.#ids.indexOf(id);
    if (i >= 0) this.#at[i] = at;
    else {
      this.#ids.push(id);
      this.#at.push(at);
    }
  }

  /** Removes `ids` (those held): one scan each for a few, one pass over all for many. */
  deleteAll(ids: readonly string[]): void {
    if (ids.length <= 16) {
      for (const id of ids) {
        const i = this.#ids.indexOf(id);
        if (i < 0) continue;
        const last = this.#ids.length - 1; // order does not matter: move the last into the gap
        this.#ids[i] = this.#ids[last]!;
        this.#at[i] = this.#at[last]!;
        this.#ids.length = last;
        this.#at.length = last;
      }
      return;
    }
    const gone = new Set(ids);
    let kept = 0;
    for (let i = 0; i < this.#ids.length; i++) {
      if (gone.has(this.#ids[i]!)) continue;
      this.#ids[kept] = this.#ids[i]!;
      this.#at[kept++] = this.#at[i]!;
    }
    this.#ids.length = kept;
    this.#at.length = kept;
  }

  /** The earliest time (Infinity if none). */
  oldest(): number {
    let oldest = Infinity;
    for (const at of this.#at) if (at < oldest) oldest = at;
    return oldest;
  }

  /** The ids whose time is at or before `time`. */
  before(time: number): string[] {
    return this.#ids.filter((_, i) => this.#at[i]! <= time);
  }

  /** A copy of the ids. */
  ids(): string[] {
    return [...this.#ids];
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
