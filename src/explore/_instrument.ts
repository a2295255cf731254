/**
 * The generator form of a user's module, derived when the explorer loads it (`module.ts`): the same
 * idea as the kernels' derivation (`tools/derive_kernels.ts`), with the same edits
 * (`_derive.ts`), applied to code that knows nothing of the explorer.
 *
 * What changes (everything else is left as written):
 * - Functions of the module (declarations, and `const f = (…) => …` or `= function …`, at the top
 *   level or nested in such a function) become generators (`async` ones too), and direct calls
 *   between them become `(yield* f(…))`: the explorer follows them. Used as values (a callback, an
 *   export taken by a caller outside), a function runs as a plain function (`$$il.sync`).
 * - Every construct that may touch shared memory goes through a helper of `_runtime.ts`, which
 *   decides by the receiver at run time: calls of a method named in `methods` (`lock.acquireSync()`,
 *   `queue.putSync(x)`), reads and writes of a property named in `properties` (`balance.value`),
 *   element accesses (`counter[0]++`), `Atomics.*` calls, `await`, and `using` declarations (their
 *   disposal at the end of the block becomes a step). Arrow functions passed to such a method
 *   (`cond.waitForSync(() => data.value)`) become generators too.
 * - Code the explorer cannot suspend (callbacks, class members, top-level code) gets the `…S`
 *   helpers, which refuse shared memory inside a thread with a clear error.
 * - Non-deterministic calls (`Math.random()`, `Date.now()`, timers) are refused inside a thread;
 *   `console` is silent there; `import.meta` is the original module's; imports are resolved by the
 *   caller (`resolve`), and calls into modules that are not explored refuse shared arguments.
 *
 * Refused at load time, with the construct and its place: a module-level `let`/`var` assigned by a
 * function (each worker has its own copy, the explorer's threads would share one), `eval`,
 * `for await`, `using` in a `switch` case or a `for` head, destructuring into shared memory,
 * compound assignments (`+=`) to computed targets, and optional chains that continue past an
 * explored access.
 *
 * @module
 */
import ts from "typescript";
import {
  applyEdits,
  arrowToGenerator,
  type Edit,
  insert,
  replace,
  rewrite,
  toGenerator,
  wrap,
} from "./_derive.ts";
import {
  type Ctx,
  type Instrumenting,
  nondeterministic,
  type Resolved,
  usingKind,
  visitAssignment,
  visitCall,
  visitRead,
  visitUpdate,
  visitUsingBlock,
} from "./_instrument_access.ts";
import { NotExplorableError, type SourceSite } from "./_module_errors.ts";
import { type Followed, type Resolver, resolver } from "./_scope.ts";

export type { Resolved };

/** How to instrument one module. */
export interface InstrumentOptions {
  /** The file's name in messages (relative to the working directory when under it). */
  file: string;
  /** The module's URL (what `import.meta.url` stays). */
  url: string;
  /** The URL of `_runtime.ts`, which the instrumented module imports. */
  runtime: string;
  /** The id the module's first site gets. */
  firstSite: number;
  /** Method names whose calls may be Interlock operations. */
  methods: ReadonlySet<string>;
  /** Property names whose reads and writes may be Interlock operations. */
  properties: ReadonlySet<string>;
  /**
   * What an import specifier becomes: `to`, the URL to import instead (undefined: as written);
   * whether the explorer sees what the imported module does with shared memory (`explored`); and
   * whether it is a module instrumented too, whose functions are followed (`followed`).
   */
  resolve(specifier: string): Resolved;
}

/** An instrumented module. */
export interface Instrumented {
  /** JavaScript, to import (as a `data:` URL). */
  readonly code: string;
  /** Its sites, from `firstSite` on. */
  readonly sites: readonly SourceSite[];
}

