/** A function written against `LockLike` takes the local and the Redis locks alike. */
import assert from "node:assert/strict";
import { Lock, type LockLike, RLock, Semaphore } from "../../mod.ts";
import {
  connect,
  type RedisLock,
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

/** The bank's withdrawal, written once against LockLike. */
async function withdraw(lock: LockLike, account: { balance: number }, amount: number) {
  await using _ = await lock.acquire({ timeout: 5_000 });
  const balance = account.balance;
  await new Promise((resolve) => setTimeout(resolve, 0)); // others run here
  if (balance < amount) throw new RangeError("Insufficient funds");
  account.balance = balance - amount;
}

Deno.test("A function written against LockLike keeps the balance with a local or a Redis lock", async () => {
  assert.deepEqual(typeChecks, [true, true, true, true, true, true, false, false]);
  await using server = await startRedisServer();
  await using a = await connect(server.url);
  await using b = await connect(server.url);
  const locks: [string, LockLike, LockLike][] = [
    ["local Lock", new Lock(), new Lock()],
    ["Redis lock", a.Lock("bank"), b.Lock("bank")],
  ];
  for (const [kind, one, other] of locks) {
    const shared = kind === "Redis lock";
    const account = { balance: 100 };
    // Two tellers; with the Redis lock, each through its own context (its own process in life).
    const first = one;
    const second = shared ? other : one;
    await Promise.all([
      ...Array.from({ length: 10 }, () => withdraw(first, account, 1)),
      ...Array.from({ length: 10 }, () => withdraw(second, account, 1)),
    ]);
    assert.equal(account.balance, 80, kind);
    assert.equal(await one.locked?.(), false, kind);
  }
});
