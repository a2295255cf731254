/**
 * The catalogue of `deno task mutants` (see `tools/mutants.ts`): bugs that break a promise the
 * library makes, each written as exact edits of `src/`, with the tests that must kill it.
 *
 * A snippet must occur exactly once in its file; when the code it names moves or changes, the
 * tool fails loudly and the snippet is re-pointed here. Keep each mutant to the smallest change
 * that breaks one promise, and its tests to the few that should notice (the tool runs only those).
 *
 * @module
 */
import { LOCK_MUTANTS } from "./_mutants_lock.ts";

/** One exact edit: replace the only occurrence of `find` in `file` with `replace`. */
export interface Edit {
  /** Path from the repository root. */
  file: string;
  /** Text that must occur exactly once in the file. */
  find: string;
  /** What it becomes. */
  replace: string;
}

/** A named bug and the tests that must notice it. */
export interface Mutant {
  /** What is broken, as a sentence. */
  name: string;
  /** The edits that make the bug. */
  edits: Edit[];
  /** Test files (from the repository root) that must kill it. */
  tests: string[];
  /** Only the tests whose name matches (`deno test --filter`). */
  filter?: string;
}

/** The mailbox explorations of clients and a server, without the (slower) dead-holder ones. */
const MAILBOX_SCENARIOS = "/^Mailbox: (2 clients|an end|PCT)/";

