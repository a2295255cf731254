/**
 * Name resolution in a user's module, for `_instrument.ts`: which functions of the module become
 * generators (and so which calls the explorer follows), what an identifier refers to (a followed
 * function, an import, a module-level variable, or a global), read with the TypeScript binder over
 * the module alone (no type checking, no library, no other file).
 *
 * @module
 */
import ts from "typescript";

/** A function of the module that becomes a generator. */
export type Followed = ts.FunctionDeclaration | ts.FunctionExpression | ts.ArrowFunction;

/** What `_instrument.ts` asks about names. */
export interface Resolver {
  /** The followed function `id` refers to, if any. */
  followed(id: ts.Identifier): Followed | undefined;
  /** The module-level followed functions, by name (what other modules may import and call). */
  moduleFunctions(): [name: string, fn: Followed][];
  /** Whether the function node `fn` becomes a generator. */
  isFollowedFunction(fn: ts.Node): boolean;
  /** Whether `fn` was declared `async`. */
  isAsync(fn: Followed): boolean;
  /** Whether `id` names nothing the module declares or imports (a global: `Atomics`, `Math`, …). */
  isGlobal(id: ts.Identifier): boolean;
  /** The specifier `id` is imported from, if it is an import. */
  importedFrom(id: ts.Identifier): string | undefined;
  /** Whether `id` stands in an expression (not a declaration's name, a property name, an export). */
  isReference(id: ts.Identifier): boolean;
  /** Whether `fn`'s own body (not nested non-arrow functions) uses `this` or `arguments`. */
  uses(fn: ts.ArrowFunction, what: "this" | "arguments"): boolean;
  /** Whether `node` is inside a function. */
  insideFunction(node: ts.Node): boolean;
  /** The module-level `let`/`var` declaration `id` refers to, if it does. */
  moduleVariable(id: ts.Identifier): ts.VariableDeclaration | undefined;
}

function convertible(fn: ts.Node | undefined): fn is Followed {
  return fn !== undefined &&
    (ts.isFunctionDeclaration(fn) || ts.isFunctionExpression(fn) || ts.isArrowFunction(fn)) &&
    (fn as ts.FunctionDeclaration).asteriskToken === undefined && fn.body !== undefined &&
    !ts.getModifiers(fn)?.some((m) => m.kind === ts.SyntaxKind.DeclareKeyword);
}

