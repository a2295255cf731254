/**
 * `resourceLimits` of `Process`: a child that runs out of memory ends alone, with exit code 1 and a
 * `WorkerCrashedError` as its `error`.
 *
 * The children that allocate without bound do it with many small objects (the pattern Deno 2.9 stops
 * reliably at a heap cap), and only after the test checked that a child started the same way really
 * has the cap: without one, running out of memory would abort the test process.
 *
 * @module
 */
import assert from "node:assert/strict";
import { Process, type ResourceLimits, WorkerCrashedError } from "../../mod.ts";
import { OUT_OF_MEMORY } from "../../src/pool/limits.ts";
import { shared, tasks, within } from "../pool/_helpers.ts";
import { test } from "../_portable/test.ts";
import { workerHeapCaps } from "../../src/_runtime.ts";

/** The tests that need workers whose heaps are capped (not on Bun). */
const CAPPED = { ignore: !workerHeapCaps };

const fixtures = new URL("../_workers/process_fixtures.ts", import.meta.url);
const LIMITS = { maxOldGenerationSizeMb: 32 } as const;

async function assertCapped(): Promise<void> {
  const out = shared(1);
  const p = new Process<typeof import("../_workers/process_fixtures.ts"), "reportHeapCap">(
    fixtures,
    "reportHeapCap",
    { args: [out], resourceLimits: LIMITS },
  );
  p.start();
  await within(p.join(), 60_000, "reportHeapCap");
  assert.equal(
    out[0],
    LIMITS.maxOldGenerationSizeMb,
    "a child started with resourceLimits is capped",
  );
}

function assertOutOfMemory(p: Process, exportName: string): void {
  assert.equal(p.exitCode, 1);
  assert.equal(p.isAlive, false);
  const error = p.error;
  assert.ok(error instanceof WorkerCrashedError, `expected WorkerCrashedError, got ${error}`);
  assert.equal(
    error.message,
    `Process ${p.name} ran out of memory (resourceLimits.maxOldGenerationSizeMb = 32) while ` +
      `running '${exportName}'`,
  );
  assert.equal((error.cause as { code?: unknown }).code, OUT_OF_MEMORY);
  assert.equal(error.exitCode, 1);
  assert.equal(error.workerId, p.id);
  assert.equal(p.error, error, "the same error every time");
}

test(
  "a child that runs out of memory ends with exit code 1 and a WorkerCrashedError; join resolves",
  async () => {
    await assertCapped();
    // In a Promise continuation (the child notices and ends itself) and in a timer callback (Deno
    // ends it), at the same time.
    const a = new Process(tasks, "hog", { name: "hog-child", resourceLimits: LIMITS });
    const b = new Process(tasks, "hogInTimer", { name: "timer-hog-child", resourceLimits: LIMITS });
    a.start();
    b.start();
    await within(Promise.all([a.join(), b.join()]), 60_000, "out-of-memory children");
    assertOutOfMemory(a, "hog");
    assertOutOfMemory(b, "hogInTimer");
    assert.equal(await a.terminate(), "not-running");
    // The parent is unharmed, and other children run as usual.
    const ok = new Process(tasks, "square", { args: [3], resourceLimits: LIMITS });
    ok.start();
    await within(ok.join(), 60_000, "the child with room to spare");
    assert.equal(ok.exitCode, 0);
    assert.equal(ok.error, undefined);
  },
  CAPPED,
);

test(
  "joinSync on the parent's thread returns once a child that ran out of memory in a task ended",
  async () => {
    await assertCapped();
    // The child closes its exit latch itself when it notices it reached its cap, so a thread blocked
    // in joinSync (which cannot see the `exit` event) is released. Deno only: Node ends a worker at
    // its cap itself, with no code of the child running, so nothing closes the latch and joinSync()
    // waits for its timeout (join() sees the exit event).
    const p = new Process(tasks, "hog", { resourceLimits: LIMITS });
    p.start();
    p.joinSync({ timeout: 60_000 });
    assertOutOfMemory(p, "hog");
  },
  { runtimes: ["deno"] },
);

test("bad resourceLimits of a process throw TypeError or RangeError", () => {
  const create = (resourceLimits: unknown) => () =>
    new Process(tasks, "square", {
      args: [1],
      resourceLimits: resourceLimits as ResourceLimits,
    });
  assert.throws(
    create("big"),
    /^TypeError: Cannot create process: 'resourceLimits' must be an object or null, received string$/,
  );
  assert.throws(create({ heapMb: 64 }), /'resourceLimits\.heapMb' is not a resource limit/);
  assert.throws(create({ maxOldGenerationSizeMb: 15 }), RangeError);
  assert.throws(create({ stackSizeMb: 1.5 }), RangeError);
  assert.throws(create({ codeRangeSizeMb: null }), TypeError);
  const valid = create({ maxOldGenerationSizeMb: 16, stackSizeMb: 2 });
  if (workerHeapCaps) assert.doesNotThrow(valid);
  else assert.throws(valid, { name: "NotSupportedError" });
});