/** Every mutant, in the order the tool runs them. */
export const MUTANTS: Mutant[] = [
  ...LOCK_MUTANTS,
  {
    name: "Seam: Condition waiters never probe, so a hand-off whose two sides sleep stays asleep",
    edits: [{
      file: "src/_atomics.ts",
      find: "  return (seq & (PROBE_EVERY - 1)) < 2 ? SPIN_PROBE : budgets[NOTIFY]!;\n",
      replace: "  return budgets[NOTIFY]!;\n",
    }],
    tests: ["tests/sync/notify_spin_test.ts"],
  },
  {
    name: "Seam: a Condition waiter's budget stays low after a spin that caught its notify",
    edits: [{
      file: "src/_atomics.ts",
      find: "  if (!notifySlept) budgets[NOTIFY] = SPIN_MAX;\n",
      replace: "",
    }],
    tests: ["tests/sync/notify_spin_test.ts"],
  },
  {
    name: "Manager: releasing a managed object leaves it on the server",
    edits: [{
      file: "src/manager/_host.ts",
      find: "    release: (id) => ok(objects.delete(id)),\n",
      replace: "    release: (id) => ok(objects.has(id)),\n",
    }],
    tests: ["tests/manager/lifetime_test.ts"],
    filter: "eleas",
  },
  {
    name: "Presence: a probe that wakes the holder's presence waiter still calls it gone",
    edits: [{
      file: "src/kernel/presence.ts",
      find: "  return A.notify(s, lease + 1, 1) === 1 ? ALIVE : GONE;\n",
      replace: "  A.notify(s, lease + 1, 1);\n  return GONE;\n",
    }],
    tests: ["tests/sync/robust_test.ts"],
    filter: "never taken for dead",
  },
  {
    name:
      "Presence: probing an id trusts the first entry holding it (a dead namesake hides the holder)",
    edits: [{
      file: "src/kernel/presence.ts",
      find: "    if (v === GONE) retire(A, s, w, gen);\n",
      replace: "    if (v === GONE) return retire(A, s, w, gen) ? GONE : GONE;\n",
    }],
    tests: ["tests/sync/robust_test.ts"],
    filter: "namesake",
  },
  {
    name: "Value: a float64 is stored as two 32-bit halves, so a reader can see a torn value",
    edits: [{
      file: "src/kernel/value.ts",
      find:
        "export function set(A: Seam, v: AtomicArray, i: number, kind: Kind, x: number | bigint): void {\n",
      replace:
        "export function set(A: Seam, v: AtomicArray, i: number, kind: Kind, x: number | bigint): void {\n" +
        "  if (kind === $FLOAT64) {\n" +
        "    const bits = toBits(x as number, kind) as bigint;\n" +
        "    const halves = new Int32Array(v.buffer, v.byteOffset + i * 8, 2);\n" +
        "    A.store(halves, 0, Number(BigInt.asIntN(32, bits)));\n" +
        "    A.store(halves, 1, Number(bits >> 32n));\n" +
        "    return;\n" +
        "  }\n",
    }],
    tests: ["tests/shared/value_test.ts"],
    filter: "torn",
  },
  {
    name:
      "Condition: a waiter sleeps on a word that never changes (a notify before its wait is lost)",
    edits: [{
      file: "src/kernel/condition.ts",
      find: "    const result = A.wait(c, $SEQ, seq, deadline);\n",
      replace: "    const result = A.wait(c, 0, A.load(c, 0), deadline);\n",
    }, {
      file: "src/kernel/condition.ts",
      find: "  A.notify(c, $SEQ, k);\n",
      replace: "  A.notify(c, 0, k);\n",
    }],
    tests: ["tests/explore/primitives_test.ts", "tests/sync/condition_test.ts"],
    filter: "Condition",
  },
  {
    name: "Condition over an RLock: the notifier's release drops the wake-up its notify owes",
    edits: [{
      file: "src/explore/sim/rlock.ts",
      find:
        "      if (owingWakes() && (yield* G.recursionCount(SIM, this.#s, id)) === 0) yield* payWakes();\n",
      replace: "",
    }],
    tests: ["tests/explore/primitives_test.ts"],
    filter: "notify held twice",
  },
  {
    name:
      "Condition: a nap that times out deregisters its waiter (the token owed by a dead notifier is lost)",
    edits: [{
      file: "src/kernel/condition.ts",
      find: "      if (!nap) leave(A, c);\n",
      replace: "      leave(A, c);\n",
    }],
    tests: ["tests/sync/condition_test.ts"],
    filter: "a nap that ends",
  },
  {
    name:
      "Condition: a blocking wait's first try to take its lock back returns even if it timed out",
    edits: [{
      file: "src/sync/condition.ts",
      find: "    if (status === KL.ACQUIRED) return notified;\n",
      replace: "    if (status !== KL.OWNER_DIED) return notified;\n",
    }],
    tests: ["tests/sync/robust_test.ts"],
    filter: "a worker's blocking wait whose notifier is terminated",
  },
  {
    name: "Condition: a waiter reads the sequence word after releasing the lock",
    edits: [{
      file: "src/kernel/condition.ts",
      find: "  const seq = A.load(c, $SEQ);\n  const saved = unlock(A, lk, reentrant, me, who);\n",
      replace:
        "  const saved = unlock(A, lk, reentrant, me, who);\n  const seq = A.load(c, $SEQ);\n",
    }],
    tests: ["tests/explore/primitives_test.ts", "tests/sync/condition_test.ts"],
    filter: "Condition",
  },
  {
    name: "Semaphore: tryAcquire takes a permit from an empty semaphore",
    edits: [{
      file: "src/kernel/semaphore.ts",
      find:
        "  while ((c & $MAX_VALUE) > 0) {\n    const seen = A.compareExchange(s, $VALUE, c, c - 1);\n",
      replace:
        "  while ((c & $MAX_VALUE) > -1) {\n    const seen = A.compareExchange(s, $VALUE, c, c - 1);\n",
    }],
    tests: ["tests/sync/semaphore_test.ts"],
    filter: "never admits",
  },
  // (release(n) waking one sleeper whatever n is an equivalent mutant since a woken acquirer
  // passes on the permits left, below: the others wake one after another, later.)
  {
    name: "Semaphore: a woken acquirer keeps quiet about the permits left that woke nobody",
    edits: [{
      file: "src/kernel/semaphore.ts",
      find:
        "      if (slept !== 0 && (c & $MAX_VALUE) > 1) A.notify(s, $VALUE, (c & $MAX_VALUE) - 1);\n",
      replace: "",
    }],
    tests: ["tests/explore/primitives_test.ts"],
    filter: "timed-out Semaphore",
  },
  {
    name: "Semaphore: a woken acquirer takes its permit without setting SLEEPERS again",
    edits: [{
      file: "src/kernel/semaphore.ts",
      find: "      const seen = A.compareExchange(s, $VALUE, c, (c - 1) | slept);\n",
      replace: "      const seen = A.compareExchange(s, $VALUE, c, c - 1);\n",
    }],
    tests: ["tests/explore/primitives_test.ts"],
    filter: "Semaphore",
  },
  {
    name:
      "Semaphore: a waiter leaves the slow path without counting itself out (nobody spins again)",
    edits: [{
      file: "src/kernel/semaphore.ts",
      find: "  A.sub(s, $WAITERS, 1);\n  return r;\n",
      replace: "  return r;\n",
    }],
    // Only speed is lost (the count says whether to spin), so the tests are those that read it.
    tests: ["tests/explore/robust_test.ts", "tests/sync/semaphore_test.ts"],
    filter: "aiter",
  },
  {
    name: "Semaphore: release's fast path forgets the bound",
    edits: [{
      file: "src/kernel/semaphore.ts",
      find: "  if (expect <= bound - n) {\n",
      replace: "  if (expect >= 0) {\n",
    }],
    tests: ["tests/sync/semaphore_test.ts"],
    filter: "BoundedSemaphore",
  },
  {
    name: "Event: set() wakes one waiter instead of all",
    edits: [{
      file: "src/kernel/event.ts",
      find: "  if (A.load(e, $WAITERS) > 0) A.notify(e, $STATE, Infinity);\n",
      replace: "  if (A.load(e, $WAITERS) > 0) A.notify(e, $STATE, 1);\n",
    }],
    tests: ["tests/sync/event_test.ts"],
  },
  {
    name: "Event: a waiter woken by set() goes back to sleep if clear() came first",
    edits: [{
      file: "src/kernel/event.ts",
      find:
        "    const result = A.wait(e, $STATE, v, deadline);\n    if (A.load(e, $STATE) !== v) {\n",
      replace:
        "    const result = A.wait(e, $STATE, v, deadline);\n    if ((A.load(e, $STATE) & $FLAG) !== 0) {\n",
    }],
    // The explorer's version: every interleaving, so the kill does not depend on timing (the
    // workers' test in tests/sync/event_test.ts let it survive once in CI).
    tests: ["tests/explore/primitives_test.ts"],
    filter: "then clear() at once",
  },
  {
    name: "Barrier: a generation admits one party too many",
    edits: [{
      file: "src/kernel/barrier.ts",
      find: "    if (phase === $FILLING && count < p) {\n",
      replace: "    if (phase === $FILLING && count <= p) {\n",
    }],
    tests: ["tests/sync/barrier_test.ts"],
  },
  {
    name: "Barrier: abort() wakes none of the parties waiting",
    edits: [{
      file: "src/kernel/barrier.ts",
      find:
        "    v = seen;\n  }\n  A.notify(b, $STATE, Infinity);\n}\n\n/**\n * Returns the barrier",
      replace: "    v = seen;\n  }\n}\n\n/**\n * Returns the barrier",
    }],
    tests: ["tests/sync/barrier_test.ts"],
  },
  {
    name: "Queue: a claim on the fast path skips a slot once the ring has wrapped",
    edits: [{
      file: "src/kernel/queue.ts",
      find: "    A.compareExchange(q, $DEQ, g, (g + 1) & $MASK) === g\n",
      replace:
        "    A.compareExchange(q, $DEQ, g, (g + (g > S.mask && (g & S.mask) === S.mask ? 2 : 1)) & $MASK) === g\n",
    }],
    tests: ["tests/channel/queue_explore_test.ts"],
  },
  {
    name: "Queue: a claim on the slow path skips a slot once the ring has wrapped",
    edits: [{
      file: "src/kernel/queue.ts",
      find: "      if (A.compareExchange(q, $DEQ, p, (p + 1) & $MASK) === p) {\n",
      replace:
        "      if (A.compareExchange(q, $DEQ, p, (p + (p > S.mask && (p & S.mask) === S.mask ? 2 : 1)) & $MASK) === p) {\n",
    }],
    tests: ["tests/channel/queue_explore_test.ts"],
  },
  {
    name: "Queue: close() wakes nobody",
    edits: [{
      file: "src/kernel/queue.ts",
      find: "  A.add(q, $PUT_SEQ, 2);\n  A.notify(q, $PUT_SEQ, Infinity);\n" +
        "  A.add(q, $SPACE_SEQ, 2);\n  A.notify(q, $SPACE_SEQ, Infinity);\n" +
        "  A.add(q, $SLOT_SEQ, 2);\n  A.notify(q, $SLOT_SEQ, Infinity);\n",
      replace: "  A.add(q, $PUT_SEQ, 2);\n  A.add(q, $SPACE_SEQ, 2);\n  A.add(q, $SLOT_SEQ, 2);\n",
    }],
    tests: ["tests/channel/queue_test.ts"],
    filter: "close() wakes workers",
  },
  {
    name: "Queue lane: a lane pop takes a lane record while the ring still holds earlier ones",
    edits: [{
      file: "src/kernel/queue_lane.ts",
      find: "  if ((A.load(q, $ENQ) & $MASK) !== d) return $RING;\n",
      replace: "",
    }],
    tests: ["tests/channel/queue_explore_test.ts"],
  },
  {
    name:
      "Queue lane, seen through a Pipe: a receive takes a large value from the lane before a small one sent earlier",
    edits: [{
      file: "src/kernel/queue_lane.ts",
      find: "  if ((A.load(q, $ENQ) & $MASK) !== d) return $RING;\n",
      replace: "",
    }],
    // The Pipe's linearizability check (sim(connection): ring and lane), shrunk to 2 threads.
    tests: ["tests/explore/linearizability_test.ts"],
    filter: "Pipe",
  },
  {
    name: "Pipe: closing an end does not end the other end's receives (no EOF)",
    edits: [{
      file: "src/channel/pipe.ts",
      find: "    this.#tx?.close();\n    this.#rx?.close();\n  }\n",
      replace: "    this.#rx?.close();\n  }\n",
    }],
    tests: ["tests/channel/pipe_test.ts"],
  },
  {
    name: "Manager: a client claims a mailbox slot without a CAS, so two clients can share one",
    edits: [{
      file: "src/kernel/manager.ts",
      find: "      A.compareExchange(s, slotWord(k), S_FREE, mine) === S_FREE\n",
      replace: "      A.store(s, slotWord(k), mine) === mine\n",
    }],
    // Real workers rarely meet in the window between the load and the store (tests/manager/
    // manager_test.ts killed it in 1 of 7 runs); the explorer's mailbox scenarios search it.
    tests: ["tests/manager/mailbox_explore_test.ts"],
    filter: MAILBOX_SCENARIOS,
  },
  {
    name: "Manager: a claim names its holder's presence record only after the claiming CAS, so a " +
      "claimer terminated in between holds its slot for good",
    edits: [{
      file: "src/kernel/manager.ts",
      find: "      A.compareExchange(s, slotWord(k), S_FREE, mine) === S_FREE\n",
      replace: "      A.compareExchange(s, slotWord(k), S_FREE, S_CLAIMED) === S_FREE &&\n" +
        "      A.compareExchange(s, slotWord(k), S_CLAIMED, mine) === S_CLAIMED\n",
    }],
    // Real workers meet the window only when a termination lands in it; the explorer puts one at
    // every step of a call.
    tests: ["tests/manager/mailbox_explore_test.ts"],
    filter: "terminated at any point",
  },
  {
    name: "Manager: a client that frees a mailbox slot wakes no client waiting for one",
    edits: [{
      file: "src/kernel/manager.ts",
      find: "  A.add(s, FREE, 1);\n  A.notify(s, FREE, 1);\n}",
      replace: "  A.add(s, FREE, 1);\n}",
    }],
    // A client waiting for a slot gives up waiting after a while anyway, to ask the server to reap
    // dead holders (src/manager/_client.ts), so real runs only get slower; the explorer's mailbox
    // scenarios, whose clients wait without a deadline, deadlock.
    tests: ["tests/manager/mailbox_explore_test.ts"],
    filter: MAILBOX_SCENARIOS,
  },
  {
    name: "Pool: the unstarted tasks of a crashed worker are not sent again",
    edits: [{
      file: "src/pool/_dispatcher.ts",
      find: "    if (end.again.length > 0) this.#queue.unshiftAll(end.again);\n",
      replace: "",
    }],
    // Both "exits mid-task" tests; the first holds tasks sent behind the crash on a pool's only
    // worker (with two, the other one could steal them before the exit is seen, and save them).
    tests: ["tests/pool/pool_test.ts"],
    filter: "exits mid-task",
  },
  {
    name: "Pool map family: a chunk that settles does not wake the wait for it",
    edits: [{
      file: "src/pool/_map.ts",
      find: "    waiting?.();\n",
      replace: "",
    }],
    // The wait for the next chunk never ends (unless a later chunk settles while it waits): the
    // test's deadline fails it.
    tests: ["tests/pool/pool_test.ts"],
    filter: "thousands of apply calls",
  },
  {
    name: "Explorer: DPOR reverses only races between steps at most 4 apart",
    edits: [{
      file: "src/explore/_races.ts",
      find: "      if (immediate) this.races.push(i, j);\n",
      replace: "      if (immediate && j - i <= 4) this.races.push(i, j);\n",
    }],
    // Both proof files cross-check DPOR against plain DFS on a scenario whose outcomes hinge on
    // races between distant steps (tests/explore/_complete.ts); tests/explore/dpor_test.ts
    // compares them on random programs.
    tests: ["tests/explore/bank_test.ts", "tests/explore/primitives_test.ts"],
  },
  // Concurrency bugs a sequential test cannot see: each operation is right on its own, only
  // overlapping calls go wrong. checkLinearizability finds them (shrunk to 2 threads).
  {
    name: "Semaphore: tryAcquire writes the count back without a compare-exchange",
    edits: [{
      file: "src/kernel/semaphore.ts",
      find: "  const c = A.compareExchange(s, $VALUE, expect, expect - 1);\n",
      replace:
        "  const c = A.load(s, $VALUE);\n  if (c === expect) A.store(s, $VALUE, expect - 1);\n",
    }],
    tests: ["tests/explore/linearizability_test.ts"],
    filter: "Semaphore",
  },
  {
    name: "Semaphore: release writes the count back without a compare-exchange",
    edits: [{
      file: "src/kernel/semaphore.ts",
      find: "    const v = A.compareExchange(s, $VALUE, expect, expect + n);\n",
      replace:
        "    const v = A.load(s, $VALUE);\n    if (v === expect) A.store(s, $VALUE, expect + n);\n",
    }],
    tests: ["tests/explore/linearizability_test.ts"],
    filter: "Semaphore",
  },
  {
    name: "Event: a wait that times out returns as if the flag went up",
    edits: [{
      file: "src/kernel/event.ts",
      find:
        '    if (result === "timed-out") {\n      A.sub(e, $WAITERS, 1);\n      return false;\n',
      replace:
        '    if (result === "timed-out") {\n      A.sub(e, $WAITERS, 1);\n      return true;\n',
    }],
    // (Event.clear without its compare-exchange is an equivalent mutant: nothing else changes the
    // state while the flag is up, so the checker rightly finds nothing.)
    tests: ["tests/explore/linearizability_test.ts"],
    filter: "Event",
  },
  {
    name: "runAsync: an aborted wait leaves its waitAsync waiter on the word",
    edits: [{
      file: "src/_async.ts",
      find: "              if (sleeping) REAL.notify(sleeping.a, sleeping.i, Infinity);\n",
      replace: "",
    }],
    // The waiter left behind takes a later notify(word, 1): the Bun hang of a Queue consumer.
    tests: ["tests/sync/async_abort_test.ts"],
  },
  {
    name:
      "Explorer: an abort leaves its wait registered to take a later notify, as the old runAsync did",
    // The old driver passed such a wake-up on only when the thread's event loop ran again, which a
    // thread asleep in a blocking wait never reaches: modelled here as a wait nobody forwards.
    edits: [{
      file: "src/explore/_waiters.ts",
      find: 'import { addressOf, BLOCKED, RUNNABLE, type Thread } from "./_thread.ts";\n',
      replace: 'import { addressOf, BLOCKED, RUNNABLE, Thread } from "./_thread.ts";\n' +
        'const ABANDONED = new Thread(-1, "abandoned");\n',
    }, {
      file: "src/explore/_waiters.ts",
      find: "      const w = list.shift()!;\n",
      replace: "      const w = list.shift()!;\n      if (w === ABANDONED) continue;\n",
    }, {
      file: "src/explore/_waiters.ts",
      find: "    list.splice(list.indexOf(t), 1);\n    const abort = t.abortWait && !patience;\n",
      replace: "    const abort = t.abortWait && !patience;\n" +
        "    list.splice(list.indexOf(t), 1, ...(abort ? [ABANDONED] : []));\n",
    }, {
      file: "src/explore/_waiters.ts",
      find: "    return this.#wake(list, Infinity);\n",
      replace: "    return [];\n",
    }],
    tests: ["tests/explore/primitives_test.ts"],
    filter: "waits for the lock again",
  },
  {
    name:
      "Explorer: a specification-level call blocked where it races does not try the earlier change of its unit",
    edits: [{
      file: "src/explore/_optimal.ts",
      find:
        "    if (e.op === SPEC) reverseEarlier(i, e, a, events, accs, races, stack, visible);\n",
      replace: "",
    }],
    // tests/explore/spec_level_test.ts: a thread that reaches a held lock after private steps
    // must still get it first (DPOR cross-checked against plain DFS, tests/explore/_complete.ts).
    tests: ["tests/explore/spec_level_test.ts"],
  },
  {
    name:
      "explore: state caching ignores a loop mark's live values (laps with different locals merge)",
    edits: [{
      file: "src/explore/_stateful.ts",
      find: "histories.extend(anchor, `@${m.site}:${m.live}`)",
      replace: "histories.extend(anchor, `@${m.site}`)",
    }],
    tests: ["tests/explore/loop_marks_test.ts"],
  },
  {
    name:
      "explore: state caching anchors a loop mark where the loop starts, not before `back` accesses",
    edits: [{
      file: "src/explore/_stateful.ts",
      find: "histories.back(history[k]!, m.back)",
      replace: "histories.back(history[k]!, m.back + 1)",
    }],
    tests: ["tests/explore/loop_marks_test.ts"],
  },
  {
    name: "explore: state caching keys a state by half its shared memory (bytes counted as words)",
    edits: [{
      file: "src/explore/_stateful.ts",
      find: "new Uint16Array(b, 0, b.byteLength >> 1)",
      replace: "new Uint16Array(b, 0, b.byteLength >> 2)",
    }],
    tests: ["tests/explore/stateful_test.ts"],
  },
  {
    name: "explore: state caching leaves a buffer's odd last byte out of a state's key",
    edits: [{
      file: "src/explore/_stateful.ts",
      find: 'tails[k] === undefined ? "" : `.${tails[k]![0]}`',
      replace: '""',
    }],
    tests: ["tests/explore/stateful_test.ts"],
  },
];