/** The resolver of `file`. */
export function resolver(file: ts.SourceFile): Resolver {
  const host: ts.CompilerHost = {
    getSourceFile: (name) => name === file.fileName ? file : undefined,
    getDefaultLibFileName: () => "lib.d.ts",
    writeFile: () => {},
    getCurrentDirectory: () => "",
    getCanonicalFileName: (f) => f,
    useCaseSensitiveFileNames: () => true,
    getNewLine: () => "\n",
    fileExists: (f) => f === file.fileName,
    readFile: () => undefined,
  };
  const program = ts.createProgram({
    rootNames: [file.fileName],
    options: { noLib: true, noResolve: true, allowJs: true, types: [] },
    host,
  });
  const checker = program.getTypeChecker();
  const symbolOf = (id: ts.Identifier) => checker.getSymbolAtLocation(id);

  // The functions that become generators: the module's, and those declared in them.
  const followed = new Set<ts.Node>();
  const add = (fn: Followed) => {
    followed.add(fn);
    if (fn.body) inside(fn.body);
  };
  const declared = (node: ts.Node): void => {
    if (ts.isFunctionDeclaration(node) && convertible(node)) add(node);
    else if (ts.isVariableStatement(node)) {
      for (const d of node.declarationList.declarations) {
        if (ts.isIdentifier(d.name) && convertible(d.initializer)) add(d.initializer);
      }
    }
  };
  const inside = (node: ts.Node): void => {
    ts.forEachChild(node, (c) => {
      if (ts.isFunctionLike(c) || ts.isClassLike(c)) {
        if (ts.isFunctionDeclaration(c)) declared(c);
        return;
      }
      if (ts.isVariableStatement(c)) declared(c);
      inside(c);
    });
  };
  for (const s of file.statements) {
    declared(s);
    if (ts.isExportAssignment(s) && convertible(s.expression)) add(s.expression);
  }

  const declarationOf = (id: ts.Identifier): ts.Declaration | undefined => {
    const symbol = symbolOf(id);
    return symbol?.valueDeclaration ?? symbol?.declarations?.[0];
  };

  const stopsLexicalScope = (n: ts.Node) =>
    (ts.isFunctionLike(n) && !ts.isArrowFunction(n)) || ts.isClassLike(n);

  return {
    followed(id) {
      const d = declarationOf(id);
      if (d === undefined) return undefined;
      const fn = ts.isVariableDeclaration(d) ? d.initializer : d;
      return fn !== undefined && followed.has(fn) ? fn as Followed : undefined;
    },
    isFollowedFunction: (fn) => followed.has(fn),
    moduleFunctions() {
      const out: [string, Followed][] = [];
      for (const s of file.statements) {
        if (ts.isFunctionDeclaration(s) && s.name && followed.has(s)) out.push([s.name.text, s]);
        if (ts.isVariableStatement(s)) {
          for (const d of s.declarationList.declarations) {
            if (ts.isIdentifier(d.name) && d.initializer && followed.has(d.initializer)) {
              out.push([d.name.text, d.initializer as Followed]);
            }
          }
        }
      }
      return out;
    },
    isAsync: (fn) =>
      ts.getModifiers(fn)?.some((m) => m.kind === ts.SyntaxKind.AsyncKeyword) ?? false,
    isGlobal: (id) => symbolOf(id) === undefined,
    importedFrom(id) {
      const d = symbolOf(id)?.declarations?.[0];
      if (d === undefined) return undefined;
      let n: ts.Node = d;
      while (n && !ts.isImportDeclaration(n)) {
        if (
          !(ts.isImportSpecifier(n) || ts.isImportClause(n) || ts.isNamespaceImport(n) ||
            ts.isNamedImports(n))
        ) {
          return undefined;
        }
        n = n.parent;
      }
      return n && ts.isStringLiteral(n.moduleSpecifier) ? n.moduleSpecifier.text : undefined;
    },
    isReference(id) {
      const p = id.parent;
      if (
        (ts.isPropertyAccessExpression(p) && p.name === id) || ts.isQualifiedName(p) ||
        ts.isExportSpecifier(p) || ts.isImportSpecifier(p) || ts.isImportClause(p) ||
        ts.isNamespaceImport(p) || ts.isLabeledStatement(p) || ts.isBreakOrContinueStatement(p) ||
        ts.isExportAssignment(p) || ts.isTypeOfExpression(p) || ts.isShorthandPropertyAssignment(p)
      ) return false;
      if ((p as ts.NamedDeclaration).name === id) return false;
      if (ts.isBindingElement(p) && p.propertyName === id) return false;
      return true;
    },
    uses(fn, what) {
      let found = false;
      const look = (n: ts.Node): void => {
        if (found || stopsLexicalScope(n)) return;
        if (
          what === "this"
            ? n.kind === ts.SyntaxKind.ThisKeyword
            : ts.isIdentifier(n) && n.text === "arguments"
        ) found = true;
        ts.forEachChild(n, look);
      };
      look(fn.body);
      return found;
    },
    insideFunction(node) {
      for (let n = node.parent; n !== undefined; n = n.parent) {
        if (ts.isFunctionLike(n)) return true;
      }
      return false;
    },
    moduleVariable(id) {
      const d = declarationOf(id);
      if (d === undefined || !ts.isVariableDeclaration(d)) return undefined;
      const list = d.parent;
      if (!ts.isVariableDeclarationList(list) || (list.flags & ts.NodeFlags.Const) !== 0) {
        return undefined;
      }
      return ts.isVariableStatement(list.parent) && ts.isSourceFile(list.parent.parent)
        ? d
        : undefined;
    },
  };
}
