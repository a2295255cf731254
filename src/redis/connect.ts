/**
 * `connect()` and `fromClient()`: a {@linkcode RedisContext} over a new connection to a Redis
 * server or cluster, or over a node-redis client of yours.
 *
 * @module
 */
import { createClient, createCluster } from "@redis/client";
import { checkLease, checkOptions } from "./_core.ts";
import { type AnyClient, Engine } from "./_engine.ts";
import { checkNamespace } from "./_names.ts";
import { RedisContext } from "./context.ts";
import { RedisConnectionError } from "./errors.ts";

/** Options shared by {@linkcode connect} and {@linkcode fromClient}. */
export interface ContextOptions {
  /**
   * The key namespace: every key of the context starts with `{<namespace>:`. 1-64 of
   * `A-Z a-z 0-9 _ . -`. Contexts see each other's primitives only within one namespace.
   * @default {"interlock"}
   */
  namespace?: string;
  /**
   * The default lease of holds, in ms (each primitive may override it). A holder that stops
   * renewing loses its hold this long after its last renewal; waiters renew their registration
   * as often. At least 30.
   * @default {30000}
   */
  lease?: number;
}

/** TLS settings for `rediss://` URLs (node's `tls.connect` options of the same names). */
export interface TlsOptions {
  /**
   * PEM certificate(s) of the authorities to trust (a self-signed server's CA).
   * @default {undefined (the system's)}
   */
  ca?: string | string[];
  /**
   * PEM client certificate, for servers that authenticate clients (`tls-auth-clients yes`).
   * @default {undefined}
   */
  cert?: string;
  /**
   * PEM private key of `cert`.
   * @default {undefined}
   */
  key?: string;
  /**
   * The server name to check the certificate against.
   * @default {the URL's host}
   */
  servername?: string;
}

/** Options of {@linkcode connect}. */
export interface ConnectOptions extends ContextOptions {
  /**
   * Milliseconds to wait for the connection (TCP, TLS, authentication) before failing with
   * `RedisConnectionError`.
   * @default {5000}
   */
  connectTimeout?: number;
  /**
   * Treat the URL as one node of a Redis Cluster (the others are discovered).
   * @default {false}
   */
  cluster?: boolean;
  /**
   * TLS settings (used with `rediss://` URLs).
   * @default {undefined}
   */
  tls?: TlsOptions;
}

/** The URL with its password replaced by `***`, for messages. */
export function redact(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== "") parsed.password = "***";
    return parsed.href;
  } catch {
    return "<invalid URL>";
  }
}

function checkUrl(url: unknown): URL {
  if (typeof url !== "string") {
    throw new TypeError(`Cannot connect: 'url' must be a string, received ${typeof url}`);
  }
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new TypeError(`Cannot connect: 'url' is not a valid URL: ${JSON.stringify(redact(url))}`);
  }
  if (parsed.protocol !== "redis:" && parsed.protocol !== "rediss:") {
    throw new RangeError(
      `Cannot connect: 'url' must start with redis:// or rediss://, received ${parsed.protocol}//`,
    );
  }
  if (parsed.hostname === "") {
    throw new TypeError(`Cannot connect: 'url' names no host: ${redact(url)}`);
  }
  return parsed;
}

function checkTimeout(timeout: unknown): number {
  if (timeout === undefined) return 5_000;
  if (typeof timeout !== "number" || !(timeout > 0) || !Number.isFinite(timeout)) {
    throw new RangeError(
      `Cannot connect: 'connectTimeout' must be a positive number of ms, received ${
        String(timeout)
      }`,
    );
  }
  return timeout;
}

/**
 * Connects to the Redis server (or cluster) at `url` and returns a context whose primitives live
 * in it.
 *
 * - `redis://[user[:password]@]host[:port][/db]` or `rediss://` for TLS (`options.tls.ca` trusts
 *   a private CA). The password never appears in error messages.
 * - Fails within `connectTimeout` (default 5 s) with {@linkcode RedisConnectionError} (`cause`:
 *   `ECONNREFUSED`, `WRONGPASS`, a TLS error...), having closed everything it opened.
 * - After connecting, a dropped connection is re-established in the background; calls made while
 *   it is down fail at once with `RedisConnectionError` (no offline queue: a wait never hangs on
 *   a dead server).
 * - Close the context (`await using`, or `close()`) to release its holds and connections.
 *
 * @param url The server's URL.
 * @param options Namespace, default lease, connect timeout, cluster mode, TLS.
 * @returns The context.
 * @throws {TypeError} if `url` is not a URL; {@linkcode RangeError} if its scheme is not redis.
 * @throws {RedisConnectionError} if the server cannot be reached in time or refuses the login.
 *
 * @example
 * ```ts
 * import { connect, RedisConnectionError } from "@interlock/interlock/redis";
 * import { startRedisServer } from "@interlock/interlock/redis/testing";
 * import assert from "node:assert/strict";
 *
 * await using server = await startRedisServer();
 * {
 *   await using ctx = await connect(server.url, { namespace: "billing" });
 *   assert.equal(ctx.namespace, "billing");
 * }
 * await assert.rejects(connect("http://example.com"), RangeError);
 * await assert.rejects(connect("redis://127.0.0.1:1", { connectTimeout: 500 }), RedisConnectionError);
 * ```
 */
