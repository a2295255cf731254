/**
 * Eleven small programs written the way users write worker code (`tests/explore/user_programs/`),
 * explored unchanged through `loadModule`, each with the verdict it must get: a lost update, a
 * proof, a data race with both places, a deadlock.
 *
 * @module
 */
import assert from "node:assert/strict";
import { Barrier, type Connection, Lock, Pipe, Queue, Value } from "../../mod.ts";
import { DataRaceError, explore, loadModule, type Report } from "../../src/explore/mod.ts";

const programs = new URL("./user_programs/", import.meta.url);
const load = <M>(name: string) => loadModule<M>(new URL(`${name}.ts`, programs));
const words = (n: number) => new Int32Array(new SharedArrayBuffer(4 * n));

/** Asserts that `report` proved its scenario: no failure, every interleaving covered. */
function proved(report: Report): void {
  assert.equal(report.failure, undefined, report.failure?.message);
  assert.ok(report.complete, report.summary);
}

/** Asserts that `report` failed with a data race on `address` between the lines of `file` given. */
function raced(report: Report, address: string, file: string, lines: number[]): DataRaceError {
  const race = report.failure?.cause;
  assert.ok(race instanceof DataRaceError, report.failure?.message ?? "no failure");
  assert.equal(race.address, address);
  for (const access of [race.first, race.second]) {
    assert.ok(access.site.file.endsWith(`user_programs/${file}.ts`), access.site.file);
  }
  assert.deepEqual([race.first.site.line, race.second.site.line].sort(), [...lines].sort());
  assert.notEqual(race.first.thread, race.second.thread);
  assert.ok(race.first.kind.endsWith("write") || race.second.kind.endsWith("write"));
  assert.match(report.failure!.reason, /threw DataRaceError: data race on/);
  return race;
}

Deno.test("user bank: the unlocked transfer loses an update, the locked one is proved", async () => {
  const bank = await load<typeof import("./user_programs/bank.ts")>("bank");
  type S = { a: Value<"i">; b: Value<"i">; lock: Lock };
  const setup = (): S => ({
    a: new Value("i", 100, { lock: false }),
    b: new Value("i", 100, { lock: false }),
    lock: new Lock(),
  });
  const invariant = ({ a, b }: S) => a.value === 100 && b.value === 100;
  const unlocked = explore(bank.scenario({
    setup,
    threads: [["transfer", ({ a, b }) => [a, b, 10]], ["transfer", ({ a, b }) => [b, a, 10]]],
    invariant,
  }));
  assert.equal(unlocked.failure?.kind, "invariant");
  proved(explore(bank.scenario({
    setup,
    threads: [
      ["transferLocked", ({ a, b, lock }) => [a, b, lock, 10]],
      ["transferLocked", ({ a, b, lock }) => [b, a, lock, 10]],
    ],
    invariant,
  })));
});

Deno.test("user counter: plain counter[0]++ in two workers is a data race; Atomics.add is not", async () => {
  const counter = await load<typeof import("./user_programs/counter.ts")>("counter");
  const plain = explore(counter.scenario({
    setup: () => ({ hits: words(2) }),
    threads: [["count", ({ hits }) => [hits, 1]], ["count", ({ hits }) => [hits, 1]]],
  }));
  const race = raced(plain, "hits[0]", "counter", [11, 11]);
  assert.equal(race.first.site.text, "counter[0]!++");
  proved(explore(counter.scenario({
    setup: () => ({ hits: words(2) }),
    threads: [
      ["countAtomically", ({ hits }) => [hits, 2]],
      ["countAtomically", ({ hits }) => [hits, 2]],
    ],
    invariant: ({ hits }) => hits[0] === 4,
  })));
});

Deno.test("user double-checked initialisation: a plain flag races, an atomic flag is proved", async () => {
  const dcl = await load<typeof import("./user_programs/double_checked.ts")>("double_checked");
  const setup = () => ({ state: words(2), lock: new Lock() });
  const broken = explore(dcl.scenario({
    setup,
    threads: [
      ["instance", ({ state, lock }) => [state, lock]],
      ["instance", ({ state, lock }) => [state, lock]],
    ],
  }));
  raced(broken, "state[0]", "double_checked", [14, 18]);
  proved(explore(dcl.scenario({
    setup,
    threads: [
      ["instanceSafe", ({ state, lock }) => [state, lock]],
      ["instanceSafe", ({ state, lock }) => [state, lock]],
    ],
    invariant: (_, results) => results.join() === "42,42",
  })));
});

Deno.test("user spinlock: a compare-exchange spinlock orders its plain counter, no update lost", async () => {
  const spin = await load<typeof import("./user_programs/spinlock.ts")>("spinlock");
  proved(explore(spin.scenario({
    setup: () => ({ lock: words(1), counter: words(1) }),
    threads: [
      ["increment", ({ lock, counter }) => [lock, counter, 2]],
      ["increment", ({ lock, counter }) => [lock, counter, 2]],
    ],
    invariant: ({ counter }) => counter[0] === 4,
  })));
});

