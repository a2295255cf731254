/**
 * Pieces the explorer's primitive tests share: shared counters, the checks that tell a timeout
 * from an abort, and the Condition hand-off that the timed-out and aborted waits are raced against.
 *
 * @module
 */
import assert from "node:assert/strict";
import { Condition, type Event, Lock, Semaphore } from "../../mod.ts";
import { type Scenario, sim, type Step } from "../../src/explore/mod.ts";

/** `n` zeroed 32-bit words in fresh shared memory. */
export function cells(n: number): Int32Array {
  return new Int32Array(new SharedArrayBuffer(4 * n));
}

/** Whether `e` is the `DOMException` a `timeout` ends a wait with. */
export function isTimeout(e: unknown): boolean {
  return e instanceof DOMException && e.name === "TimeoutError";
}

/** Whether `e` is the `DOMException` an abort ends a wait with. */
export function isAbort(e: unknown): boolean {
  return e instanceof DOMException && e.name === "AbortError";
}

/**
 * Runs `wait` in the calling simulated thread and says how it ended: `done` if it returned,
 * `"timed out"` or `"aborted"` if the cancellation `by` ended it (any other error fails the test).
 */
export function* endsBy(
  by: "timeout" | "abort",
  wait: Step<unknown>,
  done: string,
): Step<string> {
  try {
    yield* wait;
    return done;
  } catch (e) {
    assert.ok(by === "timeout" ? isTimeout(e) : isAbort(e), String(e));
    return by === "timeout" ? "timed out" : "aborted";
  }
}

/** The consumer of {@linkcode handOffAgainst}: waits under the lock for an item and takes it. */
export function* consumer({ cond, items }: HandOff): Step<void> {
  const c = sim(cond);
  yield* c.acquire();
  while ((yield* sim(items).load(0)) === 0) yield* c.wait();
  yield* sim(items).sub(0, 1);
  yield* c.release();
}

/** The producer of {@linkcode handOffAgainst}: adds an item under the lock and notifies. */
export function* producer({ cond, items }: HandOff): Step<void> {
  const c = sim(cond);
  yield* c.acquire();
  yield* sim(items).add(0, 1);
  yield* c.notify();
  yield* c.release();
}

/** Two threads that each add 1 to `n` while they hold a `Semaphore(1)`. */
export function guardedAdds(): Scenario<{ sem: Semaphore; n: Int32Array }> {
  return {
    setup: () => ({ sem: new Semaphore(1), n: cells(1) }),
    threads: [0, 1].map(() =>
      function* t({ sem, n }: { sem: Semaphore; n: Int32Array }) {
        yield* sim(sem).acquire();
        yield* sim(n).add(0, 1);
        yield* sim(sem).release();
      }
    ),
  };
}

/** A thread that waits for `ev` to be set. */
export function* waiter({ ev }: { ev: Event }): Step<void> {
  yield* sim(ev).wait();
}

/** A thread that sets `ev`. */
export function* setter({ ev }: { ev: Event }): Step<void> {
  yield* sim(ev).set();
}

/** A condition over a `Lock` and the count of items it guards. */
export type HandOff = { cond: Condition; items: Int32Array };

/** A fresh {@linkcode HandOff}: the lock free, no item. */
export function handOffState(): HandOff {
  return { cond: new Condition(new Lock()), items: cells(1) };
}

/**
 * A consumer that waits for an item and a producer that adds one and notifies, raced against a
 * thread whose wait on the same condition ends early `by` a timeout or an abort (and that passes
 * the notification on if it got it after all): whatever the interleaving, the cancelled wait holds
 * the lock again, the item is consumed, nobody is left counted as waiting and the lock is free.
 */
export function handOffAgainst(by: "timeout" | "abort"): Scenario<HandOff> {
  return {
    setup: handOffState,
    threads: [
      function* cancelled({ cond }: HandOff) {
        const c = sim(cond);
        yield* c.acquire();
        const options = by === "timeout" ? { timeout: 5 } : { abortable: true };
        // Notified after all: the notification was meant for the consumer, pass it on.
        if ((yield* endsBy(by, c.wait(options), "notified")) === "notified") yield* c.notify();
        assert.ok(cond.lock.locked(), "returned without the lock");
        yield* c.release();
      },
      consumer,
      producer,
    ],
    invariant: ({ cond, items }) =>
      items[0] === 0 && new Int32Array(cond.buffer, cond.byteOffset, 3)[2] === 0 &&
      !cond.lock.locked(),
  };
}

/**
 * A holder takes and releases a lock while another thread's acquire may end early `by` a timeout
 * or an abort; the second thread returns `"held"` or how it ended.
 */
export function acquireAgainstHolder(by: "timeout" | "abort"): Scenario<{ lock: Lock }> {
  return {
    setup: () => ({ lock: new Lock() }),
    threads: [function* holder({ lock }: { lock: Lock }) {
      yield* sim(lock).acquire();
      yield* sim(lock).release();
    }, function* impatient({ lock }: { lock: Lock }) {
      try {
        yield* sim(lock).acquire(by === "timeout" ? { timeout: 5 } : { abortable: true });
      } catch {
        return by === "timeout" ? "timed out" : "aborted";
      }
      yield* sim(lock).release();
      return "held";
    }],
  };
}

/**
 * Two threads write two different words; `always` fails only in the state where the second thread
 * wrote first, reachable only if a search reorders the independent writes.
 */
export function writesUnderAlways(): Scenario<{ m: Int32Array }> {
  type S = { m: Int32Array };
  return {
    setup: () => ({ m: new Int32Array(new SharedArrayBuffer(8)) }),
    threads: [function* a({ m }: S) {
      yield* sim(m).store(0, 1);
    }, function* b({ m }: S) {
      yield* sim(m).store(1, 1);
    }],
    always: ({ m }) => !(m[1] === 1 && m[0] === 0) || "b wrote first",
  };
}
