/**
 * Deriving the generator form of synchronous source as text edits that keep its layout: the shared
 * core of `tools/derive_kernels.ts` (the kernels' generator forms, written to `src/kernel_gen/`) and
 * of `_instrument.ts` (a user module's generator form, made when the explorer loads it). Both turn
 * chosen functions into `function*` and wrap chosen expressions in `(yield* …)`; they differ only in
 * which functions and expressions they choose.
 *
 * An edit replaces the text between `pos` and `end` (an insertion when they are equal). Edits never
 * overlap, except that several may sit at one position: there `rank` orders them, closers of
 * narrower spans first, then plain edits, then openers of wider spans first, so that nested wraps
 * nest.
 *
 * @module
 */
import ts from "typescript";

/** One text edit (see the module doc). */
export interface Edit {
  /** Where the replaced text starts. */
  pos: number;
  /** Where the replaced text ends (`pos` for an insertion). */
  end: number;
  /** The new text. */
  text: string;
  /** Orders edits at one position: closers first, then plain edits, then openers. */
  rank: number;
}

/** Inserts `text` at `pos`. */
export function insert(edits: Edit[], pos: number, text: string): void {
  edits.push({ pos, end: pos, text, rank: 0 });
}

/** Replaces the source text between `pos` and `end` by `text`. */
export function replace(edits: Edit[], pos: number, end: number, text: string): void {
  edits.push({ pos, end, text, rank: 0 });
}

/** Puts `before` in front of `node` and `after` behind it; wraps nest by span. */
export function wrap(edits: Edit[], node: ts.Node, before: string, after: string): void {
  const start = node.getStart();
  const span = node.end - start;
  edits.push({ pos: start, end: start, text: before, rank: 1e9 - span });
  edits.push({ pos: node.end, end: node.end, text: after, rank: -1e9 + span });
}

/** Makes `node` a delegation to the generator it evaluates to: `(yield* node)`. */
export function delegate(edits: Edit[], node: ts.Node): void {
  wrap(edits, node, "(yield* ", ")");
}

/** Turns a function declaration or expression (`function f(…)`) into a generator (`function* f`). */
export function toGenerator(
  edits: Edit[],
  fn: ts.FunctionDeclaration | ts.FunctionExpression,
): void {
  const keyword = fn.getChildren().find((c) => c.kind === ts.SyntaxKind.FunctionKeyword);
  if (keyword === undefined) throw new Error("Cannot derive a generator: no 'function' keyword");
  insert(edits, keyword.end, "*");
}

/** `source` with `edits` applied. */
export function applyEdits(source: string, edits: readonly Edit[]): string {
  const sorted = [...edits].sort((a, b) => a.pos - b.pos || a.rank - b.rank);
  let out = "";
  let at = 0;
  for (const edit of sorted) {
    if (edit.pos < at) {
      throw new Error(
        `Cannot apply overlapping edits at ${edit.pos}: ${JSON.stringify(edit.text)}`,
      );
    }
    out += source.slice(at, edit.pos) + edit.text;
    at = edit.end;
  }
  return out + source.slice(at);
}

/** A piece of a {@linkcode rewrite}: new text, a node kept as it is, or a range of nodes kept. */
export type Piece = string | ts.Node | readonly [first: ts.Node, last: ts.Node];

/**
 * Replaces `node` by `pieces`: new texts around kept spans (nodes, or ranges of consecutive nodes,
 * with their own edits inside), e.g. `x.m(a, b)` by `["f(", x, ", \"m\", ", [a, b], ")"]`. The text
 * before the first span opens and the text after the last one closes, ranked as a wrap of `node`
 * (`bias` > 0 puts it outside other wraps of the same node).
 */
export function rewrite(edits: Edit[], node: ts.Node, pieces: readonly Piece[], bias = 0): void {
  const start = node.getStart();
  const span = node.end - start;
  const spans: (readonly [number, number])[] = [];
  const texts: string[] = [""];
  for (const p of pieces) {
    if (typeof p === "string") texts[texts.length - 1] += p;
    else {
      const [first, last] = "kind" in p ? [p, p] : p as readonly [ts.Node, ts.Node];
      spans.push([first.getStart(), last.end]);
      texts.push("");
    }
  }
  if (spans.length === 0) return replace(edits, start, node.end, texts[0]!);
  edits.push({ pos: start, end: spans[0]![0], text: texts[0]!, rank: 1e9 - span - bias });
  for (let k = 1; k < spans.length; k++) {
    edits.push({ pos: spans[k - 1]![1], end: spans[k]![0], text: texts[k]!, rank: 0 });
  }
  edits.push({
    pos: spans.at(-1)![1],
    end: node.end,
    text: texts.at(-1)!,
    rank: -1e9 + span + bias,
  });
}

/**
 * Turns an arrow function into a generator function expression: `(a) => e` becomes
 * `function* (a) { return e; }`, `a => e` gets its parentheses, and with `bind` (the arrow uses
 * `this`) the result is `(function* …).bind(this)`. An `async` modifier is the caller's to remove.
 */
export function arrowToGenerator(edits: Edit[], fn: ts.ArrowFunction, bind: boolean): void {
  const asyncMod = ts.getModifiers(fn)?.find((m) => m.kind === ts.SyntaxKind.AsyncKeyword);
  const bare = !fn.getChildren().some((c) => c.kind === ts.SyntaxKind.OpenParenToken);
  const at = asyncMod ? asyncMod.end : fn.getStart();
  const span = fn.end - fn.getStart();
  const open = (bind ? "(function* " : "function* ") + (bare ? "(" : "");
  // Inside any wrap of the arrow itself.
  edits.push({ pos: at, end: at, text: open, rank: 1e9 - span + 0.25 });
  if (bare) insert(edits, fn.parameters[0]!.end, ")");
  replace(edits, fn.equalsGreaterThanToken.getStart(), fn.equalsGreaterThanToken.end, "");
  if (!ts.isBlock(fn.body)) rewrite(edits, fn.body, ["{ return ", fn.body, "; }"], 0.5);
  if (bind) {
    edits.push({ pos: fn.end, end: fn.end, text: ").bind(this)", rank: -1e9 + span - 0.25 });
  }
}
