/**
 * The house rules of `src/` (STYLE.md, "The house"), checked on the import graph: static imports and
 * `export … from`, type imports and `import("…")` types included, read with the TypeScript parser.
 * Each failure names the offending file or import edge. The last test runs every rule on a small
 * graph that breaks it, so none of them can pass vacuously.
 *
 * Then the rules that keep Interlock one package for Deno, Node and Bun, checked on the sources with
 * the same parser (comments and documentation do not count), each also run on a sample that breaks
 * it:
 *
 * - Only `src/_runtime.ts` names a runtime: no `Deno` or `Bun` global, no `process.versions`, no
 *   `"Deno"`/`"Bun"` string elsewhere in `src/`.
 * - `src/` has no `using` declaration: Node 22's V8 cannot parse one, and Node 22 runs the library
 *   from source in the portable tests.
 * - The portable test files (`tests/_portable/suite.ts`) exist and use no `Deno` global: they
 *   declare their tests with `tests/_portable/test.ts` (directly, or through `boundedTest` of
 *   `tests/_helpers.ts`).
 *
 * @module
 */
import assert from "node:assert/strict";
import ts from "typescript";
import { OWN_PROCESS_TESTS, PORTABLE_TESTS } from "./_portable/suite.ts";

const REPO = new URL("../", import.meta.url);

/** Modules whose import makes a module main-side: the package entry and what spawns workers. */
const MAIN_SIDE_ROOTS: ReadonlySet<string> = new Set([
  "mod.ts",
  "src/pool/pool.ts",
  "src/pool/process.ts",
  "src/pool/_spawn.ts",
  "src/manager/manager.ts",
]);
/** Main-side folders: everything in them. */
const MAIN_SIDE_DIRS: readonly string[] = ["src/executor/"];

/** Entry modules of the pool's workers: they and all they import are the worker side. */
const WORKER_ENTRIES: readonly string[] = ["src/pool/worker_main.ts"];

/** What a kernel may import besides other kernels. */
const KERNEL_DEPS: ReadonlySet<string> = new Set(["src/_atomics.ts", "src/errors.ts"]);

/** The most lines a hand-written TypeScript file may have (src, tests, bench, tools, examples). */
const MAX_LINES = 600;

/**
 * Hand-written files known to be over {@linkcode MAX_LINES}, each with its reason
 * and where it is being dealt with. The 600-line rule fails on any other long file, and on a file
 * listed here that is no longer long (so that this list only shrinks).
 */
const LONG_FILES_PENDING: ReadonlyMap<string, string> = new Map([]);

/** An import graph: each module (a path from the repository root) and the modules it imports. */
type Graph = ReadonlyMap<string, readonly string[]>;

/**
 * The modules `source` (at repository path `path`) imports: relative specifiers resolved to
 * repository paths, others (`node:`, `npm:`, bare) as written.
 */
function importsOf(path: string, source: string): string[] {
  const file = ts.createSourceFile(path, source, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const specifiers: string[] = [];
  const visit = (node: ts.Node): void => {
    if (
      (ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) && node.moduleSpecifier &&
      ts.isStringLiteral(node.moduleSpecifier)
    ) {
      specifiers.push(node.moduleSpecifier.text);
    } else if (
      ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument) &&
      ts.isStringLiteral(node.argument.literal)
    ) {
      specifiers.push(node.argument.literal.text);
    } else if (
      ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference) &&
      ts.isStringLiteral(node.moduleReference.expression)
    ) {
      specifiers.push(node.moduleReference.expression.text);
    }
    ts.forEachChild(node, visit);
  };
  visit(file);
  const base = new URL(path, REPO);
  return specifiers.map((s) =>
    s.startsWith("./") || s.startsWith("../") ? new URL(s, base).href.slice(REPO.href.length) : s
  );
}

/** Every `.ts` file below `dir` (a repository path ending in `/`), as repository paths. */
function tsFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of Deno.readDirSync(new URL(dir, REPO))) {
    if (entry.isDirectory) out.push(...tsFiles(`${dir}${entry.name}/`));
    else if (entry.isFile && entry.name.endsWith(".ts")) out.push(`${dir}${entry.name}`);
  }
  return out.sort();
}

