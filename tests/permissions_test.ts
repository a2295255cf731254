/**
 * The permissions each part of Interlock needs (README, "Permissions"), checked by running a program
 * with exactly those flags; a missing `--allow-read` fails with an error that names the flag.
 *
 * @module
 */
import assert from "node:assert/strict";

const ROOT = new URL("../", import.meta.url);
const MOD = new URL("mod.ts", ROOT).href;
const MANAGER = new URL("src/manager/mod.ts", ROOT).href;

/** Runs `source` with `flags`; returns its exit code and output. */
async function run(source: string, flags: string[]): Promise<{ code: number; out: string }> {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/main.ts`, source);
    const output = await new Deno.Command(Deno.execPath(), {
      args: ["run", `--config=${new URL("deno.json", ROOT).pathname}`, ...flags, `${dir}/main.ts`],
      stdout: "piped",
      stderr: "piped",
      env: { NO_COLOR: "1" },
    }).output();
    const text = new TextDecoder();
    return { code: output.code, out: text.decode(output.stdout) + text.decode(output.stderr) };
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

const PRIMITIVES = `
import { Event, Lock, Queue, Value } from "${MOD}";
const lock = new Lock();
await lock.acquire();
lock.release();
const queue = new Queue<number>();
await queue.put(1);
console.log("ok", await queue.get(), new Value("i", 3).value, new Event().isSet());
`;

const WORKERS = `
import { Pool, Process, taskModule } from "${MOD}";
import { Manager } from "${MANAGER}";
const tasks = taskModule<{ square(x: number): number }>(
  "data:text/javascript,export const square = (x) => x * x;",
);
const pool = new Pool(tasks, { size: 1 });
console.log("pool:", await pool.apply("square", [3]).catch((e) => \`\${e.name}: \${e.message} (cause: \${e.cause?.name})\`));
await pool.terminate();
try {
  const p = new Process(tasks, "square", { args: [2] });
  p.start();
  await p.join();
  console.log("process:", p.exitCode);
} catch (e) {
  console.log("process:", \`\${e.name}: \${e.message}\`);
}
try {
  await using manager = await Manager.start();
  console.log("manager:", await (await manager.dict()).size());
} catch (e) {
  console.log("manager:", \`\${e.name}: \${e.message}\`);
}
`;

Deno.test("primitives, shared data and channels need no permission at all", async () => {
  const { code, out } = await run(PRIMITIVES, []);
  assert.equal(code, 0, out);
  assert.equal(out, "ok 1 3 false\n");
});

Deno.test("Pool, Process and Manager need --allow-read, and say so when it is missing", async () => {
  const denied = await run(WORKERS, []);
  assert.equal(denied.code, 0, denied.out);
  const flag =
    /Cannot start a worker thread: it runs Interlock's program \S+, which Deno may not read: run with --allow-read \(or --allow-read=\S+ and the directories of your task modules\)/;
  const [pool, process, manager] = denied.out.trim().split("\n");
  assert.match(pool!, /^pool: WorkerCrashedError: /);
  assert.match(pool!, flag);
  assert.match(pool!, /worker_main\.ts/);
  assert.match(pool!, /\(cause: NotCapable\)$/);
  assert.match(process!, /^process: NotCapable: /);
  assert.match(process!, flag);
  assert.match(manager!, /^manager: NotCapable: /);
  assert.match(manager!, /_server\.ts/);
  const granted = await run(WORKERS, ["--allow-read"]);
  assert.equal(granted.code, 0, granted.out);
  assert.equal(granted.out, "pool: 9\nprocess: 0\nmanager: 0\n");
});
