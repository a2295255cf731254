/**
 * The queue kernel under the interleaving explorer: the production ring algorithm
 * (`src/kernel/queue.ts`, derived generator form) run by virtual threads, every interleaving of
 * small scenarios searched for lost, duplicated or reordered items, deadlocks and lost wake-ups.
 *
 * @module
 */
import assert from "node:assert/strict";
import { explore, sample, type Scenario, type ThreadBody } from "../../src/explore/mod.ts";
import { SIM } from "../../src/explore/_engine.ts";
import { type KernelGen, REAL } from "../../src/_atomics.ts";
import { allocate, TAG } from "../../src/_region.ts";
import * as K from "../../src/kernel/queue.ts";
import * as G from "../../src/kernel_gen/queue.ts";

interface Shared {
  S: K.Shape;
  /** [0]: producers finished. */
  done: Int32Array;
  /** Stand-in for the heap: the record at lane position `pos` is `lane[pos >> 3]` (8 bytes each). */
  lane: Int32Array;
}

/** Lane capacity in the scenarios (bytes; never grown). */
const LANE_BYTES = 256;

/** A fresh queue region with a ring of `slots` slots and bound `maxsize` (0: unbounded). */
function setup(slots: number, maxsize = 0, laneBytes = LANE_BYTES): () => Shared {
  return () => {
    const q = allocate(TAG.Queue, K.BYTES + slots * K.SLOT_BYTES);
    q[K.SLOTS] = slots;
    q[K.MAXSIZE] = maxsize;
    q[K.FLAVOUR] = K.QUEUE;
    const S = K.shape(q, slots, maxsize);
    for (let k = 0; k < slots; k++) q[K.slotWord(S, k)] = k;
    q[K.LANE_CAP] = laneBytes;
    return {
      S,
      done: new Int32Array(new SharedArrayBuffer(4)),
      lane: new Int32Array(new SharedArrayBuffer(LANE_BYTES / 2)),
    };
  };
}

/**
 * Gives each thread its own Shape over the shared region, as each real thread has its own
 * `Channel`: a Shape carries the thread's private ENQ/DEQ guesses (`enqHint`, `deqHint`), which the
 * explorer must not see shared between virtual threads (it freezes the scenario's objects).
 */
function perThread(threads: ThreadBody<Shared>[]): ThreadBody<Shared>[] {
  return threads.map((body) => {
    const own = function* (shared: Shared, id: number) {
      const { q, mask, maxsize } = shared.S;
      return yield* body({ ...shared, S: K.shape(q, mask + 1, maxsize) }, id);
    };
    Object.defineProperty(own, "name", { value: body.name });
    return own;
  });
}

/** A put through the ring, as Channel does it (waiting for a slot or for room; no lane). */
function* put({ S }: Shared, item: number): KernelGen<void> {
  if (S.maxsize > 0) assert.equal(yield* G.count(SIM, S, Infinity), K.OK);
  for (;;) {
    const p = yield* G.tryReserve(SIM, S);
    if (p >= 0) {
      yield* SIM.store(S.q, K.slotWord(S, p) + 1, item); // the record
      yield* G.publish(SIM, S, p);
      return;
    }
    assert.equal(p, K.FULL, `unexpected reserve status ${p}`);
    yield* G.waitSlot(SIM, S, Infinity);
  }
}

/** A get through the ring: the item, or the status (CLOSED, TIMED_OUT). */
function* get({ S }: Shared, deadline: number): KernelGen<number | string> {
  const p = yield* G.claim(SIM, S, deadline);
  if (p === K.CLOSED) return "closed";
  if (p === K.TIMED_OUT) return "timed out";
  assert.ok(p >= 0, `unexpected claim status ${p}`);
  const item = yield* SIM.load(S.q, K.slotWord(S, p) + 1);
  yield* G.release(SIM, S, p);
  return item;
}

/** The last producer to finish closes the queue. */
function* finish(shared: Shared, producers: number): KernelGen<void> {
  if ((yield* SIM.add(shared.done, 0, 1)) === producers - 1) yield* G.close(SIM, shared.S);
}

function producer(items: number[], producers: number) {
  return function* produce(shared: Shared): KernelGen<void> {
    for (const item of items) yield* put(shared, item);
    yield* finish(shared, producers);
  };
}

