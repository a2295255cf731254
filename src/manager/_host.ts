/**
 * What the manager's server does with calls: the store of managed objects and the operations of the
 * built-in kinds (dict, list, namespace), registered types, and updaters. Runs in the server worker;
 * plain synchronous code, so each call is atomic.
 *
 * @module
 */
import type { BuiltinKind, Outcome, ServerApi } from "./_protocol.ts";
import { fail, ok } from "./_protocol.ts";

/** The built-in update operations (see `ManagedDict.update`). */
export const BUILT_IN_OPS: readonly string[] = ["add", "append", "extend", "assign"];

/** Names a registered object's methods may not have: they would shadow the proxy's own fields. */
const RESERVED = new Set([
  "constructor",
  "then",
  "buffer",
  "byteOffset",
  "id",
  "kind",
  "typeid",
  "methods",
]);

interface Hosted {
  kind: BuiltinKind | "object";
  value: unknown;
  methods?: Set<string>;
}

// deno-lint-ignore no-explicit-any
type Callable = (...args: any[]) => unknown;

/**
 * Whether `fn` is meant to be called with `new`: a `class`, a built-in constructor (`Date`, `Map`),
 * or an old-style constructor function with methods on its prototype. Anything else is a factory.
 */
function isClass(fn: Callable): boolean {
  const source = Function.prototype.toString.call(fn);
  if (/^class[\s{]/.test(source)) return true;
  const proto = (fn as { prototype?: unknown }).prototype;
  if (typeof proto !== "object" || proto === null) return false;
  if (/\{\s*\[native code\]\s*\}\s*$/.test(source)) return true;
  return Object.getOwnPropertyNames(proto).some((name) => name !== "constructor");
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (typeof value === "object" || typeof value === "function") && value !== null &&
    typeof (value as { then?: unknown }).then === "function";
}

/** The public methods of `object`: functions on it or its prototypes, except `_`-prefixed ones. */
export function publicMethods(object: object): string[] {
  const names = new Set<string>();
  for (
    let o: object | null = object;
    o !== null && o !== Object.prototype;
    o = Object.getPrototypeOf(o)
  ) {
    for (const name of Object.getOwnPropertyNames(o)) {
      if (name.startsWith("_") || RESERVED.has(name)) continue;
      const d = Object.getOwnPropertyDescriptor(o, name);
      if (d && typeof d.value === "function") names.add(name);
    }
  }
  return [...names].sort();
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  return typeof value;
}

/** Creates the server's API over a fresh object store. */
export function makeHost(): ServerApi {
  const objects = new Map<number, Hosted>();
  const types = new Map<string, Callable>();
  let nextId = 1;

  function update(current: unknown, op: string, args: unknown[]): unknown {
    switch (op) {
      case "add": {
        const by = args.length === 0 ? 1 : args[0];
        if (typeof by !== "number" && typeof by !== "bigint") {
          throw new TypeError(
            `Cannot update with 'add': the amount must be a number or bigint, received ${
              describe(by)
            }`,
          );
        }
        const from = current === undefined ? (typeof by === "bigint" ? 0n : 0) : current;
        if (typeof from !== typeof by) {
          throw new TypeError(
            `Cannot update with 'add': the value is ${describe(from)}, the amount ${describe(by)}`,
          );
        }
        return (from as number) + (by as number);
      }
      case "append":
      case "extend": {
        const list = current === undefined ? [] : current;
        if (!Array.isArray(list)) {
          throw new TypeError(
            `Cannot update with '${op}': the value is ${describe(list)}, not an array`,
          );
        }
        if (op === "append") {
          list.push(args[0]);
        } else {
          if (!Array.isArray(args[0])) {
            throw new TypeError(
              `Cannot update with 'extend': the items must be an array, received ${
                describe(args[0])
              }`,
            );
          }
          list.push(...args[0]);
        }
        return list;
      }
      case "assign": {
        const target = current === undefined ? {} : current;
        if (typeof target !== "object" || target === null || Array.isArray(target)) {
          throw new TypeError(
            `Cannot update with 'assign': the value is ${describe(target)}, not an object`,
          );
        }
        if (typeof args[0] !== "object" || args[0] === null) {
          throw new TypeError(
            `Cannot update with 'assign': the properties must be an object, received ${
              describe(args[0])
            }`,
          );
        }
        return Object.assign(target, args[0]);
      }
    }
    const fn = types.get(op);
    if (fn === undefined) {
      throw new RangeError(
        `Cannot update: '${op}' is neither a built-in operation (${
          BUILT_IN_OPS.join(", ")
        }) nor a registered function`,
      );
    }
    if (isClass(fn)) {
      throw new TypeError(`Cannot update with '${op}': it is a class, not a function`);
    }
    const next = fn(current, ...args);
    if (isThenable(next)) {
      throw new TypeError(
        `Cannot update with '${op}': it returned a Promise; updaters must be synchronous to be atomic`,
      );
    }
    return next;
  }

  function index(length: number, i: unknown, what: string, inclusive = false): number {
    if (typeof i !== "number" || !Number.isInteger(i)) {
      throw new TypeError(`Cannot ${what}: the index must be an integer, received ${String(i)}`);
    }
    const at = i < 0 ? length + i : i;
    if (at < 0 || at > length || (at === length && !inclusive)) {
      throw new RangeError(
        `Cannot ${what}: index ${i} is out of range for a list of length ${length}`,
      );
    }
    return at;
  }

  function dictOp(map: Map<unknown, unknown>, op: string, args: unknown[]): unknown {
    const [key, a, ...rest] = args;
    switch (op) {
      case "get":
        return map.get(key);
      case "set":
        map.set(key, a);
        return undefined;
      case "has":
        return map.has(key);
      case "delete":
        return map.delete(key);
      case "pop": {
        const value = map.get(key);
        map.delete(key);
        return value;
      }
      case "setDefault":
        if (!map.has(key)) map.set(key, a);
        return map.get(key);
      case "update": {
        const next = update(map.get(key), a as string, rest);
        map.set(key, next);
        return next;
      }
      case "setMany":
        for (const [k, v] of key as [unknown, unknown][]) map.set(k, v);
        return undefined;
      case "size":
        return map.size;
      case "keys":
        return [...map.keys()];
      case "values":
        return [...map.values()];
      case "entries":
        return [...map.entries()];
      case "toMap":
        return map;
      case "clear":
        map.clear();
        return undefined;
    }
    throw new TypeError(`'${op}' is not an operation of a managed dict`);
  }

  function listOp(list: unknown[], op: string, args: unknown[]): unknown {
    switch (op) {
      case "append":
        return list.push(args[0]);
      case "extend":
        return list.push(...(args[0] as unknown[]));
      case "get": {
        const i = args[0] as number;
        return list[i < 0 ? list.length + i : i];
      }
      case "set":
        list[index(list.length, args[0], "set a list item")] = args[1];
        return undefined;
      case "insert": {
        const i = args[0] as number;
        const at = Math.min(Math.max(i < 0 ? list.length + i : i, 0), list.length);
        list.splice(at, 0, args[1]);
        return list.length;
      }
      case "pop": {
        if (list.length === 0) return undefined;
        const at = index(list.length, args[0] ?? -1, "pop a list item");
        return list.splice(at, 1)[0];
      }
      case "remove": {
        const at = list.findIndex((v) => Object.is(v, args[0]) || v === args[0]);
        if (at < 0) return false;
        list.splice(at, 1);
        return true;
      }
      case "indexOf":
        return list.findIndex((v) => Object.is(v, args[0]) || v === args[0]);
      case "length":
        return list.length;
      case "slice":
        return list.slice(args[0] as number | undefined, args[1] as number | undefined);
      case "toArray":
        return list;
      case "clear":
        list.length = 0;
        return undefined;
      case "update": {
        const at = index(list.length, args[0], "update a list item");
        const next = update(list[at], args[1] as string, args.slice(2));
        list[at] = next;
        return next;
      }
    }
    throw new TypeError(`'${op}' is not an operation of a managed list`);
  }

  function namespaceOp(map: Map<string, unknown>, op: string, args: unknown[]): unknown {
    switch (op) {
      case "get":
        return map.get(args[0] as string);
      case "set":
        map.set(args[0] as string, args[1]);
        return undefined;
      case "has":
        return map.has(args[0] as string);
      case "delete":
        return map.delete(args[0] as string);
      case "assign":
        for (const [k, v] of Object.entries(args[0] as object)) map.set(k, v);
        return undefined;
      case "toObject":
        return Object.fromEntries(map);
      case "update": {
        const next = update(map.get(args[0] as string), args[1] as string, args.slice(2));
        map.set(args[0] as string, next);
        return next;
      }
    }
    throw new TypeError(`'${op}' is not an operation of a managed namespace`);
  }

  function settle(run: () => unknown): Outcome | Promise<Outcome> {
    let value: unknown;
    try {
      value = run();
    } catch (e) {
      return fail(e);
    }
    return isThenable(value) ? Promise.resolve(value).then(ok, fail) : ok(value);
  }

  function host(value: unknown, kind: Hosted["kind"], methods?: Set<string>): number {
    const id = nextId++;
    objects.set(id, methods ? { kind, value, methods } : { kind, value });
    return id;
  }

  return {
    ping: () => ok(true),

    make(kind, init) {
      return settle(() => {
        switch (kind) {
          case "dict":
            return host(new Map(init as Iterable<[unknown, unknown]>), kind);
          case "list":
            return host([...(init as Iterable<unknown>)], kind);
          case "namespace":
            return host(new Map(Object.entries(init as object)), kind);
        }
        throw new TypeError(`Cannot make a managed '${String(kind)}'`);
      }) as Outcome;
    },

    async register(typeid, moduleUrl, exportName) {
      try {
        const module = await import(moduleUrl);
        const fn = module[exportName];
        if (typeof fn !== "function") {
          throw new TypeError(
            `Cannot register '${typeid}': ${moduleUrl} has no exported class or function '${exportName}'`,
          );
        }
        types.set(typeid, fn);
        return ok(undefined);
      } catch (e) {
        return fail(e);
      }
    },

    create(typeid, args) {
      return settle(() => {
        const fn = types.get(typeid);
        if (fn === undefined) {
          throw new RangeError(`Cannot create '${typeid}': no type is registered under that name`);
        }
        const made = isClass(fn)
          ? new (fn as unknown as new (...a: unknown[]) => unknown)(...args)
          : fn(...args);
        const adopt = (object: unknown) => {
          if ((typeof object !== "object" && typeof object !== "function") || object === null) {
            throw new TypeError(
              `Cannot create '${typeid}': its factory returned ${describe(object)}, not an object`,
            );
          }
          const methods = publicMethods(object);
          return { id: host(object, "object", new Set(methods)), methods };
        };
        return isThenable(made) ? Promise.resolve(made).then(adopt) : adopt(made);
      });
    },

    call(id, op, args) {
      return settle(() => {
        const hosted = objects.get(id);
        if (hosted === undefined) {
          throw new ReferenceError(
            id >= 1 && id < nextId
              ? `Cannot call '${op}': the managed object was released`
              : `The manager holds no object with id ${id}`,
          );
        }
        switch (hosted.kind) {
          case "dict":
            return dictOp(hosted.value as Map<unknown, unknown>, op, args);
          case "list":
            return listOp(hosted.value as unknown[], op, args);
          case "namespace":
            return namespaceOp(hosted.value as Map<string, unknown>, op, args);
        }
        if (!hosted.methods!.has(op)) {
          throw new TypeError(`'${op}' is not a public method of the managed object`);
        }
        const target = hosted.value as Record<string, Callable>;
        return target[op]!(...args);
      });
    },

    release: (id) => ok(objects.delete(id)),
  };
}
