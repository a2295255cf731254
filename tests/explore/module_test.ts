/**
 * The explorer on users' own modules, unchanged (`loadModule`, `fromModule`): the examples' worker
 * functions as their workers import them, the constructs the derivation handles (each checked
 * against a plain call of the same function), and what it refuses, with the construct and its
 * place.
 *
 * @module
 */
import assert from "node:assert/strict";
import {
  Barrier,
  Condition,
  Event,
  Lock,
  Queue,
  Semaphore,
  SharedArray,
  Value,
} from "../../mod.ts";
import {
  explore,
  fromModule,
  loadModule,
  NotExplorableError,
  replay,
  type Scenario,
  search,
  sim,
} from "../../src/explore/mod.ts";
import * as forms from "./_modules/forms.ts";

const examples = new URL("../../examples/", import.meta.url);
const modules = new URL("./_modules/", import.meta.url);
const words = (n: number) => new Int32Array(new SharedArrayBuffer(4 * n));

type Accounts = typeof import("../../examples/bank/accounts.ts");
type Bank = { balance: Value<"i">; lock: Lock };
const bankSetup = (): Bank => ({
  balance: new Value("i", 100, { lock: false }),
  lock: new Lock(),
});

Deno.test("the explorer finds the lost update in the seed's withdraw/deposit, as its workers import them", async () => {
  // The very URL examples/race_condition.ts gives its Process workers.
  const url = new URL("./bank/accounts.ts", new URL("race_condition.ts", examples));
  const bank = await loadModule<Accounts>(url);
  const race = search(
    bank.scenario({
      setup: bankSetup,
      threads: [["withdraw", ({ balance }) => [balance, 1]], [
        "deposit",
        ({ balance }) => [balance, 1],
      ]],
      invariant: ({ balance }) => balance.value === 100,
    }),
    { seed: 1 },
  );
  const failure = race.failure!;
  assert.equal(failure.kind, "invariant");
  assert.equal(failure.threads, 2);
  assert.equal(failure.trace.length, 4);
  const rendered = failure.render();
  assert.equal(rendered.match(/read balance\.value → 100/g)?.length, 2, rendered);
  assert.match(rendered, /T0 withdraw/);
  assert.match(rendered, /T1 deposit/);
  const again = replay(failure.scenario as Scenario<Bank>, failure.token);
  assert.deepEqual(again.failure?.trace, failure.trace);
});

Deno.test("the explorer proves the seed's withdrawLocked/depositLocked, step for step as a hand-written scenario", async () => {
  const bank = await loadModule<Accounts>(new URL("./bank/accounts.ts", examples));
  const proof = explore(bank.scenario({
    setup: bankSetup,
    threads: [
      ["withdrawLocked", ({ balance, lock }) => [balance, lock, 2]],
      ["depositLocked", ({ balance, lock }) => [balance, lock, 2]],
    ],
    invariant: ({ balance }) => balance.value === 100,
  }));
  assert.ok(proof.ok && proof.complete, proof.summary);
  // The same kernels through the same steps as sim(lock).acquire(), sim(balance).get()/set() and
  // sim(lock).release() written by hand: the same interleavings, so the same count.
  const hand: Scenario<Bank> = {
    setup: bankSetup,
    threads: [-1, 1].map((delta) =>
      function* teller({ balance, lock }: Bank) {
        for (let n = 0; n < 2; n++) {
          yield* sim(lock).acquire();
          yield* sim(balance).set((yield* sim(balance).get()) + delta);
          yield* sim(lock).release();
        }
      }
    ),
  };
  const handProof = explore(hand);
  assert.equal(proof.executions, handProof.executions);
  assert.equal(proof.steps, handProof.steps);
});

