/**
 * Derives the generator form of every kernel (`src/kernel/*.ts` -> `src/kernel_gen/*.ts`).
 *
 * A kernel is a top-level function declaration whose first parameter is named `A` (the atomics seam,
 * `src/_atomics.ts`). The derivation is purely syntactic, so that the derived code is the same
 * algorithm, token for token, with suspension points made explicit:
 *
 * 1. `function name(A: Seam, ...): R` becomes `function* name(A: Seam, ...): KernelGen<R>`;
 * 2. every call `A.op(...)`, and every call whose first argument is `A` (a call to another kernel),
 *    becomes `(yield* A.op(...))` / `(yield* kernel(A, ...))`; the loop marks `A.loop?.(...)` and
 *    `A.at?.(...)` stay plain calls (they suspend nothing, see `Seam.at`);
 * 3. the seam type import becomes `import type { GenSeam as Seam, KernelGen }`;
 * 4. the JSDoc comments are dropped: the derived file starts with a header naming its kernel, where
 *    the layout, the state table, the invariant and each function's docs stay, on one first screen.
 *    Line comments stay, next to the code they explain.
 *
 * Kernels listed in {@linkcode NOT_DERIVED} are not derived (see there why).
 *
 * It refuses kernels it cannot derive faithfully: a kernel without a declared return type, or `A`
 * used inside a nested function (a callback could not be suspended).
 *
 * Usage: `deno task derive` (writes), `deno task derive --check` (exits 1 if a derived file is stale).
 * `tests/tools/derive_kernels_test.ts` runs the check in CI. The edits themselves (`function*`,
 * `(yield* …)`, applied with the layout kept) are `src/explore/_derive.ts`'s, which the explorer
 * also uses to derive the generator form of a user's module when it loads it (`src/explore/module.ts`).
 *
 * @module
 */
import ts from "typescript";
import { applyEdits, delegate, type Edit, insert, toGenerator } from "../src/explore/_derive.ts";

/** Where kernels live, and where their derived forms go (same depth, so relative imports hold). */
export const KERNEL_DIR = new URL("../src/kernel/", import.meta.url);
/** See {@linkcode KERNEL_DIR}. */
export const DERIVED_DIR = new URL("../src/kernel_gen/", import.meta.url);

/**
 * Kernels that get no generator form, and why. A derived file exists for the callers that run a
 * kernel through the async seam (`ASYNC`) or the explorer (`SIM`); these have none.
 */
export const NOT_DERIVED: ReadonlyMap<string, string> = new Map([
  [
    "pipe.ts",
    "it neither waits nor calls another kernel, so its generator form would suspend nowhere, and " +
    "`Connection` calls it through `REAL` only (the pipe's waits are its queues')",
  ],
]);

