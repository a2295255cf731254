/**
 * The public queue under the interleaving explorer: queues made by the public constructor; a
 * producer and a consumer through `sim(queue)` (the explorer's view of a `Queue`, ring only), and
 * everything the ring alone cannot carry (several consumers on a small ring, spills into the lane,
 * a heap that fills up) through `Channel`'s put and get as production runs them (the mirror in
 * `_queue_glue.ts`, checked against a real `Queue` below), on the production kernel's derived form.
 * Every interleaving of small scenarios (or thousands of sampled ones) is searched for lost,
 * duplicated or reordered items, deadlocks and lost wake-ups, at the sizes where queue bugs live:
 * 2-slot rings that wrap three or four times, producers that spill into the lane, a full heap.
 *
 * @module
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import { Queue, QueueClosedError, QueueEmptyError, QueueFullError } from "../../mod.ts";
import {
  explore,
  type Report,
  sample,
  type Scenario,
  sim,
  type ThreadBody,
} from "../../src/explore/mod.ts";
import { SIM } from "../../src/explore/_engine.ts";
import { ASYNC, type KernelGen, REAL } from "../../src/_atomics.ts";
import { encode, encodedLength } from "../../src/channel/_core.ts";
import * as K from "../../src/kernel/queue.ts";
import * as G from "../../src/kernel_gen/queue.ts";
import {
  close,
  getNowait,
  getSync,
  type Item,
  KERNEL,
  type Kernel,
  large,
  publicQueue,
  putNowait,
  putSync,
  type Region,
  runNow,
  small,
  view,
} from "./_queue_glue.ts";

interface Shared extends Region {
  /** [0]: producers finished. */
  done: Int32Array;
}

/** A fresh public queue for each execution (see `publicQueue`). */
function setup(maxsize: number, options: { ring?: number; maxBytes?: number } = {}): () => Shared {
  return () => ({
    ...publicQueue(maxsize, options).region,
    done: new Int32Array(new SharedArrayBuffer(4)),
  });
}

type Put = "putSync" | "putNowait";

/** A producer that puts `items` (by `how`), and closes the queue if it is the last to finish. */
function producer(items: readonly Item[], producers: number, how: Put, kernel?: Kernel) {
  return function* produce(shared: Shared): KernelGen<void> {
    const c = view(shared, kernel);
    for (const item of items) {
      const r = how === "putSync"
        ? yield* putSync(SIM, c, item, Infinity)
        : yield* putNowait(SIM, c, item);
      assert.equal(r, K.OK, `put of ${item.value}: status ${r}`);
    }
    if ((yield* SIM.add(shared.done, 0, 1)) === producers - 1) yield* close(SIM, c);
  };
}

/** A consumer that gets until the queue is closed and drained; returns what it got, in order. */
function consumer(kernel?: Kernel) {
  return function* drain(shared: Shared): KernelGen<number[]> {
    const c = view(shared, kernel);
    const got: number[] = [];
    for (;;) {
      const item = yield* getSync(SIM, c, Infinity);
      if (item === "closed") return got;
      assert.equal(typeof item, "number", `get: ${item}`);
      got.push(item as number);
    }
  };
}

/** Checks the items the consumers got: all sent, none twice, each producer's in order. */
function delivered(sent: readonly (readonly Item[])[], results: unknown[]): void {
  const all: number[] = [];
  for (const result of results) {
    if (!Array.isArray(result)) continue;
    const got = result as number[];
    for (const items of sent) {
      const values = items.map((item) => item.value);
      const mine = got.filter((x) => values.includes(x));
      assert.deepEqual(mine, values.filter((x) => mine.includes(x)), `order broken: ${got}`);
    }
    all.push(...got);
  }
  const want = sent.flat().map((item) => item.value);
  assert.deepEqual(all.sort(), want.sort(), `lost or duplicated: ${all}`);
}

/** Items `first`, `first + 1`, ... (`n` of them), small unless `isLarge(k)`. */
function items(first: number, n: number, isLarge: (k: number) => boolean = () => false): Item[] {
  return Array.from({ length: n }, (_, k) => isLarge(k) ? large(first + k) : small(first + k));
}

interface Plan {
  name: string;
  /** Each producer's items. */
  sent: Item[][];
  consumers: number;
  how: Put;
  /** The queue: by default an unbounded one with a 2-slot ring. */
  setup?: () => Shared;
}

