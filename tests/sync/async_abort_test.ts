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
import { Event } from "../../mod.ts";
import { ASYNC, type KernelGen, type WaitResult } from "../../src/_atomics.ts";
import { runAsync } from "../../src/_async.ts";
import * as K from "../../src/kernel/event.ts";
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

test("An aborted Event.wait() leaves no waiter on the event's word to take a later notify", async () => {
  const event = new Event();
  const words = new Int32Array(event.buffer, event.byteOffset, K.BYTES / 4);
  const controller = new AbortController();
  // No deadline: the kernel's wait is a waitAsync without a timeout, registered in this turn.
  const waiting = event.wait({ signal: controller.signal });
  assert.equal(words[K.WAITERS], 1, "the wait did not get to sleep");
  const reason = new Error("stop");
  controller.abort(reason);
  await assert.rejects(waiting, (e) => e === reason);
  assert.equal(Atomics.notify(words, K.STATE, Infinity), 0, "a waiter was left on the event");
  assert.equal(words[K.WAITERS], 0);
});
