/**
 * The manager's mailbox kernel (`src/kernel/manager.ts`) under the interleaving explorer: virtual
 * client threads and a virtual server run the derived kernels with the simulated seam, with the
 * payload accessed through the seam too, so every shared access is a scheduling point. The explorer
 * reports any lost wake-up as a deadlock.
 *
 * @module
 */
import assert from "node:assert/strict";
import { explore, sample, type Scenario, terminate } from "../../src/explore/mod.ts";
import { REAL } from "../../src/_atomics.ts";
import { SIM } from "../../src/explore/_engine.ts";
import * as K from "../../src/kernel/manager.ts";
import * as G from "../../src/kernel_gen/manager.ts";

interface Shared {
  s: Int32Array;
}

/** The first payload word of slot `k` stands for its payload. */
const payload = (k: number) => K.slotWord(k) + 16;

/** What client `id` sends: `chunks` values. */
const request = (id: number, chunks: number) =>
  Array.from({ length: chunks }, (_, c) => 100 * (id + 1) + c);

/** What the server answers to `values`. */
const answer = (values: number[], chunks: number) =>
  Array.from({ length: chunks }, (_, c) => values[0]! * 10 + c);

export interface Setup {
  name: string;
  /** The claim kernel to run (a broken variant shows that the scenario catches the bug). */
  claim?: typeof G.claim;
  slots: number;
  clients: number;
  requestChunks: number;
  replyChunks: number;
  /** Whether a thread ends the manager (CRASHED) while the others run. */
  ender: boolean;
}

export function mailbox(setup: Setup): Scenario<Shared> {
  const { slots, clients, requestChunks, replyChunks, ender } = setup;
  const claim = setup.claim ?? G.claim;

  function* client({ s }: Shared, id: number): Generator<unknown, number[] | "ended", unknown> {
    // Client `id` holds under registry entry `id` (its presence is not explored here).
    const k = yield* claim(SIM, s, id, Infinity);
    if (k < 0) return "ended";
    const values = request(id, requestChunks);
    for (let c = 0; c < values.length; c++) {
      yield* SIM.store(s, payload(k), values[c]!);
      if (!(yield* G.post(SIM, s, k, 1, values.length))) return "ended";
      if (c + 1 < values.length && (yield* G.awaitTaken(SIM, s, k)) !== K.S_SERVER_READ) {
        return "ended";
      }
    }
    const got: number[] = [];
    for (;;) {
      if ((yield* G.awaitReply(SIM, s, k)) !== K.S_TO_CLIENT) return "ended";
      got.push(yield* SIM.load(s, payload(k)));
      if (got.length === (yield* G.chunkTotal(SIM, s, k))) {
        yield* G.release(SIM, s, k, id);
        return got;
      }
      if (!(yield* G.takeReplyChunk(SIM, s, k, id))) return "ended";
    }
  }

  function* server({ s }: Shared): Generator<unknown, string, unknown> {
    const incoming = new Map<number, number[]>();
    const outgoing = new Map<number, { values: number[]; sent: number }>();
    let served = 0;
    function* send(k: number): Generator<unknown, void, unknown> {
      const out = outgoing.get(k)!;
      yield* SIM.store(s, payload(k), out.values[out.sent]!);
      out.sent++;
      if (out.sent === out.values.length) {
        outgoing.delete(k);
        served++;
      }
      yield* G.reply(SIM, s, k, 1, out.values.length);
    }
    for (;;) {
      const seen = yield* G.bell(SIM, s);
      for (let k = 0; k < slots; k++) {
        const state = yield* G.slotState(SIM, s, k);
        if (state === K.S_TO_SERVER) {
          const got = incoming.get(k) ?? [];
          incoming.set(k, got);
          got.push(yield* SIM.load(s, payload(k)));
          const total = yield* G.chunkTotal(SIM, s, k);
          if (!(yield* G.takeRequestChunk(SIM, s, k))) continue;
          if (got.length === total) {
            incoming.delete(k);
            outgoing.set(k, { values: answer(got, replyChunks), sent: 0 });
            yield* send(k);
          }
        } else if (state === K.S_CLIENT_READ && outgoing.has(k)) {
          yield* send(k);
        }
      }
      if (served === clients && outgoing.size === 0) return "served all";
      if (!(yield* G.awaitBell(SIM, s, seen))) return "ended";
    }
  }

  function* end({ s }: Shared): Generator<unknown, boolean, unknown> {
    return yield* G.end(SIM, s, K.CRASHED);
  }

  const threads = [
    ...Array.from({ length: clients }, (_, id) =>
      function* clientThread(shared: Shared) {
        return yield* client(shared, id);
      }),
    server,
    ...(ender ? [end] : []),
  ];

  return {
    name: setup.name,
    setup: () => {
      const s = new Int32Array(new SharedArrayBuffer((K.SLOT0 + slots * K.SLOT_WORDS) * 4));
      K.init(REAL, s, slots);
      return { s };
    },
    threads,
    invariant: ({ s }, results) => {
      for (let id = 0; id < clients; id++) {
        const got = results[id];
        const want = answer(request(id, requestChunks), replyChunks);
        if (ender) {
          if (got !== "ended") assert.deepEqual(got, want, `client ${id} got another's answer`);
        } else {
          assert.deepEqual(got, want, `client ${id} got another's answer`);
        }
      }
      if (!ender) {
        assert.equal(results[clients], "served all");
        for (let k = 0; k < slots; k++) assert.equal(s[K.slotWord(k)], K.S_FREE, `slot ${k} freed`);
      } else {
        for (let k = 0; k < slots; k++) assert.equal(s[K.slotWord(k)], K.S_DEAD, `slot ${k} dead`);
      }
    },
  };
}

