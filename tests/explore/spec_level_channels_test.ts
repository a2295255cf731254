/**
 * The queue family and `Pipe` at the specification level: each `sim(queue)` / `sim(connection)`
 * operation is one atomic step of `QueueSpec`, applied to memory by production code. Its proofs must
 * reach exactly the outcomes the kernel level reaches, in far fewer executions, and leave the
 * objects' memory as production would.
 */
import assert from "node:assert/strict";
import {
  type Connection,
  EOFError,
  JoinableQueue,
  Pipe,
  Queue,
  QueueClosedError,
  SimpleQueue,
} from "../../mod.ts";
import { explore, sim, specLevel } from "../../src/explore/mod.ts";
import { sameAtBothLevels } from "./_complete.ts";

type Q = { q: Queue<number> };

function* producer({ q }: Q) {
  yield* sim(q).put(1);
  yield* sim(q).put(2);
}

/** Runs `step`: what it returns, or the name of the error it throws (`"QueueFullError"`). */
function* orError<T>(
  step: Generator<unknown, T, unknown>,
): Generator<unknown, T | string, unknown> {
  try {
    return yield* step;
  } catch (error) {
    return (error as Error).name;
  }
}

/** Takes items until the queue is closed and drained; returns them joined. */
function* drainer({ q }: Q) {
  const got: number[] = [];
  for (;;) {
    try {
      got.push(yield* sim(q).get());
    } catch (error) {
      if (error instanceof QueueClosedError) return got.join();
      throw error;
    }
  }
}

Deno.test("a full queue's producer and an empty queue's consumer wait for each other, the same at both levels", () => {
  const got = sameAtBothLevels<Q>({
    setup: () => ({ q: new Queue<number>(1) }),
    threads: [producer, function* ({ q }: Q) {
      return [yield* sim(q).get(), yield* sim(q).get()].join();
    }],
  }, ({ q }, results) => [results[1], q.qsize()]);
  assert.deepEqual(got, ['["1,2",0]']);
});

Deno.test("closing a queue: a put after it fails, and a consumer drains it, then QueueClosedError, the same at both levels", () => {
  const got = sameAtBothLevels<Q>({
    setup: () => ({ q: new Queue<number>() }),
    threads: [
      function* ({ q }: Q) {
        yield* sim(q).put(1);
        yield* sim(q).close();
      },
      function* (shared: Q) {
        const put = (yield* orError(sim(shared.q).put(2))) ?? "put";
        return `${put}: ${yield* drainer(shared)}`;
      },
    ],
  }, ({ q }, results) => [results[1], q.qsize(), q.closed]);
  assert.deepEqual(got, [
    '["QueueClosedError: 1",0,true]',
    '["put: 1,2",0,true]',
    '["put: 2,1",0,true]',
  ]);
});

Deno.test("putNowait and getNowait on a full or empty queue fail the same way at both levels", () => {
  const got = sameAtBothLevels<Q>({
    setup: () => ({ q: new Queue<number>(1) }),
    threads: [
      function* ({ q }: Q) {
        const said: string[] = [];
        for (const n of [1, 2]) said.push((yield* orError(sim(q).putNowait(n))) ?? `put ${n}`);
        return said.join();
      },
      function* ({ q }: Q) {
        return yield* orError(sim(q).getNowait());
      },
    ],
  }, ({ q }, results) => [...results, q.qsize()]);
  assert.deepEqual(got, [
    '["put 1,QueueFullError","QueueEmptyError",1]',
    '["put 1,QueueFullError",1,0]',
    '["put 1,put 2",1,1]',
  ]);
});

Deno.test("a timed get either gets the item or times out, the same at both levels", () => {
  const got = sameAtBothLevels<Q>({
    setup: () => ({ q: new Queue<number>() }),
    threads: [
      function* ({ q }: Q) {
        yield* sim(q).put(7);
      },
      function* ({ q }: Q) {
        return yield* orError(sim(q).get({ timeout: 5 }));
      },
    ],
  }, ({ q }, results) => [results[1], q.qsize()]);
  assert.deepEqual(got, ['["TimeoutError",1]', "[7,0]"]);
});

Deno.test("JoinableQueue: join returns only once every task is done, at both levels", () => {
  type J = { q: JoinableQueue<number>; done: number[] };
  const got = sameAtBothLevels<J>({
    setup: () => ({ q: new JoinableQueue<number>(), done: [] }),
    threads: [
      function* ({ q }: J) {
        yield* sim(q).put(1);
        yield* sim(q).join();
        return "joined";
      },
      function* ({ q, done }: J) {
        done.push(yield* sim(q).get());
        yield* sim(q).taskDone();
      },
    ],
    invariant: ({ done }, results) => results[0] !== "joined" || done.length === 1,
  }, (_, results) => results);
  assert.deepEqual(got, ['["joined",null]']);
});

