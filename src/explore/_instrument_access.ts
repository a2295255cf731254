/**
 * The rewrites of `_instrument.ts` for the constructs that may touch shared memory: calls (of the
 * module's functions, of methods that may be Interlock operations, of `Atomics`), reads, writes and
 * updates of elements and of the properties the explorer knows, and `using` blocks. Each becomes a
 * call of a `_runtime.ts` helper: `(yield* $$il.call(lock, "acquireSync", 7))` in generator code,
 * `$$il.callS(lock, "acquireSync", 7)` in code that cannot be suspended.
 *
 * @module
 */
import ts from "typescript";
import { type Edit, insert, type Piece, replace, rewrite, wrap } from "./_derive.ts";
import type { Followed, Resolver } from "./_scope.ts";

/** Where a visit is: in generator code (`gen`) or code that cannot be suspended, and what runs it. */
export interface Ctx {
  /** Whether the code is a generator the explorer suspends. */
  readonly gen: boolean;
  /** What runs it, for messages: `function 'withdraw'`, `a callback in …`. */
  readonly context: string;
}

/** What an import specifier becomes. */
export interface Resolved {
  /** The URL to import instead; undefined: as written. */
  readonly to: string | undefined;
  /** Whether the explorer sees what the imported module does with shared memory. */
  readonly explored: boolean;
  /** Whether the imported module is instrumented too: calls into its functions are followed. */
  readonly followed: boolean;
}

/** What these rewrites need from the instrumenter. */
export interface Instrumenting {
  /** The edits made so far. */
  readonly edits: Edit[];
  /** Name resolution in the module. */
  readonly scope: Resolver;
  /** Method names whose calls may be Interlock operations. */
  readonly methods: ReadonlySet<string>;
  /** Property names whose reads and writes may be Interlock operations. */
  readonly properties: ReadonlySet<string>;
  /** What an import specifier becomes. */
  resolve(specifier: string): Resolved;
  /** Registers the site of `node`; returns its id. */
  site(node: ts.Node, ctx: Ctx): number;
  /** Throws the `NotExplorableError` of `node`. */
  fail(node: ts.Node, ctx: Ctx, reason: string, advice: string): never;
  /** Visits `node` in `ctx`. */
  visit(node: ts.Node, ctx: Ctx): void;
  /** Makes `fn` (a function passed to an Interlock method) a generator and visits it. */
  visitPassed(fn: ts.FunctionExpression | ts.ArrowFunction, name: string): void;
  /** Uses the plain form of followed function `fn` at `node` (a value, not a direct call). */
  plainForm(node: ts.Node, fn: Followed): void;
  /** A fresh number for a `using` block's variables. */
  nextBlock(): number;
}

const COMPOUND: ReadonlyMap<ts.SyntaxKind, string> = new Map([
  [ts.SyntaxKind.PlusEqualsToken, "+"],
  [ts.SyntaxKind.MinusEqualsToken, "-"],
  [ts.SyntaxKind.AsteriskEqualsToken, "*"],
  [ts.SyntaxKind.SlashEqualsToken, "/"],
  [ts.SyntaxKind.PercentEqualsToken, "%"],
  [ts.SyntaxKind.AsteriskAsteriskEqualsToken, "**"],
  [ts.SyntaxKind.LessThanLessThanEqualsToken, "<<"],
  [ts.SyntaxKind.GreaterThanGreaterThanEqualsToken, ">>"],
  [ts.SyntaxKind.GreaterThanGreaterThanGreaterThanEqualsToken, ">>>"],
  [ts.SyntaxKind.AmpersandEqualsToken, "&"],
  [ts.SyntaxKind.BarEqualsToken, "|"],
  [ts.SyntaxKind.CaretEqualsToken, "^"],
]);

/** Global calls whose result differs from run to run: `object.method` or a global function. */
export const NONDETERMINISTIC: ReadonlySet<string> = new Set([
  "Math.random",
  "Date.now",
  "performance.now",
  "crypto.getRandomValues",
  "crypto.randomUUID",
  "setTimeout",
  "setInterval",
  "setImmediate",
  "queueMicrotask",
  "Date",
]);

const helper = (ctx: Ctx, name: string) => ctx.gen ? `(yield* $$il.${name}(` : `$$il.${name}S(`;
const close = (ctx: Ctx) => ctx.gen ? "))" : ")";

/** `[first, last]` of a call's arguments, if any. */
const argsOf = (args: ts.NodeArray<ts.Expression>): Piece[] =>
  args.length === 0 ? [] : [[args[0]!, args[args.length - 1]!] as const];

/** Wraps a call in `($$il.nondet(site), …)`: refused inside a thread. */
export function nondeterministic(I: Instrumenting, node: ts.Node, ctx: Ctx): void {
  wrap(I.edits, node, `($$il.nondet(${I.site(node, ctx)}), `, ")");
}