function read(path: string): string {
  return Deno.readTextFileSync(new URL(path, REPO));
}

/** The import graph of `src/` and the root `mod.ts`. */
function loadGraph(): Graph {
  const graph = new Map<string, string[]>();
  for (const path of ["mod.ts", ...tsFiles("src/")]) graph.set(path, importsOf(path, read(path)));
  return graph;
}

/** One import cycle per strongly connected component of `graph`, as `a -> b -> a`. */
function cycles(graph: Graph): string[] {
  let next = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[] = [];
  const connect = (v: string): void => {
    index.set(v, next);
    low.set(v, next++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!graph.has(w)) continue;
      if (!index.has(w)) {
        connect(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v)!, index.get(w)!));
      }
    }
    if (low.get(v) !== index.get(v)) return;
    const component = new Set<string>();
    let w: string;
    do {
      w = stack.pop()!;
      onStack.delete(w);
      component.add(w);
    } while (w !== v);
    if (component.size > 1 || graph.get(v)!.includes(v)) found.push(cycleIn(graph, component, v));
  };
  for (const v of [...graph.keys()].sort()) if (!index.has(v)) connect(v);
  return found;
}

/** A shortest cycle through `start` inside `component` (a strongly connected set), as `a -> … -> a`. */
function cycleIn(graph: Graph, component: ReadonlySet<string>, start: string): string {
  const chain = new Map([[start, start]]);
  const queue = [start];
  for (;;) {
    const v = queue.shift()!;
    for (const w of graph.get(v) ?? []) {
      if (w === start) return `${chain.get(v)} -> ${start}`;
      if (component.has(w) && !chain.has(w)) {
        chain.set(w, `${chain.get(v)} -> ${w}`);
        queue.push(w);
      }
    }
  }
}

function isMainSide(module: string): boolean {
  return MAIN_SIDE_ROOTS.has(module) || MAIN_SIDE_DIRS.some((dir) => module.startsWith(dir));
}

/**
 * Each import of main-side code by the worker side, as the chain from the worker entry to it
 * (`entry -> … -> importer -> main-side module`, shortest first).
 */
function workerViolations(graph: Graph, entries: readonly string[]): string[] {
  const out: string[] = [];
  for (const entry of entries) {
    if (!graph.has(entry)) {
      out.push(`${entry}: no such module (update WORKER_ENTRIES)`);
      continue;
    }
    const chain = new Map([[entry, entry]]);
    const queue = [entry];
    while (queue.length > 0) {
      const v = queue.shift()!;
      for (const w of graph.get(v) ?? []) {
        if (isMainSide(w)) out.push(`${chain.get(v)} -> ${w}`);
        else if (graph.has(w) && !chain.has(w)) {
          chain.set(w, `${chain.get(v)} -> ${w}`);
          queue.push(w);
        }
      }
    }
  }
  return out;
}

function isExplorer(module: string): boolean {
  return module.startsWith("src/explore/");
}

/** Each import edge from production code (anything outside `src/explore/`) into the explorer. */
function exploreViolations(graph: Graph): string[] {
  const out: string[] = [];
  for (const [from, imports] of graph) {
    if (isExplorer(from)) continue;
    for (const to of imports) if (isExplorer(to)) out.push(`${from} -> ${to}`);
  }
  return out;
}

function isKernel(module: string): boolean {
  return module.startsWith("src/kernel/") || module.startsWith("src/kernel_gen/");
}

/**
 * Each import edge from a kernel to anything but the seam, errors and other kernels (of its own
 * form: `src/kernel/` or, derived, `src/kernel_gen/`).
 */
function kernelViolations(graph: Graph): string[] {
  const out: string[] = [];
  for (const [from, imports] of graph) {
    if (!isKernel(from)) continue;
    for (const to of imports) {
      const sameForm = to.startsWith(from.slice(0, from.lastIndexOf("/") + 1));
      if (!KERNEL_DEPS.has(to) && !sameForm) out.push(`${from} -> ${to}`);
    }
  }
  return out;
}