function scenario(plan: Plan, kernel?: Kernel): Scenario<Shared> {
  const producers = plan.sent.length;
  const threads: ThreadBody<Shared>[] = [
    ...plan.sent.map((mine) => producer(mine, producers, plan.how, kernel)),
    ...Array.from({ length: plan.consumers }, () => consumer(kernel)),
  ];
  return {
    name: plan.name,
    setup: plan.setup ?? setup(0, { ring: 2 }),
    threads,
    invariant: ({ q }: Shared, results: unknown[]) => {
      delivered(plan.sent, results);
      const S = K.shape(q, q[K.SLOTS]!, q[K.MAXSIZE]!);
      assert.equal(K.size(REAL, S), 0, "the queue is empty at the end");
    },
  };
}

const spilling: Plan = {
  name: "2 spilling producers (putNowait) x 1 consumer, 2-slot ring, 6 items",
  sent: [items(1, 3), items(11, 3)],
  consumers: 1,
  how: "putNowait",
};

const mixed: Plan = {
  name: "1 producer of large and small items x 2 consumers, 2-slot ring",
  sent: [items(1, 5, (k) => k === 1)],
  consumers: 2,
  how: "putSync",
};

/** A heap that holds one large record at a time: the producer waits for room. */
const fullHeap: Plan = {
  name: "1 producer of large items x 1 consumer, heap of one record",
  sent: [[large(1, 3_000), small(2), large(3, 3_000), small(4), large(5, 3_000)]],
  consumers: 1,
  how: "putSync",
  setup: setup(0, { ring: 2, maxBytes: 4096 }),
};

function ok(report: Report): void {
  assert.ok(report.ok, report.failure?.render());
}

// ---------------------------------------------------------------------------------------------
// The ring, through the explorer's own view of a public Queue: sim(queue).put/get

type Ring = { queue: Queue<number>; done: Int32Array };

/** `sent[k]` put by producer k with `sim(queue).put`, drained by `consumers` consumers. */
function ring(sent: number[][], consumers: number, maxsize = 2): Scenario<Ring> {
  const producers = sent.length;
  return {
    name: `${producers} producers x ${consumers} consumers, maxsize ${maxsize}`,
    setup: () => ({
      queue: new Queue<number>(maxsize),
      done: new Int32Array(new SharedArrayBuffer(4)),
    }),
    threads: [
      ...sent.map((mine) =>
        function* produce({ queue, done }: Ring) {
          const q = sim(queue);
          for (const item of mine) yield* q.put(item);
          if ((yield* sim(done).add(0, 1)) === producers - 1) yield* q.close();
        }
      ),
      ...Array.from({ length: consumers }, () =>
        function* drain({ queue }: Ring) {
          const q = sim(queue);
          const got: number[] = [];
          for (;;) {
            try {
              got.push(yield* q.get());
            } catch (e) {
              if (e instanceof QueueClosedError) return got;
              throw e;
            }
          }
        }),
    ],
    invariant: (_: Ring, results: unknown[]) =>
      delivered(sent.map((values) => values.map(small)), results),
  };
}

const range = (first: number, n: number) => Array.from({ length: n }, (_, k) => first + k);

Deno.test("Queue (maxsize 2, a 2-slot ring): 1 producer and 1 consumer pass 6 items (3 laps) in order in every schedule with at most 1 preemption", () => {
  const report = explore(ring([range(1, 6)], 1), { preemptionBound: 1 });
  ok(report);
  assert.equal(report.boundCompleted, 1);
});

// ---------------------------------------------------------------------------------------------
// Several consumers, and the lane: through the mirror of Channel's glue (checked against a real
// Queue at the end). sim(queue) models the ring only, and with two consumers a 2-slot ring fills
// up even below its bound (a consumer still reading one slot while the other freed the count), so
// a put would go to the lane.

const twoByTwo: Plan = {
  name: "2 producers x 2 consumers, 2-slot ring, 3 items",
  sent: [items(11, 2), items(21, 1)],
  consumers: 2,
  how: "putSync",
};

Deno.test("Queue: 2 producers and 2 consumers on a 2-slot ring, 8 items (4 laps), pass 2,000 PCT-sampled schedules", () => {
  const report = sample(scenario({ ...twoByTwo, sent: [items(11, 4), items(21, 4)] }), {
    runs: 2_000,
    seed: 2024,
    strategy: "pct",
    depth: 3,
  });
  ok(report);
  assert.equal(report.executions, 2_000);
});

Deno.test("Queue: 1 producer and 2 consumers on a 2-slot ring deliver 6 items once each, in order, in every schedule with at most 1 preemption", () => {
  const report = explore(scenario({ ...twoByTwo, sent: [items(1, 6)] }), { preemptionBound: 1 });
  ok(report);
  assert.equal(report.boundCompleted, 1);
});

Deno.test("Queue: 2 producers and 2 consumers on a 2-slot ring deliver each item once, in order, in every schedule with at most 1 preemption", () => {
  const report = explore(scenario(twoByTwo), { preemptionBound: 1 });
  ok(report);
  assert.equal(report.boundCompleted, 1);
  assert.ok(report.executions > 10_000, `only ${report.executions} executions`);
});

