/**
 * A module imported with a relative path by `forms.ts` and `escape.ts`: the explorer follows it.
 *
 * @module
 */

/** Half of `a[0]` (a plain read). */
export function half(a: Int32Array): number {
  return a[0]! / 2;
}

/** Writes `a[0]` (a plain write). */
export function poke(a: Int32Array, v: number): void {
  a[0] = v;
}
