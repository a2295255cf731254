import assert from "node:assert/strict";
import { createClient } from "@redis/client";
import {
  connect,
  fromClient,
  RedisConnectionError,
  type RedisContext,
  serve,
} from "../../src/redis/mod.ts";
import { allKeys, startRedisServer, until } from "./_server.ts";

const TASKS = new URL("./_tasks.ts", import.meta.url);

Deno.test("connect() refuses a malformed URL or another scheme with TypeError / RangeError", async () => {
  await assert.rejects(connect("not a url"), TypeError);
  await assert.rejects(connect(42 as unknown as string), TypeError);
  await assert.rejects(connect("http://127.0.0.1:6379"), RangeError);
  await assert.rejects(connect("redis://127.0.0.1:6379", { namespace: "a:b" }), RangeError);
  await assert.rejects(connect("redis://127.0.0.1:6379", { lease: 5 }), RangeError);
  await assert.rejects(connect("redis://127.0.0.1:6379", { connectTimeout: -1 }), RangeError);
});

Deno.test("connect() to a port where nothing listens fails with RedisConnectionError within the connect timeout", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close(); // now nothing listens there
  const started = performance.now();
  const error = await connect(`redis://127.0.0.1:${port}`, { connectTimeout: 1_000 }).catch((e) =>
    e
  );
  assert.ok(error instanceof RedisConnectionError, String(error));
  assert.match(error.message, /^Cannot connect to redis:\/\/127\.0\.0\.1:\d+/);
  assert.ok(performance.now() - started < 1_000 + 500);
});

Deno.test("connect() to a server that never answers fails within the connect timeout", async () => {
  // A listener that accepts and stays silent: TCP connects, the Redis handshake never ends.
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const accepted: Deno.Conn[] = [];
  const accepting = (async () => {
    for await (const conn of listener) accepted.push(conn);
  })();
  try {
    const started = performance.now();
    const url = `redis://127.0.0.1:${(listener.addr as Deno.NetAddr).port}`;
    await assert.rejects(connect(url, { connectTimeout: 300 }), RedisConnectionError);
    assert.ok(performance.now() - started < 300 + 700);
  } finally {
    listener.close();
    for (const conn of accepted) conn.close();
    await accepting.catch(() => {});
  }
});

Deno.test("A password server accepts the right password, refuses a wrong one, and no message shows it", async () => {
  await using server = await startRedisServer({ password: "pa ss/w@rd" });
  await using ctx = await connect(server.url);
  await ctx.Event("e").set();
  const wrong = server.url.replace(encodeURIComponent("pa ss/w@rd"), "nope-secret");
  const error = await connect(wrong, { connectTimeout: 2_000 }).catch((e) => e);
  assert.ok(error instanceof RedisConnectionError, String(error));
  assert.ok(!error.message.includes("nope-secret"), error.message);
  assert.match(error.message, /\*\*\*/);
});

Deno.test("An ACL user confined to its namespace's keys can use every primitive", async () => {
  await using server = await startRedisServer({
    user: { name: "app", password: "secret", keys: "~{billing:*" },
  });
  await using ctx = await connect(server.url, { namespace: "billing" });
  await using _ = await ctx.Lock("a").acquire();
  await ctx.Semaphore("s", 2).tryAcquire();
  await ctx.Value("v", 0).update((n) => n + 1);
  await ctx.Event("e").set();
  assert.equal(await ctx.Barrier("b", 1).wait(), 0);
  // Outside its namespace it has no rights: the ACL, not only the context, keeps keys apart.
  await using other = await connect(server.url, { namespace: "payroll" });
  await assert.rejects(other.Event("e").set(), /NOPERM/);
});

Deno.test("TLS: rediss:// with the test CA works, and without trusting it fails with RedisConnectionError", async () => {
  await using server = await startRedisServer({ tls: true });
  assert.ok(server.url.startsWith("rediss://"));
  await using ctx = await connect(server.url, { tls: { ca: server.ca! } });
  await using hold = await ctx.Lock("secure").acquire();
  assert.equal(typeof hold.token, "bigint");
  await assert.rejects(connect(server.url, { connectTimeout: 2_000 }), RedisConnectionError);
  // A plain client on the TLS port never completes its handshake.
  await assert.rejects(
    connect(server.url.replace("rediss:", "redis:"), { connectTimeout: 500 }),
    RedisConnectionError,
  );
});

