/**
 * The URL of a module beside another, with the other's extension: `.ts` from source, `.js` in a
 * transpiled build (JSR's npm packages). For worker programs and for modules imported on demand by
 * a computed URL (a literal `import("./x.ts")` makes Deno load `x.ts` and all it imports along
 * with the importer, before anything runs). Imports nothing, so that a module that needs only this
 * loads nothing more.
 *
 * @module
 */

/**
 * The URL of the module `name` (written without extension) beside the module at `base` (its
 * `import.meta.url`), with that module's extension.
 *
 * @param name The module's path relative to `base`, without extension (`"./worker_main"`).
 * @param base The importing module's `import.meta.url`.
 * @returns The module's URL.
 */
export function moduleUrl(name: string, base: string): URL {
  const extension = /\.[cm]?[jt]s$/.exec(new URL(base).pathname)?.[0] ?? ".js";
  return new URL(`${name}${extension}`, base);
}
