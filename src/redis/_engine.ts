/**
 * The connection layer every Redis primitive talks through: one multiplexed command connection
 * (a node-redis client or cluster), Lua scripts by `EVALSHA` with an `EVAL` fallback, and a pool
 * of dedicated connections for blocking commands (`BLPOP`, later `XREADGROUP BLOCK`), each bound
 * to the node that owns the key it blocks on.
 *
 * - **Routing.** A standalone client takes `sendCommand(args)`; a cluster takes
 *   `sendCommand(firstKey, readonly, args)` and routes by the key's slot. Every call names the key
 *   it routes by, so one code path serves both.
 * - **Blocking connections.** A blocking command holds its connection until it returns, so it
 *   never runs on the shared one. {@linkcode Engine.blocking} lends a connection to the node of the
 *   key (a `duplicate()` of the client, or of the cluster's node client), with reconnection off:
 *   a broken blocking connection is dropped, and the command on it rejects at once. Idle ones are
 *   kept (up to {@linkcode MAX_IDLE} per node) for the next wait.
 * - **Interrupting a blocked call.** `CLIENT UNBLOCK <id>` (sent on the command connection,
 *   routed by the same key) makes the blocked command return its timeout reply, so an aborted wait
 *   never loses a reply that the server already produced.
 * - **Errors.** A server error reply stays an `ErrorReply` (scripts signal typed conditions with
 *   `INTERLOCK_*` replies, see `_lua.ts`); every other failure becomes a
 *   {@linkcode RedisConnectionError} naming what was being done.
 *
 * @module
 */
import { Buffer } from "node:buffer";
import { ErrorReply, RESP_TYPES } from "@redis/client";
import { unrefTimer } from "../_runtime.ts";
import { RedisConnectionError } from "./errors.ts";

/** Per-command options of node-redis that this layer passes on (how replies are typed). */
export interface CommandOptions {
  readonly typeMapping?: Record<number, unknown>;
}

/**
 * Replies as bytes: bulk strings arrive as `Buffer`s (stream payloads are binary) and maps as
 * flat `[key, value, ...]` arrays (`XREADGROUP` answers a map under RESP3).
 */
export const BINARY: CommandOptions = {
  typeMapping: { [RESP_TYPES.BLOB_STRING]: Buffer, [RESP_TYPES.MAP]: Array },
};

/** A command argument: text, or bytes (binary payloads). */
export type Arg = string | Uint8Array;

/** The slice of a node-redis standalone client this layer uses. */
export interface StandaloneClient {
  sendCommand(args: ReadonlyArray<Arg>, options?: CommandOptions): Promise<unknown>;
  duplicate(overrides?: Record<string, unknown>): StandaloneClient;
  connect(): Promise<unknown>;
  destroy(): void;
  close(): Promise<void>;
  on(event: "error", listener: (error: unknown) => void): unknown;
  readonly isReady: boolean;
  readonly options?: { socket?: Record<string, unknown> } | undefined;
}

/** The slice of a node-redis cluster client this layer uses. */
export interface ClusterClient {
  sendCommand(
    firstKey: string | undefined,
    isReadonly: boolean | undefined,
    args: ReadonlyArray<Arg>,
    options?: CommandOptions,
  ): Promise<unknown>;
  getNodeClientForKey(key: string): Promise<StandaloneClient>;
  destroy(): void;
  close(): Promise<void>;
  readonly masters: unknown;
}

/** A node-redis client or cluster, as `fromClient` accepts it. */
export type AnyClient = StandaloneClient | ClusterClient;

/** Whether `client` is a node-redis cluster client. */
export function isCluster(client: AnyClient): client is ClusterClient {
  return "masters" in client && "getNodeClientForKey" in client;
}

/** A Lua script with its SHA1, computed once. */
export class Script {
  /** The script's name. */
  readonly name: string;
  /** The script's Lua source. */
  readonly source: string;
  /** The script's SHA1 in hex, as `EVALSHA` wants it. */
  sha = "";
  /** Creates a script from its source; call {@linkcode Script.ready} before use. */
  constructor(name: string, source: string) {
    this.name = name;
    this.source = source;
  }

  /** Computes the SHA1 (WebCrypto is async, so this happens once, lazily). */
  async ready(): Promise<this> {
    if (this.sha === "") {
      const digest = await crypto.subtle.digest("SHA-1", new TextEncoder().encode(this.source));
      this.sha = Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join(
        "",
      );
    }
    return this;
  }
}

