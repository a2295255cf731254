/**
 * Users' producer/consumer code over the queue family and a `Pipe`, explored through the public
 * API (`sim(queue)`, `sim(connection)`): the ring and the lane (items larger than a slot, a full
 * ring, records already in the lane) as production runs them, `JoinableQueue`'s tasks,
 * `SimpleQueue`, and a pipe's two ends with close and EOF. Each protocol is proven, and a seeded
 * bug in it is found.
 */
import assert from "node:assert/strict";
import { type Connection, JoinableQueue, Pipe, Queue, SimpleQueue } from "../../mod.ts";
import { explore, type Report, sim } from "../../src/explore/mod.ts";
import * as K from "../../src/kernel/queue.ts";

/** Larger than a ring slot's payload: travels through the lane. */
const big = (n: number) => `${"x".repeat(80)}${n}`;

function proved(report: Report): void {
  assert.equal(report.failure, undefined, report.failure?.message);
  assert.ok(report.complete, "the search did not finish");
}

/** Every schedule with at most `bound` preemptions passed. */
function provedUpTo(bound: number, report: Report): void {
  assert.equal(report.failure, undefined, report.failure?.message);
  assert.equal(report.boundCompleted, bound);
}

/** An unbounded queue whose ring has 2 slots (as the queue tests make them): it fills quickly. */
function smallRing<T>(): Queue<T> {
  const made = new Queue<T>(2);
  new Int32Array(made.buffer, made.byteOffset, K.BYTES >> 2)[K.MAXSIZE] = 0;
  return Queue.from<T>({ buffer: made.buffer, byteOffset: made.byteOffset, heap: made.heap });
}

type Q<T> = { q: Queue<T> };

/** The user's consumer: takes `n` items with `get`; returns them joined. */
function takes<T>(n: number) {
  return function* consumer({ q }: Q<T>) {
    const got: T[] = [];
    for (let k = 0; k < n; k++) got.push(yield* sim(q).get());
    return got.join();
  };
}

Deno.test("sim(queue): a large item goes through the lane and a small one put after it comes out second, in every schedule", () => {
  proved(explore<Q<string>>({
    setup: () => ({ q: new Queue<string>() }),
    threads: [
      function* producer({ q }) {
        yield* sim(q).put(big(1));
        yield* sim(q).put("small");
      },
      takes(2),
    ],
    invariant: (_, [, got]) => got === `${big(1)},small`,
  }));
});

Deno.test("sim(queue): puts that find the ring full spill into the lane and keep their order, in every schedule with at most 1 preemption", () => {
  provedUpTo(
    1,
    explore<Q<number>>({
      setup: () => ({ q: smallRing<number>() }),
      threads: [
        function* producer({ q }) {
          for (const k of [1, 2, 3]) yield* sim(q).put(k);
        },
        takes(3),
      ],
      invariant: ({ q }, [, got]) => got === "1,2,3" && q.empty(),
    }, { preemptionBound: 1 }),
  );
});

Deno.test("sim(queue): a put of an item larger than the queue's maxBytes throws RangeError before any step", () => {
  const report = explore<Q<string>>({
    setup: () => ({ q: new Queue<string>(0, { maxBytes: 4096 }) }),
    threads: [function* ({ q }) {
      yield* sim(q).put("y".repeat(10_000));
    }],
  });
  assert.equal(report.failure?.kind, "error");
  assert.match(
    report.failure!.message,
    /RangeError: Cannot put an item on the queue: the item needs/,
  );
});

type J = { q: JoinableQueue<number>; done: Int32Array };

/** The user's JoinableQueue protocol: a worker processes items, the main thread joins. */
function joinable(early: boolean) {
  return {
    setup: (): J => ({
      q: new JoinableQueue<number>(),
      done: new Int32Array(new SharedArrayBuffer(4)),
    }),
    threads: [
      function* main({ q, done }: J) {
        yield* sim(q).put(1);
        yield* sim(q).put(2);
        yield* sim(q).join();
        return yield* sim(done).load(0); // items processed when join returned
      },
      function* worker({ q, done }: J) {
        for (let k = 0; k < 2; k++) {
          yield* sim(q).get();
          if (early) yield* sim(q).taskDone(); // the bug: done before the work
          yield* sim(done).add(0, 1);
          if (!early) yield* sim(q).taskDone();
        }
      },
    ],
    invariant: (_: J, [processed]: readonly unknown[]) => processed === 2,
  };
}

Deno.test("sim(joinableQueue): join returns only after every item was processed, in every schedule", () => {
  proved(explore(joinable(false)));
});

Deno.test("sim(joinableQueue): a worker that calls taskDone before its work lets join return early, and the explorer shows it", () => {
  const report = explore(joinable(true));
  assert.equal(report.failure?.kind, "invariant");
});

type SQ = { q: SimpleQueue<string> };