export async function connect(url: string, options?: ConnectOptions): Promise<RedisContext> {
  const parsed = checkUrl(url);
  const opts = checkOptions("connect", options);
  const timeout = checkTimeout(opts.connectTimeout);
  const namespace = checkNamespace("connect", opts.namespace ?? "interlock");
  const lease = checkLease("connect", opts.lease, 30_000);
  const tls = parsed.protocol === "rediss:" ? { tls: true as const, ...opts.tls } : {};
  let ready = false;
  let lastError: unknown;
  const socket = {
    connectTimeout: timeout,
    ...tls,
    // Before the first connection: fail (connect() rejects). After: reconnect with back-off.
    reconnectStrategy: (retries: number, cause: Error) => {
      lastError = cause;
      return ready ? Math.min(50 * 2 ** retries, 2_000) : false;
    },
  };
  const client: AnyClient = opts.cluster
    ? createCluster({
      rootNodes: [{ url }],
      defaults: {
        socket,
        ...(parsed.username === "" ? {} : { username: decodeURIComponent(parsed.username) }),
        ...(parsed.password === "" ? {} : { password: decodeURIComponent(parsed.password) }),
        disableOfflineQueue: true,
      },
    }) as unknown as AnyClient
    : createClient({ url, socket, disableOfflineQueue: true }) as unknown as AnyClient;
  (client as { on(e: string, f: (e: unknown) => void): void }).on("error", (e) => lastError = e);
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    await Promise.race([
      (client as { connect(): Promise<unknown> }).connect(),
      new Promise((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`no answer within ${timeout} ms`)),
          timeout,
        );
      }),
    ]);
    ready = true;
  } catch (error) {
    client.destroy();
    const cause = error instanceof Error && error.message.startsWith("no answer")
      ? lastError ?? error
      : error;
    const detail = cause instanceof Error ? cause.message : String(cause);
    throw new RedisConnectionError(
      `Cannot connect to ${redact(url)}: ${detail || (cause as Error)?.name || "failed"}`,
      { cause },
    );
  } finally {
    clearTimeout(timer);
  }
  return new RedisContext(new Engine(client), { namespace, lease }, true);
}

/**
 * Returns a context over a node-redis client or cluster that you created and connected (to
 * share its connection, or to use options `connect` does not offer). Closing the context does
 * not close your client, only the blocking connections the context opened (`duplicate()`s).
 *
 * - Your client's settings apply: with its offline queue on (node-redis's default), calls made
 *   while it reconnects wait for the reconnection instead of failing at once.
 *
 * @param client A connected `createClient()` or `createCluster()` of npm `redis`.
 * @param options Namespace and default lease.
 * @throws {TypeError} if `client` is not a node-redis client.
 *
 * @example
 * ```ts
 * import { createClient } from "@redis/client";
 * import { fromClient } from "@interlock/interlock/redis";
 * import { startRedisServer } from "@interlock/interlock/redis/testing";
 * import assert from "node:assert/strict";
 *
 * await using server = await startRedisServer();
 * const client = createClient({ url: server.url });
 * await client.connect();
 * {
 *   await using ctx = fromClient(client);
 *   await ctx.Event("ready").set();
 * }
 * assert.equal(client.isReady, true); // still yours
 * client.destroy();
 * ```
 */
export function fromClient(client: unknown, options?: ContextOptions): RedisContext {
  if (
    typeof client !== "object" || client === null ||
    typeof (client as { sendCommand?: unknown }).sendCommand !== "function"
  ) {
    throw new TypeError("Cannot create a Redis context: 'client' must be a node-redis client");
  }
  const opts = checkOptions("create a Redis context", options);
  const namespace = checkNamespace("create a Redis context", opts.namespace ?? "interlock");
  const lease = checkLease("create a Redis context", opts.lease, 30_000);
  return new RedisContext(new Engine(client as AnyClient), { namespace, lease }, false);
}