/** The import specifiers of a module's static imports and re-exports (value ones). */
export function importsOf(source: string, file: string): string[] {
  const sf = ts.createSourceFile(file, source, ts.ScriptTarget.Latest, true, scriptKind(file));
  const out: string[] = [];
  for (const s of sf.statements) {
    if (
      (ts.isImportDeclaration(s) && !s.importClause?.isTypeOnly ||
        ts.isExportDeclaration(s) && !s.isTypeOnly) &&
      s.moduleSpecifier && ts.isStringLiteral(s.moduleSpecifier)
    ) out.push(s.moduleSpecifier.text);
  }
  return out;
}

function scriptKind(file: string): ts.ScriptKind {
  return /\.[mc]?jsx?$/.test(file)
    ? (file.endsWith("x") ? ts.ScriptKind.JSX : ts.ScriptKind.JS)
    : file.endsWith("x")
    ? ts.ScriptKind.TSX
    : ts.ScriptKind.TS;
}

/** The context of the module's top-level code. */
const TOP: Ctx = { gen: false, context: "the module's top-level code" };

/** The instrumentation of one module: its edits and sites, and the visit that makes them. */
class Instrumenter implements Instrumenting {
  readonly edits: Edit[] = [];
  readonly sites: SourceSite[] = [];
  readonly scope: Resolver;
  readonly methods: ReadonlySet<string>;
  readonly properties: ReadonlySet<string>;
  readonly #file: ts.SourceFile;
  readonly #o: InstrumentOptions;
  #blocks = 0;

  constructor(file: ts.SourceFile, o: InstrumentOptions) {
    this.#file = file;
    this.#o = o;
    this.scope = resolver(file);
    this.methods = o.methods;
    this.properties = o.properties;
  }

  resolve(specifier: string): Resolved {
    return this.#o.resolve(specifier);
  }