/** Hand-written files over `max` lines, and pending ones that no longer are. */
function lengthViolations(
  lines: ReadonlyMap<string, number>,
  max: number,
  pending: ReadonlyMap<string, string>,
): string[] {
  const out: string[] = [];
  for (const [path, n] of lines) {
    if (path.startsWith("src/kernel_gen/")) continue;
    if (n > max && !pending.has(path)) out.push(`${path}: ${n} lines (at most ${max})`);
    if (n <= max && pending.has(path)) {
      out.push(`${path}: ${n} lines now, remove it from LONG_FILES_PENDING`);
    }
  }
  for (const path of pending.keys()) if (!lines.has(path)) out.push(`${path}: no such file`);
  return out;
}

/** Where the hand-written TypeScript lives (`src/kernel_gen/` is derived and skipped). */
const HAND_WRITTEN = ["src/", "tests/", "bench/", "tools/", "examples/"];

function lineCounts(): Map<string, number> {
  const out = new Map<string, number>();
  for (const path of HAND_WRITTEN.flatMap(tsFiles)) {
    const text = read(path);
    out.set(path, text.split("\n").length - (text.endsWith("\n") ? 1 : 0));
  }
  return out;
}

const graph = loadGraph();

Deno.test("src/ has no import cycle, type imports included", () => {
  assert.deepEqual(cycles(graph), [], "import cycles");
});

Deno.test("the worker side (worker_main.ts and all it imports) imports no main-side code", () => {
  assert.deepEqual(workerViolations(graph, WORKER_ENTRIES), [], "worker -> main-side chains");
});

Deno.test("production code never imports src/explore/", () => {
  assert.deepEqual(exploreViolations(graph), [], "production -> explorer imports");
});

Deno.test("kernels import only the atomics seam, errors and other kernels", () => {
  assert.deepEqual(kernelViolations(graph), [], "kernel imports");
});

Deno.test(`no hand-written TypeScript file is over ${MAX_LINES} lines`, () => {
  assert.deepEqual(lengthViolations(lineCounts(), MAX_LINES, LONG_FILES_PENDING), []);
});

Deno.test("the import graph reader sees every kind of import, type imports included", () => {
  const source = [
    'import { a } from "./a.ts";',
    'import type { B } from "../b.ts";',
    'import "./c.ts";',
    'export { d } from "./d.ts";',
    'export type * from "./e.ts";',
    'let f: typeof import("./f.ts");',
    'import v8 from "node:v8";',
    'const lazy = () => import("./not_static.ts");',
  ].join("\n");
  assert.deepEqual(importsOf("src/x/y.ts", source), [
    "src/x/a.ts",
    "src/b.ts",
    "src/x/c.ts",
    "src/x/d.ts",
    "src/x/e.ts",
    "src/x/f.ts",
    "node:v8",
  ]);
});

Deno.test("each rule fails, naming the offence, on a graph that breaks it", () => {
  const g = (edges: Record<string, string[]>): Graph => new Map(Object.entries(edges));
  assert.deepEqual(
    cycles(g({ "src/a.ts": ["src/b.ts"], "src/b.ts": ["src/c.ts"], "src/c.ts": ["src/a.ts"] })),
    ["src/a.ts -> src/b.ts -> src/c.ts -> src/a.ts"],
  );
  assert.deepEqual(cycles(g({ "src/a.ts": ["src/a.ts"] })), ["src/a.ts -> src/a.ts"]);
  assert.deepEqual(
    workerViolations(
      g({
        "src/pool/worker_main.ts": ["src/pool/_revive.ts", "src/pool/protocol.ts"],
        "src/pool/protocol.ts": [],
        "src/pool/_revive.ts": ["mod.ts"],
        "mod.ts": ["src/pool/pool.ts"],
        "src/pool/pool.ts": [],
      }),
      ["src/pool/worker_main.ts"],
    ),
    ["src/pool/worker_main.ts -> src/pool/_revive.ts -> mod.ts"],
  );
  assert.deepEqual(workerViolations(g({}), ["src/pool/gone.ts"]), [
    "src/pool/gone.ts: no such module (update WORKER_ENTRIES)",
  ]);
  assert.deepEqual(
    exploreViolations(g({ "src/sync/lock.ts": ["src/explore/sim/lock.ts"] })),
    ["src/sync/lock.ts -> src/explore/sim/lock.ts"],
  );
  assert.deepEqual(
    kernelViolations(
      g({
        "src/kernel/queue.ts": [
          "src/kernel/lock.ts",
          "src/_atomics.ts",
          "src/options.ts",
          "src/kernel_gen/lock.ts",
        ],
        "src/kernel_gen/queue.ts": ["src/kernel/lock.ts", "node:v8"],
      }),
    ),
    [
      "src/kernel/queue.ts -> src/options.ts",
      "src/kernel/queue.ts -> src/kernel_gen/lock.ts",
      "src/kernel_gen/queue.ts -> src/kernel/lock.ts",
      "src/kernel_gen/queue.ts -> node:v8",
    ],
  );
  assert.deepEqual(
    lengthViolations(
      new Map([["src/big.ts", 601], ["src/kernel_gen/big.ts", 900], ["src/done.ts", 400]]),
      600,
      new Map([["src/done.ts", "was long"], ["src/gone.ts", "was long"]]),
    ),
    [
      "src/big.ts: 601 lines (at most 600)",
      "src/done.ts: 400 lines now, remove it from LONG_FILES_PENDING",
      "src/gone.ts: no such file",
    ],
  );
});