/** Refuses an explored access inside an optional chain it does not start, or that goes on past it. */
function checkChain(I: Instrumenting, node: ts.Node, own: boolean, ctx: Ctx): void {
  if (!(node.flags & ts.NodeFlags.OptionalChain)) return;
  const p = node.parent;
  const continues = (ts.isPropertyAccessExpression(p) || ts.isElementAccessExpression(p) ||
    ts.isCallExpression(p)) &&
    p.expression === node &&
    (p.flags & ts.NodeFlags.OptionalChain) !== 0;
  if (!own || continues) {
    I.fail(
      node,
      ctx,
      "an optional chain (`?.`) around this access cannot be kept",
      "split the chain: test for undefined first, then access",
    );
  }
}

/** Visits a call. */
export function visitCall(I: Instrumenting, node: ts.CallExpression, ctx: Ctx): void {
  const callee = node.expression;
  const args = () => node.arguments.forEach((a) => I.visit(a, ctx));
  if (ts.isIdentifier(callee)) {
    const { scope } = I;
    if (callee.text === "eval" && scope.isGlobal(callee)) {
      I.fail(node, ctx, "`eval` runs code the explorer never saw", "call the code directly");
    }
    const fn = scope.followed(callee);
    const spec = scope.importedFrom(callee);
    const r = spec === undefined ? undefined : I.resolve(spec);
    args();
    if (fn !== undefined) {
      if (ctx.gen) wrap(I.edits, node, "(yield* ", ")");
      else I.plainForm(callee, fn);
    } else if (scope.isGlobal(callee) && NONDETERMINISTIC.has(callee.text)) {
      nondeterministic(I, node, ctx);
    } else if (r?.followed) {
      invoke(I, node, callee, ctx);
    } else if (r !== undefined && !r.explored) {
      wrap(I.edits, callee, `$$il.ext(${I.site(node, ctx)}, `, `, ${JSON.stringify(spec)})`);
    }
    return;
  }
  if (!ts.isPropertyAccessExpression(callee)) {
    if (ts.isElementAccessExpression(callee)) {
      I.visit(callee.expression, ctx);
      I.visit(callee.argumentExpression, ctx);
    } else I.visit(callee, ctx);
    return args();
  }
  const name = callee.name.text;
  const obj = callee.expression;
  if (ts.isIdentifier(obj)) {
    const spec = I.scope.importedFrom(obj);
    if (spec !== undefined && I.resolve(spec).followed) {
      args();
      return invoke(I, node, callee, ctx);
    }
    if (I.scope.isGlobal(obj)) {
      if (obj.text === "Atomics") {
        args();
        const head = `${ctx.gen ? "(yield* $$il.atomics(" : "$$il.atomicsS("}${
          JSON.stringify(name)
        }`;
        const s = I.site(node, ctx);
        const sep = node.arguments.length ? ", " : "";
        return rewrite(I.edits, node, [
          `${head}, ${s}${sep}`,
          ...argsOf(node.arguments),
          close(ctx),
        ]);
      }
      if (NONDETERMINISTIC.has(`${obj.text}.${name}`)) {
        args();
        return nondeterministic(I, node, ctx);
      }
      if (obj.text === "console") {
        replace(I.edits, obj.getStart(), obj.end, "$$il.console()");
        return args();
      }
    }
  }
  if (!I.methods.has(name) || obj.kind === ts.SyntaxKind.SuperKeyword) {
    I.visit(obj, ctx);
    return args();
  }
  if (node.questionDotToken) {
    I.fail(node, ctx, "an optional call (`?.()`) of this method cannot be kept", "test first");
  }
  checkChain(I, node, callee.questionDotToken !== undefined, ctx);
  const s = I.site(node, ctx);
  I.visit(obj, ctx);
  for (const a of node.arguments) {
    // A predicate passed to `waitFor` runs as steps: it becomes a generator too.
    if (ctx.gen && (ts.isFunctionExpression(a) || ts.isArrowFunction(a)) && !a.asteriskToken) {
      I.visitPassed(a, `${name}()'s argument`);
    } else I.visit(a, ctx);
  }
  rewrite(I.edits, node, [
    helper(ctx, callee.questionDotToken ? "callOpt" : "call"),
    obj,
    `, ${JSON.stringify(name)}, ${s}${node.arguments.length ? ", " : ""}`,
    ...argsOf(node.arguments),
    close(ctx),
  ]);
}

/**
 * A call of a function of another instrumented module (imported by name or through a namespace):
 * whether it is one of its followed functions is known at run time (`$$il.invoke`).
 */
