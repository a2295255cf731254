/**
 * `@interlock/interlock` loads no npm package: a program without an import map can import it by
 * path (a worker included), and the parts that need npm packages live behind subpaths
 * (`./manager`: comlink, `./explore`: fast-check, `./redis`: node-redis).
 *
 * @module
 */
import assert from "node:assert/strict";
import type { TransferHandler } from "comlink";
import { interlockTransferHandler, type Region } from "../mod.ts";

const ROOT = new URL("../", import.meta.url);

interface Dependency {
  readonly specifier: string;
  readonly code?: { readonly specifier: string };
  readonly type?: { readonly specifier: string };
  readonly isDynamic?: boolean;
}
interface Info {
  readonly roots: string[];
  readonly modules: {
    readonly specifier: string;
    readonly kind?: string;
    readonly error?: string;
    readonly dependencies?: Dependency[];
  }[];
}

/**
 * The modules `entry` loads (`deno info --json`), following static imports (type-only ones too:
 * a type checker follows them) and, with `dynamic`, dynamic imports.
 */
async function graph(entry: string, dynamic: boolean): Promise<string[]> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json", new URL(entry, ROOT).href],
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
  const info = JSON.parse(new TextDecoder().decode(out.stdout)) as Info;
  const bySpecifier = new Map(info.modules.map((m) => [m.specifier, m]));
  const seen = new Set<string>();
  const todo = [...info.roots];
  while (todo.length > 0) {
    const specifier = todo.pop()!;
    if (seen.has(specifier)) continue;
    seen.add(specifier);
    for (const dep of bySpecifier.get(specifier)?.dependencies ?? []) {
      if (dep.isDynamic && !dynamic) continue;
      for (const target of [dep.code?.specifier, dep.type?.specifier]) {
        if (target !== undefined) todo.push(target);
      }
    }
  }
  return [...seen];
}

/**
 * The modules of `modules` that come from a package: `npm:` specifiers, or files in a
 * `node_modules` directory (where `"nodeModulesDir": "manual"` would resolve bare specifiers).
 */
function fromPackages(modules: string[]): string[] {
  return modules.filter((m) => m.startsWith("npm:") || m.includes("/node_modules/"));
}

/** The modules of `modules` that are neither local files nor Node built-ins. */
function foreign(modules: string[]): string[] {
  return modules.filter((m) => !m.startsWith("file:") && !m.startsWith("node:"));
}

Deno.test("the module graph of mod.ts has no npm package; comlink only behind a manager proxy's first call", async () => {
  const modules = await graph("mod.ts", false);
  assert.ok(modules.some((m) => m.endsWith("/src/pool/pool.ts")), "the graph was walked");
  assert.deepEqual(fromPackages(modules), []);
  assert.deepEqual(foreign(modules), []);
  // Nor do its literal dynamic imports: a manager proxy loads its comlink connection at its first
  // call, by a computed URL.
  assert.deepEqual(fromPackages(await graph("mod.ts", true)), []);
  assert.deepEqual(fromPackages(await graph("src/manager/proxies.ts", false)), []);
});

Deno.test("a pool worker's program loads no npm package; comlink only at a manager proxy's first call", async () => {
  const modules = await graph("src/pool/worker_main.ts", false);
  assert.deepEqual(fromPackages(modules), []);
  assert.deepEqual(foreign(modules), []);
  // Proxies are revivable, and load their comlink connection by a computed URL at their first
  // call: no literal dynamic import reaches it either.
  const all = await graph("src/pool/worker_main.ts", true);
  assert.ok(all.some((m) => m.endsWith("/src/manager/proxies.ts")), "proxies are revivable");
  assert.deepEqual(fromPackages(all), []);
  assert.ok(
    fromPackages(await graph("src/manager/_client.ts", false)).some((m) => m.includes("comlink")),
    "the check above can see packages",
  );
});

Deno.test("each subpath that needs an npm package is the one that loads it", async () => {
  const manager = await graph("src/manager/mod.ts", false);
  assert.ok(fromPackages(manager).some((m) => m.includes("comlink")));
  const explore = await graph("src/explore/mod.ts", false);
  assert.ok(fromPackages(explore).some((m) => m.includes("fast-check")));
});

Deno.test("a program without an import map imports the library by path and runs a Lock and a Pool", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const mod = new URL("mod.ts", ROOT).href;
    await Deno.writeTextFile(
      `${dir}/main.ts`,
      `import { Lock, Pool, taskModule } from "${mod}";
const lock = new Lock();
console.log("lock", lock.tryAcquire());
await using pool = new Pool(taskModule<{ square(x: number): number }>(
  "data:text/javascript,export const square = (x) => x * x;",
), { size: 1 });
console.log("square", await pool.apply("square", [7]));
`,
    );
    const out = await new Deno.Command(Deno.execPath(), {
      // --no-config: no deno.json, no import map, as in a project that has none.
      args: ["run", "--no-config", "--no-lock", "--allow-read", "--allow-env", `${dir}/main.ts`],
      cwd: dir,
      stdout: "piped",
      stderr: "piped",
    }).output();
    const stderr = new TextDecoder().decode(out.stderr);
    assert.equal(out.code, 0, stderr);
    assert.equal(new TextDecoder().decode(out.stdout), "lock true\nsquare 49\n");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("interlockTransferHandler is a comlink TransferHandler, though the core never imports comlink", () => {
  const handler: TransferHandler<Region, unknown> = interlockTransferHandler;
  assert.equal(typeof handler.canHandle, "function");
});
