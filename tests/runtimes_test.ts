/**
 * The rules that keep Interlock one package for Deno, Node and Bun, checked on the sources with the
 * TypeScript parser (comments and documentation do not count). Each failure names the file and
 * line; the last test runs every rule on a sample that breaks it, so none can pass vacuously.
 *
 * - Only `src/_runtime.ts` names a runtime: no `Deno` or `Bun` global, no `process.versions`, no
 *   `"Deno"`/`"Bun"` string elsewhere in `src/`.
 * - `src/` has no `using` declaration: Node 22's V8 cannot parse one, and Node 22 runs the library
 *   from source in the portable tests.
 * - The portable test files (`tests/_portable/suite.ts`) exist and use no `Deno` global: they
 *   declare their tests with `tests/_portable/test.ts`.
 *
 * @module
 */
import assert from "node:assert/strict";
import ts from "typescript";
import { PORTABLE_TESTS } from "./_portable/suite.ts";

const REPO = new URL("../", import.meta.url);
/** The one module of `src/` that may name a runtime. */
const RUNTIME_MODULE = "src/_runtime.ts";

function read(path: string): string {
  return Deno.readTextFileSync(new URL(path, REPO));
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

Deno.test("src/ has no using declaration, so Node 22 parses it", () => {
  assert.deepEqual(
    tsFiles("src/").flatMap((path) => offences(path, read(path), usingDeclaration)),
    [],
  );
});

Deno.test("the portable test files exist, declare their tests with the shim and use no Deno global", () => {
  assert.ok(PORTABLE_TESTS.length > 0);
  for (const path of PORTABLE_TESTS) {
    const source = read(path);
    assert.deepEqual(offences(path, source, denoGlobal), [], path);
    assert.match(source, /^import \{ test \} from "\.\.\/_portable\/test\.ts";$/m, path);
  }
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