function invoke(I: Instrumenting, node: ts.CallExpression, callee: ts.Expression, ctx: Ctx): void {
  const args = argsOf(node.arguments);
  if (ctx.gen) {
    rewrite(I.edits, node, [
      "(yield* $$il.invoke(",
      callee,
      args.length ? ", " : "",
      ...args,
      "))",
    ]);
  } else wrap(I.edits, callee, "($$il.plain(", "))");
}

/** A read of an element, or of a property the explorer knows. */
export function visitRead(
  I: Instrumenting,
  node: ts.PropertyAccessExpression | ts.ElementAccessExpression,
  ctx: Ctx,
): void {
  if (ts.isPropertyAccessExpression(node) && !I.properties.has(node.name.text)) {
    return I.visit(node.expression, ctx);
  }
  checkChain(I, node, node.questionDotToken !== undefined, ctx);
  visitTarget(I, node, ctx);
  rewrite(I.edits, node, [
    helper(ctx, node.questionDotToken ? "getOpt" : "get"),
    ...keyPieces(node),
    `, ${I.site(node, ctx)}${close(ctx)}`,
  ]);
}

/**
 * The target of an assignment or `++` (inside `!`, parentheses and type assertions): a property
 * the explorer knows, or an element.
 */
function target(
  I: Instrumenting,
  e: ts.Expression,
): ts.PropertyAccessExpression | ts.ElementAccessExpression | undefined {
  while (
    ts.isNonNullExpression(e) || ts.isParenthesizedExpression(e) || ts.isAsExpression(e) ||
    ts.isTypeAssertionExpression(e) || ts.isSatisfiesExpression(e)
  ) e = e.expression;
  return ts.isPropertyAccessExpression(e) && I.properties.has(e.name.text) ||
      ts.isElementAccessExpression(e)
    ? e as ts.PropertyAccessExpression | ts.ElementAccessExpression
    : undefined;
}

/** `obj, "name"` or `obj, key` pieces of a target. */
function keyPieces(t: ts.PropertyAccessExpression | ts.ElementAccessExpression): Piece[] {
  return ts.isPropertyAccessExpression(t)
    ? [t.expression, `, ${JSON.stringify(t.name.text)}`]
    : [t.expression, ", ", t.argumentExpression];
}

function visitTarget(
  I: Instrumenting,
  t: ts.PropertyAccessExpression | ts.ElementAccessExpression,
  ctx: Ctx,
): void {
  I.visit(t.expression, ctx);
  if (ts.isElementAccessExpression(t)) I.visit(t.argumentExpression, ctx);
}

/** Refuses a function's write to a module-level `let`/`var`. */
function checkModuleWrite(I: Instrumenting, id: ts.Node, ctx: Ctx): void {
  if (!ts.isIdentifier(id) || !I.scope.insideFunction(id)) return;
  if (I.scope.moduleVariable(id) === undefined) return;
  I.fail(
    id,
    ctx,
    `it assigns '${id.text}', a module-level variable: each worker has its own copy of a ` +
      "module's variables, while the explorer's threads would share one and carry it from one " +
      "execution to the next",
    "keep the state in shared memory (a Value, a SharedArray, a typed array over a " +
      "SharedArrayBuffer) or in local variables, or pass it as an argument",
  );
}

/** Visits `x++`, `--x` and the like. */
export function visitUpdate(
  I: Instrumenting,
  node: ts.PrefixUnaryExpression | ts.PostfixUnaryExpression,
  ctx: Ctx,
): void {
  checkModuleWrite(I, node.operand, ctx);
  const t = target(I, node.operand);
  if (t === undefined) return I.visit(node.operand, ctx);
  checkChain(I, t, false, ctx);
  visitTarget(I, t, ctx);
  const delta = node.operator === ts.SyntaxKind.PlusPlusToken ? 1 : -1;
  const prefix = ts.isPrefixUnaryExpression(node);
  rewrite(I.edits, node, [
    helper(ctx, "inc"),
    ...keyPieces(t),
    `, ${delta}, ${prefix}, ${I.site(node, ctx)}${close(ctx)}`,
  ]);
}

/** Whether `e` may be evaluated twice (a compound assignment reads and writes it). */
function simple(I: Instrumenting, e: ts.Expression): boolean {
  return ts.isIdentifier(e) && !I.scope.followed(e) || e.kind === ts.SyntaxKind.ThisKeyword ||
    ts.isNumericLiteral(e) || ts.isStringLiteral(e) ||
    ts.isPropertyAccessExpression(e) && !I.properties.has(e.name.text) && !e.questionDotToken &&
      simple(I, e.expression);
}

