/**
 * `resourceLimits`: a pool worker that runs out of memory loses only its running task.
 *
 * Every task that allocates without bound here does it with many small objects (the pattern Deno 2.9
 * stops reliably at a heap cap), and only after the test checked that its worker really has the cap:
 * without one, running out of memory would abort the test process.
 *
 * @module
 */
import assert from "node:assert/strict";
import { Pool, type ResourceLimits, WorkerCrashedError } from "../../mod.ts";
import { allocate, TAG } from "../../src/_region.ts";
import { REAL } from "../../src/_atomics.ts";
import * as S from "../../src/kernel/task_slot.ts";
import { OUT_OF_MEMORY } from "../../src/pool/limits.ts";
import { CALL, type FromWorker, type ToWorker } from "../../src/pool/protocol.ts";
import { encodeRun } from "../../src/pool/_run_batch.ts";
import { spawnWorker } from "../../src/pool/_spawn.ts";
import { type Tasks, tasks, within, withPool } from "./_helpers.ts";
import { test } from "../_portable/test.ts";
import { runtime, workerHeapCaps } from "../../src/_runtime.ts";

/**
 * The tests that fill a capped worker's heap: not on Bun (no caps). On Node a worker reaching its
 * cap has aborted the whole process (in CI on Node 22: V8's "Reached heap limit", exit 134, during
 * the second hog of a replacement worker) while the hogs grew one array; they now grow a chain of
 * small objects (`tests/_workers/pool_tasks.ts`), and Node runs this file in a process of its own
 * (`tools/test_portable.ts`), so an abort would fail this file alone.
 */
const CAPPED = { ignore: !workerHeapCaps };

const LIMITS = { maxOldGenerationSizeMb: 32 } as const;

/** Fails the test (instead of letting a task abort the process) unless every worker is capped. */
async function assertCapped(pool: Pool<Tasks>): Promise<void> {
  await pool.ready(); // every worker, not only the first ones up
  const seen = await Promise.all(
    Array.from({ length: pool.size * 4 }, () => pool.apply("workerLimits", [])),
  );
  for (const limits of seen) {
    assert.equal(limits.maxOldGenerationSizeMb, LIMITS.maxOldGenerationSizeMb, "worker not capped");
  }
}

function assertOutOfMemory(error: unknown, name: string, workers: number[]): WorkerCrashedError {
  assert.ok(error instanceof WorkerCrashedError, `expected WorkerCrashedError, got ${error}`);
  assert.match(
    error.message,
    new RegExp(
      `^Pool worker \\d+ ran out of memory \\(resourceLimits\\.maxOldGenerationSizeMb = 32\\) ` +
        `while running task \\d+ \\('${name}'\\)`,
    ),
  );
  assert.equal((error.cause as { code?: unknown }).code, OUT_OF_MEMORY);
  assert.equal(error.exitCode, 1);
  assert.ok(workers.includes(error.workerId), "the error names the worker that ran the task");
  return error;
}

test(
  "a task that runs out of memory rejects with WorkerCrashedError; every other task completes",
  async () => {
    await withPool({ size: 2, resourceLimits: LIMITS }, async (pool) => {
      await assertCapped(pool);
      const before = pool.workerIds();
      // Submitted in one go, the tasks after the hog share its worker's batch: they are sent again.
      const first = Array.from({ length: 100 }, (_, i) => pool.apply("square", [i]));
      const hog = pool.apply("hog", []).catch((e) => e);
      const then = Array.from({ length: 100 }, (_, i) => pool.apply("square", [i + 100]));
      const error = assertOutOfMemory(await within(hog, 60_000, "hog"), "hog", before);
      const values = await within(Promise.all([...first, ...then]), 60_000, "other tasks");
      assert.deepEqual(values, Array.from({ length: 200 }, (_, i) => i * i), "nothing else lost");
      await within(pool.ready(), 60_000, "the replacement");
      assert.equal(pool.workerIds().length, 2, "the pool keeps its size");
      assert.ok(!pool.workerIds().includes(error.workerId), "the worker was replaced");
      await assertCapped(pool); // the replacement has the same cap
      assert.deepEqual(await pool.map("square", [1, 2, 3]), [1, 4, 9]);
    });
  },
  CAPPED,
);

test(
  "a cap reached in a timer callback (Deno ends the worker itself) is reported the same way",
  async () => {
    await withPool({ size: 1, resourceLimits: LIMITS }, async (pool) => {
      await assertCapped(pool);
      const before = pool.workerIds();
      const hog = pool.apply("hogInTimer", []).catch((e) => e);
      const after = pool.apply("square", [9]);
      assertOutOfMemory(await within(hog, 60_000, "hogInTimer"), "hogInTimer", before);
      assert.equal(await within(after, 60_000, "task after"), 81);
      await within(pool.ready(), 60_000, "the replacement");
      assert.equal(pool.workerIds().length, 1);
    });
  },
  CAPPED,
);

test(
  "a replacement worker is capped too: a second out-of-memory task is caught the same way",
  async () => {
    await withPool({ size: 1, resourceLimits: LIMITS }, async (pool) => {
      for (let round = 0; round < 2; round++) {
        await assertCapped(pool);
        const ids = pool.workerIds();
        assertOutOfMemory(
          await within(pool.apply("hog", []).catch((e) => e), 60_000, "hog"),
          "hog",
          ids,
        );
      }
      assert.equal(await pool.apply("square", [4]), 16);
    });
  },
  CAPPED,
);