// ---------------------------------------------------------------------------------------------
// One package for Deno, Node and Bun

/** The one module of `src/` that may name a runtime. */
const RUNTIME_MODULE = "src/_runtime.ts";

/** Every node of `source` for which `offends` returns a description, as `path:line: description`. */
function offences(
  path: string,
  source: string,
  offends: (node: ts.Node) => string | undefined,
): string[] {
  const file = ts.createSourceFile(path, source, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const out: string[] = [];
  const visit = (node: ts.Node): void => {
    const what = offends(node);
    if (what !== undefined) {
      const line = file.getLineAndCharacterOfPosition(node.getStart(file)).line + 1;
      out.push(`${path}:${line}: ${what}`);
    }
    ts.forEachChild(node, visit);
  };
  visit(file);
  return out;
}

/** A reference to a runtime by name: its global, `process.versions`, or its name as a string. */
function namesRuntime(node: ts.Node): string | undefined {
  if (ts.isIdentifier(node) && (node.text === "Deno" || node.text === "Bun")) {
    // `Symbol.for("Deno.customInspect")`-style strings are strings, not identifiers; a property
    // named Deno (`x.Deno`) is a global's name too.
    return `the ${node.text} global`;
  }
  if (ts.isStringLiteral(node) && (node.text === "Deno" || node.text === "Bun")) {
    return `the string "${node.text}"`;
  }
  if (ts.isPropertyAccessExpression(node) && node.name.text === "versions") {
    return "process.versions";
  }
  return undefined;
}

/** A `using` or `await using` declaration. */
function usingDeclaration(node: ts.Node): string | undefined {
  if (!ts.isVariableDeclarationList(node)) return undefined;
  // TypeScript 5.2+: NodeFlags.Using (4) and NodeFlags.AwaitUsing (6) in the lowest bits.
  const kind = node.flags & ts.NodeFlags.BlockScoped;
  if (kind === ts.NodeFlags.AwaitUsing) return "an `await using` declaration";
  if (kind === ts.NodeFlags.Using) return "a `using` declaration";
  return undefined;
}

/** The `Deno` global. */
function denoGlobal(node: ts.Node): string | undefined {
  return ts.isIdentifier(node) && node.text === "Deno" ? "the Deno global" : undefined;
}

Deno.test("only src/_runtime.ts names a runtime (no Deno or Bun global elsewhere in src/)", () => {
  const found = tsFiles("src/").filter((path) => path !== RUNTIME_MODULE)
    .flatMap((path) => offences(path, read(path), namesRuntime));
  assert.deepEqual(found, []);
  assert.ok(
    offences(RUNTIME_MODULE, read(RUNTIME_MODULE), namesRuntime).length > 0,
    "the runtime module is where the names are (or this rule reads nothing)",
  );
});

/** A dynamic `import("...")` of a literal specifier (a type's `typeof import("...")` is not one). */
function literalDynamicImport(node: ts.Node): string | undefined {
  if (!ts.isCallExpression(node) || node.expression.kind !== ts.SyntaxKind.ImportKeyword) {
    return undefined;
  }
  const [specifier] = node.arguments;
  return specifier !== undefined && ts.isStringLiteralLike(specifier)
    ? `import("${specifier.text}")`
    : undefined;
}

Deno.test("src/ imports on demand only by computed URLs (Deno loads a literal import() at once)", () => {
  // Deno loads every module a literal `import("./x.ts")` names, and all it imports, along with the
  // importer, before anything runs: what is imported on demand must be named by a computed URL
  // (`moduleUrl` in src/_module_url.ts).
  assert.deepEqual(
    tsFiles("src/").flatMap((path) => offences(path, read(path), literalDynamicImport)),
    [],
  );
  const sample = 'const a = await import("./x.ts");\nlet b: typeof import("./y.ts");\n' +
    "const c = await import(URL_OF_Z);\n";
  assert.deepEqual(offences("sample.ts", sample, literalDynamicImport), [
    'sample.ts:1: import("./x.ts")',
  ]);
});

Deno.test("src/ has no using declaration, so Node 22 parses it", () => {
  assert.deepEqual(
    tsFiles("src/").flatMap((path) => offences(path, read(path), usingDeclaration)),
    [],
  );
});

Deno.test("the portable test files exist, declare their tests with the shim and use no Deno global", () => {
  assert.ok(PORTABLE_TESTS.length > 0);
  for (const path of OWN_PROCESS_TESTS) assert.ok(PORTABLE_TESTS.includes(path), path);
  for (const path of PORTABLE_TESTS) {
    const source = read(path);
    assert.deepEqual(offences(path, source, denoGlobal), [], path);
    // test() itself, or boundedTest() of tests/_helpers.ts, which is test() with a deadline.
    assert.match(
      source,
      /^import \{ test \} from "\.\.\/_portable\/test\.ts";$|^import \{[^}]*\bboundedTest\b[^}]*\} from "\.\.\/_helpers\.ts";$/m,
      path,
    );
  }
});