  #siteOf(node: ts.Node, ctx: Ctx): SourceSite {
    const { line, character } = this.#file.getLineAndCharacterOfPosition(node.getStart());
    const first = node.getText().split("\n")[0]!.trim();
    const text = first.length > 60 ? `${first.slice(0, 57)}...` : first;
    return {
      file: this.#o.file,
      line: line + 1,
      column: character + 1,
      text,
      context: ctx.context,
    };
  }

  site(node: ts.Node, ctx: Ctx): number {
    this.sites.push(this.#siteOf(node, ctx));
    return this.#o.firstSite + this.sites.length - 1;
  }

  fail(node: ts.Node, ctx: Ctx, reason: string, advice: string): never {
    throw new NotExplorableError(this.#siteOf(node, ctx), reason, advice);
  }

  nextBlock(): number {
    return this.#blocks++;
  }

  plainForm(node: ts.Node, fn: Followed): void {
    wrap(this.edits, node, "($$il.sync(", `, ${this.scope.isAsync(fn)}))`);
  }

  /** Turns a function of the module into a generator (`async` ones too); returns its body's context. */
  #convert(fn: Followed, name: string): Ctx {
    const ctx: Ctx = { gen: true, context: `function '${name}'` };
    const asyncMod = ts.getModifiers(fn)?.find((m) => m.kind === ts.SyntaxKind.AsyncKeyword);
    if (asyncMod) replace(this.edits, asyncMod.getStart(), asyncMod.end, "");
    if (!ts.isArrowFunction(fn)) {
      toGenerator(this.edits, fn);
      return ctx;
    }
    if (this.scope.uses(fn, "arguments")) {
      this.fail(
        fn,
        ctx,
        "an arrow function that uses `arguments` cannot become a generator",
        "use rest parameters",
      );
    }
    arrowToGenerator(this.edits, fn, this.scope.insideFunction(fn) && this.scope.uses(fn, "this"));
    return ctx;
  }

  /** Visits a function-like node: its body in `body`'s context, its parameters' defaults as plain code. */
  #visitFunction(fn: ts.SignatureDeclaration, body: Ctx): void {
    const params: Ctx = { gen: false, context: `the parameters of ${body.context}` };
    for (const p of fn.parameters) if (p.initializer) this.visit(p.initializer, params);
    const b = (fn as ts.FunctionLikeDeclaration).body;
    if (b) this.visit(b, body);
  }

  visitPassed(fn: ts.FunctionExpression | ts.ArrowFunction, name: string): void {
    this.#visitFunction(fn, this.#convert(fn, name));
  }

  visit(node: ts.Node, ctx: Ctx): void {
    const { scope, edits } = this;
    if (ts.isTypeNode(node) || ts.isDecorator(node) || ts.isHeritageClause(node)) return;
    if (
      ts.isFunctionDeclaration(node) || ts.isFunctionExpression(node) || ts.isArrowFunction(node)
    ) {
      const name = nameOf(node);
      if (scope.isFollowedFunction(node)) {
        return this.#visitFunction(node, this.#convert(node as Followed, name));
      }
      const gen = (node as ts.FunctionDeclaration).asteriskToken !== undefined;
      const context = gen ? `generator function '${name}'` : `a callback in ${ctx.context}`;
      return this.#visitFunction(node, { gen: false, context });
    }
    if (ts.isClassLike(node)) {
      const context = `a member of class '${node.name?.text ?? "anonymous"}'`;
      for (const m of node.members) {
        ts.forEachChild(m, (c) => this.visit(c, { gen: false, context }));
      }
      return;
    }
    if (
      ts.isMethodDeclaration(node) || ts.isGetAccessor(node) || ts.isSetAccessor(node) ||
      ts.isConstructorDeclaration(node)
    ) {
      return this.#visitFunction(node, { gen: false, context: `a method in ${ctx.context}` });
    }
    if (ctx.gen) {
      if (ts.isBlock(node) && visitUsingBlock(this, node, ctx)) return;
      if (ts.isVariableDeclarationList(node) && usingKind(node) !== 0) {
        this.fail(
          node,
          ctx,
          "`using` in a `for` head is not supported",
          "put it in the loop's block",
        );
      }
      if (ts.isCaseClause(node) || ts.isDefaultClause(node)) {
        const s = node.statements.find((s) =>
          ts.isVariableStatement(s) && usingKind(s.declarationList) !== 0
        );
        if (s) {
          this.fail(
            s,
            ctx,
            "`using` directly in a `switch` case is not supported",
            "wrap the case in a block",
          );
        }
      }
      if (ts.isAwaitExpression(node)) {
        this.visit(node.expression, ctx);
        return rewrite(edits, node, [
          "(yield* $$il.await(",
          node.expression,
          `, ${this.site(node, ctx)}))`,
        ]);
      }
      if (ts.isForOfStatement(node) && node.awaitModifier) {
        this.fail(
          node,
          ctx,
          "`for await` waits for promises, which an explored thread cannot",
          "loop with the blocking forms (getSync) instead",
        );
      }
    }
    if (ts.isCallExpression(node)) return visitCall(this, node, ctx);
    if (ts.isNewExpression(node)) {
      const c = node.expression;
      if (ts.isIdentifier(c) && scope.isGlobal(c)) {
        if (c.text === "Function") {
          this.fail(
            node,
            ctx,
            "`new Function` runs code the explorer never saw",
            "write the code as a function",
          );
        }
        if (c.text === "Date" && (node.arguments?.length ?? 0) === 0) {
          nondeterministic(this, node, ctx);
        }
      }
    } else if (ts.isMetaProperty(node) && node.keywordToken === ts.SyntaxKind.ImportKeyword) {
      return replace(edits, node.getStart(), node.end, "$$meta");
    } else if (
      ts.isBinaryExpression(node) && node.operatorToken.kind >= ts.SyntaxKind.FirstAssignment &&
      node.operatorToken.kind <= ts.SyntaxKind.LastAssignment
    ) {
      return visitAssignment(this, node, ctx);
    } else if (
      (ts.isPrefixUnaryExpression(node) || ts.isPostfixUnaryExpression(node)) &&
      (node.operator === ts.SyntaxKind.PlusPlusToken ||
        node.operator === ts.SyntaxKind.MinusMinusToken)
    ) {
      return visitUpdate(this, node, ctx);
    } else if (ts.isDeleteExpression(node)) {
      const e = node.expression;
      if (ts.isPropertyAccessExpression(e)) return this.visit(e.expression, ctx);
      if (ts.isElementAccessExpression(e)) {
        this.visit(e.expression, ctx);
        return this.visit(e.argumentExpression, ctx);
      }
    } else if (ts.isPropertyAccessExpression(node) || ts.isElementAccessExpression(node)) {
      return visitRead(this, node, ctx);
    } else if (ts.isShorthandPropertyAssignment(node)) {
      const fn = scope.followed(node.name);
      if (fn !== undefined) {
        insert(edits, node.name.getStart(), `${node.name.text}: `);
        this.plainForm(node.name, fn);
      }
      return;
    } else if (ts.isIdentifier(node)) {
      if (!scope.isReference(node)) return;
      const fn = scope.followed(node);
      if (fn !== undefined) return this.plainForm(node, fn);
      const spec = scope.importedFrom(node);
      if (spec !== undefined && this.resolve(spec).followed) {
        wrap(edits, node, "($$il.plain(", "))");
      }
      return;
    } else if (ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) {
      const spec = node.moduleSpecifier;
      const to = spec && ts.isStringLiteral(spec) ? this.resolve(spec.text).to : undefined;
      if (to !== undefined) replace(edits, spec!.getStart(), spec!.end, JSON.stringify(to));
      return;
    } else if (ts.isExportAssignment(node)) {
      if (!ts.isIdentifier(node.expression)) this.visit(node.expression, ctx);
      return;
    }
    ts.forEachChild(node, (child) => this.visit(child, ctx));
  }

  /** Visits the module; returns its instrumented source (TypeScript still). */
  run(source: string): string {
    for (const s of this.#file.statements) this.visit(s, TOP);
    // Marks the module's followed functions, so that other instrumented modules follow them too.
    const marks = this.scope.moduleFunctions().map(([name, fn]) =>
      `[${name}, ${this.scope.isAsync(fn)}]`
    );
    if (marks.length > 0) insert(this.edits, source.length, `\n$$il.mark(${marks.join(", ")});\n`);
    const head = source.startsWith("#!") ? source.indexOf("\n") + 1 : 0;
    insert(
      this.edits,
      head,
      `import { runtime as $$il } from ${JSON.stringify(this.#o.runtime)}; ` +
        `const $$meta = $$il.meta(${JSON.stringify(this.#o.url)});\n`,
    );
    return applyEdits(source, this.edits);
  }
}

