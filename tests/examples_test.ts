/**
 * Smoke-runs every seed example under `examples/` as a subprocess, with exactly the permissions its
 * `// Run:` line states, and checks its key output (not just its exit code). Output that depends on
 * scheduling (which worker ran what, interleaving of lines) is checked for what the program
 * guarantees: counts, per-process order, and happens-before edges the primitives enforce.
 *
 * @module
 */
import assert from "node:assert/strict";

const ROOT = new URL("../", import.meta.url);
const EXAMPLES = new URL("examples/", ROOT);
/** Files in `examples/` that other parts of the project own and test. */
const NOT_SEED_EXAMPLES = [
  "demo.ts",
  "tasks.ts",
  "explore_bank.ts",
  "manager.ts",
  "executor.ts",
  "redis_bank.ts", // tests/redis/example_test.ts
];

interface Run {
  /** Lines of stdout. */
  lines: string[];
  /** All of stderr. */
  stderr: string;
}

/** The `deno run` flags an example's `// Run:` comment states. */
async function statedFlags(name: string): Promise<string[]> {
  const source = await Deno.readTextFile(new URL(name, EXAMPLES));
  const match = /^\/\/ Run: deno run ((?:--[a-z-]+(?:=\S+)? )*)examples\/([a-z_]+\.ts)$/m.exec(
    source,
  );
  assert.ok(match, `${name} states how to run it on a '// Run: deno run ...' line`);
  assert.equal(match[2], name, `${name}'s Run line names the file itself`);
  return match[1]!.trim().split(" ").filter((flag) => flag !== "");
}

/** Runs `examples/<name>` with its stated permissions; asserts it exits with code 0. */
async function run(name: string): Promise<Run> {
  const flags = await statedFlags(name);
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["run", ...flags, `examples/${name}`],
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
    signal: AbortSignal.timeout(120_000),
  }).output();
  const stdout = new TextDecoder().decode(output.stdout);
  const stderr = new TextDecoder().decode(output.stderr);
  assert.equal(output.code, 0, `${name} exited with ${output.code}:\n${stdout}\n${stderr}`);
  return { lines: stdout.split("\n").filter((line) => line !== ""), stderr };
}

/** The lines that match `pattern`, as their capture groups. */
function matches(lines: string[], pattern: RegExp): string[][] {
  return lines.flatMap((line) => {
    const m = pattern.exec(line);
    return m ? [m.slice(1)] : [];
  });
}

/** The index of the only line equal to `line`. */
function indexOfOnly(lines: string[], line: string): number {
  assert.equal(lines.filter((l) => l === line).length, 1, `exactly one line '${line}'`);
  return lines.indexOf(line);
}

const range = (n: number) => Array.from({ length: n }, (_, i) => i);