/**
 * The test helpers the portable files import, directly or not (under `tests/`, but not the shim
 * `tests/_portable/test.ts`, which is `Deno.test` on Deno, nor the worker fixtures of
 * `tests/_workers/`, whose Deno-only exports only Deno-only tests call).
 */
function portableHelpers(): string[] {
  const seen = new Set<string>(PORTABLE_TESTS);
  const todo = [...PORTABLE_TESTS];
  while (todo.length > 0) {
    const path = todo.pop()!;
    for (const dep of importsOf(path, read(path))) {
      if (dep.startsWith("tests/") && !seen.has(dep)) {
        seen.add(dep);
        todo.push(dep);
      }
    }
  }
  return [...seen].filter((p) =>
    !PORTABLE_TESTS.includes(p) && p !== "tests/_portable/test.ts" &&
    !p.startsWith("tests/_workers/")
  ).sort();
}

Deno.test("the helpers the portable test files import use no Deno global either", () => {
  const helpers = portableHelpers();
  assert.ok(helpers.includes("tests/_contention.ts"), "the walk follows imports");
  assert.deepEqual(helpers.flatMap((path) => offences(path, read(path), denoGlobal)), []);
});

Deno.test("each rule fails, naming the offence, on a sample that breaks it", () => {
  const sample = [
    "// Deno.exit in a comment is fine",
    'const key = Symbol.for("Deno.customInspect");',
    "Deno.exit(1);",
    'if ("Bun" in globalThis) {}',
    "const v = process.versions.node;",
    "{ using a = lock(); }",
    "async function f() { await using b = pool(); }",
    "let c = 1; const d = 2; var e = 3;",
  ].join("\n");
  assert.deepEqual(offences("src/x.ts", sample, namesRuntime), [
    "src/x.ts:3: the Deno global",
    'src/x.ts:4: the string "Bun"',
    "src/x.ts:5: process.versions",
  ]);
  assert.deepEqual(offences("src/x.ts", sample, usingDeclaration), [
    "src/x.ts:6: a `using` declaration",
    "src/x.ts:7: an `await using` declaration",
  ]);
  assert.deepEqual(offences("tests/x_test.ts", sample, denoGlobal), [
    "tests/x_test.ts:3: the Deno global",
  ]);
});