Deno.test("sim(simpleQueue): two producers' items, large and small, each arrive once and in each producer's order, in every schedule with at most 1 preemption", () => {
  provedUpTo(
    1,
    explore<SQ>({
      setup: () => ({ q: new SimpleQueue<string>() }),
      threads: [
        function* a({ q }) {
          yield* sim(q).put(big(1));
          yield* sim(q).put("a2");
        },
        function* b({ q }) {
          yield* sim(q).put("b1");
        },
        function* consumer({ q }) {
          const got: string[] = [];
          for (let k = 0; k < 3; k++) got.push(yield* sim(q).get());
          return got;
        },
      ],
      invariant: (_, [, , got]) => {
        const g = got as string[];
        return g.length === 3 && g.indexOf(big(1)) < g.indexOf("a2") && g.includes("b1");
      },
    }, { preemptionBound: 1 }),
  );
});

Deno.test("sim(simpleQueue): a consumer that checks empty() and then calls getNowait races with another and throws", () => {
  const report = explore<SQ>({
    setup: () => {
      const q = new SimpleQueue<string>();
      q.put("only");
      return { q };
    },
    threads: [0, 1].map(() =>
      function* consumer({ q }: SQ) {
        if (!(yield* sim(q).empty())) return yield* sim(q).getNowait(); // check-then-act
      }
    ),
  });
  assert.equal(report.failure?.kind, "error");
  assert.match(report.failure!.message, /QueueEmptyError/);
});

type P = { a: Connection<string>; b: Connection<string> };

/** The user's pipe protocol: the sender sends, then closes; the receiver reads until EOF. */
function pipe(closeFirst: boolean) {
  return {
    setup: (): P => {
      const [a, b] = Pipe<string>();
      return { a, b };
    },
    threads: [
      function* sender({ a }: P) {
        yield* sim(a).send("one");
        if (closeFirst) {
          yield* sim(a).close(); // the bug: closes before its last send
          yield* sim(a).send(big(2));
        } else {
          yield* sim(a).send(big(2));
          yield* sim(a).close();
        }
      },
      function* receiver({ b }: P) {
        const got: string[] = [];
        for (;;) {
          try {
            got.push(yield* sim(b).recv());
          } catch (error) {
            if ((error as Error).name === "EOFError") return got.join();
            throw error;
          }
        }
      },
    ],
    invariant: (_: P, [, got]: readonly unknown[]) => got === `one,${big(2)}`,
  };
}

Deno.test("sim(connection): everything sent before close is received, in order, then EOF, in every schedule with at most 2 preemptions", () => {
  provedUpTo(2, explore(pipe(false), { preemptionBound: 2 }));
});

Deno.test("sim(connection): a sender that closes before its last send is caught (RuntimeError on the closed end)", () => {
  const report = explore(pipe(true));
  assert.equal(report.failure?.kind, "error");
  assert.match(report.failure!.message, /Cannot send on a closed connection/);
});

Deno.test("sim(connection): a reply over a duplex pipe reaches the client, and the pipe words are named in traces", () => {
  const report = explore<P>({
    setup: () => {
      const [a, b] = Pipe<string>();
      return { a, b };
    },
    threads: [
      function* client({ a }) {
        yield* sim(a).send("ping");
        return yield* sim(a).recv({ timeout: 10 });
      },
      function* server({ b }) {
        yield* sim(b).send((yield* sim(b).recv()) === "ping" ? "pong" : "?");
      },
    ],
    invariant: (_, [reply]) => reply === "pong",
  });
  assert.equal(report.failure?.kind, "error"); // the client's timeout may fire first
  assert.equal((report.failure!.cause as Error).name, "TimeoutError");
  const addresses = new Set(report.failure!.trace.map((s) => s.address));
  assert.ok(addresses.has("a.outgoing.enq"), [...addresses].join());
  assert.ok(addresses.has("a.incoming.putSeq"), [...addresses].join());
});

Deno.test("sim(connection): a second close of an end returns only once the pipe is closed, so a send from the other end after it fails", () => {
  proved(explore<P>({
    setup: () => {
      const [a, b] = Pipe<string>();
      return { a, b };
    },
    threads: [
      function* closer({ a }) {
        yield* sim(a).close();
      },
      function* closesAgainThenSends({ a, b }) {
        yield* sim(a).close();
        try {
          yield* sim(b).send("late");
          return "sent";
        } catch (error) {
          return (error as Error).name;
        }
      },
    ],
    invariant: (_, [, outcome]) => outcome === "BrokenPipeError",
  }));
});

Deno.test("sim(connection): a poll racing with its own end's close returns false or throws, never true", () => {
  proved(explore<P>({
    setup: () => {
      const [a, b] = Pipe<string>();
      return { a, b };
    },
    threads: [
      function* poller({ a }) {
        try {
          return yield* sim(a).poll(10);
        } catch (error) {
          return (error as Error).name;
        }
      },
      function* closer({ a }) {
        yield* sim(a).close();
      },
    ],
    invariant: (_, [polled]) => polled === false || polled === "RuntimeError",
  }));
});