const checks: Record<string, (r: Run) => void | Promise<void>> = {
  "race_condition.ts": async (first) => {
    // The example's point is the race: without the lock, updates are lost and the balance drifts
    // from 100. Its workers start together (a Barrier), and most runs drift; a loaded machine may
    // run them one after the other, so the program is run again (twice at most) until one did.
    const seen: number[] = [];
    for (let r: Run | undefined = first, round = 0; r && round < 3; round++) {
      const balances: number[] = matches(r.lines, /^Final balance = (-?\d+)$/).map(([b]) =>
        Number(b)
      );
      assert.equal(r.lines.length, 10);
      assert.equal(balances.length, 10);
      seen.push(...balances);
      r = seen.some((b) => b !== 100) ? undefined : await run("race_condition.ts");
    }
    assert.ok(seen.some((b) => b !== 100), `no update was lost in ${seen.length} runs`);
  },

  "bank_lock.ts": ({ lines }) => {
    assert.deepEqual(lines, Array(10).fill("Final balance = 100"));
  },

  "squares.ts": ({ lines }) => {
    assert.deepEqual(lines, ["Sequential: [1, 4, 9, 16, 25]", "Pool.map:   [1, 4, 9, 16, 25]"]);
  },

  "pool_worker_ids.ts": ({ lines }) => {
    const reports = matches(lines, /^Worker process id for (\d+): (\d+)$/);
    assert.deepEqual(reports.map(([n]) => Number(n)).sort(), [1, 2, 3, 4, 5]);
    assert.equal(lines[5], "[1, 4, 9, 16, 25]");
    const [workers] = matches(lines, /^Pool workers: ([\d, ]+)$/);
    const ids = workers![0]!.split(", ").map(Number);
    assert.equal(ids.length, navigator.hardwareConcurrency);
    for (const [, id] of reports) {
      assert.ok(ids.includes(Number(id)), `worker ${id} is in the pool`);
    }
    assert.ok(!ids.includes(0), "no item ran on the main thread");
  },

  "process_ids.ts": ({ lines }) => {
    const ids = new Map<string, { id: number; parent: string }>();
    for (const [name, id] of matches(lines, /^([\w-]+): Current Process ID: (\d+)$/)) {
      ids.set(name!, { id: Number(id), parent: "" });
    }
    for (const [name, parent] of matches(lines, /^([\w-]+): Parent Process ID: (\w+)$/)) {
      ids.get(name!)!.parent = parent!;
    }
    assert.deepEqual([...ids.keys()].sort(), [
      "Child",
      "Grandchild",
      "MainProcess",
      "Worker-1",
      "Worker-2",
    ]);
    assert.equal(ids.get("MainProcess")!.id, 0);
    for (const name of ["Worker-1", "Worker-2", "Child"]) {
      assert.equal(ids.get(name)!.parent, "0", `${name}'s parent is the main thread`);
    }
    assert.equal(ids.get("Grandchild")!.parent, String(ids.get("Child")!.id));
    assert.equal(new Set([...ids.values()].map((v) => v.id)).size, 5, "ids are unique");
    const w1 = ids.get("Worker-1")!.id, w2 = ids.get("Worker-2")!.id;
    assert.ok(lines.includes(`Started Worker-1 (id ${w1}) and Worker-2 (id ${w2})`));
  },

  "square_cube.ts": ({ lines }) => {
    assert.deepEqual(
      lines.filter((l) => l.startsWith("Square")),
      ["Square of 2 is 4", "Square of 3 is 9", "Square of 4 is 16", "Square of 5 is 25"],
    );
    assert.deepEqual(
      lines.filter((l) => l.startsWith("Cube")),
      ["Cube of 2 is 8", "Cube of 3 is 27", "Cube of 4 is 64", "Cube of 5 is 125"],
    );
    assert.equal(lines.length, 9);
    assert.equal(lines[8], "Both processes finished");
  },

  "unshared_list.ts": ({ lines }) => {
    assert.deepEqual(lines, ["In the child: [1, 9, 16, 25]", "In the parent: []"]);
  },

  "shared_value.ts": ({ lines }) => {
    assert.deepEqual(lines, ["Result: 5000"]);
  },

  "value_array.ts": ({ lines }) => {
    assert.deepEqual(lines, ["Modified Counter: 1", "Modified Array: [2, 4, 6, 8]"]);
  },

  "queue_producer_consumer.ts": ({ lines }) => {
    assert.deepEqual(lines, [
      ...range(5).map((i) => `Produced: ${i}`),
      ...range(5).map((i) => `Consumed: ${i}`),
    ]);
  },

  "queue_sentinel.ts": ({ lines }) => {
    assert.deepEqual(lines, [...range(5).map((i) => `Processed: ${i}`), "Consumer finished"]);
  },

  "pipe.ts": ({ lines }) => {
    assert.deepEqual(lines, [
      "Received data: [1, 2, 3, 4]",
      "Sent 3, received 9",
      "Sent 7, received 49",
      "Server exit code: 0",
    ]);
  },

  "lock_printing.ts": ({ lines }) => {
    assert.equal(lines.length, 15);
    const names = new Set<string>();
    for (let block = 0; block < 3; block++) {
      const name = /^(Process \d): 0$/.exec(lines[block * 5]!)?.[1];
      assert.ok(name, `block ${block} starts with a process's line 0`);
      names.add(name);
      // The lock keeps each process's five lines together.
      assert.deepEqual(lines.slice(block * 5, block * 5 + 5), range(5).map((i) => `${name}: ${i}`));
    }
    assert.deepEqual([...names].sort(), ["Process 0", "Process 1", "Process 2"]);
  },

  "worker_exception.ts": ({ lines }) => {
    assert.deepEqual(lines, [
      "Resources released successfully.",
      "Outcome: RangeError: division by zero",
      "It is a RangeError: true; exit code: 0",
    ]);
  },

  "exit_codes.ts": ({ lines, stderr }) => {
    assert.deepEqual(lines, [
      "Process terminated with error code: 1",
      "Its error: RangeError: Operation failed!",
      "Exit code while running: null",
      "Exit code after returning: 0",
      "Exit code after Deno.exit(3): 3",
      "Exit code after terminate(): -15",
    ]);
    assert.match(stderr, /RangeError: Operation failed!/); // the child's error is printed
  },

  "process_lifecycle.ts": ({ lines }) => {
    // The program also ends although a daemon child still waits: run() returned with code 0.
    assert.deepEqual(lines, [
      "Main process name: MainProcess",
      "Name: MyProcess, daemon: true",
      "Alive before start: false",
      "Child: my name is MyProcess, daemon: true",
      "Alive while running: true",
      "Join timed out, still alive: true",
      "Alive after join: false, exit code: 0",
      "Start again: RuntimeError: Cannot start process MyProcess twice",
      "Default name: Process-1",
      "Terminate: terminated, exit code: -15",
      "Leaving a daemon behind, alive: true",
    ]);
  },

  "barrier.ts": ({ lines }) => {
    const done = matches(lines, /^Process (\d) done, got: \d\.\d{3}$/).map(([n]) => Number(n));
    assert.deepEqual(done.sort(), range(5));
    indexOfOnly(lines, "Main process waiting on all results...");
    // Nobody passes the barrier before all five have arrived.
    const all = indexOfOnly(lines, "All processes have their result");
    assert.equal(all, lines.length - 1);
    assert.equal(lines.length, 7);
  },

  "event.ts": ({ lines }) => {
    const waiting = indexOfOnly(lines, "Worker waiting for event to be set");
    const setting = indexOfOnly(lines, "Setting the event");
    const proceeds = indexOfOnly(lines, "Event is set, worker proceeds");
    assert.ok(waiting < proceeds && setting < proceeds, "the worker proceeds only after set()");
    assert.equal(lines.length, 3);
  },

  "condition.ts": ({ lines }) => {
    const published = indexOfOnly(lines, "Producer publishing the data");
    for (const n of [1, 2, 3]) {
      const waiting = indexOfOnly(lines, `Consumer ${n} waiting...`);
      const got = indexOfOnly(lines, `Consumer ${n} got the data: 42`);
      assert.ok(
        waiting < got && published < got,
        `consumer ${n} saw the data after it was published`,
      );
    }
    assert.equal(lines.at(-1), "All consumers done");
    assert.equal(lines.length, 8);
  },

  "threads.ts": ({ lines }) => {
    for (const t of ["Thread 1", "Thread 2"]) {
      assert.deepEqual(lines.filter((l) => l.startsWith(t)), range(5).map((i) => `${t}: ${i}`));
    }
    assert.equal(lines.length, 11);
    assert.equal(lines[10], "All threads finished");
  },

  "lock_counter.ts": ({ lines }) => {
    assert.deepEqual(lines, ["Final Counter Value: 500000", "Final Count: 400000"]);
  },

  "async_vs_workers.ts": ({ lines }) => {
    assert.equal(lines[0], "Async operation finished.");
    const waits = matches(lines, /^Three 300 ms waits at once took (\d+) ms on one thread$/);
    assert.equal(waits.length, 1);
    assert.ok(Number(waits[0]![0]) >= 299, "the three waits lasted at least one wait");
    // 33860 primes below 400000, on both sides.
    assert.ok(lines.includes("Primes found, main thread: [33860, 33860, 33860, 33860]"));
    assert.ok(lines.includes("Primes found, pool:        [33860, 33860, 33860, 33860]"));
    assert.equal(matches(lines, /^Speed-up: \d+\.\d\dx on \d+ cores$/).length, 1);
  },

  "pool_reuse.ts": ({ lines }) => {
    assert.equal(lines[0], "Results: [6, 15, 24]");
    assert.equal(matches(lines, /^3 batches, a new pool for each: \d+ ms$/).length, 1);
    assert.equal(matches(lines, /^3 batches, one pool reused: +\d+ ms$/).length, 1);
    assert.equal(matches(lines, /^Reusing the pool was \d+\.\dx faster$/).length, 1);
  },

  "optimal_workers.ts": ({ lines }) => {
    const cores = navigator.hardwareConcurrency;
    const size = Math.min(cores, 8);
    assert.deepEqual(lines, [
      `Cores: ${cores}, pool size: ${size}`,
      `Segment lengths: [${Array(size).fill(1000).join(", ")}]`,
      `Workers: ${size}`,
    ]);
  },

  "transform_data.ts": ({ lines }) => {
    assert.deepEqual(lines, [
      "[0, 2, 4, 6, 8, 10, 12, 14, 16, 18]",
      "Length: 1000000, last: 1999998",
      "Shared, in place: [0, 2, 4, 6, 8, 10, 12, 14, 16, 18]",
      "Length: 1000000, last: 1999998",
    ]);
  },

  "logging.ts": ({ lines, stderr }) => {
    assert.deepEqual(lines.slice(0, 3), [
      "INFO:Process-1:Worker process initialized.",
      "INFO:Process-1:Worker process completed.",
      "INFO:MainProcess:Worker ended with exit code 0.",
    ]);
    // The listener writes every record of both workers, each worker's in the order it sent them.
    const listened = lines.slice(3);
    assert.equal(listened.length, 4);
    for (const name of ["Logger-1", "Logger-2"]) {
      assert.deepEqual(listened.filter((l) => l.includes(name)), [
        `[listener] INFO:${name}:Worker process initialized.`,
        `[listener] INFO:${name}:Worker process completed.`,
      ]);
    }
    assert.doesNotMatch(lines.join("\n") + stderr, /DEBUG/);
  },

  "cache_line_padding.ts": ({ lines }) => {
    assert.equal(lines[0], "Each counter: 15,000,000 increments in 5 rounds");
    // No increment is lost, adjacent or not.
    assert.match(lines[1]!, /^Adjacent counters \(same cache line\): 15000000 \+ 15000000, median/);
    assert.match(lines[2]!, /^Padded counters \(64 bytes apart\): +15000000 \+ 15000000, median/);
    const ratio = Number(/^False sharing slowdown: (\d+\.\d\d)x$/.exec(lines[3]!)?.[1]);
    assert.ok(ratio > 0, "a ratio is printed");
    // Timing is not asserted (the machine may be busy); the note appears exactly when it is weak.
    assert.equal(lines.length, ratio < 1.2 ? 5 : 4);
  },
};

Deno.test("every seed example in examples/ is smoke-run by this file", async () => {
  const files: string[] = [];
  for await (const entry of Deno.readDir(EXAMPLES)) {
    if (entry.isFile && entry.name.endsWith(".ts") && !NOT_SEED_EXAMPLES.includes(entry.name)) {
      files.push(entry.name);
    }
  }
  assert.deepEqual(files.sort(), Object.keys(checks).sort());
});

for (const [name, check] of Object.entries(checks)) {
  Deno.test(`examples/${name} runs with its stated permissions and prints the seed's output`, async () => {
    await check(await run(name));
  });
}
