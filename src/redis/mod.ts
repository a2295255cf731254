/**
 * Interlock past one machine: the same primitives as the local ones, shared through a Redis (or
 * Valkey) server by every process that connects to it, on any machine. Built on node-redis (npm
 * `redis`), which only this subpath loads: `@interlock/interlock` itself stays dependency-free.
 *
 * - `connect(url)` (or `fromClient(client)`) returns a context; its factories `Lock`, `RLock`,
 *   `Semaphore`, `BoundedSemaphore`, `Event`, `Condition`, `Barrier`, `Value`, `Queue`,
 *   `JoinableQueue` and `Pool` open named primitives, with the local ones' interfaces (`acquire({ timeout, signal })`, `tryAcquire()`,
 *   `release()`, `locked()`, `await using`, `TimeoutError`, `RuntimeError`,
 *   `BrokenBarrierError`), all asynchronous: **there are no `*Sync` forms**, since a network
 *   primitive cannot block a thread. A function written against `LockLike` takes a local or a
 *   Redis lock.
 * - **Leases**: every hold has a lease (default 30 s) that a watchdog renews while the context
 *   lives; a holder that dies frees its hold when the lease ends; a holder that loses its lease
 *   (paused, partitioned) learns it from `hold.signal`, and its `release()` throws
 *   {@linkcode LeaseLostError}.
 * - **Fencing tokens**: every acquisition has `hold.token`, a `bigint` larger than all earlier
 *   ones of that primitive. Fenced writes (`RedisValue.set(x, { fence })`, {@linkcode checkFence}
 *   in your own store) refuse a stale holder's write. No Redlock: it cannot give fencing tokens.
 * - **No polling**: waiters sleep in `BLPOP` on a token list of their own and are served FIFO by
 *   direct hand-off; a dead holder's lease end wakes them.
 * - **Queues and pools, at least once**: {@linkcode RedisQueue} (a stream with a consumer group)
 *   holds each item for the consumer that got it until `taskDone()` acknowledges it; one that dies
 *   or pauses past the `visibility` timeout has its items delivered again, at most
 *   `maxDeliveries` times, then they go to a dead-letter stream. {@linkcode RedisPool} sends named
 *   tasks to the processes that {@linkcode serve} the pool; a worker stores a result and
 *   acknowledges its task in one atomic step. So processing must be idempotent. Payloads read back
 *   are untrusted: one that does not decode is a {@linkcode CorruptPayloadError} for that item.
 * - **Cluster**: every key of a primitive shares the hash tag `{namespace:name}`, so one slot
 *   holds it and every script runs on one node.
 * - **Replication caveat**: Redis replicates asynchronously. If the primary fails over before a
 *   hold reached a replica, the new primary does not know it and may grant it again. Fencing
 *   tokens do not save you there either if the counter's last increments were lost. Where that
 *   matters, acquire with `{ replicas: n }` (Redis `WAIT`: the hold is acknowledged by `n`
 *   replicas or the acquisition fails), and prefer a failover that waits for replicas to catch up.
 *
 * @example
 * ```ts
 * import { connect } from "@interlock/interlock/redis";
 * import { startRedisServer } from "@interlock/interlock/redis/testing";
 * import assert from "node:assert/strict";
 *
 * await using server = await startRedisServer(); // or your own: connect("redis://host:6379")
 * await using ctx = await connect(server.url);
 * const balance = ctx.Value("balance", 100);
 * {
 *   await using hold = await ctx.Lock("balance").acquire();
 *   const b = await balance.get({ fence: hold.token }); // fence the read and the write:
 *   await balance.set(b - 1, { fence: hold.token }); // refused if a newer holder came
 * }
 * assert.equal(await balance.get(), 99);
 * ```
 *
 * @module
 */
export { connect, fromClient } from "./connect.ts";
export type { ConnectOptions, ContextOptions, TlsOptions } from "./connect.ts";
export { RedisContext } from "./context.ts";
export { RedisHold } from "./hold.ts";
export { RedisLock } from "./lock.ts";
export type { LockOptions } from "./lock.ts";
export type { AcquireOptions } from "./_holdset.ts";
export { RedisRLock } from "./rlock.ts";
export { RedisBoundedSemaphore, RedisSemaphore } from "./semaphore.ts";
export { RedisEvent } from "./event.ts";
export { RedisCondition } from "./condition.ts";
export type { ConditionOptions } from "./condition.ts";
export { RedisBarrier } from "./barrier.ts";
export type { RedisBarrierOptions } from "./barrier.ts";
export { RedisValue } from "./value.ts";
export type { ReadOptions, UpdateOptions, WriteOptions } from "./value.ts";
export { RedisQueue } from "./queue.ts";
export { RedisJoinableQueue } from "./joinable_queue.ts";
export type { DeadLetter, RedisQueueOptions } from "./queue.ts";
export { RedisPool } from "./pool.ts";
export type { RedisMapOptions, RedisTaskOptions } from "./pool.ts";
export { RedisPoolServer, serve } from "./serve.ts";
export type { ServeOptions } from "./serve.ts";
export { checkFence } from "./fence.ts";
export {
  CorruptPayloadError,
  LeaseLostError,
  RedisConnectionError,
  StaleTokenError,
} from "./errors.ts";
export { BrokenBarrierError, RuntimeError } from "../errors.ts";
export type { LockLike } from "../sync/lock_like.ts";
export type { SyncWaitOptions, WaitOptions } from "../options.ts";
export type {
  AnyModule,
  TaskArgs,
  TaskItem,
  TaskModule,
  TaskName,
  TaskResult,
} from "../pool/types.ts";