/** Returns the generator form of the kernel module `source` (from file `name`). */
export function deriveKernel(source: string, name: string): string {
  const file = ts.createSourceFile(name, source, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const edits: Edit[] = [];
  const fail = (node: ts.Node, why: string): never => {
    const { line, character } = file.getLineAndCharacterOfPosition(node.getStart());
    throw new Error(`${name}:${line + 1}:${character + 1}: cannot derive kernel: ${why}`);
  };
  let seamImport = false;

  for (const statement of file.statements) {
    if (ts.isImportDeclaration(statement)) {
      const spec = (statement.moduleSpecifier as ts.StringLiteral).text;
      const named = statement.importClause?.namedBindings;
      if (spec.endsWith("/_atomics.ts") && named && ts.isNamedImports(named)) {
        for (const element of named.elements) {
          if (element.name.text === "Seam" && !element.propertyName) {
            insert(edits, element.getStart(), "GenSeam as ");
            insert(edits, element.end, ", KernelGen");
            seamImport = true;
          }
        }
      }
      continue;
    }
    if (!ts.isFunctionDeclaration(statement) || !isKernel(statement)) continue;
    if (!statement.type) fail(statement, `kernel '${statement.name?.text}' needs a return type`);
    toGenerator(edits, statement);
    insert(edits, statement.type!.getStart(), "KernelGen<");
    insert(edits, statement.type!.end, ">");
    if (statement.body) visit(statement.body, false);
  }
  if (edits.length > 0 && !seamImport) {
    throw new Error(`${name}: kernels must import the 'Seam' type from "../_atomics.ts"`);
  }

  function visit(node: ts.Node, nested: boolean): void {
    if (ts.isFunctionLike(node)) nested = true;
    if (nested && ts.isIdentifier(node) && node.text === "A") {
      fail(node, "the seam 'A' is used inside a nested function");
    }
    if (ts.isCallExpression(node) && isSeamCall(node)) delegate(edits, node);
    ts.forEachChild(node, (child) => visit(child, nested));
  }

  const out = applyEdits(source, edits);
  return `// Derived from src/kernel/${name} by tools/derive_kernels.ts: do not edit.\n` +
    `// The generator form of each kernel there, for the async path and the explorer; its layout,\n` +
    `// state table, invariant and every function's docs are in src/kernel/${name}.\n` +
    `// Regenerate with \`deno task derive\`; tests/tools/derive_kernels_test.ts checks it.\n` +
    withoutJsDoc(out, name);
}

/**
 * `source` without its JSDoc comments (`/** ... *\/`); a comment alone on its lines takes its lines
 * with it. Line comments and plain block comments stay.
 */
function withoutJsDoc(source: string, name: string): string {
  const file = ts.createSourceFile(name, source, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const ranges = new Map<number, number>();
  const collect = (node: ts.Node): void => {
    for (const c of ts.getLeadingCommentRanges(source, node.getFullStart()) ?? []) {
      const text = source.slice(c.pos, c.end);
      if (text.startsWith("/**") && text !== "/**/") ranges.set(c.pos, c.end);
    }
    ts.forEachChild(node, collect);
  };
  collect(file);
  collect(file.endOfFileToken);
  let out = "";
  let at = 0;
  for (const [pos, end] of [...ranges].sort((a, b) => a[0] - b[0])) {
    let from = pos;
    let to = end;
    const lineStart = source.lastIndexOf("\n", pos - 1) + 1;
    const lineEnd = source.indexOf("\n", end);
    if (
      /^[ \t]*$/.test(source.slice(lineStart, pos)) &&
      /^[ \t]*$/.test(source.slice(end, lineEnd === -1 ? source.length : lineEnd))
    ) {
      from = lineStart;
      to = lineEnd === -1 ? source.length : lineEnd + 1;
    }
    out += source.slice(at, from);
    at = to;
  }
  return out + source.slice(at);
}

function isKernel(fn: ts.FunctionDeclaration): boolean {
  const first = fn.parameters[0];
  return first !== undefined && ts.isIdentifier(first.name) && first.name.text === "A";
}

/**
 * Seam calls that never suspend, plain calls in both forms: the loop marks (`A.loop?.(…)`,
 * `A.at?.(…)`) and a Condition waiter's spin budget (`A.notifySpin(seq)`, no shared access).
 */
const PLAIN = new Set(["loop", "at", "notifySpin"]);

function isSeamCall(call: ts.CallExpression): boolean {
  const callee = call.expression;
  if (
    ts.isPropertyAccessExpression(callee) && ts.isIdentifier(callee.expression) &&
    callee.expression.text === "A"
  ) return !PLAIN.has(callee.name.text);
  const first = call.arguments[0];
  return first !== undefined && ts.isIdentifier(first) && first.text === "A";
}

/** Derives every kernel; returns the names of derived files that differ from what is on disk. */
export async function deriveAll(write: boolean): Promise<string[]> {
  const stale: string[] = [];
  const names: string[] = [];
  for await (const entry of Deno.readDir(KERNEL_DIR)) {
    if (entry.isFile && entry.name.endsWith(".ts") && !NOT_DERIVED.has(entry.name)) {
      names.push(entry.name);
    }
  }
  names.sort();
  for (const name of names) {
    const derived = deriveKernel(await Deno.readTextFile(new URL(name, KERNEL_DIR)), name);
    const target = new URL(name, DERIVED_DIR);
    let current: string | undefined;
    try {
      current = await Deno.readTextFile(target);
    } catch (e) {
      if (!(e instanceof Deno.errors.NotFound)) throw e;
    }
    if (current === derived) continue;
    stale.push(name);
    if (write) await Deno.writeTextFile(target, derived);
  }
  // A derived file whose kernel is gone is stale too.
  for await (const entry of Deno.readDir(DERIVED_DIR)) {
    if (entry.isFile && !names.includes(entry.name)) {
      stale.push(entry.name);
      if (write) await Deno.remove(new URL(entry.name, DERIVED_DIR));
    }
  }
  return stale;
}

if (import.meta.main) {
  const check = Deno.args.includes("--check");
  const stale = await deriveAll(!check);
  if (check && stale.length > 0) {
    console.error(`Stale derived kernels (run \`deno task derive\`): ${stale.join(", ")}`);
    Deno.exit(1);
  }
  console.log(check ? "Derived kernels are up to date" : `Derived: ${stale.join(", ") || "none"}`);
}
