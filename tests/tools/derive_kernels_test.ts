import assert from "node:assert/strict";
import { deriveAll, deriveKernel } from "../../tools/derive_kernels.ts";

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
