/**
 * Names and keys. Every key of one primitive shares one hash tag, so a Redis Cluster keeps them in
 * one slot and each Lua script touches one slot:
 *
 * | key                          | type   | holds                                            |
 * | ---------------------------- | ------ | ------------------------------------------------ |
 * | `{<ns>:<name>}:<kind>:<role>` | any    | state of the primitive `<name>` of kind `<kind>` |
 * | `{<ns>:<name>}:<kind>:w:<id>` | list   | the hand-off token of waiter `<id>` (see _lua.ts) |
 *
 * - `<ns>` (the context's namespace) matches `[A-Za-z0-9_.-]{1,64}`: no `:`, so `{ns:name}` reads
 *   back one way only and no name of one namespace spells a key of another.
 * - `<name>` is 1-200 printable characters without `{` or `}` (which would move the hash tag, and
 *   with it the slot) and without whitespace or control characters.
 * - `<kind>` separates primitives of different kinds with the same name (`lock`, `rlock`, `sem`,
 *   `event`, `cond`, `barrier`, `value`).
 *
 * @module
 */

/** The namespace pattern (see the module doc). */
const NAMESPACE = /^[A-Za-z0-9_.-]{1,64}$/;
/** Characters a name must not hold: hash-tag braces, whitespace and control characters. */
// deno-lint-ignore no-control-regex
const FORBIDDEN = /[{}\s\u0000-\u001f\u007f]/;
/** The longest name accepted. */
export const MAX_NAME = 200;

/** Validates a context namespace. */
export function checkNamespace(what: string, ns: unknown): string {
  if (typeof ns !== "string") {
    throw new TypeError(`Cannot ${what}: 'namespace' must be a string, received ${typeof ns}`);
  }
  if (!NAMESPACE.test(ns)) {
    throw new RangeError(
      `Cannot ${what}: 'namespace' must be 1-64 of A-Z a-z 0-9 _ . - (no ':'), received ${
        JSON.stringify(ns)
      }`,
    );
  }
  return ns;
}

/** Validates a primitive's name; `kind` names the primitive in messages ("lock"). */
export function checkName(kind: string, name: unknown): string {
  if (typeof name !== "string") {
    throw new TypeError(`Cannot create ${kind}: 'name' must be a string, received ${typeof name}`);
  }
  if (name.length === 0 || name.length > MAX_NAME) {
    throw new RangeError(
      `Cannot create ${kind}: 'name' must be 1-${MAX_NAME} characters, received ${name.length}`,
    );
  }
  const bad = FORBIDDEN.exec(name);
  if (bad !== null) {
    throw new RangeError(
      `Cannot create ${kind}: 'name' must not contain braces, whitespace or control characters (they would move its keys out of their hash slot), received ${
        JSON.stringify(name)
      }`,
    );
  }
  return name;
}

/** The key prefix of primitive `name` of `kind` in namespace `ns`: `{ns:name}:kind:`. */
export function keyBase(ns: string, name: string, kind: string): string {
  return `{${ns}:${name}}:${kind}:`;
}