/** Visits an assignment (`=`, `+=`, …). */
export function visitAssignment(I: Instrumenting, node: ts.BinaryExpression, ctx: Ctx): void {
  const op = node.operatorToken.kind;
  const left = node.left;
  if (ts.isObjectLiteralExpression(left) || ts.isArrayLiteralExpression(left)) {
    const into = (e: ts.Node): void => {
      if (target(I, e as ts.Expression) !== undefined && !ts.isObjectLiteralExpression(e.parent)) {
        I.fail(
          e,
          ctx,
          "destructuring into shared memory is not supported",
          "assign each element on its own",
        );
      }
      ts.forEachChild(e, into);
    };
    ts.forEachChild(left, into);
    return I.visit(node.right, ctx);
  }
  checkModuleWrite(I, left, ctx);
  const t = target(I, left);
  if (t === undefined) {
    I.visit(left, ctx);
    return I.visit(node.right, ctx);
  }
  checkChain(I, t, false, ctx);
  if (op !== ts.SyntaxKind.EqualsToken && !COMPOUND.has(op)) {
    I.fail(
      node,
      ctx,
      "a logical assignment (`&&=`, `||=`, `??=`) to shared memory is not supported",
      "write it as an `if` and an assignment",
    );
  }
  visitTarget(I, t, ctx);
  I.visit(node.right, ctx);
  const s = I.site(node, ctx);
  const end = `, ${s}${close(ctx)}`;
  if (op === ts.SyntaxKind.EqualsToken) {
    return rewrite(I.edits, node, [helper(ctx, "set"), ...keyPieces(t), ", ", node.right, end]);
  }
  const key = ts.isPropertyAccessExpression(t) ? t.name : t.argumentExpression;
  if (
    !simple(I, t.expression) || !(ts.isIdentifier(key) || ts.isLiteralExpression(key)) ||
    ts.isIdentifier(key) && I.scope.followed(key)
  ) {
    I.fail(
      node,
      ctx,
      "a compound assignment to a computed target would evaluate it twice",
      "assign the object (and index) to local constants first",
    );
  }
  // `o[k] += e` reads o[k] before it evaluates e, as JavaScript does: `o` and `k` are simple, so
  // they are written twice.
  const obj = t.expression.getText();
  const k = ts.isPropertyAccessExpression(t) ? JSON.stringify(t.name.text) : key.getText();
  const read = ctx.gen ? `(yield* $$il.get(${obj}, ${k}, ${s}))` : `$$il.getS(${obj}, ${k}, ${s})`;
  rewrite(I.edits, node, [
    helper(ctx, "set"),
    ...keyPieces(t),
    `, ${read} ${COMPOUND.get(op)} (`,
    node.right,
    `)${end}`,
  ]);
}

/** 0: not a `using` declaration list; 1: `using`; 2: `await using`. */
export function usingKind(list: ts.VariableDeclarationList): 0 | 1 | 2 {
  const f = list.flags & ts.NodeFlags.BlockScoped;
  return f === ts.NodeFlags.Using ? 1 : f === ts.NodeFlags.AwaitUsing ? 2 : 0;
}

/**
 * Rewrites the `using` declarations of a block in generator code: from the first one on, the
 * block's statements run in a `try` whose `finally` disposes through the explorer
 * (`$$il.dispose`, a step for an Interlock hold). Returns false if the block has none.
 */
export function visitUsingBlock(I: Instrumenting, block: ts.Block, ctx: Ctx): boolean {
  const isUsing = (s: ts.Statement): s is ts.VariableStatement =>
    ts.isVariableStatement(s) && usingKind(s.declarationList) !== 0;
  const first = block.statements.findIndex(isUsing);
  if (first < 0) return false;
  const n = I.nextBlock();
  const isAsync = block.statements.some((s) => isUsing(s) && usingKind(s.declarationList) === 2);
  const d = `$$d${n}`;
  insert(I.edits, block.statements[first]!.getStart(), `const ${d} = $$il.env(${isAsync}); try { `);
  for (const s of block.statements) {
    if (!isUsing(s)) {
      I.visit(s, ctx);
      continue;
    }
    const list = s.declarationList;
    const [keyword, second] = list.getChildren();
    replace(
      I.edits,
      keyword!.getStart(),
      (usingKind(list) === 2 ? second! : keyword!).end,
      "const",
    );
    for (const decl of list.declarations) {
      if (decl.initializer === undefined) continue;
      // Outside every other rewrite of the initializer.
      rewrite(I.edits, decl.initializer, [
        `$$il.use(${d}, `,
        decl.initializer,
        `, ${I.site(decl, ctx)})`,
      ], 0.5);
      I.visit(decl.initializer, ctx);
    }
  }
  const e = `$$e${n}`;
  insert(
    I.edits,
    block.end - 1,
    ` } catch (${e}) { ${d}.fail(${e}); } finally { yield* $$il.dispose(${d}); } `,
  );
  return true;
}
