/**
 * The primitives' kernels against their sequential specifications (`src/explore/spec/`), with
 * `checkLinearizability`: 200 generated scenarios per object, every interleaving of each. The
 * specification level of the explorer trusts exactly these specifications.
 */
import assert from "node:assert/strict";
import {
  Barrier,
  BoundedSemaphore,
  type Connection,
  Event,
  Pipe,
  Queue,
  Semaphore,
  SharedArray,
  SimpleQueue,
  Value,
} from "../../mod.ts";
import {
  BarrierSpec,
  checkLinearizability,
  EventSpec,
  type LinearizabilityOptions,
  PipeSpec,
  QueueSpec,
  SemaphoreSpec,
  SharedArraySpec,
  sim,
  ValueSpec,
} from "../../src/explore/mod.ts";

const SCENARIOS = 200;
/**
 * Each scenario: 2-3 threads of 1-2 operations (plus init and post parts), every interleaving with
 * at most one preemption (Lincheck's and CHESS's observation: most bugs need few), at most 300
 * executions. Kernel-level queue operations take 15-35 steps each.
 */
const BOUNDS = { operationsPerThread: 2, preemptionBound: 1, maxExecutions: 300 };
const small = (random: () => number) => [1 + Math.floor(random() * 9)];
const T = { timeout: 1 };

/** Checks `options` over 200 scenarios and prints what it took. */
function linearizable<O, M extends object>(options: LinearizabilityOptions<O, M>): void {
  const r = checkLinearizability({ scenarios: SCENARIOS, ...BOUNDS, ...options });
  console.log(`  ${r.summary}`);
  assert.ok(r.ok, r.failure?.message);
  assert.equal(r.scenarios, SCENARIOS);
}

for (const maxsize of [1, 2]) {
  Deno.test(`Queue(maxsize ${maxsize}): put, get, putNowait, getNowait and qsize are linearizable`, () => {
    type Q = Queue<number>;
    linearizable({
      name: `Queue(${maxsize})`,
      setup: () => new Queue<number>(maxsize),
      model: () => new QueueSpec(maxsize),
      operations: [
        { name: "put", args: small, run: (q: Q, x: number) => sim(q).put(x, T) },
        {
          name: "putNowait",
          args: small,
          run: (q: Q, x: number) => sim(q).putNowait(x),
          call: (q: Q, x: number) => q.putNowait(x),
          spurious: ["QueueFullError"],
        },
        { name: "get", run: (q: Q) => sim(q).get(T), spurious: ["timeout"] },
        {
          name: "getNowait",
          run: (q: Q) => sim(q).getNowait(),
          call: (q: Q) => q.getNowait(),
          spurious: ["QueueEmptyError"],
        },
        { name: "qsize", call: (q: Q) => q.qsize() }, // approximate while calls are in flight
      ],
    });
  });
}

Deno.test("SimpleQueue: put, get, getNowait and empty are linearizable", () => {
  type Q = SimpleQueue<number>;
  linearizable({
    name: "SimpleQueue",
    setup: () => new SimpleQueue<number>(),
    model: () => new QueueSpec(0),
    operations: [
      {
        name: "put",
        args: small,
        run: (q: Q, x: number) => sim(q).putNowait(x),
        call: (q: Q, x: number) => q.put(x),
      },
      { name: "get", run: (q: Q) => sim(q).get(T), spurious: ["timeout"] },
      { name: "getNowait", run: (q: Q) => sim(q).getNowait(), spurious: ["QueueEmptyError"] },
      { name: "empty", call: (q: Q) => q.empty() }, // approximate while calls are in flight
    ],
  });
});

for (const bounded of [false, true]) {
  Deno.test(`${bounded ? "BoundedSemaphore" : "Semaphore"}(1): acquire, tryAcquire, release and value are linearizable`, () => {
    type S = Semaphore;
    linearizable({
      name: bounded ? "BoundedSemaphore(1)" : "Semaphore(1)",
      setup: () => bounded ? new BoundedSemaphore(1) : new Semaphore(1),
      model: () => new SemaphoreSpec(1, { bounded }),
      operations: [
        {
          name: "acquire",
          *run(s: S) {
            yield* sim(s).acquire(T);
          },
        },
        { name: "tryAcquire", run: (s: S) => sim(s).tryAcquire(), call: (s: S) => s.tryAcquire() },
        { name: "release", run: (s: S) => sim(s).release(), call: (s: S) => s.release() },
        { name: "value", run: (s: S) => sim(s).value(), call: (s: S) => s.value },
      ],
    });
  });
}

Deno.test("Event: set, clear, isSet and wait are linearizable", () => {
  type E = Event;
  linearizable({
    name: "Event",
    setup: () => new Event(),
    model: () => new EventSpec(),
    operations: [
      { name: "set", run: (e: E) => sim(e).set(), call: (e: E) => e.set() },
      { name: "clear", run: (e: E) => sim(e).clear(), call: (e: E) => e.clear() },
      { name: "isSet", run: (e: E) => sim(e).isSet(), call: (e: E) => e.isSet() },
      { name: "wait", run: (e: E) => sim(e).wait(T) },
    ],
  });
});

