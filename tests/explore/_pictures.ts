/**
 * Failures to draw: the bank's lost update, two locks taken in opposite orders (a deadlock), a
 * wake-up through an `Event`, and a hostile scenario whose thread names and `setup()` keys are
 * markup. Each is found by a deterministic strategy, so its picture is the same on every run.
 *
 * @module
 */
import { Event, Lock } from "../../mod.ts";
import {
  type ExplorationFailure,
  explore,
  replay,
  type Scenario,
  sim,
} from "../../src/explore/mod.ts";
import { bankScenario } from "../../examples/bank/scenario.ts";
import { LOST_UPDATE_TOKEN } from "../../tools/pictures.ts";

/** The unlocked bank's lost update, replayed from {@linkcode LOST_UPDATE_TOKEN}. */
export function lostUpdate(): ExplorationFailure {
  const failure = replay(bankScenario(false, 2, 1), LOST_UPDATE_TOKEN).failure;
  if (failure === undefined) throw new Error("The lost update's token no longer fails");
  return failure;
}

/** Names a generator function (thread names head the lanes). */
function named<F extends (...args: never[]) => unknown>(name: string, f: F): F {
  Object.defineProperty(f, "name", { value: name });
  return f;
}

type Locks = Record<string, Lock>;

/** Two threads taking two locks in opposite orders; `names` of the threads and of the locks. */
export function deadlockScenario(
  threads: [string, string] = ["ab", "ba"],
  locks: [string, string] = ["a", "b"],
): Scenario<Locks> {
  const [a, b] = locks;
  const take = (first: string, second: string) =>
    function* (shared: Locks) {
      yield* sim(shared[first]!).acquire();
      yield* sim(shared[second]!).acquire();
      yield* sim(shared[second]!).release();
      yield* sim(shared[first]!).release();
    };
  return {
    name: "two locks in opposite orders",
    setup: () => ({ [a]: new Lock(), [b]: new Lock() }),
    threads: [named(threads[0], take(a, b)), named(threads[1], take(b, a))],
  };
}

/** The deadlock of {@linkcode deadlockScenario}, found by exhaustive search. */
export function deadlock(
  threads?: [string, string],
  locks?: [string, string],
): ExplorationFailure {
  const failure = explore(deadlockScenario(threads, locks)).failure;
  if (failure?.kind !== "deadlock") {
    throw new Error("Two locks in opposite orders did not deadlock");
  }
  return failure;
}

/**
 * T0 waits on an `Event` that T1 sets: the first schedule explored (T0 sleeps, T1's `set` wakes
 * it), made a failure by an invariant that never holds, so it can be drawn.
 */
export function wakeUp(): ExplorationFailure {
  const failure = explore<{ ready: Event }>({
    name: "event hand-off",
    setup: () => ({ ready: new Event() }),
    threads: [
      named("waiter", function* ({ ready }: { ready: Event }) {
        yield* sim(ready).wait();
      }),
      named("setter", function* ({ ready }: { ready: Event }) {
        yield* sim(ready).set();
      }),
    ],
    invariant: () => "shown on purpose",
  }).failure;
  if (failure === undefined) throw new Error("The event scenario did not fail");
  return failure;
}

/** The locked bank: no failure to draw. */
export const lockedBank: Scenario<unknown> = bankScenario(true, 2, 1) as Scenario<unknown>;
