/**
 * Aborts of the Promise forms (`src/_async.ts`): an aborted wait must leave no `Atomics.waitAsync`
 * waiter behind. Every runtime lets such a waiter take a later `notify(word, 1)`, and its promise
 * settles only when its thread's event loop runs again: a thread that meanwhile slept in
 * `Atomics.wait` on the same word (a Queue consumer retrying `get` after an aborted one, blocking
 * briefly on the lane lock) took its own wake-up and slept forever. Counting the waiters a
 * `notify(word, Infinity)` wakes tells, without any timing, whether one was left behind.
 *
 * @module
 */
import assert from "node:assert/strict";
import { Lock } from "../../mod.ts";
import { ASYNC, type KernelGen, type WaitResult } from "../../src/_atomics.ts";
import { runAsync } from "../../src/_async.ts";
import * as K from "../../src/kernel/lock.ts";
import { test } from "../_portable/test.ts";

test("An aborted async wait leaves no waiter on its word to take a later notify", async () => {
  const word = new Int32Array(new SharedArrayBuffer(4));
  function* sleep(): KernelGen<WaitResult> {
    return yield* ASYNC.wait(word, 0, 0, Infinity);
  }
  const controller = new AbortController();
  // runAsync calls Atomics.waitAsync before it first awaits: the waiter is registered here.
  const sleeping = runAsync(sleep(), controller.signal);
  controller.abort();
  assert.equal(await sleeping, "timed-out");
  assert.equal(Atomics.notify(word, 0, Infinity), 0, "a waiter was left on the word");
});

test("An aborted Lock.acquire() leaves no waiter on the lock's word to take the release's wake-up", async () => {
  const lock = new Lock();
  const state = new Int32Array(lock.buffer, lock.byteOffset, K.BYTES / 4);
  lock.acquireSync();
  const controller = new AbortController();
  const aborted = lock.acquire({ signal: controller.signal });
  // The waiter announced itself (and slept: runAsync waits in the same turn as the kernel step).
  assert.equal(state[K.STATE]! & 1, 1, "the async acquire did not get to sleep");
  const reason = new Error("stop");
  controller.abort(reason);
  await assert.rejects(aborted, (e) => e === reason);
  assert.equal(Atomics.notify(state, K.STATE, Infinity), 0, "a waiter was left on the lock");
  lock.release();
  assert.equal(lock.locked(), false);
});