Deno.test("the seed's queue producer/consumer: the explorer finds the consumer that stops before the producer starts", async () => {
  // examples/queue_producer_consumer.ts runs them one after the other, and says why it must.
  const scenario = await fromModule(new URL("queue_producer_consumer.ts", examples), {
    setup: () => ({ queue: new Queue<number>() }),
    threads: [["producer", ({ queue }) => [queue]], ["consumer", ({ queue }) => [queue]]],
    invariant: ({ queue }) => queue.qsize() === 0 || `${queue.qsize()} items left unconsumed`,
  });
  const report = explore(scenario, { preemptionBound: 1 });
  assert.equal(report.failure?.kind, "invariant");
  assert.match(report.failure!.reason, /5 items left unconsumed/);
});

Deno.test("the seed's Condition hand-off: no consumer misses the producer's notifyAll", async () => {
  type C = typeof import("../../examples/condition.ts");
  const cond = await loadModule<C>(new URL("condition.ts", examples));
  type S = { condition: Condition; data: Value<"i"> };
  const setup = (): S => ({ condition: new Condition(), data: new Value("i", 0) });
  const seen: number[] = [];
  const invariant = ({ data }: S) => (seen.push(data.value), data.value === 42);
  const one = explore(cond.scenario({
    setup,
    threads: [
      ["consumer", ({ condition, data }) => [condition, data, 1]],
      ["producer", ({ condition, data }) => [condition, data, 42]],
    ],
    invariant,
  }));
  assert.ok(one.ok && one.complete, one.failure?.message ?? one.summary);
  const two = explore(
    cond.scenario({
      setup,
      threads: [
        ["consumer", ({ condition, data }) => [condition, data, 1]],
        ["consumer", ({ condition, data }) => [condition, data, 2]],
        ["producer", ({ condition, data }) => [condition, data, 42]],
      ],
      invariant,
    }),
    { preemptionBound: 2 },
  );
  assert.ok(two.ok && two.boundCompleted === 2, two.failure?.message ?? two.summary);
  assert.ok(seen.length > 1 && seen.every((v) => v === 42));
});

Deno.test("derived functions compute what the plain ones compute", async () => {
  const mod = await loadModule<typeof forms>(new URL("forms.ts", modules));
  const cases: [keyof typeof forms, () => unknown[]][] = [
    ["arithmetic", () => [words(2)]],
    [
      "floats",
      () => [
        new Float64Array(new SharedArrayBuffer(8)),
        new Float32Array(new SharedArrayBuffer(8)),
      ],
    ],
    ["bigints", () => [new BigInt64Array(new SharedArrayBuffer(8))]],
    ["values", () => [new Value("i", 0)]],
    ["guarded", () => [new Lock(), new Value("i", 0)]],
    ["nested", () => [new Lock(), new Lock()]],
    ["helpers", () => [words(1)]],
    ["awaited", () => [new Lock(), new Queue<number>(1)]],
    ["optional", () => [undefined]],
    ["semaphores", () => [new Semaphore(3)]],
    ["events", () => [new Event()]],
    ["arrays", () => [new SharedArray("d", 3)]],
  ];
  for (const [name, args] of cases) {
    const plain = await (forms[name] as (...a: unknown[]) => unknown)(...args());
    const report = explore({
      setup: args,
      threads: [mod.thread(name, (a: unknown[]) => a as never)],
      invariant: (_, [result]) => assert.deepEqual(result, plain, name),
    }, { reset: "setup" });
    assert.ok(report.ok && report.complete, report.failure?.message ?? name);
  }
});

Deno.test("calls into a module imported with a relative path are followed: its plain write races", async () => {
  const refused = await loadModule<typeof import("./_modules/refused.ts")>(
    new URL("refused.ts", modules),
  );
  const bare = explore(refused.scenario({
    setup: () => ({ a: words(1), lock: new Lock() }),
    threads: [["pokeBare", ({ a }) => [a, 1]], ["pokeBare", ({ a }) => [a, 2]]],
  }));
  const race = bare.failure?.cause;
  assert.ok(race instanceof Error && race.name === "DataRaceError", bare.failure?.message);
  assert.match(race.message, /_modules\/helper\.ts:14:3 `a\[0\] = v`/);
  const locked = explore(refused.scenario({
    setup: () => ({ a: words(1), lock: new Lock() }),
    threads: [
      ["pokeLocked", ({ a, lock }) => [a, lock, 1]],
      ["pokeLocked", ({ a, lock }) => [a, lock, 2]],
    ],
  }));
  assert.ok(locked.ok && locked.complete, locked.failure?.message);
});

