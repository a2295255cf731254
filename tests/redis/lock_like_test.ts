/** A function written against `LockLike` takes the local and the Redis locks alike. */
import assert from "node:assert/strict";
import { Lock, type LockLike, RLock, Semaphore } from "../../mod.ts";
import {
  connect,
  type RedisBarrier,
  type RedisCondition,
  type RedisEvent,
  type RedisJoinableQueue,
  type RedisLock,
  type RedisQueue,
  type RedisRLock,
  type RedisSemaphore,
} from "../../src/redis/mod.ts";
import { startRedisServer } from "./_server.ts";

type Assignable<T, U> = [T] extends [U] ? true : false;
// Type-level: every lock of either kind is a LockLike; a Redis lock is not the local class
// (no acquireSync, no shared memory), which is why the interface exists.
const typeChecks: [
  Assignable<Lock, LockLike>,
  Assignable<RLock, LockLike>,
  Assignable<Semaphore, LockLike>,
  Assignable<RedisLock, LockLike>,
  Assignable<RedisRLock, LockLike>,
  Assignable<RedisSemaphore, LockLike>,
  Assignable<RedisLock, Lock>,
  Assignable<RedisLock, { acquireSync(): unknown }>,
] = [true, true, true, true, true, true, false, false];

// Type-level: no Redis primitive has a blocking form a caller could use (each is typed `never`).
const noBlockingForms: [
  Assignable<RedisRLock, { acquireSync(): unknown }>,
  Assignable<RedisSemaphore, { acquireSync(): unknown }>,
  Assignable<RedisCondition, { waitSync(): unknown }>,
  Assignable<RedisCondition, { waitForSync(): unknown }>,
  Assignable<RedisEvent, { waitSync(): unknown }>,
  Assignable<RedisBarrier, { waitSync(): unknown }>,
  Assignable<RedisQueue, { putSync(item: unknown): unknown }>,
  Assignable<RedisQueue, { getSync(): unknown }>,
  Assignable<RedisJoinableQueue, { joinSync(): unknown }>,
] = [false, false, false, false, false, false, false, false, false];

/** The bank's withdrawal, written once against LockLike. */
async function withdraw(lock: LockLike, account: { balance: number }, amount: number) {
  await using _ = await lock.acquire({ timeout: 5_000 });
  const balance = account.balance;
  await new Promise((resolve) => setTimeout(resolve, 0)); // others run here
  if (balance < amount) throw new RangeError("Insufficient funds");
  account.balance = balance - amount;
}

Deno.test("A function written against LockLike keeps the balance with local and Redis locks", async () => {
  assert.deepEqual(typeChecks, [true, true, true, true, true, true, false, false]);
  await using server = await startRedisServer();
  await using a = await connect(server.url);
  await using b = await connect(server.url);
  // With a Redis lock, two tellers, each through its own context (its own process in life).
  const pairs: [string, LockLike, LockLike][] = [
    ["local Lock", new Lock(), undefined!],
    ["local RLock", new RLock(), undefined!],
    ["local Semaphore", new Semaphore(1), undefined!],
    ["RedisLock", a.Lock("bank"), b.Lock("bank")],
    ["RedisRLock", a.RLock("bank"), b.RLock("bank")],
    ["RedisSemaphore", a.Semaphore("bank", 1), b.Semaphore("bank", 1)],
  ];
  for (const [kind, first, other] of pairs) {
    // An RLock's owner is the thread (local) or the context (Redis): async tellers of one owner
    // share the hold, as in Python, so each owner's teller withdraws one amount at a time.
    const reentrant = kind.includes("RLock");
    const tellers = other === undefined ? [first] : [first, other];
    const account = { balance: 100 };
    await Promise.all(tellers.map(async (lock) => {
      if (reentrant) { for (let i = 0; i < 10; i++) await withdraw(lock, account, 1); }
      else await Promise.all(Array.from({ length: 10 }, () => withdraw(lock, account, 1)));
    }));
    assert.equal(account.balance, 100 - 10 * tellers.length, kind);
    assert.equal(await first.locked?.() ?? false, false, kind);
  }
});

Deno.test("Redis primitives have no blocking forms, in their types too", async () => {
  await using server = await startRedisServer();
  await using ctx = await connect(server.url);
  // @ts-expect-error: acquireSync is typed `never` on a Redis lock
  assert.throws(() => ctx.Lock("a").acquireSync());
  for (const object of [ctx.Lock("a"), ctx.RLock("a"), ctx.Semaphore("a"), ctx.Condition("a")]) {
    assert.equal("acquireSync" in object, false);
  }
  assert.equal("waitSync" in ctx.Event("e"), false);
  assert.equal("waitSync" in ctx.Barrier("b", 2), false);
  const queue = ctx.JoinableQueue("q");
  for (const name of ["putSync", "getSync", "joinSync"]) assert.equal(name in queue, false, name);
  // @ts-expect-error: getSync is typed `never` on a Redis queue
  assert.throws(() => queue.getSync());
  assert.deepEqual(noBlockingForms, Array(noBlockingForms.length).fill(false));
});
