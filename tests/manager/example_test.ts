import assert from "node:assert/strict";
import { main } from "../../examples/manager.ts";
import { boundedTest } from "../_helpers.ts";

boundedTest("examples/manager.ts keeps the bank balance at 100 and counts every word", async () => {
  const lines: string[] = [];
  await main((line) => lines.push(line), 300);
  assert.deepEqual(lines, [
    "Final balance: 100 (exit codes 0, 0)",
    "Counted 40 words in 4 lines",
    "Most frequent: the=8, workers=3, and=2",
    "After shutdown: ManagerShutdownError",
  ]);
});