function* drain(shared: Shared): KernelGen<number[]> {
  const got: number[] = [];
  for (;;) {
    const item = yield* get(shared, Infinity);
    if (item === "closed") return got;
    got.push(item as number);
  }
}

/** Checks the items each consumer got: all sent, none twice, each producer's in order. */
function delivered(sent: number[][], results: unknown[]): void {
  const all: number[] = [];
  for (const result of results) {
    if (!Array.isArray(result)) continue;
    const got = result as number[];
    for (const items of sent) {
      const mine: number[] = got.filter((x) => items.includes(x));
      assert.deepEqual(mine, items.filter((x) => mine.includes(x)), `order broken: ${got}`);
    }
    all.push(...got);
  }
  assert.deepEqual(all.sort(), sent.flat().sort(), `lost or duplicated: ${all}`);
}

function twoByTwo(): Scenario<Shared> {
  const sent = [[11, 12], [21]];
  return {
    name: "2 producers x 2 consumers, ring of 2",
    setup: setup(2),
    threads: perThread([producer(sent[0]!, 2), producer(sent[1]!, 2), drain, drain]),
    invariant: ({ S }: Shared, results: unknown[]) => {
      delivered(sent, results);
      assert.equal(K.size(REAL, S), 0);
    },
  };
}

Deno.test("Queue ring kernel: 2 producers and 2 consumers on a 2-slot ring deliver each item once, in order, in every schedule with at most 1 preemption", () => {
  const report = explore(twoByTwo(), { preemptionBound: 1 });
  assert.ok(report.ok, report.failure?.render());
  assert.equal(report.boundCompleted, 1);
  assert.ok(report.executions > 10_000, `only ${report.executions} executions`);
});

Deno.test("Queue ring kernel: 2 producers and 2 consumers on a 2-slot ring pass 20,000 PCT-sampled schedules", () => {
  const report = sample(twoByTwo(), { runs: 20_000, seed: 2024, strategy: "pct", depth: 3 });
  assert.ok(report.ok, report.failure?.render());
  assert.equal(report.executions, 20_000);
});

Deno.test("Queue ring kernel: a full ring makes the producer wait for a slot and nothing is lost, in every schedule with at most 3 preemptions", () => {
  const sent = [[1, 2, 3]];
  const report = explore({
    name: "1 producer x 1 consumer, ring of 2, 3 items",
    setup: setup(2),
    threads: perThread([producer(sent[0]!, 1), drain]),
    invariant: (_: Shared, results: unknown[]) => delivered(sent, results),
  }, { preemptionBound: 3 });
  assert.ok(report.ok, report.failure?.render());
  assert.equal(report.boundCompleted, 3);
});

Deno.test("Queue ring kernel: a consumer that times out takes nothing and swallows no wake-up", () => {
  const sent = [[1, 2]];
  const report = explore({
    name: "1 producer, a draining consumer and a consumer that may time out",
    setup: setup(2),
    threads: perThread([
      producer(sent[0]!, 1),
      drain,
      function* impatient(shared: Shared): KernelGen<number[]> {
        const item = yield* get(shared, 1_000); // a finite deadline: the timeout is a choice
        return typeof item === "number" ? [item] : [];
      },
    ]),
    invariant: (_: Shared, results: unknown[]) => delivered(sent, results),
  }, { preemptionBound: 2 });
  assert.ok(report.ok, report.failure?.render());
});

Deno.test("Queue ring kernel: a bounded queue (maxsize 1) blocks producers without deadlock or loss", () => {
  const sent = [[1, 2], [3]];
  const report = sample({
    name: "bounded queue, maxsize 1, 2 producers x 1 consumer",
    setup: setup(2, 1),
    threads: perThread([producer(sent[0]!, 2), producer(sent[1]!, 2), drain]),
    invariant: (_: Shared, results: unknown[]) => delivered(sent, results),
  }, { runs: 3_000, seed: 7 });
  assert.ok(report.ok, report.failure?.render());
});

