/**
 * The client side of a manager: a comlink endpoint over the shared-memory mailbox of
 * `src/kernel/manager.ts`, and the per-thread connection that proxies call through.
 *
 * Any thread that has the manager's region (the creating thread, or a worker that revived a proxy's
 * clone) can call the server: it claims a free slot, passes the encoded comlink message in chunks,
 * and reads the reply back. Waiting uses `Atomics.waitAsync` through the derived kernels, so nothing
 * blocks, and nothing keeps a thread alive once no call is pending.
 *
 * @module
 */
import * as Comlink from "comlink";
import { ASYNC, REAL } from "../_atomics.ts";
import { runAsync } from "../_async.ts";
import * as K from "../kernel/manager.ts";
import * as G from "../kernel_gen/manager.ts";
import { ManagerCrashedError, ManagerShutdownError } from "../errors.ts";
import { rebuild } from "../pool/remote_error.ts";
import { arm as armWaiters } from "../sync/_presence.ts";
import {
  cloneError,
  decode,
  encode,
  type Ended,
  fail,
  type Outcome,
  type ServerApi,
} from "./_protocol.ts";

/** Presence waiters a thread keeps armed on its registry entry (see "Dead holders" in the kernel). */
const PRESENCE = 8;
/** Presence waiters a call keeps armed on its slot's own record when the registry is full. */
const SLOT_PRESENCE = 4;
/** How long a claimer first waits for a free slot before it asks the server to reap (ms). */
const FIRST_PATIENCE = 10;
/** The longest it waits between reap requests (ms). */
const MAX_PATIENCE = 1000;
/** How long a thread that found the registry full waits before it tries again (ms). */
const REGISTER_RETRY = 100;

/**
 * Arms `n` presence waiters on record `r`, re-armed while `keep()` says so and the manager runs.
 */
function arm(s: Int32Array, r: number, n: number, keep: () => boolean): void {
  armWaiters(s, K.leaseWord(r), n, () => keep() && K.state(REAL, s) === K.RUNNING);
}

const always = () => true;

/**
 * This thread's presence for one manager: a registry entry taken and armed before its first claim
 * and kept armed for as long as the thread lives; while the registry is full, each call arms its
 * slot's own record instead.
 */
class Presence {
  readonly #s: Int32Array;
  /** This thread's registry entry, or -1. */
  #entry = -1;
  /** When to try registering again after the registry was found full (`performance.now()` ms). */
  #retryAt = 0;

  constructor(s: Int32Array) {
    this.#s = s;
  }

  /**
   * This thread's registry entry, armed, for a claim to name; -1 while the registry is full (the
   * claim names its slot's own record then). Takes one first if it has none yet.
   */
  entry(): number {
    if (this.#entry < 0 && performance.now() >= this.#retryAt) this.#register();
    return this.#entry;
  }

  #register(): void {
    const s = this.#s;
    const e = K.register(REAL, s);
    if (e >= 0) {
      this.#entry = e;
      arm(s, e, PRESENCE, always);
    } else if (e === K.FULL) {
      // Entries of dead threads are freed by a reap: ask for one, and try again later.
      this.#retryAt = performance.now() + REGISTER_RETRY;
      K.requestReap(REAL, s);
    }
  }
}

/** A call's presence on its slot's own record (registry full): armed until {@linkcode done}. */
class SlotPresence {
  #done = false;