const small = { slots: 1, clients: 2, requestChunks: 1, replyChunks: 1, ender: false };

Deno.test("Mailbox: 2 clients on 1 slot, 2-chunk requests and replies: each gets its own answer (every schedule with 1 preemption)", () => {
  const report = explore(
    mailbox({ ...small, name: "2 clients, 1 slot", requestChunks: 2, replyChunks: 2 }),
    { preemptionBound: 1 },
  );
  assert.ok(report.ok, report.failure?.render());
  assert.equal(report.boundCompleted, 1, report.summary);
});

Deno.test("Mailbox: an end racing 2 clients wakes every thread (every schedule with 1 preemption)", () => {
  const report = explore(mailbox({ ...small, name: "end races", ender: true }), {
    preemptionBound: 1,
  });
  assert.ok(report.ok, report.failure?.render());
  assert.equal(report.boundCompleted, 1, report.summary);
});

for (const ender of [false, true]) {
  for (const depth of [2, 3]) {
    Deno.test(`Mailbox: PCT depth ${depth}, 3 clients on 2 slots, multi-chunk${ender ? ", with an end" : ""}: no failure`, () => {
      const report = sample(
        mailbox({
          name: "3 clients, 2 slots",
          slots: 2,
          clients: 3,
          requestChunks: 2,
          replyChunks: 2,
          ender,
        }),
        { strategy: "pct", depth, runs: 3000, seed: 20260 + depth },
      );
      assert.ok(report.ok, report.failure?.render());
    });
  }
}

/** `claim` as first written: checks the state before reading the free-slot sequence. */
function* claimCheckingStateFirst(
  A: typeof SIM,
  s: Int32Array,
  e: number,
  deadline: number,
): Generator<unknown, number, unknown> {
  const slots = yield* A.load(s, K.NSLOTS);
  for (;;) {
    if ((yield* A.load(s, K.STATE)) !== K.RUNNING) return K.ENDED;
    const seen = yield* A.load(s, K.FREE);
    for (let k = 0; k < slots; k++) {
      if (
        (yield* A.load(s, K.slotWord(k))) === K.S_FREE &&
        (yield* A.compareExchange(s, K.slotWord(k), K.S_FREE, K.held(e, K.S_CLAIMED))) === K.S_FREE
      ) return k;
    }
    if ((yield* A.wait(s, K.FREE, seen, deadline)) === "timed-out") return K.TIMED_OUT;
  }
}