function nameOf(fn: ts.Node): string {
  const n = (fn as ts.FunctionDeclaration).name ??
    (ts.isVariableDeclaration(fn.parent) ? fn.parent.name : undefined);
  return n && ts.isIdentifier(n) ? n.text : "anonymous";
}

/** Instruments module `source` (see the module doc); throws `NotExplorableError` for what it refuses. */
export function instrument(source: string, o: InstrumentOptions): Instrumented {
  const kind = scriptKind(o.file);
  const file = ts.createSourceFile(o.file, source, ts.ScriptTarget.Latest, true, kind);
  const instrumenter = new Instrumenter(file, o);
  const edited = instrumenter.run(source);
  const out = ts.transpileModule(edited, {
    fileName: o.file,
    reportDiagnostics: true,
    compilerOptions: {
      target: ts.ScriptTarget.ESNext,
      module: ts.ModuleKind.ESNext,
      allowJs: true,
      verbatimModuleSyntax: false,
    },
  });
  const error = out.diagnostics?.find((d) => d.category === ts.DiagnosticCategory.Error);
  if (error !== undefined) {
    throw new Error(
      `Cannot explore ${o.file}: its instrumented form does not parse (an explorer bug): ` +
        ts.flattenDiagnosticMessageText(error.messageText, "\n"),
    );
  }
  return { code: out.outputText, sites: instrumenter.sites };
}
