/**
 * What a newcomer meets first: the README's worker snippet type-checks as written, and reviving
 * the wrong kind of object says which kind it is.
 *
 * @module
 */
import assert from "node:assert/strict";
import * as Interlock from "../mod.ts";

const ROOT = new URL("../", import.meta.url);

/** The README's code blocks that start with a `// <file name>` line, by file name. */
async function readmeFiles(): Promise<Map<string, string>> {
  const readme = await Deno.readTextFile(new URL("README.md", ROOT));
  const files = new Map<string, string>();
  for (const [, body] of readme.matchAll(/```ts[^\n]*\n(.*?)```/gs)) {
    const name = /^\/\/ ([a-z_]+\.ts)\n/.exec(body!)?.[1];
    if (name !== undefined) files.set(name, body!);
  }
  return files;
}

Deno.test("the README's worker snippet (main.ts and worker.ts) type-checks as written", async () => {
  const files = await readmeFiles();
  assert.deepEqual([...files.keys()].sort(), ["main.ts", "worker.ts"]);
  assert.match(files.get("worker.ts")!, /^\/\/\/ <reference lib="deno\.worker" \/>$/m);
  const dir = await Deno.makeTempDir();
  try {
    for (const [name, body] of files) await Deno.writeTextFile(`${dir}/${name}`, body);
    const out = await new Deno.Command(Deno.execPath(), {
      // The package's own config: "@interlock/interlock" resolves to this checkout.
      args: ["check", `--config=${new URL("deno.json", ROOT).pathname}`, "main.ts", "worker.ts"],
      cwd: dir,
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
    // The check can fail: without the reference line, `self` is not a worker's.
    const bare = files.get("worker.ts")!.replace('/// <reference lib="deno.worker" />\n', "");
    await Deno.writeTextFile(`${dir}/worker.ts`, bare);
    const without = await new Deno.Command(Deno.execPath(), {
      args: ["check", `--config=${new URL("deno.json", ROOT).pathname}`, "worker.ts"],
      cwd: dir,
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.notEqual(without.code, 0);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

/** Every exported class with a static `from`, by name. */
const REVIVABLE = Object.entries(Interlock).filter(([, value]) =>
  typeof value === "function" && typeof (value as { from?: unknown }).from === "function"
) as [string, { from(value: unknown): unknown }][];

Deno.test("X.from(a clone of another class) says what it received: 'this is a Lock, not a Queue'", () => {
  assert.ok(REVIVABLE.length >= 12, REVIVABLE.map(([name]) => name).join());
  const samples: [string, object][] = [
    ["Lock", new Interlock.Lock()],
    ["Event", new Interlock.Event()],
    ["RLock", new Interlock.RLock()],
    ["SharedArray", new Interlock.SharedArray("i", [1, 2])],
  ];
  for (const [kind, sample] of samples) {
    for (const [name, cls] of REVIVABLE) {
      if (name === kind) continue;
      const an = (word: string) => `${/^(?:[AEIOU]|R[A-Z])/.test(word) ? "an" : "a"} ${word}`;
      assert.throws(
        () => cls.from(structuredClone(sample)),
        (e: unknown) =>
          e instanceof TypeError &&
          e.message ===
            `Cannot revive ${name}: this is ${an(kind)} (or its structured clone), not ${an(name)}`,
        `${name}.from(${kind})`,
      );
    }
  }
  assert.throws(
    () => Interlock.JoinableQueue.from(new Interlock.Queue()),
    /^TypeError: Cannot revive JoinableQueue: this is a Queue \(or its structured clone\), not a JoinableQueue$/,
  );
  assert.throws(() => Interlock.Lock.from({}), /expected a Lock or its structured clone/);
  assert.throws(
    () => Interlock.Event.from(1),
    /^TypeError: Cannot revive Event: expected an Event/,
  );
});

/** Runs `deno task demo` (small) with `args`; returns its output. */
async function demo(...args: string[]): Promise<string> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["task", "demo", "--runs", "1", "--transactions", "200", "--no-color", ...args],
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).output();
  const text = new TextDecoder();
  assert.equal(out.code, 0, text.decode(out.stderr));
  return text.decode(out.stdout);
}

Deno.test("the demo shows the replay token with one line on what it is for, and strategy internals only with --details", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const plain = await demo("--html", `${dir}/race.html`);
    assert.match(
      plain,
      /replay token: ix\d+:\S+ {2}\(replay\(scenario, token\) runs this exact schedule again\)\n/,
    );
    assert.doesNotMatch(plain, /fast-check: \{|seed:|schedule: \[/);
    const detailed = await demo("--details", "--html", `${dir}/race.html`);
    assert.match(detailed, /fast-check: \{ seed: -?\d+, path: "[\d:]*" \}/);
    assert.match(detailed, /schedule: \[[\d, ]*\]/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("deno task demo resolves only what the demo needs: its own import map and lock pin fast-check and typescript as deno.lock does", async () => {
  const config = JSON.parse(await Deno.readTextFile(new URL("deno.json", ROOT))) as {
    imports: Record<string, string>;
    tasks: Record<string, string>;
  };
  assert.match(
    config.tasks.demo!,
    /--no-config --import-map=examples\/demo\.json --lock=examples\/demo\.lock --frozen/,
  );
  const map = JSON.parse(await Deno.readTextFile(new URL("examples/demo.json", ROOT))) as {
    imports: Record<string, string>;
  };
  const lock = JSON.parse(await Deno.readTextFile(new URL("deno.lock", ROOT))) as {
    specifiers: Record<string, string>;
  };
  const npm = Object.entries(map.imports).filter(([, target]) => target.startsWith("npm:"));
  // fast-check for the explorer's search, typescript to derive the bank's own functions' stepped form.
  assert.deepEqual(npm.map(([name]) => name).sort(), ["fast-check", "typescript"]);
  for (const [name, target] of npm) {
    const pinned = lock.specifiers[config.imports[name]!];
    assert.equal(target, `npm:${name}@${pinned}`, `${name}: the demo's version is deno.lock's`);
  }
  // What the demo's module graph loads from npm: those two (and fast-check's one dependency) only;
  // not piscina, puppeteer, node-redis or the bench's native packages.
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json", "--no-config", "--import-map=examples/demo.json", "examples/demo.ts"],
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
  const info = JSON.parse(new TextDecoder().decode(out.stdout)) as {
    npmPackages: Record<string, { name: string }>;
  };
  assert.deepEqual(
    Object.values(info.npmPackages).map((p) => p.name).sort(),
    ["fast-check", "pure-rand", "typescript"],
  );
});