Deno.test("Mailbox regression: the scenario catches the lost wake-up of a claim that checks the state first", () => {
  // Found by PCT (seed 7) before the fix: an end between the state check and the read of `free`.
  const report = sample(
    mailbox({ ...small, name: "old claim", ender: true, claim: claimCheckingStateFirst }),
    { strategy: "pct", runs: 3000, seed: 7 },
  );
  assert.equal(report.failure?.kind, "deadlock", report.summary);
  const fixed = sample(mailbox({ ...small, name: "claim", ender: true }), {
    strategy: "pct",
    runs: 3000,
    seed: 7,
  });
  assert.ok(fixed.ok, fixed.failure?.render());
});

/** How a holder of {@linkcode deadHolder} or {@linkcode dyingClaimer} names its presence. */
type Via = "entry" | "slot record";

/**
 * A live client: claims slot 0 (the only one), asking for a reap after one timed-out wait, and is
 * served through it. Before each try it registers if it has no entry yet (production retries
 * across calls), racing a reap that frees a dead thread's entry, and its claim names the entry
 * or, the registry full, its slot's record. It arms no presence waiter: `lease` 0 reads as "cannot
 * tell", so the server never reaps it (a probe of a live owner, which wakes one of its waiters, is
 * argued in the kernel's doc, not explored: the simulated seam has no `waitAsync`, and a blocking
 * wait cannot arm before it adds to `lease`).
 */
function* liveClient(s: Int32Array): Generator<unknown, [number, Via] | string, unknown> {
  let deadline = 1; // a finite deadline: the timeout firing is one of the explored choices
  let e = -1;
  let k: number;
  for (;;) {
    if (e < 0) e = yield* G.register(SIM, s);
    if (e === K.ENDED) return "ended";
    const seen = yield* G.freeSeq(SIM, s);
    k = yield* G.tryClaim(SIM, s, e);
    if (k >= 0) break;
    if (k === K.ENDED) return "ended";
    if ((yield* G.awaitFree(SIM, s, seen, deadline)) === "timed-out") {
      yield* G.requestReap(SIM, s);
      deadline = Infinity;
    }
  }
  const r = e >= 0 ? e : K.AGENTS + k;
  yield* SIM.store(s, payload(k), 100);
  if (!(yield* G.post(SIM, s, k, 1, 1))) return "ended";
  if ((yield* G.awaitReply(SIM, s, k)) !== K.S_TO_CLIENT) return "ended";
  const got = yield* SIM.load(s, payload(k));
  yield* G.release(SIM, s, k, r);
  return [got, e >= 0 ? "entry" : "slot record"];
}

/** The server of slot 0: reaps when asked, answers `v` with `10 v`, ends once it answered 100. */
function* slotServer({ s }: Shared): Generator<unknown, string, unknown> {
  let reaped = 0;
  for (;;) {
    const seen = yield* G.bell(SIM, s);
    const asked = yield* G.reapSeq(SIM, s);
    if (asked !== reaped) {
      reaped = asked;
      yield* G.reap(SIM, s, []);
    }
    const state = yield* G.slotState(SIM, s, 0);
    if (state === K.S_TO_SERVER) {
      const value = yield* SIM.load(s, payload(0));
      if (!(yield* G.takeRequestChunk(SIM, s, 0))) continue;
      yield* SIM.store(s, payload(0), value * 10);
      yield* G.reply(SIM, s, 0, 1, 1);
      if (value === 100) return "served";
    }
    if (!(yield* G.awaitBell(SIM, s, seen))) return "ended";
  }
}