Deno.test("Queue: producers that spill into the lane when the ring is full keep their order, in every schedule with at most 1 preemption", () => {
  const report = explore(scenario(spilling), { preemptionBound: 1 });
  ok(report);
  assert.equal(report.boundCompleted, 1);
});

Deno.test("Queue: small items queue up behind a large one in the lane and come out in order, in every schedule with at most 1 preemption", () => {
  const report = explore(scenario(mixed), { preemptionBound: 1 });
  ok(report);
});

Deno.test("Queue: a producer waiting for heap room is woken by the take that frees it, in every schedule with at most 2 preemptions", () => {
  const report = explore(scenario(fullHeap), { preemptionBound: 2 });
  ok(report);
  assert.equal(report.boundCompleted, 2);
});

Deno.test("Queue: a consumer that times out takes nothing and swallows no wake-up, in every schedule with at most 1 preemption", () => {
  const sent = [items(1, 3)];
  const report = explore({
    name: "1 producer, a draining consumer and a consumer that may time out",
    setup: setup(0, { ring: 2 }),
    threads: [
      producer(sent[0]!, 1, "putSync"),
      consumer(),
      function* impatient(shared: Shared): KernelGen<number[]> {
        const item = yield* getSync(SIM, view(shared), 1_000); // finite: the timeout is a choice
        return typeof item === "number" ? [item] : [];
      },
    ],
    invariant: (_: Shared, results: unknown[]) => delivered(sent, results),
  }, { preemptionBound: 1 });
  ok(report);
  assert.equal(report.boundCompleted, 1);
});

// ---------------------------------------------------------------------------------------------
// Mutants of single kernel functions, swapped into the mirror: each must be caught

/** One item handed from a producer to a consumer, with no close() to wake the consumer anyway. */
function handOne(kernel: Kernel): Scenario<Shared> {
  return {
    name: "one item, no close",
    setup: setup(0, { ring: 2 }),
    threads: [
      function* produce(shared: Shared): KernelGen<number> {
        return yield* putSync(SIM, view(shared, kernel), small(1), Infinity);
      },
      function* consume(shared: Shared): KernelGen<number | string> {
        return yield* getSync(SIM, view(shared, kernel), Infinity);
      },
    ],
  };
}

Deno.test("Queue mutant: a publish that forgets to wake consumers is caught as a deadlock", () => {
  function* lazyPublish(A: typeof SIM, S: K.Shape, p: number): KernelGen<void> {
    yield* A.store(S.q, K.slotWord(S, p), (p + 1) & K.MASK); // no wakeConsumers
  }
  const report = explore(handOne({ ...KERNEL, publish: lazyPublish }));
  assert.equal(report.failure?.kind, "deadlock", report.failure?.render());
});

Deno.test("Queue mutant: a lane take that wakes no producer leaves the one waiting for heap room asleep", () => {
  function* silentTaken(A: typeof SIM, S: K.Shape): KernelGen<void> {
    if (S.maxsize > 0) yield* A.sub(S.q, K.COUNT, 1);
  }
  const report = explore(scenario(fullHeap, { ...KERNEL, taken: silentTaken }), {
    preemptionBound: 2,
  });
  assert.equal(report.failure?.kind, "deadlock", report.failure?.render());
});

Deno.test("Queue mutant: a lane pop that trusts the consumer's stale look at the ring reorders a producer's items", () => {
  function* stalePop(A: typeof SIM, S: K.Shape): KernelGen<number> {
    if ((yield* A.load(S.q, K.LANE_ITEMS)) === 0) return K.EMPTY;
    yield* A.sub(S.q, K.LANE_ITEMS, 1);
    return yield* A.load(S.q, K.LANE_TAIL);
  }
  const report = explore(scenario(spilling, { ...KERNEL, lanePop: stalePop }), {
    preemptionBound: 2,
  });
  assert.equal(report.failure?.kind, "invariant", report.failure?.render());
  assert.match(String(report.failure?.message), /order broken/);
});

Deno.test("Queue mutant: a consumer that sleeps without announcing itself on the event word is never woken", () => {
  function* silentClaim(A: typeof SIM, S: K.Shape, deadline: number): KernelGen<number> {
    for (;;) {
      const p = yield* G.tryClaim(A, S);
      if (p !== K.EMPTY) return p;
      const w = yield* A.load(S.q, K.PUT_SEQ); // no prepareWait: bit 0 stays clear
      const again = yield* G.tryClaim(A, S);
      if (again !== K.EMPTY) return again;
      yield* A.wait(S.q, K.PUT_SEQ, w, deadline);
    }
  }
  const report = explore(handOne({ ...KERNEL, claim: silentClaim }));
  assert.equal(report.failure?.kind, "deadlock", report.failure?.render());
});