/** The NotExplorableError that the first execution of export `name` of refused.ts fails with. */
async function refusal(
  name: keyof typeof import("./_modules/refused.ts"),
): Promise<NotExplorableError> {
  const refused = await loadModule<typeof import("./_modules/refused.ts")>(
    new URL("refused.ts", modules),
  );
  const report = explore({
    setup: () => ({ a: words(2) }),
    threads: [refused.thread(name, ({ a }: { a: Int32Array }) => [a] as never)],
  });
  const cause = report.failure?.cause;
  assert.ok(cause instanceof NotExplorableError, report.failure?.message ?? `${name} ran`);
  assert.match(cause.site.file, /_modules\/refused\.ts$/);
  return cause;
}

Deno.test("code the explorer cannot run says which construct, where, and what to do", async () => {
  const roll = await refusal("roll");
  assert.equal(roll.site.text, "Math.random()");
  assert.equal(roll.site.line, 12);
  assert.match(roll.message, /not deterministic.*pass such values in as arguments/);
  const sleepy = await refusal("sleepy");
  assert.match(
    sleepy.message,
    /`await Promise\.resolve\(1\)` at .*:17:10.*promise that is not an Interlock operation/,
  );
  const total = await refusal("total");
  assert.equal(total.site.text, "a[k]");
  assert.match(total.message, /\(a callback in function 'total'\): the explorer cannot suspend/);
  const mapped = await refusal("mapped");
  assert.match(mapped.message, /inside 'read', which was called as a value/);
  const counted = await refusal("counted");
  assert.match(counted.message, /\(a member of class 'Counter'\): the explorer cannot suspend/);
});

Deno.test("what the source shows cannot be explored is refused when the module loads", async () => {
  await assert.rejects(
    loadModule(new URL("module_state.ts", modules)),
    (e: unknown) =>
      e instanceof NotExplorableError && e.site.line === 11 && e.site.text === "hits" &&
      /module-level variable.*each worker has its own copy.*keep the state in shared memory/.test(
        e.message,
      ),
  );
  const source = async (code: string) => {
    const dir = await Deno.makeTempDir();
    try {
      const file = `${dir}/m.ts`;
      await Deno.writeTextFile(file, code);
      return await loadModule(file);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  };
  await assert.rejects(
    source("export function f(a: Int32Array) { [a[0], a[1]] = [1, 2]; }"),
    /destructuring into shared memory.*assign each element on its own/,
  );
  await assert.rejects(
    source("export async function f(q: AsyncIterable<number>) { for await (const x of q) x; }"),
    /`for await`.*loop with the blocking forms/,
  );
  await assert.rejects(
    source("const g = (a: Int32Array) => a;\nexport function f(a: Int32Array) { g(a)[0] += 1; }"),
    /compound assignment to a computed target.*local constants first/,
  );
  await assert.rejects(
    source("export function f() { return eval('1'); }"),
    /`eval` runs code the explorer never saw/,
  );
});

Deno.test("loadModule checks what it is given and which exports a thread names", async () => {
  await assert.rejects(loadModule(42 as unknown as string), TypeError);
  const mod = await loadModule(new URL("forms.ts", modules));
  assert.throws(() => mod.thread("nothing"), /exports no function 'nothing'/);
  assert.deepEqual(mod.notExplored, []);
  const withBarrier = await loadModule(new URL("barrier.ts", examples));
  const report = explore(withBarrier.scenario({
    setup: () => ({ barrier: new Barrier(1) }),
    threads: [["task", ({ barrier }) => [barrier, 0]]],
  }));
  assert.match(report.failure!.message, /`Math\.random\(\)` at examples\/barrier\.ts:\d+:\d+/);
});