/** A mailbox with one slot and a registry of one entry. */
function oneSlot(): Int32Array {
  const s = new Int32Array(new SharedArrayBuffer((K.SLOT0 + K.SLOT_WORDS) * 4));
  K.init(REAL, s, 1, 1);
  return s;
}

/** Checks that the live client was served through slot 0, which is free again. */
function servedAndFree(s: Int32Array, results: readonly unknown[], live: number): [number, Via] {
  const got = results[live] as [number, Via];
  assert.equal(got[0], 1000, "the live client got its own answer");
  const w = K.slotWord(0);
  assert.equal(s[w], K.S_FREE, "slot freed, naming nobody");
  assert.equal(s[w + K.LEASE], 0, "no stale lease on the slot's record");
  return got;
}

/**
 * A dead holder: slot 0 was claimed by a client whose thread died before the scenario starts. Its
 * claim named its presence record, whose `lease` promised one waiter, which its death removed (V8
 * removes a dead isolate's waiters only once the thread is gone, so a holder that still runs
 * always has them). `via`: the record is the thread's registry entry (the one entry of the
 * registry), or, the registry being full (its entry taken by a thread that is alive but has armed
 * nothing yet: "cannot tell"), the slot's own record. `posted`: it died after posting its request
 * (the server answers into a slot nobody reads), else right after claiming. The live client
 * ({@linkcode liveClient}) must then be served through the reclaimed slot.
 */
function deadHolder(via: Via, posted: boolean): Scenario<Shared> {
  return {
    name: `dead holder (${via}) ${posted ? "after" : "before"} posting`,
    setup: () => {
      const s = oneSlot();
      // The registry's one entry: the dead thread's, or a live thread's that armed nothing yet.
      assert.equal(K.register(REAL, s), 0);
      // The dead client claimed slot 0 naming a record that promised one waiter; it died.
      assert.equal(K.tryClaim(REAL, s, via === "entry" ? 0 : -1), 0);
      K.armed(REAL, s, via === "entry" ? 0 : K.AGENTS, 1);
      if (posted) {
        s[payload(0)] = 999;
        assert.ok(K.post(REAL, s, 0, 1, 1));
      }
      return { s };
    },
    threads: [
      function* live({ s }: Shared) {
        return yield* liveClient(s);
      },
      slotServer,
    ],
    invariant: ({ s }, results) => {
      const live = servedAndFree(s, results, 0);
      assert.equal(results[1], "served");
      assert.equal(s[K.agentWord(0) + 1], 0, "no stale lease on the entry");
      if (via === "entry") {
        // Retired by the reap (FREE in the next cycle, 4); taken again (5) by the live client if it
        // registered after that.
        assert.equal(s[K.agentWord(0)], live[1] === "entry" ? 5 : 4, "dead entry retired");
      } else {
        assert.equal(s[K.agentWord(0)], 1, "the live thread keeps its entry");
        assert.equal(live[1], "slot record");
      }
    },
  };
}

for (const via of ["entry", "slot record"] as const) {
  for (const posted of [false, true]) {
    Deno.test(`Mailbox: a slot whose holder (named by its ${via}) died ${posted ? "after" : "before"} posting is reaped and serves a live client (every schedule)`, () => {
      const report = explore(deadHolder(via, posted));
      assert.ok(report.ok, report.failure?.render());
      assert.ok(report.complete, report.summary);
    });
  }
}

Deno.test("Mailbox: the registry race (a dead thread's entry freed by the reap vs a live client registering) has both outcomes", () => {
  const outcomes = new Set<string>();
  for (let seed = 0; seed < 200 && outcomes.size < 2; seed++) {
    const scenario = deadHolder("entry", false);
    const invariant = scenario.invariant;
    const report = sample({
      ...scenario,
      invariant: (shared, results) => {
        invariant!(shared, results);
        outcomes.add((results[0] as [number, string])[1]);
      },
    }, { strategy: "pct", runs: 1, seed });
    assert.ok(report.ok, report.failure?.render());
  }
  assert.deepEqual([...outcomes].sort(), ["entry", "slot record"]);
});

