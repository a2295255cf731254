/**
 * The pool's two kernels under the interleaving explorer: the production algorithms (derived
 * generator forms of `src/kernel/task_slot.ts` and `src/kernel/exit_latch.ts`) run by virtual
 * threads, every interleaving searched.
 *
 * @module
 */
import assert from "node:assert/strict";
import { explore } from "../../src/explore/mod.ts";
import { SIM } from "../../src/explore/_engine.ts";
import { type KernelGen, REAL } from "../../src/_atomics.ts";
import { allocate, TAG } from "../../src/_region.ts";
import * as S from "../../src/kernel/task_slot.ts";
import * as SG from "../../src/kernel_gen/task_slot.ts";
import * as L from "../../src/kernel/exit_latch.ts";
import * as LG from "../../src/kernel_gen/exit_latch.ts";

Deno.test("task slot kernel: a claim and a revoke racing on one task never both win, never both lose", () => {
  const report = explore({
    name: "worker claims slot 3 (gen 5) while the pool revokes it",
    setup: () => {
      const words = allocate(TAG.PoolSlots, S.BYTES);
      S.assign(REAL, words, 3, 5);
      return words;
    },
    threads: [
      function* worker(words: Int32Array): KernelGen<string> {
        if (!(yield* SG.claim(SIM, words, 3, 5))) return "skipped";
        yield* SG.finish(SIM, words, 3, 5);
        return "ran";
      },
      function* pool(words: Int32Array): KernelGen<string> {
        return (yield* SG.revoke(SIM, words, 3, 5)) ? "revoked" : "too late";
      },
    ],
    invariant: (words: Int32Array, [worker, pool]: unknown[]) => {
      const state = S.stateOf(REAL, words, 3, 5);
      if (worker === "ran") {
        assert.equal(pool, "too late");
        assert.equal(state, S.DONE);
      } else {
        assert.equal(worker, "skipped");
        assert.equal(pool, "revoked");
        assert.equal(state, S.REVOKED);
      }
    },
  });
  assert.ok(report.ok, report.failure?.render());
  assert.ok(report.complete);
});

Deno.test("task slot kernel: a stale message for a reused slot never runs the old task", () => {
  // The pool revoked gen 1 and reused the slot for gen 2 before the worker read the old message.
  const words = allocate(TAG.PoolSlots, S.BYTES);
  S.assign(REAL, words, 0, 1);
  assert.ok(S.revoke(REAL, words, 0, 1));
  S.assign(REAL, words, 0, 2);
  assert.equal(S.claim(REAL, words, 0, 1), false, "the stale claim fails");
  assert.equal(S.stateOf(REAL, words, 0, 1), -1, "gen 1 is gone from the slot");
  assert.equal(S.claim(REAL, words, 0, 2), true, "the new task runs");
  assert.equal(S.revoke(REAL, words, 0, 2), false, "and can no longer be revoked");
});

Deno.test("exit latch kernel: the first exit recorded wins, and every joiner wakes (exhaustive)", () => {
  const report = explore({
    name: "child exits with 0 while the parent records -15; two joiners",
    setup: () => allocate(TAG.ProcessLatch, L.BYTES),
    threads: [
      function* child(s: Int32Array): KernelGen<boolean> {
        return yield* LG.close(SIM, s, 0);
      },
      function* parent(s: Int32Array): KernelGen<boolean> {
        return yield* LG.close(SIM, s, -15);
      },
      function* joiner(s: Int32Array): KernelGen<boolean> {
        return yield* LG.join(SIM, s, Infinity);
      },
      function* impatient(s: Int32Array): KernelGen<boolean> {
        return yield* LG.join(SIM, s, 1_000); // a finite deadline: timing out is a choice
      },
    ],
    invariant: (s: Int32Array, [child, parent, joiner, impatient]: unknown[]) => {
      assert.notEqual(child, parent, "exactly one close wins");
      assert.equal(L.exitCode(REAL, s), child ? 0 : -15);
      assert.equal(joiner, true);
      assert.equal(typeof impatient, "boolean");
    },
  });
  assert.ok(report.ok, report.failure?.render());
  assert.ok(report.complete, "every interleaving covered");
  console.log(`  ${report.executions} executions`);
});