test(
  "an initializer that runs out of memory breaks the pool with a WorkerCrashedError that says so",
  async () => {
    await withPool({ size: 1, resourceLimits: LIMITS }, assertCapped); // the same spawn path is capped
    const pool = new Pool(tasks, { size: 1, resourceLimits: LIMITS, initializer: "hog" });
    try {
      const error = await within(pool.apply("square", [2]).catch((e) => e), 60_000, "task");
      assert.ok(error instanceof WorkerCrashedError, `expected WorkerCrashedError, got ${error}`);
      assert.match(
        error.message,
        /^Pool worker \d+ ran out of memory \(resourceLimits\.maxOldGenerationSizeMb = 32\) before it was ready$/,
      );
      assert.equal((error.cause as { code?: unknown }).code, OUT_OF_MEMORY);
      await assert.rejects(pool.apply("square", [3]), WorkerCrashedError, "the pool is broken");
    } finally {
      await pool.terminate();
    }
  },
  CAPPED,
);

test("a worker stopped at its heap cap has really ended: the port it held closes", async () => {
  // Both ways a worker reaches its cap: inside a Promise continuation (on Deno the worker ends
  // itself, reporting `fatal`; Node ends it) and in a timer callback (the runtime ends it, with an
  // `error` event).
  for (const name of ["hog", "hogInTimer"]) {
    const { worker, inbox, ended } = spawnWorker(
      { role: "pool", name: `oom-${name}`, parentId: 0, daemon: false },
      LIMITS,
    );
    try {
      const events: string[] = [];
      worker.on("message", (m: FromWorker) => {
        if (m.type === "fatal") events.push(`fatal${m.outOfMemory ? " out-of-memory" : ""}`);
      });
      worker.on("error", (e: { code?: string }) => events.push(`error ${e.code}`));
      const exit = new Promise<number>((resolve) => worker.on("exit", resolve));
      const slots = allocate(TAG.PoolSlots, S.BYTES);
      const init: ToWorker = {
        type: "init",
        module: tasks.url,
        initializer: null,
        initArgs: [],
        slots: slots.buffer as SharedArrayBuffer,
      };
      inbox.postMessage(init);
      S.assign(REAL, slots, 0, 1);
      const run: ToWorker = encodeRun([{ id: 1, slot: 0, gen: 1, kind: CALL, name, args: [] }]);
      inbox.postMessage(run);
      assert.equal(await within(exit, 60_000, `${name}: exit`), 1);
      await within(ended, 10_000, `${name}: the worker's port closing`);
      assert.deepEqual(
        events,
        [name === "hog" && runtime === "deno" ? "fatal out-of-memory" : `error ${OUT_OF_MEMORY}`],
        name,
      );
      assert.equal(S.stateOf(REAL, slots, 0, 1), S.RUNNING, "it died running the task");
    } finally {
      await worker.terminate();
    }
  }
}, CAPPED);

test("bad resourceLimits throw TypeError or RangeError with sentence-case messages", async () => {
  const create = (resourceLimits: unknown) => () =>
    new Pool(tasks, { size: 1, resourceLimits: resourceLimits as ResourceLimits });
  assert.throws(
    create(32),
    /^TypeError: Cannot create pool: 'resourceLimits' must be an object or null, received number$/,
  );
  assert.throws(create([]), TypeError);
  assert.throws(
    create({ maxOldSpaceSizeMb: 32 }),
    /Cannot create pool: 'resourceLimits\.maxOldSpaceSizeMb' is not a resource limit \(expected maxOldGenerationSizeMb, /,
  );
  assert.throws(create({ stackSizeMb: "4" }), TypeError);
  assert.throws(
    create({ maxOldGenerationSizeMb: 8 }),
    /^RangeError: Cannot create pool: 'resourceLimits\.maxOldGenerationSizeMb' must be a finite number of at least 16 .*received 8$/,
  );
  assert.throws(create({ maxOldGenerationSizeMb: Infinity }), RangeError);
  assert.throws(create({ maxOldGenerationSizeMb: NaN }), RangeError);
  assert.throws(
    create({ stackSizeMb: 1 }),
    /'resourceLimits\.stackSizeMb' must be a finite number of at least 2/,
  );
  assert.throws(create({ maxYoungGenerationSizeMb: 0 }), RangeError);
  assert.throws(create({ codeRangeSizeMb: -1 }), RangeError);
  // Accepted: no key, and every key in range; the workers report what they were given.
  await withPool({ size: 1, resourceLimits: {} }, async (pool) => {
    assert.equal(await pool.apply("square", [3]), 9);
  });
  const limits = {
    maxOldGenerationSizeMb: 48,
    maxYoungGenerationSizeMb: 8,
    codeRangeSizeMb: 32,
    stackSizeMb: 2,
  };
  if (!workerHeapCaps) {
    assert.throws(create(limits), { name: "NotSupportedError" });
    return;
  }
  await withPool({ size: 1, resourceLimits: limits }, async (pool) => {
    assert.deepEqual(await pool.apply("workerLimits", []), limits);
  });
});
