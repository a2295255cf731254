/**
 * Loaded with `node --import` by the portable run (`tools/test_portable.ts`), in every thread: Node
 * loads the repository's TypeScript through this hook, which keeps what Node's own type stripping
 * (`module.stripTypeScriptTypes`, strip mode: the same as when Node loads a `.ts` file) made of each
 * file in `node_modules/.cache/interlock-node/`, by a hash of the source.
 *
 * - Why: every worker a test starts loads the library again (some 70 modules), and Node 22 strips
 *   each one again in each worker: measured on the 2-core CI machine, a worker that loads `mod.ts`
 *   took 1.96 s to start from source and 0.62 s from JavaScript. Node 24's compile cache
 *   (`NODE_COMPILE_CACHE`, set by the runner) keeps stripped code itself; this hook does it for both.
 * - `using` declarations, which Node 22's V8 cannot parse, are lowered in test files (under
 *   `tests/`) with TypeScript's `transpileModule` (target ES2022) instead. The library in `src/` has
 *   none (`tests/architecture_test.ts` checks it), so Node 22 runs it through its own stripping only.
 *   `using` in the tests is how users write Interlock code, which needs Node 24.
 * - JavaScript, not TypeScript: a TypeScript hook would make each worker set up Node's type
 *   stripper just to load the hook (about 0.4 s on Node 22).
 *
 * @module
 */
import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { createRequire, registerHooks, stripTypeScriptTypes } from "node:module";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { threadId } from "node:worker_threads";

const REPO = new URL("../../", import.meta.url).href;
const TESTS = new URL("../", import.meta.url).href;
const CACHE = new URL("../../node_modules/.cache/interlock-node/", import.meta.url);
/** A `using` or `await using` declaration at the start of a statement. */
const USING = /(^|[{;])\s*(await\s+)?using\s+[\p{L}_$][\p{L}\p{N}_$]*\s*=/mu;
const PARSES_USING = (() => {
  try {
    new Function("{ using x = null; }");
    return true;
  } catch {
    return false;
  }
})();

/** The JavaScript Node runs for the TypeScript file at `url` whose text is `source`. */
function javascript(url, source) {
  const lower = !PARSES_USING && url.startsWith(TESTS) && USING.test(source);
  const key = createHash("sha256").update(lower ? "lower\0" : "strip\0").update(source).digest(
    "hex",
  ).slice(0, 40);
  const cached = new URL(`${key}.js`, CACHE);
  try {
    return readFileSync(cached, "utf8");
  } catch {
    // Not made yet.
  }
  const output = lower ? lowered(source) : stripTypeScriptTypes(source, { mode: "strip" });
  mkdirSync(CACHE, { recursive: true });
  const temporary = new URL(`${key}.${process.pid}.${threadId}.tmp`, CACHE);
  writeFileSync(temporary, output);
  renameSync(temporary, cached);
  return output;
}

/** `source` with its types stripped and its `using` declarations lowered, by TypeScript. */
function lowered(source) {
  const ts = createRequire(import.meta.url)("typescript");
  return ts.transpileModule(source, {
    compilerOptions: {
      target: ts.ScriptTarget.ES2022,
      module: ts.ModuleKind.ESNext,
      verbatimModuleSyntax: true,
    },
  }).outputText;
}

registerHooks({
  load(url, context, nextLoad) {
    if (!url.startsWith(REPO) || !url.endsWith(".ts") || url.includes("/node_modules/")) {
      return nextLoad(url, context);
    }
    const source = readFileSync(fileURLToPath(url), "utf8");
    return { format: "module", source: javascript(url, source), shortCircuit: true };
  },
});
