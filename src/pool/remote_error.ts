/**
 * Parent side of the error boundary: rebuilds what a worker threw (see `serializeThrown` in
 * `protocol.ts`) as an error of the same class when the class is built in or one of Interlock's
 * (every class exported by `src/errors.ts`), else as an `Error` whose `name` is the original one.
 *
 * @module
 */
import * as errors from "../errors.ts";
import { rebuildThrown, type Thrown } from "./protocol.ts";

type ErrorClass = abstract new (...args: never[]) => Error;

let classes: Map<string, ErrorClass> | undefined;

function libraryClass(name: string): ErrorClass | undefined {
  if (!classes) {
    classes = new Map();
    for (const value of Object.values(errors)) {
      if (typeof value === "function" && value.prototype instanceof Error) {
        classes.set(value.name, value as unknown as ErrorClass);
      }
    }
  }
  return classes.get(name);
}

/** Rebuilds a value a worker threw, with the library's error classes known. */
export function rebuild(thrown: Thrown): unknown {
  return rebuildThrown(thrown, libraryClass);
}
