import assert from "node:assert/strict";
import { deriveAll, DERIVED_DIR, deriveKernel, NOT_DERIVED } from "../../tools/derive_kernels.ts";

Deno.test("every derived kernel in src/kernel_gen/ is up to date with its source", async () => {
  assert.deepEqual(await deriveAll(false), [], "run `deno task derive`");
});

Deno.test("deriveKernel turns seam and kernel calls into yield* and kernels into generators", () => {
  const source = [
    'import type { Seam } from "../_atomics.ts";',
    "export function f(A: Seam, s: Int32Array): number {",
    "  return g(A, A.load(s, 1)) + A.spin;",
    "}",
    "function g(A: Seam, v: number): number {",
    "  return A.add(s0, 0, v);",
    "}",
    "const s0 = new Int32Array(1);",
    "export function plain(x: number): number { return x; }",
  ].join("\n");
  const out = deriveKernel(source, "t.ts");
  assert.match(out, /import type \{ GenSeam as Seam, KernelGen \} from "..\/_atomics.ts";/);
  assert.match(out, /export function\* f\(A: Seam, s: Int32Array\): KernelGen<number> \{/);
  assert.match(out, /return \(yield\* g\(A, \(yield\* A\.load\(s, 1\)\)\)\) \+ A\.spin;/);
  assert.match(out, /function\* g\(A: Seam, v: number\): KernelGen<number>/);
  assert.match(out, /return \(yield\* A\.add\(s0, 0, v\)\);/);
  assert.match(out, /export function plain\(x: number\): number \{ return x; \}/);
});

Deno.test("deriveKernel refuses the seam inside a callback and kernels without a return type", () => {
  const header = 'import type { Seam } from "../_atomics.ts";\n';
  assert.throws(
    () =>
      deriveKernel(
        header +
          "export function f(A: Seam, s: Int32Array): void { [1].forEach(() => A.load(s, 0)); }",
        "t.ts",
      ),
    /nested function/,
  );
  assert.throws(
    () => deriveKernel(header + "export function f(A: Seam) { return 1; }", "t.ts"),
    /needs a return type/,
  );
});

Deno.test("deriveKernel drops the copied JSDoc and heads the file with a pointer to its kernel", () => {
  const source = [
    "/**",
    " * Shared layout: the state table, on the kernel's first screen.",
    " *",
    " * @module",
    " */",
    'import type { Seam } from "../_atomics.ts";',
    "",
    "/** Word index of the state. */",
    "export const STATE = 1;",
    "",
    "  /** Indented, alone on its line. */",
    "/** Takes the lock. */ export function f(A: Seam, s: Int32Array): number {",
    "  // Why this load: a line comment stays.",
    "  return A.load(s, STATE); /* a plain block comment stays */",
    "}",
  ].join("\n");
  const out = deriveKernel(source, "t.ts");
  assert.doesNotMatch(out, /\/\*\*/, "no JSDoc left");
  assert.doesNotMatch(out, /Shared layout|Word index|Indented|Takes the lock/);
  assert.match(
    out,
    /^\/\/ Derived from src\/kernel\/t\.ts by tools\/derive_kernels\.ts: do not edit\.\n/,
  );
  assert.match(out, /docs are in src\/kernel\/t\.ts\./);
  assert.match(
    out,
    /\nimport type \{ GenSeam as Seam, KernelGen \} from "..\/_atomics.ts";\n\nexport const STATE = 1;\n\n/,
  );
  assert.match(out, /\n export function\* f\(A: Seam, s: Int32Array\): KernelGen<number> \{\n/);
  assert.match(out, / {2}\/\/ Why this load: a line comment stays\./);
  assert.match(out, /\/\* a plain block comment stays \*\//);
});

Deno.test("the kernels listed in NOT_DERIVED have a reason and no derived file", async () => {
  assert.ok(NOT_DERIVED.size > 0);
  for (const [name, why] of NOT_DERIVED) {
    assert.ok(why.length > 0, `${name} needs a reason`);
    await assert.rejects(Deno.stat(new URL(name, DERIVED_DIR)), Deno.errors.NotFound, name);
  }
});
