/**
 * Throwaway Redis servers for tests, examples and documentation: `redis-server` on a free
 * loopback port, persistence off, in a temporary directory, stopped by PID. Variants: a password,
 * an ACL user, TLS (a self-signed CA and server certificate made with `openssl`), a replica, and
 * a 3-master Redis Cluster.
 *
 * Needs `redis-server` (and `redis-cli` for clusters, `openssl` for TLS) on the `PATH`: Debian's
 * `redis-server` package has all but `openssl`. Written against `node:` modules, so it runs on
 * Deno, Node and Bun alike; on Deno it needs `--allow-run`, `--allow-net=127.0.0.1`,
 * `--allow-read`, `--allow-write` and `--allow-env` (the temporary directory).
 *
 * @module
 */
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** Options of {@linkcode startRedisServer}. */
export interface RedisServerOptions {
  /**
   * Require this password (`requirepass`); the URL carries it.
   * @default {undefined}
   */
  password?: string;
  /**
   * An ACL user (the default user is disabled); the URL carries its name and password. `keys`
   * is the ACL key pattern it may touch.
   * @default {undefined}
   */
  user?: { name: string; password: string; keys?: string };
  /**
   * Serve TLS only, with a certificate of a fresh self-signed CA (`server.ca`).
   * @default {false}
   */
  tls?: boolean;
  /**
   * Start 3 masters and join them into a Redis Cluster; `url` names the first.
   * @default {false}
   */
  cluster?: boolean;
  /**
   * Start a replica of this server (`replicaof`), ready once its link to the primary is up.
   * @default {undefined}
   */
  replicaOf?: RedisServer;
  /**
   * Milliseconds to wait for the server(s) to be ready.
   * @default {15000}
   */
  timeout?: number;
}

/** A running throwaway server (or cluster); stop it with `stop()` or `await using`. */
export interface RedisServer extends AsyncDisposable {
  /** `redis://` (or `rediss://`) URL of the server (the first master of a cluster), with credentials. */
  readonly url: string;
  /** Its loopback port (the first master's). */
  readonly port: number;
  /** Every node's port (one, or three for a cluster). */
  readonly ports: readonly number[];
  /** Every node's PID. */
  readonly pids: readonly number[];
  /** The CA certificate (PEM) to trust, for a TLS server. */
  readonly ca: string | undefined;
  /** Kills every node (SIGKILL, by PID) and removes the temporary directory. Idempotent. */
  stop(): Promise<void>;
  /** Kills the (first) node and starts it again on the same port, empty (no persistence). */
  restart(): Promise<void>;
}

const HOST = "127.0.0.1";

/** Listens on `port` (0: any free one) on loopback and closes at once: the port, or -1 if taken. */
function probe(port: number): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once("error", () => resolve(-1));
    server.listen(port, HOST, () => {
      const address = server.address();
      server.close(() => resolve(typeof address === "object" && address ? address.port : -1));
    });
  });
}

async function freePort(cluster: boolean): Promise<number> {
  for (;;) {
    const port = await probe(0);
    if (port < 0) continue;
    if (!cluster) return port;
    if (port + 10_000 > 65_535) continue;
    if (await probe(port + 10_000) >= 0) return port; // the cluster bus port is free too
  }
}

function run(command: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(command, args, { encoding: "utf8" }, (error, stdout, stderr) => {
      const text = stdout + stderr;
      if (error === null) resolve(text);
      else if (isNotFound(error)) {
        reject(new Error(`Cannot run ${command}: ${notInstalled(command)}`, { cause: error }));
      } else {
        reject(
          new Error(`Cannot run ${command} ${args.join(" ")}: ${text.trim()}`, { cause: error }),
        );
      }
    });
  });
}

function isNotFound(error: unknown): boolean {
  return (error as { code?: unknown }).code === "ENOENT";
}

function notInstalled(command: string): string {
  return `'${command}' is not installed (Debian: apt-get install redis-server openssl)`;
}

