/**
 * The lease/fencing protocol under the interleaving explorer (Kleppmann's scenario): two tellers
 * each add 10 to a shared account under a Redis lock, while the lock's lease may end at any
 * moment (a clock thread: the holder paused past its lease). The production Lua scripts run
 * against a simulated Redis (`_sim_redis.ts`), driven by the production client protocol
 * (`src/redis/_protocol.ts`): the hold-set calls and the fenced value protocol.
 *
 * Invariant: the balance is 100 plus 10 per deposit its teller saw succeed.
 */
import assert from "node:assert/strict";
import { explore, search } from "../../src/explore/mod.ts";
import {
  acquireCall,
  acquireReply,
  type HoldSetCall,
  type Protocol,
  readValue,
  releaseCall,
  updateValue,
  type ValueSpec,
  writeValue,
} from "../../src/redis/_protocol.ts";
import { StaleTokenError } from "../../src/redis/errors.ts";
import { SimRedis } from "./_sim_redis.ts";

const LEASE = 1_000;
const LOCK: HoldSetCall = { key: "{ns:vault}:lock:h", head: ["1", "0", "0"] };
const BALANCE: ValueSpec<number> = { key: "{ns:balance}:value:v", kind: "number", initial: 100 };

/**
 * How a teller does its read-modify-write: `get()` then `set()` unfenced, or with the write
 * fenced, or both fenced; or `update(fn, { fence })` (fenced read, versioned fenced write).
 */
type Fencing = "none" | "write" | "read+write" | "update";

interface Bank {
  redis: SimRedis;
  /** The words of the lock's and the balance's hash tags (`_sim_redis.ts`), named in traces. */
  lock: Int32Array;
  account: Int32Array;
  /** Deposits each teller saw succeed (ghost state, written without steps). */
  succeeded: Int32Array;
}

let last: SimRedis | undefined;

/** One call, as a protocol (what `HoldSet` sends, with its reply read as `HoldSet` reads it). */
function* call<R>(c: ReturnType<typeof acquireCall>, read: (reply: unknown) => R): Protocol<R> {
  return read(yield c);
}

/** The lock's acquire as `HoldSet.take` + `waitOn` do it: wait, sleep until woken, recheck. */
function* acquire(redis: SimRedis, who: string): Generator<unknown, bigint, unknown> {
  const poll = (mode: "wait" | "recheck") =>
    redis.run(who, call(acquireCall(LOCK, who, who, LEASE, 1, mode, LEASE), acquireReply));
  let reply = yield* poll("wait");
  while (!reply.done) {
    yield* redis.waitForWakeUp(who, "{ns:vault}");
    reply = yield* poll("recheck");
  }
  return BigInt(reply.value);
}

function bank(fencing: Fencing) {
  const teller = (who: string, index: number) =>
    ({
      *[who]({ redis, succeeded }: Bank) {
        const token = yield* acquire(redis, who);
        const what = `deposit by ${who}`;
        const readFence = fencing === "read+write" ? token : undefined;
        const writeFence = fencing === "none" ? undefined : token;
        try {
          if (fencing === "update") {
            const never = () => undefined;
            yield* redis.run(who, updateValue(BALANCE, what, (v) => v + 10, token, never));
          } else {
            const { value } = yield* redis.run(who, readValue(BALANCE, what, readFence));
            yield* redis.run(who, writeValue(BALANCE, what, value + 10, writeFence, ""));
          }
          succeeded[index] = 1;
        } catch (error) {
          if (!(error instanceof StaleTokenError)) throw error; // refused: no deposit
        }
        yield* redis.run(who, call(releaseCall(LOCK, who, 1), Number));
      },
    })[who]!;
  return {
    name: `bank, fencing ${fencing}`,
    setup: (): Bank => {
      const words = new Int32Array(new SharedArrayBuffer(8));
      const [lock, account] = [words.subarray(0, 1), words.subarray(1, 2)];
      last = new SimRedis({ "{ns:vault}": lock, "{ns:balance}": account });
      return { redis: last, lock, account, succeeded: new Int32Array(2) };
    },
    threads: [
      teller("A", 0),
      teller("B", 1),
      function* leaseEnds({ redis }: Bank) {
        yield* redis.advance("clock", LEASE + 1, ["{ns:vault}"]);
      },
    ],
    invariant: ({ redis, succeeded }: Bank) => {
      const stored = redis.store.data.get(BALANCE.key);
      const balance = stored?.type === "hash" ? Number(stored.v.get("val")) : 100;
      const expected = 100 + 10 * (succeeded[0]! + succeeded[1]!);
      return balance === expected || `balance ${balance}, expected ${expected}`;
    },
  };
}

Deno.test("The explorer finds Kleppmann's stale-holder write when the account is not fenced", () => {
  const report = explore(bank("none"));
  assert.ok(report.failure !== undefined, "a lost deposit was found");
  assert.match(report.failure.message, /balance 110, expected 120/);
  // The failing schedule: the lease ended under A, B took the lock, and both wrote 110.
  const log = last!.log.join("\n");
  assert.match(log, /clock: the clock moves/);
  assert.equal(last!.log.filter((line) => /value_set -> \[1,/.test(line)).length, 2, log);
});

Deno.test("Fencing only the write is not enough: the explorer finds a lost deposit there too", () => {
  const report = explore(bank("write"));
  assert.ok(report.failure !== undefined);
  assert.match(report.failure.message, /balance 110, expected 120/);
});

Deno.test("The explorer proves the fenced read-modify-write keeps the account, over every interleaving", () => {
  const report = explore(bank("read+write"));
  assert.equal(report.failure, undefined, report.failure?.render());
  assert.ok(report.complete);
  assert.ok(report.executions > 10, `${report.executions} executions`);
  const found = search(bank("read+write"), { numRuns: 200 });
  assert.equal(found.failure, undefined);
});

Deno.test("The explorer proves RedisValue.update(fn, { fence }) keeps the account too", () => {
  const report = explore(bank("update"));
  assert.equal(report.failure, undefined, report.failure?.render());
  assert.ok(report.complete);
});
