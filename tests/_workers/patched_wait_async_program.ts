/**
 * A whole program run as a subprocess by tests/sync/presence_exit_test.ts: it loads Interlock, then
 * replaces `Atomics.waitAsync` the way the npm `multithreading` package does (a `setImmediate` loop
 * that runs until the wait settles), then makes and takes robust primitives (which join the
 * presence registry and arm presence waiters that never settle) and returns. It must end on its own.
 *
 * Usage: deno run --allow-read tests/_workers/patched_wait_async_program.ts
 *
 * @module
 */
import { setImmediate } from "node:timers";
import { Lock, RLock, Semaphore } from "../../mod.ts";

const original = Atomics.waitAsync;
Atomics.waitAsync = function (typedArray, index, value, timeout) {
  const result = original(typedArray as Int32Array, index, value as number, timeout);
  if (!result.async) return result;
  let active = true;
  const keepAlive = () => {
    if (active) setImmediate(keepAlive);
  };
  keepAlive();
  return { async: true, value: result.value.finally(() => active = false) };
} as typeof Atomics.waitAsync;

const lock = new Lock();
await lock.acquire();
lock.release();
const rlock = new RLock();
await rlock.acquire();
rlock.release();
const sem = new Semaphore(1, { robust: true });
await sem.acquire();
sem.release();
console.log("took and released a Lock, an RLock and a robust Semaphore");