Deno.test("Queue ring kernel mutant: a publish that forgets to wake consumers is caught as a deadlock", () => {
  function* lazyPut({ S }: Shared, item: number): KernelGen<void> {
    for (;;) {
      const p = yield* G.tryReserve(SIM, S);
      if (p >= 0) {
        yield* SIM.store(S.q, K.slotWord(S, p) + 1, item);
        yield* SIM.store(S.q, K.slotWord(S, p), (p + 1) & K.MASK); // publish without wakeConsumers
        return;
      }
      yield* G.waitSlot(SIM, S, Infinity);
    }
  }
  const report = explore({
    name: "mutant: no wake-up on publish",
    setup: setup(2),
    threads: perThread([
      function* produce(shared: Shared): KernelGen<void> {
        yield* lazyPut(shared, 1);
      },
      function* consume(shared: Shared): KernelGen<number | string> {
        return yield* get(shared, Infinity);
      },
    ]),
  });
  assert.equal(report.failure?.kind, "deadlock", report.failure?.render());
});

// ---------------------------------------------------------------------------------------------
// Both lanes: a producer spills into the lane when the ring is full (as putNowait does)

/** A put that spills into the lane when the ring is full or the lane is in use. */
function* putOrSpill({ S, lane }: Shared, item: number): KernelGen<void> {
  const p = yield* G.tryReserve(SIM, S);
  if (p >= 0) {
    yield* SIM.store(S.q, K.slotWord(S, p) + 1, item);
    yield* G.publish(SIM, S, p);
    return;
  }
  assert.ok(p === K.LANE || p === K.FULL, `unexpected reserve status ${p}`);
  yield* G.laneLock(SIM, S);
  const pos = yield* G.laneReserve(SIM, S, 8);
  assert.ok(pos >= 0, `unexpected lane status ${pos}`);
  yield* SIM.store(lane, (pos & (LANE_BYTES - 1)) >> 3, item); // the record
  yield* G.laneCommit(SIM, S);
  yield* G.laneUnlock(SIM, S);
  yield* G.wakeConsumers(SIM, S);
}

type Pop = (A: typeof SIM, S: K.Shape) => KernelGen<number>;
type Taken = (A: typeof SIM, S: K.Shape) => KernelGen<void>;

/** A get from either lane, as Channel does it; `pop` is the lane pop under test. */
function* getEither(
  { S, lane }: Shared,
  pop: Pop,
  taken: Taken = G.taken,
): KernelGen<number | string> {
  for (;;) {
    const p = yield* G.claim(SIM, S, Infinity);
    if (p >= 0) {
      const item = yield* SIM.load(S.q, K.slotWord(S, p) + 1);
      yield* G.release(SIM, S, p);
      return item;
    }
    if (p === K.CLOSED) return "closed";
    assert.equal(p, K.LANE, `unexpected claim status ${p}`);
    yield* G.laneLock(SIM, S);
    const pos = yield* pop(SIM, S);
    let item = 0;
    if (pos >= 0) {
      item = yield* SIM.load(lane, (pos & (LANE_BYTES - 1)) >> 3);
      yield* G.laneFree(SIM, S, 8);
    }
    yield* G.laneUnlock(SIM, S);
    if (pos >= 0) {
      yield* taken(SIM, S);
      return item;
    }
  }
}

/** Gets from either lane until the queue is closed and drained; returns the items in order. */
function* drainEither(shared: Shared, pop: Pop, taken: Taken = G.taken): KernelGen<number[]> {
  const got: number[] = [];
  for (;;) {
    const item = yield* getEither(shared, pop, taken);
    if (item === "closed") return got;
    got.push(item as number);
  }
}

/**
 * A put that spills into the lane like {@linkcode putOrSpill}, but whose lane holds only
 * `laneBytes` (never grown): when it is full, the producer sleeps in waitRoom until a consumer
 * frees room, as a put into a queue whose heap reached `maxBytes` does.
 */
function* putOrWaitRoom({ S, lane }: Shared, item: number, laneBytes: number): KernelGen<void> {
  for (;;) {
    const p = yield* G.tryReserve(SIM, S);
    if (p >= 0) {
      yield* SIM.store(S.q, K.slotWord(S, p) + 1, item);
      yield* G.publish(SIM, S, p);
      return;
    }
    yield* G.laneLock(SIM, S);
    const pos = yield* G.laneReserve(SIM, S, 8);
    if (pos >= 0) {
      yield* SIM.store(lane, (pos & (LANE_BYTES - 1)) >> 3, item);
      yield* G.laneCommit(SIM, S);
    }
    yield* G.laneUnlock(SIM, S);
    if (pos >= 0) {
      yield* G.wakeConsumers(SIM, S);
      return;
    }
    assert.equal(pos, K.FULL, `unexpected lane status ${pos}`);
    assert.equal(yield* G.waitRoom(SIM, S, 8, laneBytes, Infinity), K.OK);
  }
}

