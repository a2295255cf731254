/**
 * Test helpers for the Redis tier: the throwaway server (`src/redis/testing.ts`), a raw
 * node-redis client to look at keys, and `deno run` subprocesses that talk JSON lines.
 *
 * @module
 */
import { createClient, createCluster } from "@redis/client";
export { type RedisServer, startRedisServer } from "../../src/redis/testing.ts";

/** A raw node-redis client. */
export type RawClient = ReturnType<typeof newClient>;

function newClient(url: string) {
  return createClient({ url });
}

/** A raw node-redis client on `url` (closed by `await using`). */
export async function rawClient(url: string): Promise<RawClient & AsyncDisposable> {
  const client = newClient(url);
  client.on("error", () => {});
  await client.connect();
  const disposable = client as RawClient & AsyncDisposable;
  disposable[Symbol.asyncDispose] = () => client.close();
  return disposable;
}

/** Every key in the server's database 0, sorted. */
export async function allKeys(url: string): Promise<string[]> {
  await using client = await rawClient(url);
  return (await client.keys("*")).map(String).sort();
}

/** A `deno run` subprocess of a fixture in this folder, read and written as JSON lines. */
export class Subprocess implements AsyncDisposable {
  readonly #child: Deno.ChildProcess;
  readonly #lines: AsyncIterator<string>;
  readonly #writer: WritableStreamDefaultWriter<Uint8Array>;
  #stderr = "";

  /** Starts `fixture` (a file in tests/redis/) with `args`. */
  constructor(fixture: string, args: string[]) {
    this.#child = new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--allow-net=127.0.0.1",
        "--allow-env",
        "--allow-read",
        "--allow-sys",
        new URL(fixture, import.meta.url).pathname,
        ...args,
      ],
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    this.#child.stderr.pipeThrough(new TextDecoderStream()).pipeTo(
      new WritableStream({ write: (text) => void (this.#stderr += text) }),
    ).catch(() => {});
    this.#lines = lines(this.#child.stdout)[Symbol.asyncIterator]();
    this.#writer = this.#child.stdin.getWriter();
  }

  /** The process id. */
  get pid(): number {
    return this.#child.pid;
  }

  /** The next JSON line it printed; fails after `timeout` ms or at its exit. */
  async next(timeout = 10_000): Promise<Record<string, unknown>> {
    let timer: number | undefined;
    const expired = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(new Error(`No line from ${this.pid} in ${timeout} ms; stderr: ${this.#stderr}`)),
        timeout,
      ) as unknown as number;
    });
    try {
      const { value, done } = await Promise.race([this.#lines.next(), expired]);
      if (done) throw new Error(`Subprocess ${this.pid} ended; stderr: ${this.#stderr}`);
      return JSON.parse(value);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Sends it one command line. */
  async send(line: string): Promise<void> {
    await this.#writer.write(new TextEncoder().encode(line + "\n"));
  }

  /** Sends it a signal. */
  kill(signal: Deno.Signal): void {
    this.#child.kill(signal);
  }

  /** Kills it (if alive) and waits for its end. */
  async [Symbol.asyncDispose](): Promise<void> {
    try {
      this.#child.kill("SIGKILL");
    } catch {
      // already ended
    }
    await this.#writer.close().catch(() => {});
    await this.#child.status;
    await this.#lines.return?.();
  }
}

/** The lines of a byte stream (a subprocess's stdout, a fixture's stdin), without their `\n`. */
export async function* lines(stream: ReadableStream<Uint8Array>): AsyncGenerator<string> {
  let buffer = "";
  for await (const text of stream.pipeThrough(new TextDecoderStream())) {
    buffer += text;
    let end;
    while ((end = buffer.indexOf("\n")) >= 0) {
      yield buffer.slice(0, end);
      buffer = buffer.slice(end + 1);
    }
  }
}

/** A raw client of a server or cluster that routes each command by the key it names. */
export interface RawRouted extends AsyncDisposable {
  /** `XLEN key`. */
  xLen(key: string): Promise<number>;
  /** Sends `args`, routed by `key`. */
  send(key: string, args: (string | Uint8Array)[]): Promise<unknown>;
}

/** A {@linkcode RawRouted} client of `url` (a cluster node when `cluster`). */
export async function rawRouted(url: string, cluster: boolean): Promise<RawRouted> {
  if (!cluster) {
    const client = await rawClient(url);
    return {
      xLen: (key) => client.xLen(key),
      send: (_key, args) => client.sendCommand(args as string[]),
      [Symbol.asyncDispose]: () => client.close(),
    };
  }
  const client = createCluster({ rootNodes: [{ url }] });
  client.on("error", () => {});
  await client.connect();
  return {
    xLen: (key) => client.xLen(key),
    send: (key, args) => client.sendCommand(key, false, args as string[]),
    [Symbol.asyncDispose]: () => client.close(),
  };
}

/** Empties `server` (`FLUSHALL`): the steps of one test file share one server, each from empty. */
export async function flush(server: { url: string }): Promise<void> {
  await using raw = await rawClient(server.url);
  await raw.flushAll();
}

/** Waits until `ready()` holds, looking every 5 ms; fails after `timeout` ms, naming `what`. */
export async function until(
  what: string,
  ready: () => boolean | Promise<boolean>,
  timeout = 10_000,
): Promise<void> {
  const deadline = performance.now() + timeout;
  while (!await ready()) {
    if (performance.now() > deadline) throw new Error(`Timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