  constructor(s: Int32Array, k: number) {
    arm(s, K.AGENTS + k, SLOT_PRESENCE, () => !this.#done);
  }

  /** The call is over (the slot is let go right after). */
  done(): void {
    this.#done = true;
  }
}

/** A call's hold on slot `k`: the presence record `r` its claim named, armed by `fallback` if own. */
interface Holding {
  k: number;
  r: number;
  fallback: SlotPresence | undefined;
}

/** The holding of slot `k`, just claimed for entry `e`, in the same synchronous run as the claim. */
function holding(s: Int32Array, e: number, k: number): Holding {
  if (e >= 0) return { k, r: e, fallback: undefined };
  // Registry full: the claim named the slot's own record; arm it before anything else runs.
  return { k, r: K.AGENTS + k, fallback: new SlotPresence(s, k) };
}

/**
 * Claims a slot for the holder of entry `e` (-1: none, see the kernel's `tryClaim`), asking the
 * server to reap slots of dead holders whenever none frees up for a while; the holding, or
 * `undefined` if the manager ended.
 */
async function claim(s: Int32Array, e: number): Promise<Holding | undefined> {
  let patience = FIRST_PATIENCE;
  for (;;) {
    // Read the sequence before trying: a release after that moves it (see the kernel's `claim`).
    const seen = K.freeSeq(REAL, s);
    const k = K.tryClaim(REAL, s, e);
    if (k >= 0) return holding(s, e, k);
    if (k === K.ENDED) return undefined;
    const deadline = performance.now() + patience;
    if (await runAsync(G.awaitFree(ASYNC, s, seen, deadline)) === "timed-out") {
      K.requestReap(REAL, s);
      patience = Math.min(2 * patience, MAX_PATIENCE);
    }
  }
}

/**
 * Sends one encoded request through the mailbox and returns the encoded reply, or `undefined` if
 * the manager ended first.
 */
async function exchange(
  s: Int32Array,
  presence: Presence,
  request: Uint8Array,
): Promise<Uint8Array | undefined> {
  // The entry is armed before the claim, whose CAS names it: a holder dead at any point after the
  // claim leaves a slot the server can reap (see "Dead holders" in the kernel).
  const e = presence.entry();
  const k = K.tryClaim(REAL, s, e);
  if (k === K.ENDED) return undefined;
  const held = k >= 0 ? holding(s, e, k) : await claim(s, e);
  if (held === undefined) return undefined;
  const { r, fallback } = held;
  let reply: Uint8Array | undefined;
  try {
    reply = await converse(s, held.k, r, request);
  } finally {
    fallback?.done();
    if (reply !== undefined) K.release(REAL, s, held.k, r);
    else K.letGo(REAL, s, r);
  }
  return reply;
}

/**
 * Passes `request` through slot `k`, held under presence record `r`, and reads the reply;
 * `undefined` if the manager ended.
 */
async function converse(
  s: Int32Array,
  k: number,
  r: number,
  request: Uint8Array,
): Promise<Uint8Array | undefined> {
  const payload = new Uint8Array(s.buffer, s.byteOffset + K.payloadByte(k), K.CHUNK);
  const total = request.byteLength;
  let sent = 0;
  for (;;) {
    const n = Math.min(K.CHUNK, total - sent);
    payload.set(request.subarray(sent, sent + n));
    if (!K.post(REAL, s, k, n, total)) return undefined;
    sent += n;
    if (sent === total) break;
    if (await runAsync(G.awaitTaken(ASYNC, s, k)) !== K.S_SERVER_READ) return undefined;
  }
  let reply: Uint8Array | undefined;
  let got = 0;
  for (;;) {
    if (await runAsync(G.awaitReply(ASYNC, s, k)) !== K.S_TO_CLIENT) return undefined;
    const n = K.chunkBytes(REAL, s, k);
    reply ??= new Uint8Array(K.chunkTotal(REAL, s, k));
    reply.set(payload.subarray(0, n), got);
    got += n;
    if (got === reply.byteLength) return reply;
    if (!K.takeReplyChunk(REAL, s, k, r)) return undefined;
  }
}

type Listener = EventListenerOrEventListenerObject;

/** A comlink endpoint whose messages travel through the mailbox in `s`. */
class MailboxEndpoint implements Comlink.Endpoint {
  readonly #s: Int32Array;
  readonly #presence: Presence;
  readonly #listeners = new Set<Listener>();

  constructor(s: Int32Array) {
    this.#s = s;
    this.#presence = new Presence(s);
  }

