import assert from "node:assert/strict";
import {
  BrokenPipeError,
  Connection,
  EOFError,
  Lock,
  Pipe,
  revive,
  RuntimeError,
} from "../../mod.ts";
import { DEADLINE_MS, inWorkers, times, WAKE_MS } from "../_helpers.ts";
import { test } from "../_portable/test.ts";

const FIXTURES = new URL("../_workers/pipe_fixtures.ts", import.meta.url);

test("Pipe: the parent receives the list a worker sent, then EOFError (seed)", async () => {
  const [parentConn, childConn] = Pipe<number[]>();
  await inWorkers(times(1, FIXTURES, "sendData", [childConn]));
  // The worker has returned: its data and its close are there already.
  assert.deepEqual(await parentConn.recv({ timeout: WAKE_MS }), [1, 2, 3, 4]);
  await assert.rejects(parentConn.recv({ timeout: WAKE_MS }), EOFError);
  assert.equal(childConn.closed, true);
});

test("Pipe: a worker echoes 1,000 mixed values in order until the parent closes its end", async () => {
  const [a, b] = Pipe<unknown>();
  const worker = inWorkers<number>(times(1, FIXTURES, "echoUntilEOF", [b]));
  const sent = Array.from(
    { length: 1_000 },
    (_, k) =>
      k % 4 === 0 ? k : k % 4 === 1 ? `v${k}` : k % 4 === 2 ? { k, list: [k] } : "z".repeat(k),
  );
  for (const v of sent) a.send(v);
  for (const v of sent) assert.deepEqual(await a.recv({ timeout: DEADLINE_MS }), v);
  a.close();
  assert.deepEqual(await worker, [1_000]);
});

test("Pipe: request and reply with a worker using the Promise forms on both sides", async () => {
  const [a, b] = Pipe<number>();
  const worker = inWorkers(times(1, FIXTURES, "answer", [b, 200]));
  for (let k = 0; k < 200; k++) {
    a.send(k);
    assert.equal(await a.recv({ timeout: DEADLINE_MS }), k + 1);
  }
  await worker;
});

test("Pipe({ duplex: false }) gives a receive-only end and a send-only end", async () => {
  const [reader, writer] = Pipe<number>({ duplex: false });
  assert.equal(reader.outgoing, undefined);
  assert.equal(writer.incoming, undefined);
  assert.throws(() => reader.send(1), RuntimeError);
  assert.throws(() => writer.recvSync(), RuntimeError);
  await assert.rejects(writer.recv(), RuntimeError);
  assert.throws(() => writer.pollSync(), RuntimeError);
  await inWorkers(times(1, FIXTURES, "sendNumbers", [writer, 300]));
  for (let k = 0; k < 300; k++) assert.equal(reader.recvSync(), k);
  assert.throws(() => reader.recvSync(), EOFError);
});

test("Pipe: closing an end gives EOF after draining, BrokenPipeError to senders, RuntimeError to itself", async () => {
  const [a, b] = Pipe<string>();
  a.send("one");
  a.send("two");
  a.close();
  a.close(); // idempotent
  assert.throws(() => a.send("three"), RuntimeError);
  assert.throws(() => a.recvSync(), RuntimeError);
  await assert.rejects(a.poll(), RuntimeError);
  assert.throws(() => b.send("hello?"), BrokenPipeError);
  assert.equal(b.pollSync(), true);
  assert.equal(await b.recv(), "one");
  assert.equal(b.recvSync(), "two");
  assert.throws(() => b.recvSync(), EOFError);
  assert.equal(await b.poll(), true);
  b.close();
  assert.throws(() => b.recvSync(), RuntimeError);
});

test("Connection.poll() waits for data from a worker and returns false on timeout", async () => {
  const [a, b] = Pipe<number>();
  assert.equal(await a.poll(), false);
  assert.equal(await a.poll(5), false);
  assert.equal(a.pollSync(1), false);
  const polled = a.poll(10_000);
  b.send(7); // the poller is woken by the send, not by its timeout
  assert.equal(await polled, true);
  assert.equal(a.recvSync(), 7);
  const controller = new AbortController();
  const aborted = a.poll(10_000, { signal: controller.signal });
  controller.abort(new Error("stop"));
  await assert.rejects(aborted, { message: "stop" });
});

test("Connection.recv() that times out or aborts takes nothing", async () => {
  const [a, b] = Pipe<string>();
  await assert.rejects(a.recv({ timeout: 1 }), { name: "TimeoutError" });
  const controller = new AbortController();
  const aborted = a.recv({ signal: controller.signal });
  const live = a.recv({ timeout: DEADLINE_MS });
  controller.abort();
  await assert.rejects(aborted, { name: "AbortError" });
  b.send("first");
  b.send("second");
  assert.equal(await live, "first");
  assert.equal(a.recvSync({ timeout: 100 }), "second");
});

test("Connection.from() revives clones (deep too) and rejects everything else", () => {
  const [a, b] = Pipe<number>();
  const [clone] = revive(structuredClone([{ end: b }])) as [{ end: Connection<number> }];
  clone.end.send(5);
  assert.equal(a.recvSync(), 5);
  const twin = Connection.from<number>(structuredClone(a));
  b.send(6);
  assert.equal(twin.recvSync(), 6);
  twin.close();
  assert.equal(a.closed, true);
  assert.equal(Connection.from(a), a);
  for (const bad of [null, 1, {}, structuredClone(new Lock())]) {
    assert.throws(() => Connection.from(bad), TypeError);
  }
  const [reader] = Pipe({ duplex: false });
  const wire = structuredClone(reader);
  assert.throws(() => Connection.from({ ...wire, outgoing: wire.incoming }), TypeError);
  assert.throws(() => Connection.from({ ...wire, incoming: undefined }), TypeError);
  assert.throws(() => new Connection(), TypeError);
});

test("Pipe rejects bad options and values with TypeError and RangeError", () => {
  assert.throws(() => Pipe({ duplex: 1 as unknown as boolean }), TypeError);
  assert.throws(() => Pipe(3 as unknown as object), TypeError);
  assert.throws(() => Pipe({ maxBytes: 10 }), RangeError);
  const [a, b] = Pipe<unknown>({ maxBytes: 4096 });
  assert.throws(() => a.send(() => 1), TypeError);
  assert.throws(() => a.send(new Lock()), TypeError);
  assert.throws(() => a.send("x".repeat(10_000)), RangeError);
  assert.equal(b.pollSync(), false);
  assert.throws(() => a.recvSync({ timeout: -1 }), RangeError);
  assert.throws(() => a.pollSync(-1), RangeError);
});
