/**
 * The `Lock` and `RLock` kernels' mutants of the catalogue (`./mutants_catalogue.ts`): their waits,
 * wake-ups, waiter counts and robust sleeps.
 *
 * @module
 */
import type { Mutant } from "./mutants_catalogue.ts";

/** The Lock and RLock mutants, in the order the tool runs them. */
export const LOCK_MUTANTS: Mutant[] = [
  {
    name: "Lock: a contended acquire walks in without the lock",
    edits: [{
      file: "src/kernel/lock.ts",
      find: "      c = A.compareExchange(s, $STATE, $UNLOCKED, (me << 1) | 1);\n" +
        "      if (c === $UNLOCKED) return $ACQUIRED;\n",
      replace: "      c = A.compareExchange(s, $STATE, $UNLOCKED, (me << 1) | 1);\n" +
        "      return $ACQUIRED;\n",
    }],
    tests: ["tests/sync/lock_test.ts"],
  },
  {
    name: "Lock: release wakes no sleeper",
    edits: [{
      file: "src/kernel/lock.ts",
      find: "  if ((c & 1) !== 0) wake(A, s);\n  return true;\n",
      replace: "  return true;\n",
    }],
    // Since locks are robust, a sleeper re-checks its holder every 10 ms to 1 s, so real workers see a
    // lost wake-up only as a delay (lock_test.ts passes); the explorer sees the sleeper stuck.
    tests: [
      "tests/sync/lock_test.ts",
      "tests/explore/bank_test.ts",
      "tests/explore/mutants_test.ts",
    ],
  },
  {
    name: "Lock: a woken sleeper never counts itself as run, so releases stop waking sleepers",
    edits: [{
      file: "src/kernel/lock.ts",
      find: "      if (s.length > $WOKEN) A.sub(s, $WOKEN, 1); // we ran: see the module doc\n",
      replace: "",
    }],
    tests: ["tests/explore/bank_test.ts", "tests/explore/mutants_test.ts"],
  },
  {
    name: "Lock: a release counts a wake that woke nobody, so later releases skip their wakes",
    edits: [{
      file: "src/kernel/lock.ts",
      find: "  if (A.notify(s, $STATE, 1) !== 0) A.add(s, $WOKEN, 1);\n",
      replace: "  A.notify(s, $STATE, 1);\n  A.add(s, $WOKEN, 1);\n",
    }],
    tests: ["tests/explore/bank_test.ts", "tests/explore/mutants_test.ts"],
  },
  {
    name: "Lock: a sleeper whose nap ran out also resets a negative count of woken threads",
    edits: [{
      file: "src/kernel/lock.ts",
      find: "  while (v > 0) {\n",
      replace: "  while (v !== 0) {\n",
    }],
    // An abort's uncounted wakes leave the count below 0; a reset then lets a late count raise it
    // for good (the explorer's abort scenario ends with releases skipping their wakes).
    tests: ["tests/explore/primitives_test.ts"],
    filter: "aborted Lock.acquire",
  },
  {
    name: "Lock: a sleeper whose nap ran out leaves a count of woken threads raised by a dead one",
    edits: [{
      file: "src/kernel/lock.ts",
      find: "      if (s.length > $WOKEN) unstick(A, s);\n",
      replace: "",
    }],
    tests: ["tests/sync/lock_test.ts"],
    filter: "nap ends",
  },
  {
    name: "Lock: a blocking acquire sleeps past its patience, so a dead holder goes unnoticed",
    edits: [{
      file: "src/sync/_robust.ts",
      find: "    setNap(patience);\n",
      replace: "",
    }],
    tests: ["tests/sync/robust_test.ts"],
  },
  {
    name: "Lock: a waiter leaves the slow path without counting itself out (nobody spins again)",
    edits: [{
      file: "src/kernel/lock.ts",
      find: "  A.sub(s, $WAITERS, 1);\n  return r;\n",
      replace: "  return r;\n",
    }],
    // Only speed is lost (the count says whether to spin), so the test is the one that reads it.
    tests: ["tests/explore/robust_test.ts"],
    filter: "waiter count",
  },
  {
    name: "RLock: clears its owner after releasing the lock, erasing the next owner's record",
    edits: [{
      file: "src/kernel/rlock.ts",
      find: "  A.store(s, $COUNT, 0);\n  A.store(s, $OWNER, 0);\n" +
        '  if (!L.release(A, s, who)) throw new Error("Inconsistent RLock state: owned but unlocked");\n',
      replace:
        '  if (!L.release(A, s, who)) throw new Error("Inconsistent RLock state: owned but unlocked");\n' +
        "  A.store(s, $COUNT, 0);\n  A.store(s, $OWNER, 0);\n",
    }],
    tests: ["tests/sync/rlock_test.ts"],
  },
];