Deno.test("Value: get and set are linearizable", () => {
  type V = Value<"i">;
  linearizable({
    name: "Value('i')",
    setup: () => new Value("i", 0),
    model: () => new ValueSpec("i", 0),
    operations: [
      { name: "get", run: (v: V) => sim(v).get(), call: (v: V) => v.value },
      {
        name: "set",
        args: small,
        run: (v: V, x: number) => sim(v).set(x),
        call: (v: V, x: number) => {
          v.value = x;
        },
      },
    ],
  });
});

Deno.test("SharedArray: get and set of 2 elements are linearizable", () => {
  type A = SharedArray<"i">;
  const at = (random: () => number) => [Math.floor(random() * 2)];
  const atWith = (random: () => number) => [Math.floor(random() * 2), 1 + Math.floor(random() * 9)];
  linearizable({
    name: "SharedArray('i', 2)",
    setup: () => new SharedArray("i", 2),
    model: () => new SharedArraySpec("i", [0, 0]),
    operations: [
      {
        name: "get",
        args: at,
        run: (a: A, k: number) => sim(a).get(k),
        call: (a: A, k: number) => a.get(k),
      },
      {
        name: "set",
        args: atWith,
        run: (a: A, k: number, x: number) => sim(a).set(k, x),
        call: (a: A, k: number, x: number) => {
          a.set(k, x);
        },
      },
    ],
  });
});

Deno.test("Barrier(2): wait, nWaiting, broken, abort and reset are linearizable as far as blocking allows", () => {
  type B = Barrier;
  linearizable({
    name: "Barrier(2)",
    setup: () => new Barrier(2),
    model: () => new BarrierSpec(2),
    operations: [
      { name: "wait", run: (b: B) => sim(b).wait(T) },
      { name: "nWaiting", run: (b: B) => sim(b).nWaiting(), call: (b: B) => b.nWaiting },
      { name: "broken", run: (b: B) => sim(b).broken(), call: (b: B) => b.broken },
      { name: "abort", run: (b: B) => sim(b).abort(), call: (b: B) => b.abort() },
    ],
  });
});

/** Larger than a ring slot's payload: a value that travels through the pipe's lane. */
const LARGE = "x".repeat(80);
const end = (random: () => number) => [random() < 0.5 ? 0 : 1];
const endWith = (random: () => number) => [
  random() < 0.5 ? 0 : 1,
  random() < 0.25 ? LARGE : String(1 + Math.floor(random() * 9)),
];

Deno.test("Pipe: send and recv on both ends are linearizable (poll, close and closed before and after), large values through the lane included", () => {
  type P = [Connection<string>, Connection<string>];
  linearizable({
    name: "Pipe",
    setup: (): P => Pipe<string>(),
    model: () => new PipeSpec(),
    operations: [
      {
        name: "send",
        args: endWith,
        run: (p: P, k: 0 | 1, x: string) => sim(p[k]).send(x),
        call: (p: P, k: 0 | 1, x: string) => p[k].send(x),
      },
      {
        name: "recv",
        args: end,
        run: (p: P, k: 0 | 1) => sim(p[k]).recv(T),
        call: (p: P, k: 0 | 1) => p[k].pollSync() ? p[k].recvSync() : "(nothing)",
        spec: (m: PipeSpec, k: 0 | 1) => m.poll(k) ? m.recv(k) : "(nothing)",
        spurious: ["timeout"],
      },
      // Approximate while calls are in flight: like getNowait, a poll passes over a slot an
      // earlier send reserved but has not filled (see the Queue's `spurious`).
      { name: "poll", args: end, call: (p: P, k: 0 | 1) => p[k].pollSync() },
      // Closing runs in the init and post parts only. A close concurrent with the other end's
      // calls is not linearizable: it sets the end's closed word and then closes the two queues,
      // so meanwhile a send from the other end can still succeed after a call on this end saw it
      // closed (T0: send(1, 4) → RuntimeError, send(0, 3) → ok; T1: close(1)). The checker found
      // it; Python's Pipe makes no promise there either.
      { name: "close", args: end, call: (p: P, k: 0 | 1) => p[k].close() },
      { name: "closed", args: end, call: (p: P, k: 0 | 1) => p[k].closed },
    ],
  });
});

Deno.test("a counter whose increment is a read and a write is not linearizable, shrunk to 2 threads", () => {
  class Counter {
    n = 0;
    inc(): number {
      return ++this.n;
    }
  }
  type V = Value<"i">;
  const r = checkLinearizability({
    setup: () => new Value("i", 0, { lock: false }),
    model: () => new Counter(),
    operations: [{
      name: "inc",
      *run(v: V) {
        const n = (yield* sim(v).get()) + 1;
        yield* sim(v).set(n);
        return n;
      },
    }],
    scenarios: 50,
  });
  assert.equal(r.ok, false);
  assert.equal(r.failure!.text, "T0: inc()\nT1: inc()");
  assert.match(r.failure!.message, /T0: inc\(\) → 1; T1: inc\(\) → 1/);
});
