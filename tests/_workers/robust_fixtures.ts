/**
 * Worker-side bodies for the robustness tests: holders that die holding, and waiters that learn it.
 *
 * A holder takes what it is given, says so in `flags[0]`, and then awaits forever, so that
 * `worker.terminate()` really ends it (Deno 2.9 cannot stop a worker that runs synchronous code).
 *
 * @module
 */
import { Condition, type Lock, OwnerDiedError, RLock, type Semaphore } from "../../mod.ts";

/** Says that this worker holds what it took, then never returns (the test terminates it). */
function holdForever(flags: Int32Array): Promise<never> {
  Atomics.add(flags, 0, 1);
  Atomics.notify(flags, 0);
  return new Promise<never>(() => {});
}

/** Takes `lock` (blocking form if `sync`), twice if it is an RLock, then holds it until killed. */
export async function holdLock(lock: Lock | RLock, sync: boolean, flags: Int32Array) {
  if (sync) lock.acquireSync();
  else await lock.acquire();
  if (lock instanceof RLock) lock.acquireSync(); // recursion count 2: the taker gets 1
  return await holdForever(flags);
}

/**
 * Takes `lock`, says so, and then ends its own thread while holding it: `self.close()` ("close"),
 * or an uncaught error ("throw").
 */
export async function holdAndEnd(lock: Lock, how: "close" | "throw", flags: Int32Array) {
  await lock.acquire();
  Atomics.add(flags, 0, 1);
  Atomics.notify(flags, 0);
  if (how === "close") (globalThis as unknown as { close(): void }).close();
  else {setTimeout(() => {
      throw new Error("the worker's thread fails while holding the lock");
    });}
  return await new Promise<never>(() => {});
}

/** Takes `n` permits of `semaphore`, then holds them until killed. */
export async function holdPermits(semaphore: Semaphore, n: number, flags: Int32Array) {
  for (let k = 0; k < n; k++) await semaphore.acquire();
  return await holdForever(flags);
}

/** Takes the lock of `condition`, notifies a waiter, and holds the lock until killed. */
export async function holdCondition(condition: Condition, flags: Int32Array) {
  const mine = Condition.from(condition);
  await mine.acquire();
  mine.notify();
  return await holdForever(flags);
}

/**
 * Takes the lock of `condition`, raises `flags[1]` and waits on it blocking (`waitSync`); reports
 * the outcome: the error's name, or "notified", and whether it holds the lock again.
 */
export function waitOnConditionSync(condition: Condition, flags: Int32Array): string {
  const mine = Condition.from(condition);
  mine.acquireSync();
  Atomics.add(flags, 1, 1);
  let outcome = "notified";
  try {
    mine.waitSync();
  } catch (e) {
    outcome = e instanceof OwnerDiedError ? "OwnerDiedError" : (e as Error).name;
  }
  const held = mine.lock instanceof RLock ? mine.lock.owned() : mine.lock.locked();
  mine.release();
  return `${outcome}, ${held ? "held" : "not held"}`;
}

/**
 * Waits for `lock` in a blocking acquire (raising `flags[1]` first); reports the outcome: the
 * error's name, or "acquired".
 */
export function waitBlocking(lock: Lock | RLock, flags: Int32Array, timeout: number): string {
  Atomics.add(flags, 1, 1);
  try {
    lock.acquireSync({ timeout });
    lock.release();
    return "acquired";
  } catch (e) {
    return e instanceof OwnerDiedError ? "OwnerDiedError" : (e as Error).name;
  }
}

/**
 * Holds `lock` while it keeps this thread busy for `ms` (synchronous code: its presence cannot
 * re-arm meanwhile), then releases it; returns how long it held it.
 */
export function holdBusy(lock: Lock, flags: Int32Array, ms: number): number {
  using _ = lock.acquireSync();
  Atomics.add(flags, 0, 1);
  const start = performance.now();
  while (performance.now() - start < ms) { /* busy: no event loop turn */ }
  return performance.now() - start;
}