/** Idle blocking connections kept per node; more are closed when returned. */
export const MAX_IDLE = 4;

/** A connection lent for blocking commands; give it back with {@linkcode Engine.giveBack}. */
export interface Blocking {
  /** The connection. */
  readonly client: StandaloneClient;
  /** Its `CLIENT ID`, for `CLIENT UNBLOCK` (set once connected). */
  id: string;
  /** The pool key (node) it belongs to. */
  readonly node: string;
  /** Set once it failed: it is destroyed, not reused. */
  broken: boolean;
  /** Counts the blocking commands sent through {@linkcode Engine.block}. */
  sent: number;
  /** Whether a command sent through {@linkcode Engine.block} is waiting for its reply. */
  waiting: boolean;
}

/** Tries of `CLIENT UNBLOCK` before {@linkcode Engine.interrupt} drops the connection. */
const UNBLOCK_TRIES = 5;

/** Whether `error` is a reply from the server (as opposed to a connection failure). */
export function isReply(error: unknown): error is ErrorReply {
  return error instanceof ErrorReply;
}

/**
 * The typed condition a script signalled with an `INTERLOCK_<CODE> <detail>` error reply (Redis
 * appends the script's SHA and line to the message), or undefined.
 */
export function scriptCondition(error: unknown): { code: string; detail: string } | undefined {
  if (!isReply(error)) return undefined;
  const match = /^INTERLOCK_([A-Z]+) (\S+)/.exec(error.message);
  return match === null ? undefined : { code: match[1]!, detail: match[2]! };
}

/** Wraps a non-reply failure as a {@linkcode RedisConnectionError}; replies pass through. */
export function connectionError(what: string, error: unknown): unknown {
  if (isReply(error) || error instanceof RedisConnectionError) return error;
  const detail = error instanceof Error ? error.message : String(error);
  return new RedisConnectionError(`Cannot ${what}: the connection to Redis failed (${detail})`, {
    cause: error,
  });
}

/** The connection layer of one context (see the module doc). */
export class Engine {
  readonly #client: AnyClient;
  readonly #cluster: boolean;
  readonly #idle = new Map<string, Blocking[]>();
  /** Lent connections (a short array: a `Set` that fills and empties on every read is rehashed). */
  readonly #lent: Blocking[] = [];
  /** The pool key of a standalone client's blocking connections. */
  #node: string | undefined;
  #closed = false;

  /** Wraps `client` (connected). */
  constructor(client: AnyClient) {
    this.#client = client;
    this.#cluster = isCluster(client);
  }

  /** The wrapped client. */
  get client(): AnyClient {
    return this.#client;
  }

  /** Whether the wrapped client is a cluster. */
  get cluster(): boolean {
    return this.#cluster;
  }

  /** Whether {@linkcode Engine.shutdown} ran. */
  get closed(): boolean {
    return this.#closed;
  }

  /** Sends `args` on the command connection, routed by `key`. */
  command(key: string, args: ReadonlyArray<Arg>, options?: CommandOptions): Promise<unknown> {
    const client = this.#client;
    return isCluster(client)
      ? client.sendCommand(key, false, args, options)
      : client.sendCommand(args, options);
  }

  /**
   * Runs `script` with `keys` and `args` (`keys[0]` routes it): `EVALSHA`, and `EVAL` once if the
   * server does not know the script yet (a new server, a restart, `SCRIPT FLUSH`, another node).
   */
  async script(
    script: Script,
    keys: ReadonlyArray<string>,
    args: ReadonlyArray<Arg>,
    via?: StandaloneClient,
    options?: CommandOptions,
  ): Promise<unknown> {
    if (script.sha === "") await script.ready();
    const tail = [String(keys.length), ...keys, ...args];
    const send = (command: ReadonlyArray<Arg>) =>
      via === undefined
        ? this.command(keys[0]!, command, options)
        : via.sendCommand(command, options);
    try {
      return await send(["EVALSHA", script.sha, ...tail]);
    } catch (error) {
      if (!(isReply(error) && error.message.startsWith("NOSCRIPT"))) throw error;
      return await send(["EVAL", script.source, ...tail]);
    }
  }