Deno.test("items put before the threads start are taken as themselves, and a SimpleQueue keeps each producer's order", () => {
  type S = { q: SimpleQueue<string> };
  const got = sameAtBothLevels<S>({
    setup: () => {
      const q = new SimpleQueue<string>();
      q.put("first");
      return { q };
    },
    threads: [
      function* ({ q }: S) {
        yield* sim(q).put("a1");
        yield* sim(q).put("a2");
      },
      function* ({ q }: S) {
        return [yield* sim(q).get(), yield* sim(q).get()].join();
      },
    ],
    invariant: (_, results) => results[1] === undefined || results[1] === "first,a1",
  }, ({ q }, results) => [results[1], q.empty()]);
  assert.deepEqual(got, ['["first,a1",false]']);
});

type P = { a: Connection<number>; b: Connection<number> };

Deno.test("a pipe: what is sent before close arrives, then EOF, and a send to a closed end is refused, at both levels", () => {
  const got = sameAtBothLevels<P>({
    setup: () => {
      const [a, b] = Pipe<number>();
      return { a, b };
    },
    threads: [
      function* ({ a }: P) {
        yield* sim(a).send(1);
        yield* sim(a).close();
      },
      function* ({ b }: P) {
        const got: number[] = [];
        for (;;) {
          try {
            got.push(yield* sim(b).recv());
          } catch (error) {
            if (!(error instanceof EOFError)) throw error;
            break;
          }
        }
        return `${got} ${(yield* orError(sim(b).send(3))) ?? "sent"}`;
      },
    ],
  }, (_, results) => results[1]);
  // Production's close marks the end, then closes the direction it sends to, then the one it
  // receives from: between the two, the other end has seen EOF and can still send.
  assert.deepEqual(got, ['"1 BrokenPipeError"', '"1 sent"']);
});

Deno.test("a pipe's poll racing with a send sees the value or times out, at both levels", () => {
  const got = sameAtBothLevels<P>({
    setup: () => {
      const [a, b] = Pipe<number>();
      return { a, b };
    },
    threads: [
      function* ({ a }: P) {
        yield* sim(a).send(1);
      },
      function* ({ b }: P) {
        return [yield* sim(b).poll(), yield* sim(b).poll(5)];
      },
    ],
  }, (_, results) => results[1]);
  assert.deepEqual(got, ["[false,false]", "[false,true]", "[true,true]"]);
});

/**
 * The orders of two producers' `a` and `b` puts and a consumer's `c` gets in which no get finds the
 * queue empty (a get that would is blocked, not a step).
 */
function orders(a: number, b: number, c: number, items = 0): number {
  if (a + b + c === 0) return 1;
  return (a > 0 ? orders(a - 1, b, c, items + 1) : 0) +
    (b > 0 ? orders(a, b - 1, c, items + 1) : 0) +
    (c > 0 && items > 0 ? orders(a, b, c - 1, items - 1) : 0);
}

Deno.test("at the specification level the queue's proof takes one execution per order of its operations that can happen", () => {
  const scenario = {
    setup: () => ({ q: new Queue<number>() }),
    threads: [producer, producer, function* ({ q }: Q) {
      return [yield* sim(q).get(), yield* sim(q).get(), yield* sim(q).get()].join();
    }],
  };
  const spec = explore(scenario, { level: "spec" });
  assert.ok(spec.ok && spec.complete, spec.summary);
  assert.equal(spec.executions, orders(2, 2, 3));
  // The kernel level has not finished after 10 times as many.
  const kernel = explore(scenario, { level: "kernel", maxExecutions: 10 * spec.executions });
  assert.ok(kernel.ok && !kernel.complete, kernel.summary);
});

Deno.test("specLevel(queue) puts one queue at the specification level: its put is one step, and its memory holds the item", () => {
  type S = { q: Queue<number> };
  const run = (spec: boolean) =>
    explore<S>({
      setup: () => ({ q: spec ? specLevel(new Queue<number>(2)) : new Queue<number>(2) }),
      threads: [function* ({ q }: S) {
        yield* sim(q).put(1);
      }],
      invariant: ({ q }) => q.qsize() === 1 && q.getNowait() === 1,
    }, { reset: "setup" });
  const spec = run(true);
  const kernel = run(false);
  assert.ok(spec.ok && spec.complete, spec.failure?.message);
  assert.ok(kernel.ok && kernel.complete, kernel.failure?.message);
  assert.equal(spec.steps, 1);
  assert.ok(kernel.steps > 1, `${kernel.steps} kernel steps`);
});

Deno.test("at the specification level a check-then-put race on a bounded queue is found, with the user's calls in the trace", () => {
  const report = explore<Q>({
    setup: () => ({ q: new Queue<number>(1) }),
    threads: [1, 2].map((n) =>
      function* ({ q }: Q) {
        if (!(yield* sim(q).full())) yield* sim(q).putNowait(n);
      }
    ),
  }, { level: "spec" });
  assert.equal(report.ok, false);
  assert.match(report.failure!.message, /QueueFullError/);
  // The checks are two steps and the puts two more: both checks first is the failing order.
  assert.deepEqual(report.failure!.trace.map((s) => s.text), [
    "full q → false",
    "full q → false",
    "putNowait q ← 2",
    "putNowait q ← 1: throws QueueFullError",
  ]);
});