/** Makes a self-signed CA and a server certificate for 127.0.0.1 / localhost in `dir`. */
async function certificates(dir: string): Promise<{ ca: string }> {
  const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
  await run("openssl", [
    "req",
    "-x509",
    ...ec,
    "-keyout",
    `${dir}/ca.key`,
    "-out",
    `${dir}/ca.crt`,
    "-days",
    "2",
    "-subj",
    "/CN=Interlock test CA",
  ]); // deno-fmt-ignore
  await run("openssl", [
    "req", ...ec, "-keyout", `${dir}/server.key`, "-out", `${dir}/server.csr`, "-subj", "/CN=localhost",
  ]); // deno-fmt-ignore
  await writeFile(`${dir}/ext.cnf`, "subjectAltName=IP:127.0.0.1,DNS:localhost\n");
  await run("openssl", [
    "x509",
    "-req",
    "-in",
    `${dir}/server.csr`,
    "-CA",
    `${dir}/ca.crt`,
    "-CAkey",
    `${dir}/ca.key`,
    "-CAcreateserial",
    "-out",
    `${dir}/server.crt`,
    "-days",
    "2",
    "-extfile",
    `${dir}/ext.cnf`,
  ]); // deno-fmt-ignore
  return { ca: await readFile(`${dir}/ca.crt`, "utf8") };
}

/** One `redis-server` process, ready when it logged so. */
class Node {
  readonly port: number;
  readonly args: string[];
  #child: ChildProcess | undefined;
  #exited: Promise<void> | undefined;
  #log = "";

  constructor(port: number, args: string[]) {
    this.port = port;
    this.args = args;
  }

  get pid(): number {
    return this.#child?.pid ?? -1;
  }

  async start(deadline: number): Promise<void> {
    const child = spawn("redis-server", this.args, { stdio: ["ignore", "pipe", "pipe"] });
    this.#child = child;
    // Keep draining the log (or the server blocks on a full pipe), and watch for readiness in it.
    const ready = "Ready to accept connections";
    let onData: () => void = () => {};
    const append = (bytes: Uint8Array) => {
      this.#log = (this.#log + new TextDecoder().decode(bytes)).slice(-20_000);
      onData();
    };
    child.stdout!.on("data", append);
    child.stderr!.on("data", append);
    let failure: Error | undefined;
    this.#exited = new Promise((resolve) => {
      child.once("error", (error) => {
        failure = isNotFound(error)
          ? new Error(`Cannot start redis-server: ${notInstalled("redis-server")}`, {
            cause: error,
          })
          : error;
        resolve();
      });
      child.once("close", () => resolve());
    });
    let timer: ReturnType<typeof setTimeout> | undefined;
    try {
      const started = await Promise.race([
        new Promise<boolean>((resolve) => {
          onData = () => {
            if (this.#log.includes(ready)) resolve(true);
          };
          onData();
        }),
        this.#exited.then(() => false),
        new Promise<boolean>((resolve) => {
          timer = setTimeout(() => resolve(false), Math.max(0, deadline - performance.now()));
        }),
      ]);
      if (failure !== undefined) throw failure;
      if (!started) {
        throw new Error(
          `Cannot start redis-server on port ${this.port}: ${
            performance.now() >= deadline ? "not ready in time" : "it exited"
          }; its log ends with:\n${this.#log.slice(-2_000)}`,
        );
      }
    } catch (error) {
      await this.stop();
      throw error;
    } finally {
      clearTimeout(timer);
      onData = () => {};
    }
  }

  kill(): void {
    try {
      this.#child?.kill("SIGKILL");
    } catch {
      // already gone
    }
  }

  async stop(): Promise<void> {
    if (this.#child === undefined) return;
    this.kill();
    await this.#exited;
    this.#child = undefined;
  }
}