  /**
   * Lends an idle blocking connection at once, if one is kept for a standalone server (the
   * common case, without a Promise); else undefined: use {@linkcode Engine.blocking}.
   */
  idle(_key: string): Blocking | undefined {
    if (this.#closed || this.#node === undefined || this.#cluster) return undefined;
    const conn = this.#idle.get(this.#node)?.pop();
    if (conn !== undefined) this.#lent.push(conn);
    return conn;
  }

  /** Lends a blocking connection to the node that owns `key`. */
  async blocking(key: string): Promise<Blocking> {
    if (this.#closed) throw new RedisConnectionError("Cannot wait: the context is closed");
    const cluster = isCluster(this.#client);
    const base = cluster ? await (this.#client as ClusterClient).getNodeClientForKey(key) : this
      .#client as StandaloneClient;
    const node = cluster ? nodeOf(base) : this.#node ??= nodeOf(base);
    const idle = this.#idle.get(node);
    let conn = idle?.pop();
    if (conn === undefined) {
      const client = base.duplicate({
        socket: { ...base.options?.socket, reconnectStrategy: false },
        // A blocking connection waits for the server, not for a reconnection.
        disableOfflineQueue: true,
        pingInterval: undefined,
      });
      client.on("error", () => {}); // failures reach the pending command; no unhandled event
      // Lent from the start, so a shutdown() while it connects destroys it too.
      conn = { client, id: "", node, broken: false, sent: 0, waiting: false };
      this.#lent.push(conn);
      try {
        await client.connect();
        conn.id = String(await client.sendCommand(["CLIENT", "ID"]));
        if (this.#closed) throw new RedisConnectionError("Cannot wait: the context is closed");
      } catch (error) {
        this.#unlend(conn);
        client.destroy();
        throw error;
      }
      return conn;
    }
    this.#lent.push(conn);
    return conn;
  }

  #unlend(conn: Blocking): void {
    const i = this.#lent.indexOf(conn);
    if (i >= 0) this.#lent.splice(i, 1);
  }

  /** Takes back a lent connection: kept idle if healthy and there is room, else destroyed. */
  giveBack(conn: Blocking): void {
    this.#unlend(conn);
    const idle = this.#idle.get(conn.node) ?? [];
    if (this.#closed || conn.broken || !conn.client.isReady || idle.length >= MAX_IDLE) {
      conn.client.destroy();
      return;
    }
    idle.push(conn);
    this.#idle.set(conn.node, idle);
  }

  /** Sends a blocking command on a lent connection (see {@linkcode Engine.interrupt}). */
  async block(
    conn: Blocking,
    args: ReadonlyArray<Arg>,
    options?: CommandOptions,
  ): Promise<unknown> {
    conn.sent++;
    conn.waiting = true;
    try {
      return await conn.client.sendCommand(args, options);
    } finally {
      conn.waiting = false;
    }
  }

  /** Makes the blocked command on `conn` return its timeout reply (routed by `key`). */
  async unblock(conn: Blocking, key: string): Promise<void> {
    await this.command(key, ["CLIENT", "UNBLOCK", conn.id]);
  }

  /**
   * Ends the blocking command in flight on `conn` (sent by {@linkcode Engine.block}): `CLIENT
   * UNBLOCK`, which makes it return its timeout reply, so a reply the server already produced is
   * never lost. `CLIENT UNBLOCK` travels on another connection and may reach the server before
   * the command it targets; so it is repeated (20, 40, ... ms apart) while that command waits,
   * and after {@linkcode UNBLOCK_TRIES} tries the connection is dropped (the command rejects).
   */
  interrupt(conn: Blocking, key: string): void {
    const target = conn.sent;
    let tries = 0;
    const attempt = () => {
      if (!conn.waiting || conn.sent !== target || conn.broken) return;
      if (++tries > UNBLOCK_TRIES) {
        conn.broken = true;
        conn.client.destroy();
        return;
      }
      this.unblock(conn, key).catch(() => {});
      const timer = setTimeout(attempt, 20 * tries);
      unrefTimer(timer);
    };
    attempt();
  }

  /** Destroys every blocking connection (lent ones too: their commands reject) and stops lending. */
  shutdown(): void {
    this.#closed = true;
    for (const conns of this.#idle.values()) for (const conn of conns) conn.client.destroy();
    this.#idle.clear();
    for (const conn of this.#lent) {
      conn.broken = true;
      conn.client.destroy();
    }
  }
}

/** A pool key for the node a client talks to. */
function nodeOf(client: StandaloneClient): string {
  const socket = client.options?.socket as { host?: string; port?: number } | undefined;
  return `${socket?.host ?? ""}:${socket?.port ?? ""}:${
    (client.options as { url?: string } | undefined)?.url ?? ""
  }`;
}
