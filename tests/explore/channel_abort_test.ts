/**
 * `abortable` waits on the queue family and on pipe connections under the explorer: as with the
 * other wrappers, "the signal fires" is a scheduling choice while the call sleeps; the call then
 * throws an `AbortError` and takes or puts nothing, and its abort wakes every other waiter of the
 * word it slept on (as `src/_async.ts` does), so nobody else is left asleep.
 */
import assert from "node:assert/strict";
import { type Connection, JoinableQueue, Pipe, Queue } from "../../mod.ts";
import { explore, type ExploreOptions, type Scenario, sim } from "../../src/explore/mod.ts";
import { endsBy } from "./_cases.ts";

/** Proves `scenario` in every interleaving; returns each distinct tuple of thread results. */
function outcomes<S>(scenario: Scenario<S>, options?: ExploreOptions): string[] {
  const seen = new Set<string>();
  const check = scenario.invariant;
  const report = explore({
    ...scenario,
    invariant: (shared: S, results: unknown[]) => {
      seen.add(results.join(" / "));
      return check ? check(shared, results) : true;
    },
  }, options);
  assert.equal(report.failure, undefined, report.failure?.message);
  const bound = options?.preemptionBound;
  if (bound === undefined) assert.ok(report.complete, report.summary);
  else assert.equal(report.boundCompleted, bound, report.summary);
  return [...seen].sort();
}

type Q = { q: Queue<number> };
type J = { q: JoinableQueue<number> };
type P = { a: Connection<number>; b: Connection<number> };

Deno.test("sim(queue): an aborted get takes no item, and the item waits for the next get, in every interleaving", () => {
  const got = outcomes<Q>({
    setup: () => ({ q: new Queue<number>() }),
    threads: [
      function* aborter({ q }: Q) {
        return yield* endsBy("abort", sim(q).get({ abortable: true }), "took");
      },
      function* producer({ q }: Q) {
        yield* sim(q).put(1);
      },
    ],
    invariant: ({ q }, [aborter]) => q.qsize() === (aborter === "aborted" ? 1 : 0),
  });
  assert.deepEqual(got, ["aborted / ", "took / "]);
});

Deno.test("sim(queue): an aborted get passes on the wake-up meant for another consumer, in every interleaving with up to 2 preemptions", () => {
  const got = outcomes<Q>({
    setup: () => ({ q: new Queue<number>() }),
    threads: [
      function* aborter({ q }: Q) {
        return yield* endsBy("abort", sim(q).get({ abortable: true }), "took");
      },
      function* consumer({ q }: Q) {
        return yield* sim(q).get();
      },
      function* producer({ q }: Q) {
        yield* sim(q).put(1);
        yield* sim(q).put(2);
      },
    ],
  }, { preemptionBound: 2 });
  assert.ok(got.some((r) => r.startsWith("aborted")), got.join("; "));
  assert.ok(got.some((r) => r.startsWith("took")), got.join("; "));
});

Deno.test("sim(queue): an aborted put on a full queue puts nothing, in every interleaving", () => {
  const got = outcomes<Q>({
    setup: () => {
      const q = new Queue<number>(1);
      q.putNowait(0);
      return { q };
    },
    threads: [
      function* aborter({ q }: Q) {
        return yield* endsBy("abort", sim(q).put(1, { abortable: true }), "put");
      },
      function* consumer({ q }: Q) {
        return yield* sim(q).get();
      },
    ],
    invariant: ({ q }, [aborter]) => q.qsize() === (aborter === "aborted" ? 0 : 1),
  });
  assert.deepEqual(got, ["aborted / 0", "put / 0"]);
});

Deno.test("sim(joinableQueue): an aborted join returns early with an AbortError, in every interleaving", () => {
  const got = outcomes<J>({
    setup: () => {
      const q = new JoinableQueue<number>();
      q.putNowait(1);
      return { q };
    },
    threads: [
      function* joiner({ q }: J) {
        return yield* endsBy("abort", sim(q).join({ abortable: true }), "joined");
      },
      function* worker({ q }: J) {
        yield* sim(q).get();
        yield* sim(q).taskDone();
      },
    ],
  });
  assert.deepEqual(got, ["aborted / ", "joined / "]);
});

Deno.test("sim(connection): an aborted recv receives nothing, and the value waits for the next recv, in every interleaving", () => {
  const got = outcomes<P>({
    setup: () => {
      const [a, b] = Pipe<number>();
      return { a, b };
    },
    threads: [
      function* receiver({ b }: P) {
        return yield* endsBy("abort", sim(b).recv({ abortable: true }), "received");
      },
      function* sender({ a }: P) {
        yield* sim(a).send(7);
      },
    ],
    invariant: ({ b }, [receiver]) => b.pollSync() === (receiver === "aborted"),
  });
  assert.deepEqual(got, ["aborted / ", "received / "]);
});

Deno.test("sim(connection): an abortable poll returns true once a value is there, or throws an AbortError", () => {
  const got = outcomes<P>({
    setup: () => {
      const [a, b] = Pipe<number>();
      return { a, b };
    },
    threads: [
      function* poller({ b }: P) {
        try {
          return String(yield* sim(b).poll(10, { abortable: true }));
        } catch (e) {
          assert.equal((e as Error).name, "AbortError");
          return "aborted";
        }
      },
      function* sender({ a }: P) {
        yield* sim(a).send(7);
      },
    ],
  });
  // (An abortable sleep has no timeout choice of its own: the signal stands for both.)
  assert.deepEqual(got, ["aborted / ", "true / "]);
});