/**
 * A claimer terminated at every point of its call: T0 makes one call as production's client does
 * (with `via` "entry": takes the registry's one entry and arms it, then claims naming it; with
 * "slot record", the registry being full: claims naming its slot's record, then arms that), and
 * T1 terminates it at whatever point the scheduler picks, then lets the live client T3
 * ({@linkcode liveClient}) start. Arming is its add to `lease` (the simulated seam has no
 * `waitAsync`: a dead thread's waiters are gone either way, and the reap runs only after the
 * death). Whatever T0 left behind, T3 must be served through slot 0: a held slot must name a
 * record a probe can find gone.
 */
function dyingClaimer(via: Via): Scenario<Shared & { g: Int32Array }> {
  function* claimer({ s }: Shared): Generator<unknown, string, unknown> {
    let e = -1;
    if (via === "entry") {
      e = yield* G.register(SIM, s);
      if (e >= 0) yield* G.armed(SIM, s, e, 1);
    }
    const k = yield* G.claim(SIM, s, e, Infinity);
    if (k < 0) return "ended";
    const r = e >= 0 ? e : K.AGENTS + k;
    if (e < 0) yield* G.armed(SIM, s, r, 1);
    yield* SIM.store(s, payload(k), 999);
    if (!(yield* G.post(SIM, s, k, 1, 1))) return "ended";
    if ((yield* G.awaitReply(SIM, s, k)) !== K.S_TO_CLIENT) return "ended";
    yield* G.release(SIM, s, k, r);
    return "done";
  }

  function* killer({ g }: { g: Int32Array }): Generator<unknown, boolean, unknown> {
    const killed = yield* terminate(0);
    yield* SIM.store(g, 0, 1);
    yield* SIM.notify(g, 0, Infinity);
    return killed;
  }

  function* live({ s, g }: Shared & { g: Int32Array }) {
    // Starts once T0 is dead (or done): a live T0 has waiters, which the simulation lacks.
    while ((yield* SIM.load(g, 0)) === 0) yield* SIM.wait(g, 0, 0, Infinity);
    return yield* liveClient(s);
  }

  return {
    name: `claimer dying at every point (${via})`,
    setup: () => {
      const s = oneSlot();
      // Registry full: its one entry is a live thread's that armed nothing yet ("cannot tell").
      if (via === "slot record") assert.equal(K.register(REAL, s), 0);
      return { s, g: new Int32Array(new SharedArrayBuffer(4)) };
    },
    threads: [claimer, killer, slotServer, live],
    invariant: ({ s }, results) => {
      servedAndFree(s, results, 3);
      assert.equal(results[2], "served");
    },
  };
}

Deno.test("Mailbox: a claimer terminated at any point of a call leaves no slot that is never reaped (every schedule with 2 preemptions)", () => {
  // One preemption already puts the termination at every step of the call; two (some 10 s) add
  // the server's moves around it. Three cover nothing more (10 final states) in ten times as long.
  const report = explore(dyingClaimer("entry"), { preemptionBound: 2 });
  assert.ok(report.ok, report.failure?.render());
  assert.equal(report.boundCompleted, 2, report.summary);
});

Deno.test("Mailbox: with the registry full, a holder terminated while its slot's record is not armed holds the slot for good (the kernel's documented gap)", () => {
  const report = explore(dyingClaimer("slot record"), { preemptionBound: 1 });
  assert.equal(report.failure?.kind, "deadlock", report.summary);
  // The counterexample: the slot names the record of a dead holder that promised no waiter
  // (before arming it, or after disarming it to free the slot).
  const final = report.failure!.final;
  const w = K.slotWord(0);
  assert.equal(K.recordOf(Number(final[`s[${w}]`])), K.AGENTS);
  assert.equal(final[`s[${w + K.LEASE}]`], 0);
});