// ---------------------------------------------------------------------------------------------
// The mirror is the public queue: the same operations leave the same shared words

type Op =
  | { op: "putNowait"; k: number; large: boolean }
  | { op: "putSync0"; k: number; large: boolean }
  | { op: "getNowait" }
  | { op: "getSync0" }
  | { op: "close" };

const op: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({
      op: fc.constant("putNowait" as const),
      k: fc.nat(999),
      large: fc.boolean(),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      op: fc.constant("putSync0" as const),
      k: fc.nat(999),
      large: fc.boolean(),
    }),
  },
  { weight: 4, arbitrary: fc.constant({ op: "getNowait" as const }) },
  { weight: 2, arbitrary: fc.constant({ op: "getSync0" as const }) },
  { weight: 1, arbitrary: fc.constant({ op: "close" as const }) },
);

/**
 * The words both must agree on: positions, event words, counts, the lane, every slot's sequence
 * number.
 */
function kernelWords(q: Int32Array): number[] {
  const fields = [
    K.ENQ,
    K.DEQ,
    K.PUT_SEQ,
    K.SPACE_SEQ,
    K.SLOT_SEQ,
    K.COUNT,
    K.UNFINISHED,
    K.LANE_LOCK + 1,
    K.LANE_HEAD,
    K.LANE_TAIL,
    K.LANE_ITEMS,
    K.LANE_CAP,
  ];
  const S = K.shape(q, q[K.SLOTS]!, q[K.MAXSIZE]!);
  for (let p = 0; p <= S.mask; p++) fields.push(K.slotWord(S, p));
  return fields.map((i) => q[i]!);
}

/** The item the public queue carries for `k`: a number, or a string long enough for the lane. */
function valueOf(k: number, isLarge: boolean): number | string {
  return isLarge ? `${k}:${"x".repeat(150 + k)}` : k;
}

function identity(value: unknown): number {
  return typeof value === "string" ? Number(value.split(":")[0]) : value as number;
}

/** What a public queue operation did, in the mirror's terms. */
function outcome(f: () => unknown): number | string {
  try {
    const v = f();
    return v === undefined ? "ok" : identity(v);
  } catch (e) {
    if (e instanceof QueueClosedError) return "closed";
    if (e instanceof QueueEmptyError) return "empty";
    if (e instanceof QueueFullError) return "full";
    if ((e as Error).name === "TimeoutError") return "timed out";
    throw e;
  }
}

function status(r: number): string {
  return r === K.OK ? "ok" : r === K.CLOSED ? "closed" : r === K.FULL ? "full" : "timed out";
}

Deno.test("the mirror the explorer runs does what the public Queue does: the same results and shared words after every operation", () => {
  fc.assert(
    fc.property(
      fc.constantFrom(0, 1, 2, 3),
      fc.constantFrom(2, 4),
      fc.array(op, { maxLength: 80 }),
      (maxsize, ring, script) => {
        const real = publicQueue(maxsize, { ring, maxBytes: 4096 }).queue;
        const mirrored = publicQueue(maxsize, { ring, maxBytes: 4096 }).region;
        const c = view(mirrored);
        const words = new Int32Array(real.buffer, real.byteOffset, mirrored.q.length);
        for (const [n, step] of script.entries()) {
          let expected: number | string;
          let actual: number | string;
          if (step.op === "putNowait" || step.op === "putSync0") {
            const value = valueOf(step.k, step.large);
            encode("put an item on the queue", value, 4096);
            const item = { value: step.k, length: encodedLength };
            if (step.op === "putNowait") {
              expected = outcome(() => real.putNowait(value));
              actual = status(runNow(putNowait(ASYNC, c, item)));
            } else {
              expected = outcome(() => real.putSync(value, { timeout: 0 }));
              actual = status(runNow(putSync(ASYNC, c, item, performance.now())));
            }
          } else if (step.op === "getNowait") {
            expected = outcome(() => real.getNowait());
            actual = runNow(getNowait(ASYNC, c));
          } else if (step.op === "getSync0") {
            expected = outcome(() => real.getSync({ timeout: 0 }));
            actual = runNow(getSync(ASYNC, c, performance.now()));
          } else {
            expected = outcome(() => real.close());
            runNow(close(ASYNC, c));
            actual = "ok";
          }
          assert.deepEqual(actual, expected, `step ${n} (${JSON.stringify(step)})`);
          assert.deepEqual(kernelWords(mirrored.q), kernelWords(words), `words after step ${n}`);
        }
      },
    ),
    { numRuns: 300, seed: 18 },
  );
});