Deno.test("user producer/consumer: every item arrives, in order, through a Queue", async () => {
  const pc = await load<typeof import("./user_programs/producer_consumer.ts")>(
    "producer_consumer",
  );
  const scenario = (items: number) =>
    pc.scenario({
      setup: () => ({ queue: new Queue<number | null>() }),
      threads: [["produce", ({ queue }) => [queue, items]], ["consume", ({ queue }) => [queue]]],
      invariant: (_, [, got]) =>
        String(got) === Array.from({ length: items }, (_, k) => k + 1).join(),
    });
  proved(explore(scenario(1)));
  const three = explore(scenario(3), { preemptionBound: 2 });
  assert.equal(three.failure, undefined, three.failure?.message);
  assert.equal(three.boundCompleted, 2);
});

Deno.test("user barrier phases: the barrier orders phase 1's plain writes before phase 2's reads", async () => {
  const phases = await load<typeof import("./user_programs/barrier_phases.ts")>("barrier_phases");
  proved(explore(phases.scenario({
    setup: () => ({ slots: words(2), barrier: new Barrier(2) }),
    threads: [
      ["phases", ({ slots, barrier }) => [slots, barrier, 0]],
      ["phases", ({ slots, barrier }) => [slots, barrier, 1]],
    ],
    invariant: (_, sums) => sums.join() === "3,3",
  })));
});

Deno.test("user ABBA locks: taking two locks in opposite orders deadlocks", async () => {
  const abba = await load<typeof import("./user_programs/abba.ts")>("abba");
  const report = explore(abba.scenario({
    setup: () => ({ a: new Lock(), b: new Lock() }),
    threads: [["ab", ({ a, b }) => [a, b]], ["ba", ({ a, b }) => [a, b]]],
  }));
  assert.equal(report.failure?.kind, "deadlock");
  assert.match(
    report.failure!.reason,
    /T0 \(ab\) holds a, waits in b\.acquire\(\) \(sleeps on b\.state\); T1 \(ba\) holds b, waits in a\.acquire\(\) \(sleeps on a\.state\)/,
  );
});

Deno.test("user message passing through a plain flag: a data race on the flag, though every schedule ends right", async () => {
  const flag = await load<typeof import("./user_programs/flag_message.ts")>("flag_message");
  const setup = () => ({ data: words(1), flag: words(1) });
  // Under the explorer's sequentially consistent steps the receiver always gets 42: the invariant
  // holds in every execution, and the race is reported all the same.
  const sendFirst = explore(flag.scenario({
    setup,
    threads: [["send", ({ data, flag }) => [data, flag, 42]], [
      "receive",
      ({ data, flag }) => [data, flag],
    ]],
    invariant: (_, [, got]) => got === 42,
  }));
  raced(sendFirst, "flag", "flag_message", [12, 17]);
  const receiveFirst = explore(flag.scenario({
    setup,
    threads: [["receive", ({ data, flag }) => [data, flag]], [
      "send",
      ({ data, flag }) => [data, flag, 42],
    ]],
  }));
  raced(receiveFirst, "flag", "flag_message", [12, 17]);
});

Deno.test("user Peterson's algorithm: the correct one is proved, the swapped one races", async () => {
  type P = typeof import("./user_programs/peterson.ts");
  const setup = () => ({ flags: words(2), turn: words(1), data: words(1) });
  const scenario = (m: Awaited<ReturnType<typeof load<P>>>) =>
    m.scenario({
      setup,
      threads: [
        ["critical", ({ flags, turn, data }) => [flags, turn, data, 0]],
        ["critical", ({ flags, turn, data }) => [flags, turn, data, 1]],
      ],
      invariant: ({ data }) => data[0] === 2,
    });
  proved(explore(scenario(await load<P>("peterson"))));
  const broken = explore(scenario(await load<P>("peterson_broken")));
  raced(broken, "data", "peterson_broken", [17, 17]);
});

Deno.test("user pipe worker: every request gets its reply in order; a client that closes before the replies breaks the worker's pipe", async () => {
  const pw = await load<typeof import("./user_programs/pipe_worker.ts")>("pipe_worker");
  type S = { mine: Connection<number>; theirs: Connection<number> };
  const setup = (): S => {
    const [mine, theirs] = Pipe<number>();
    return { mine, theirs };
  };
  proved(explore(pw.scenario({
    setup,
    threads: [["client", ({ mine }) => [mine, 1]], ["serve", ({ theirs }) => [theirs]]],
    invariant: (_, [replies, served]) => String(replies) === "2" && served === 1,
  })));
  const eager = explore(pw.scenario({
    setup,
    threads: [["clientTooEager", ({ mine }) => [mine, 1]], ["serve", ({ theirs }) => [theirs]]],
  }));
  assert.equal(eager.failure?.kind, "error");
  assert.match(eager.failure!.reason, /BrokenPipeError/);
});
