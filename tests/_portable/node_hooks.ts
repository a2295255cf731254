/**
 * Loaded with `node --import` by the portable run (`tools/test_portable.ts`), in every thread:
 * where Node cannot parse `using` declarations (Node 22: V8 12.4), lowers them in the test files
 * that have them, with TypeScript (`transpileModule`, target ES2022), before Node loads them.
 *
 * - Only files under `tests/` are touched: the library in `src/` has no `using` declaration
 *   (`tests/architecture_test.ts` checks it), so Node 22 runs it from source, through its own type
 *   stripping only. `using` in the tests is how users write Interlock code, which needs Node 24.
 * - Each lowered file is kept in `node_modules/.cache/interlock-using/`, by a hash of its source:
 *   the first thread that loads it pays for TypeScript (about a second), the workers after it read
 *   the cache.
 * - Where Node parses `using` (Node 24), this module does nothing.
 *
 * @module
 */
import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { createRequire, registerHooks } from "node:module";
import process from "node:process";
import { threadId } from "node:worker_threads";

const TESTS = new URL("../", import.meta.url).href;
const CACHE = new URL("../../node_modules/.cache/interlock-using/", import.meta.url);
/** A `using` or `await using` declaration at the start of a statement. */
const USING = /(^|[{;])\s*(await\s+)?using\s+[\p{L}_$][\p{L}\p{N}_$]*\s*=/mu;

function parsesUsing(): boolean {
  try {
    new Function("{ using x = null; }");
    return true;
  } catch {
    return false;
  }
}

/** `source` (TypeScript) with its `using` declarations lowered, from the cache or TypeScript. */
function lowered(source: string): string {
  const key = createHash("sha256").update(source).digest("hex").slice(0, 32);
  const cached = new URL(`${key}.js`, CACHE);
  try {
    return readFileSync(cached, "utf8");
  } catch {
    // Not lowered yet.
  }
  const ts = createRequire(import.meta.url)("typescript") as typeof import("typescript");
  const output = ts.transpileModule(source, {
    compilerOptions: {
      target: ts.ScriptTarget.ES2022,
      module: ts.ModuleKind.ESNext,
      verbatimModuleSyntax: true,
    },
  }).outputText;
  mkdirSync(CACHE, { recursive: true });
  const temporary = new URL(`${key}.${process.pid}.${threadId}.tmp`, CACHE);
  writeFileSync(temporary, output);
  renameSync(temporary, cached);
  return output;
}

if (!parsesUsing()) {
  registerHooks({
    load(url, context, nextLoad) {
      const result = nextLoad(url, context);
      if (!url.startsWith(TESTS) || !url.endsWith(".ts") || result.source === undefined) {
        return result;
      }
      const source = typeof result.source === "string"
        ? result.source
        : new TextDecoder().decode(result.source as Uint8Array);
      if (!USING.test(source)) return result;
      return { format: "module", source: lowered(source), shortCircuit: true };
    },
  });
}