function fullHeapScenario(taken: Taken): Scenario<Shared> {
  const sent = [[1, 2, 3, 4, 5]];
  return {
    name: "1 producer x 1 consumer, ring of 2, lane of 1 record",
    setup: setup(2, 0, 8),
    threads: perThread([
      function* produce(shared: Shared): KernelGen<void> {
        for (const item of sent[0]!) yield* putOrWaitRoom(shared, item, 8);
        yield* finish(shared, 1);
      },
      function* consume(shared: Shared): KernelGen<number[]> {
        return yield* drainEither(shared, G.lanePop, taken);
      },
    ]),
    invariant: (_: Shared, results: unknown[]) => delivered(sent, results),
  };
}

Deno.test("Queue kernel: a producer waiting for heap room is woken by the lane take that frees it, and nothing is lost, in every schedule with at most 2 preemptions", () => {
  const report = explore(fullHeapScenario(G.taken), { preemptionBound: 2 });
  assert.ok(report.ok, report.failure?.render());
  assert.equal(report.boundCompleted, 2);
});

Deno.test("Queue kernel mutant: a lane take that wakes no producer leaves the one waiting for heap room asleep", () => {
  function* silentTaken(A: typeof SIM, S: K.Shape): KernelGen<void> {
    if (S.maxsize > 0) yield* A.sub(S.q, K.COUNT, 1);
  }
  const report = explore(fullHeapScenario(silentTaken), { preemptionBound: 2 });
  assert.equal(report.failure?.kind, "deadlock", report.failure?.render());
});

function spillingScenario(pop: Pop): Scenario<Shared> {
  const sent = [[1, 2, 3]];
  return {
    name: "1 spilling producer x 1 consumer, ring of 2",
    setup: setup(2),
    threads: perThread([
      function* produce(shared: Shared): KernelGen<void> {
        for (const item of sent[0]!) yield* putOrSpill(shared, item);
        yield* finish(shared, 1);
      },
      function* consume(shared: Shared): KernelGen<number[]> {
        return yield* drainEither(shared, pop);
      },
    ]),
    invariant: (_: Shared, results: unknown[]) => delivered(sent, results),
  };
}

Deno.test("Queue kernel: records spilled into the lane are taken after the ring records put before them, in every schedule with at most 2 preemptions", () => {
  const report = explore(spillingScenario(G.lanePop), { preemptionBound: 2 });
  assert.ok(report.ok, report.failure?.render());
  assert.equal(report.boundCompleted, 2);
});

Deno.test("Queue kernel mutant: a lane pop that trusts the consumer's stale look at the ring reorders a producer's items", () => {
  function* stalePop(A: typeof SIM, S: K.Shape): KernelGen<number> {
    if ((yield* A.load(S.q, K.LANE_ITEMS)) === 0) return K.EMPTY;
    yield* A.sub(S.q, K.LANE_ITEMS, 1);
    return yield* A.load(S.q, K.LANE_TAIL);
  }
  const report = explore(spillingScenario(stalePop), { preemptionBound: 2 });
  assert.equal(report.failure?.kind, "invariant", report.failure?.render());
  assert.match(String(report.failure?.message), /order broken/);
});

Deno.test("Queue kernel mutant: a consumer that sleeps without announcing itself on the event word is never woken", () => {
  function* silentClaim(S: K.Shape): KernelGen<number> {
    for (;;) {
      const p = yield* G.tryClaim(SIM, S);
      if (p !== K.EMPTY) return p;
      const w = yield* SIM.load(S.q, K.PUT_SEQ); // no prepareWait: bit 0 stays clear
      const again = yield* G.tryClaim(SIM, S);
      if (again !== K.EMPTY) return again;
      yield* SIM.wait(S.q, K.PUT_SEQ, w, Infinity);
    }
  }
  const report = explore({
    name: "mutant: sleeper without bit 0",
    setup: setup(2),
    threads: perThread([
      function* produce(shared: Shared): KernelGen<void> {
        yield* put(shared, 1);
      },
      function* consume({ S }: Shared): KernelGen<number> {
        return yield* silentClaim(S);
      },
    ]),
  });
  assert.equal(report.failure?.kind, "deadlock", report.failure?.render());
});