Deno.test("Names that would leave their hash slot or their namespace are refused before any key is written", async () => {
  await using server = await startRedisServer();
  await using ctx = await connect(server.url);
  const factories: [string, (name: string) => unknown][] = [
    ["Lock", (n) => ctx.Lock(n)],
    ["RLock", (n) => ctx.RLock(n)],
    ["Semaphore", (n) => ctx.Semaphore(n, 1)],
    ["BoundedSemaphore", (n) => ctx.BoundedSemaphore(n, 1)],
    ["Event", (n) => ctx.Event(n)],
    ["Condition", (n) => ctx.Condition(n)],
    ["Barrier", (n) => ctx.Barrier(n, 2)],
    ["Value", (n) => ctx.Value(n, 0)],
    ["Queue", (n) => ctx.Queue(n)],
    ["JoinableQueue", (n) => ctx.JoinableQueue(n)],
    ["Pool", (n) => ctx.Pool(n)],
  ];
  for (const name of ["a{b", "a}b", "{x}", "", "with space", "tab\t", "nl\n", "x".repeat(201)]) {
    for (const [kind, make] of factories) {
      assert.throws(() => make(name), RangeError, `${kind} ${JSON.stringify(name)}`);
    }
    await assert.rejects(serve(ctx, name, { module: TASKS }), RangeError, JSON.stringify(name));
  }
  for (const [kind, make] of factories) {
    assert.throws(() => make(7 as unknown as string), TypeError, kind);
  }
  assert.throws(() => ctx.Semaphore("s", -1), RangeError);
  assert.throws(() => ctx.Barrier("b", 0), RangeError);
  assert.throws(() => ctx.Value("v", "1" as unknown as number), TypeError);
  assert.deepEqual(await allKeys(server.url), []);
});

Deno.test("Every key a context writes starts with {namespace:name}: one hash tag per primitive", async () => {
  await using server = await startRedisServer();
  await using ctx = await connect(server.url, { namespace: "app" });
  await using other = await connect(server.url, { namespace: "app" });
  await (await ctx.Lock("l").acquire()).release();
  await ctx.RLock("r").tryAcquire();
  await ctx.Semaphore("s", 1).tryAcquire();
  await ctx.BoundedSemaphore("bs", 1).tryAcquire();
  await ctx.Event("e").set();
  await ctx.Value("v", 0).set(1);
  await ctx.Barrier("b", 1).wait();
  // Waiters have keys of their own (queues of waiters, token lists): look while they wait.
  const keys = new Set<string>();
  const look = async (what: string, key: string) => {
    await until(what, async () => (await allKeys(server.url)).includes(key));
    for (const k of await allKeys(server.url)) keys.add(k);
  };
  const held = await ctx.Lock("w").acquire();
  const waiting = other.Lock("w").acquire({ timeout: 5_000 });
  await look("the lock waiter queued", "{app:w}:lock:q");
  await held.release();
  await (await waiting).release();
  const cond = ctx.Condition("c");
  const notifier = other.Condition("c");
  {
    await using _ = await cond.acquire();
    const waited = cond.wait({ timeout: 5_000 });
    await look("the condition waiter queued", "{app:c}:cond:q");
    {
      await using _ = await notifier.acquire({ timeout: 5_000 });
      await notifier.notify();
    }
    await waited;
  }
  const queue = ctx.JoinableQueue<number>("q", 1);
  await queue.put(1);
  const putting = other.Queue<number>("q").put(2, { timeout: 5_000 }); // waits for room
  const joining = other.JoinableQueue("q").join({ timeout: 5_000 });
  await look("the producer queued", "{app:q}:queue:p:q");
  await look("the joiner queued", "{app:q}:queue:j:q");
  await queue.get({ timeout: 5_000 });
  await queue.taskDone();
  await putting;
  await queue.get({ timeout: 5_000 });
  await queue.taskDone();
  await joining;
  {
    await using _ = await serve(other, "p", { module: TASKS });
    assert.equal(await ctx.Pool<typeof import("./_tasks.ts")>("p").apply("square", [3]), 9);
  }
  for (const k of await allKeys(server.url)) keys.add(k);
  const kinds = new Set([...keys].map((key) => key.split(":")[2]));
  for (
    const kind of ["lock", "rlock", "sem", "event", "value", "barrier", "cond", "queue", "pool"]
  ) {
    assert.ok(kinds.has(kind), `a ${kind} key among ${[...keys].join(" ")}`);
  }
  for (const key of keys) {
    assert.match(
      key,
      /^\{app:(l|r|s|bs|e|v|b|w|c|q|p)\}:(lock|rlock|sem|event|value|barrier|cond|queue|pool):/,
    );
  }
  // Names with ':' stay inside their own tag: "a:b" in namespace "x" is not namespace "x:a".
  await ctx.Event("a:b").set();
  assert.ok((await allKeys(server.url)).includes("{app:a:b}:event:v"));
});

Deno.test("fromClient() shares a node-redis client and leaves it open when the context closes", async () => {
  await using server = await startRedisServer();
  const client = createClient({ url: server.url });
  await client.connect();
  try {
    let ctx: RedisContext | undefined = fromClient(client, { namespace: "shared" });
    const waiting = ctx.Event("go").wait({ timeout: 5_000 });
    await ctx.Event("go").set();
    await waiting;
    await ctx.close();
    ctx = undefined;
    assert.equal(client.isReady, true);
    assert.equal(await client.exists("{shared:go}:event:v"), 1);
    assert.throws(() => fromClient({}), TypeError);
  } finally {
    client.destroy();
  }
});