function until(what: string, deadline: number): (ok: boolean, detail: string) => Promise<void> {
  return async (ok, detail) => {
    if (ok) return;
    if (performance.now() >= deadline) throw new Error(`Cannot start ${what}: ${detail}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  };
}

/**
 * Starts a throwaway Redis server (or cluster) on loopback; see {@linkcode RedisServerOptions}.
 *
 * - A random free port, `--save ""` and `--appendonly no` (nothing persists), a fresh temporary
 *   directory; `stop()` kills it by PID and removes the directory.
 * - Fails with a clear `Error` if `redis-server` (or `openssl`, `redis-cli`) is missing or the
 *   server does not start in time: tests that need Redis fail, they are never skipped.
 *
 * @param options Password, ACL user, TLS, replica, cluster.
 * @returns The running server.
 *
 * @example
 * ```ts
 * import { startRedisServer } from "@interlock/interlock/redis/testing";
 * import { connect } from "@interlock/interlock/redis";
 * import assert from "node:assert/strict";
 *
 * await using server = await startRedisServer({ password: "s3cret" });
 * assert.ok(server.url.startsWith("redis://:s3cret@127.0.0.1:"));
 * await using ctx = await connect(server.url);
 * await ctx.Event("up").set();
 * ```
 */
export async function startRedisServer(options?: RedisServerOptions): Promise<RedisServer> {
  const deadline = performance.now() + (options?.timeout ?? 15_000);
  const dir = await mkdtemp(join(tmpdir(), "interlock-redis-"));
  const nodes: Node[] = [];
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    await Promise.all(nodes.map((node) => node.stop()));
    await rm(dir, { recursive: true, force: true }).catch(() => {});
  };
  try {
    const tls = options?.tls ? await certificates(dir) : undefined;
    const count = options?.cluster ? 3 : 1;
    for (let i = 0; i < count; i++) {
      const port = await freePort(count > 1);
      const config: Record<string, string> = {
        bind: HOST,
        save: "", // no persistence
        appendonly: "no",
        dir,
        logfile: "", // to stdout, where start() waits for "Ready to accept connections"
        dbfilename: `dump-${port}.rdb`,
        "repl-diskless-sync-delay": "0", // a replica syncs at once (the default waits 5 s)
        port: tls ? "0" : String(port),
      };
      if (tls !== undefined) {
        Object.assign(config, {
          "tls-port": String(port),
          "tls-cert-file": `${dir}/server.crt`,
          "tls-key-file": `${dir}/server.key`,
          "tls-ca-cert-file": `${dir}/ca.crt`,
          "tls-auth-clients": "no",
        });
      }
      if (options?.password !== undefined) config.requirepass = options.password;
      if (options?.replicaOf !== undefined) {
        config.replicaof = `${HOST} ${options.replicaOf.port}`;
      }
      if (count > 1) {
        Object.assign(config, {
          "cluster-enabled": "yes",
          "cluster-config-file": `${dir}/nodes-${port}.conf`,
          "cluster-node-timeout": "5000",
        });
      }
      const args = Object.entries(config).flatMap(([key, value]) => [`--${key}`, value]);
      if (options?.user !== undefined) {
        const { name, password, keys } = options.user;
        args.push("--user", "default", "off");
        args.push("--user", name, "on", `>${password}`, keys ?? "~*", "&*", "+@all");
      }
      const node = new Node(port, args);
      nodes.push(node);
      await node.start(deadline);
    }
    const ports = nodes.map((node) => node.port);
    if (count > 1) await formCluster(ports, options, deadline);
    if (options?.replicaOf !== undefined) await linkUp(ports[0]!, options, deadline);
    const auth = options?.user !== undefined
      ? `${encodeURIComponent(options.user.name)}:${encodeURIComponent(options.user.password)}@`
      : options?.password !== undefined
      ? `:${encodeURIComponent(options.password)}@`
      : "";
    return {
      url: `${tls ? "rediss" : "redis"}://${auth}${HOST}:${ports[0]}`,
      port: ports[0]!,
      ports,
      get pids() {
        return nodes.map((node) => node.pid);
      },
      ca: tls?.ca,
      stop,
      restart: async () => {
        await nodes[0]!.stop();
        await nodes[0]!.start(performance.now() + (options?.timeout ?? 15_000));
      },
      [Symbol.asyncDispose]: stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

function cliArgs(port: number, options: RedisServerOptions | undefined): string[] {
  const args = ["-h", HOST, "-p", String(port)];
  if (options?.password !== undefined) args.push("-a", options.password, "--no-auth-warning");
  if (options?.user !== undefined) {
    args.push("--user", options.user.name, "--pass", options.user.password, "--no-auth-warning");
  }
  return args;
}

async function formCluster(
  ports: number[],
  options: RedisServerOptions | undefined,
  deadline: number,
): Promise<void> {
  if (options?.tls) {
    throw new Error("Cannot start a cluster with TLS: not supported by this helper");
  }
  await run("redis-cli", [
    ...cliArgs(ports[0]!, options),
    "--cluster",
    "create",
    ...ports.map((port) => `${HOST}:${port}`),
    "--cluster-yes",
  ]);
  const wait = until("the Redis Cluster", deadline);
  for (const port of ports) {
    for (;;) {
      const info = await run("redis-cli", [...cliArgs(port, options), "cluster", "info"]);
      if (info.includes("cluster_state:ok")) break;
      await wait(false, `node ${port} is not ready: ${info.split("\n")[0]}`);
    }
  }
}

async function linkUp(
  port: number,
  options: RedisServerOptions,
  deadline: number,
): Promise<void> {
  const wait = until("the replica", deadline);
  for (;;) {
    const info = await run("redis-cli", [...cliArgs(port, options), "info", "replication"]);
    if (info.includes("master_link_status:up")) return;
    await wait(false, "its link to the primary is not up");
  }
}