  postMessage(message: { id?: string; type?: string }): void {
    const id = message.id;
    // comlink releases a garbage-collected proxy with a RELEASE message nobody awaits; the server
    // has nothing to release, so it is not sent.
    if (id === undefined || message.type !== "APPLY") return;
    let request: Uint8Array;
    try {
      request = encode(message);
    } catch (e) {
      const error = cloneError("send the call to the manager", e);
      queueMicrotask(() => this.#answer(id, fail(error)));
      return;
    }
    exchange(this.#s, this.#presence, request).then(
      (reply) => {
        if (reply === undefined) this.#answer(id, { ended: true });
        else this.#dispatch(decode(reply));
      },
      (error) => this.#answer(id, fail(error)),
    );
  }

  addEventListener(type: string, listener: Listener): void {
    if (type === "message") this.#listeners.add(listener);
  }

  removeEventListener(type: string, listener: Listener): void {
    if (type === "message") this.#listeners.delete(listener);
  }

  #answer(id: string, value: Outcome | Ended): void {
    this.#dispatch({ id, type: "RAW", value });
  }

  #dispatch(data: unknown): void {
    const event = { data } as MessageEvent;
    for (const listener of this.#listeners) {
      if (typeof listener === "function") listener(event);
      else listener.handleEvent(event);
    }
  }
}

/** The error for calls on a manager that has ended; `cause` is the server's error if known. */
export function endedError(s: Int32Array, cause?: Error): Error {
  return K.state(REAL, s) === K.CRASHED
    ? new ManagerCrashedError(undefined, cause === undefined ? undefined : { cause })
    : new ManagerShutdownError();
}

/** One thread's connection to one manager's server. */
export class Connection {
  /** The manager's region. */
  readonly s: Int32Array;
  readonly #api: Comlink.Remote<ServerApi>;
  /** The server worker's error, when this thread saw it (the thread that started the manager). */
  crashCause: Error | undefined;

  constructor(s: Int32Array) {
    this.s = s;
    const remote = Comlink.wrap<ServerApi>(new MailboxEndpoint(s));
    // Each property read on a comlink proxy builds a new proxy (and registers it for finalization):
    // read each method once.
    this.#api = {
      ping: remote.ping,
      make: remote.make,
      register: remote.register,
      create: remote.create,
      call: remote.call,
      release: remote.release,
    } as Comlink.Remote<ServerApi>;
  }

  /** Throws the manager's end error if it has ended. */
  check(): void {
    if (K.state(REAL, this.s) !== K.RUNNING) throw endedError(this.s, this.crashCause);
  }

  /**
   * Runs `request` against the server's API and returns the outcome's value; rethrows the server's
   * error rebuilt, or the manager's end error.
   */
  async invoke(request: (api: Comlink.Remote<ServerApi>) => Promise<unknown>): Promise<unknown> {
    this.check();
    const outcome = await request(this.#api) as Outcome | Ended;
    if ("ended" in outcome) throw endedError(this.s, this.crashCause);
    if (!outcome.ok) throw rebuild(outcome.error);
    return decode(outcome.value);
  }

  /** Calls operation `op` of object `id`. */
  call(id: number, op: string, args: unknown[]): Promise<unknown> {
    return this.invoke((api) => api.call(id, op, args));
  }

  /** Frees object `id` on the server; resolves to whether it was still there. */
  release(id: number): Promise<unknown> {
    return this.invoke((api) => api.release(id));
  }
}

const connections = new WeakMap<SharedArrayBuffer, Connection>();

/** This thread's connection to the manager in region `s` (one per region buffer). */
export function connect(s: Int32Array): Connection {
  const buffer = s.buffer as SharedArrayBuffer;
  let connection = connections.get(buffer);
  if (connection === undefined || connection.s.byteOffset !== s.byteOffset) {
    connection = new Connection(s);
    connections.set(buffer, connection);
  }
  return connection;
}
