/**
 * What a user's module, instrumented by `_instrument.ts`, calls at every construct that may touch
 * shared memory: `(yield* $$il.get(balance, "value", 7))` for `balance.value`, and so on. Each
 * helper looks at the receiver at run time:
 *
 * - an Interlock object (`_interlock_ops.ts`) or a typed array over a `SharedArrayBuffer`, inside a
 *   virtual thread: the access becomes explorer steps (plain reads and writes are single loads and
 *   stores, checked for data races by `_race.ts`), and the helper returns a generator;
 * - anything else, or outside the explorer's threads (the module's own top-level code, `setup`):
 *   it runs as written, and the helper returns an iterator that is done at once (one reused object,
 *   so `yield*` on it costs no allocation).
 *
 * Helpers named `…S` are for code that cannot be suspended (a callback, a class method, top-level
 * code): inside a thread they refuse shared memory with a {@linkcode NotExplorableError}. So does
 * a module function run through {@linkcode runtime.sync} (called as a value) when it reaches a step.
 *
 * @module
 */
import { isInterlockObject } from "../_region.ts";
import { GENERATOR_FORM, opsOf, SimGuard } from "./_interlock_ops.ts";
import {
  asPlain,
  atomicOp,
  interlock,
  isSharedIntegers,
  notExplorable,
  notModelled,
  now,
  plainRead,
  plainWrite,
  running,
  sharedIndex,
  unsuspendable,
} from "./_steps.ts";
import type { AtomicArray } from "../_atomics.ts";
import type { Step } from "./sim/_common.ts";

// --- using ------------------------------------------------------------------------------------

/** The resources of one block with `using` declarations. */
class Env {
  /** Each resource, then the site of its declaration. */
  readonly resources: unknown[] = [];
  error: unknown = undefined;
  failed = false;
  readonly async: boolean;
  constructor(async: boolean) {
    this.async = async;
  }
  /** The block threw `e`: disposal runs, then rethrows it (suppressing later errors into it). */
  fail(e: unknown): void {
    this.error = e;
    this.failed = true;
  }
}

// --- The helpers ------------------------------------------------------------------------------

/** The helpers instrumented code calls (`$$il` in the generated module). */
export const runtime = {
  /** `obj[key]` (a read of `x.value`, `a[i]`, …). */
  get(obj: unknown, key: unknown, site: number): Step<unknown> {
    if (typeof obj === "object" && obj !== null) {
      if (ArrayBuffer.isView(obj)) {
        const i = sharedIndex(obj, key);
        const t = i >= 0 ? running() : undefined;
        if (t !== undefined) return plainRead(t, obj, i, site);
      } else if (typeof key === "string") {
        const ops = opsOf(obj);
        const op = ops?.get[key];
        const t = op !== undefined ? running() : undefined;
        if (t !== undefined) return interlock(t, obj, ops!, op!, [], site);
      }
    }
    return now((obj as Record<PropertyKey, unknown>)[key as PropertyKey]);
  },

  /** `obj?.[key]`. */
  getOpt(obj: unknown, key: unknown, site: number): Step<unknown> {
    return obj === null || obj === undefined ? now(undefined) : runtime.get(obj, key, site);
  },

  /** `obj[key] = v`; returns `v`. */
  set(obj: unknown, key: unknown, v: unknown, site: number): Step<unknown> {
    if (typeof obj === "object" && obj !== null) {
      if (ArrayBuffer.isView(obj)) {
        const i = sharedIndex(obj, key);
        const t = i >= 0 ? running() : undefined;
        if (t !== undefined) return plainWrite(t, obj, i, v, site);
      } else if (typeof key === "string") {
        const ops = opsOf(obj);
        const op = ops?.set[key];
        const t = op !== undefined ? running() : undefined;
        if (t !== undefined) return interlock(t, obj, ops!, op!, [v], site);
      }
    }
    (obj as Record<PropertyKey, unknown>)[key as PropertyKey] = v;
    return now(v);
  },

  /** `obj[key]++` and the like: `delta` ±1, `prefix` for `++obj[key]`. */
  *inc(obj: unknown, key: unknown, delta: number, prefix: boolean, site: number): Step<unknown> {
    const old = yield* runtime.get(obj, key, site);
    const o = typeof old === "bigint" ? old : +(old as number);
    const n = typeof o === "bigint" ? o + BigInt(delta) : o + delta;
    yield* runtime.set(obj, key, n, site);
    return prefix ? n : o;
  },

  /** `obj.name(...args)`. */
  call(obj: unknown, name: string, site: number, ...args: unknown[]): Step<unknown> {
    if (typeof obj === "object" && obj !== null) {
      const ops = opsOf(obj);
      if (ops !== undefined) {
        const t = running();
        if (t !== undefined) {
          const op = ops.methods[name];
          if (op !== undefined) return interlock(t, obj, ops, op, args, site);
          if (typeof (obj as Record<string, unknown>)[name] === "function") {
            throw notModelled(site, ops, name);
          }
        }
      }
    }
    return now((obj as Record<string, (...a: unknown[]) => unknown>)[name]!(...args));
  },

  /** `obj?.name(...args)`. */
  callOpt(obj: unknown, name: string, site: number, ...args: unknown[]): Step<unknown> {
    return obj === null || obj === undefined
      ? now(undefined)
      : runtime.call(obj, name, site, ...args);
  },

  /** `Atomics.name(...args)`. */
  atomics(
    name: string,
    site: number,
    a?: unknown,
    i?: unknown,
    v?: unknown,
    w?: unknown,
  ): Step<unknown> {
    if (name === "waitAsync" && running() !== undefined) {
      throw notExplorable(
        site,
        "Atomics.waitAsync settles a promise later, which a thread of the explorer cannot await",
        "use Atomics.wait (the explorer's threads may block)",
      );
    }
    if ((isSharedIntegers(a) || name === "pause") && name !== "isLockFree") {
      const t = running();
      if (t !== undefined) return atomicOp(t, name, a as AtomicArray, i, v, w, site);
    }
    // Missing arguments are undefined either way: every Atomics function reads them so.
    return now(
      (Atomics as unknown as Record<string, (...a: unknown[]) => unknown>)[name]!(a, i, v, w),
    );
  },

  /** `await v`: only values, and Interlock operations (already steps), can be awaited. */
  await(v: unknown, site: number): Step<unknown> {
    if (typeof (v as { then?: unknown })?.then === "function") {
      throw notExplorable(
        site,
        "it waits for a promise that is not an Interlock operation, while each explored thread " +
          "runs synchronously, one shared access at a time",
        "await only Interlock operations in explored functions (or use their blocking forms)",
      );
    }
    return now(v);
  },

  /** Starts a block with `using` declarations. */
  env(async: boolean): Env {
    return new Env(async);
  },

  /** `using x = v`: registers `v` for disposal; returns it. */
  use(env: Env, v: unknown, site: number): unknown {
    if (v === null || v === undefined) return v;
    const disposable = v instanceof SimGuard ||
      typeof (v as Disposable)[Symbol.dispose] === "function" ||
      env.async && typeof (v as AsyncDisposable)[Symbol.asyncDispose] === "function";
    if (!disposable) throw new TypeError("Cannot use a value that is not disposable in 'using'");
    env.resources.push(v, site);
    return v;
  },

  /** Disposes a block's resources in reverse order, then rethrows the block's error, if any. */
  *dispose(env: Env): Step<void> {
    let { error, failed } = env;
    for (let k = env.resources.length - 2; k >= 0; k -= 2) {
      const value = env.resources[k] as object;
      const site = env.resources[k + 1] as number;
      try {
        if (value instanceof SimGuard) {
          if (!value.released) {
            value.released = true;
            const ops = opsOf(value.target)!;
            yield* interlock(running()!, value.target, ops, ops.methods.release!, [], site);
          }
        } else if (typeof (value as Disposable)[Symbol.dispose] === "function") {
          (value as Disposable)[Symbol.dispose]();
        } else if (running() !== undefined) {
          throw notExplorable(
            site,
            "`await using` of something other than an Interlock hold awaits its disposal",
            "dispose it explicitly, or keep it out of the explored functions",
          );
        } else {
          void (value as AsyncDisposable)[Symbol.asyncDispose]();
        }
      } catch (e) {
        error = failed ? new SuppressedError(e, error) : e;
        failed = true;
      }
    }
    if (failed) throw error;
  },

  /**
   * The plain-function form of module function `f` (a generator), for uses as a value: it runs
   * `f` to its end at once, refusing any explorer step on the way. Its generator form stays
   * reachable (a `waitFor` predicate runs as steps). `async` functions return a promise.
   */
  sync(f: (...args: unknown[]) => Generator<unknown, unknown, unknown>, async: boolean): unknown {
    let w = plainForms.get(f);
    if (w !== undefined) return w;
    const run = function (this: unknown, ...args: unknown[]): unknown {
      return asPlain(f.name, () => {
        const r = f.apply(this, args).next();
        if (!r.done) throw new Error("Inconsistent explorer state: a plain-form function yielded");
        return r.value;
      });
    };
    w = async
      ? function (this: unknown, ...args: unknown[]) {
        try {
          return Promise.resolve(run.apply(this, args));
        } catch (e) {
          return Promise.reject(e);
        }
      }
      : run;
    Object.defineProperty(w, "name", { value: f.name });
    Object.defineProperty(w, GENERATOR_FORM, { value: f });
    plainForms.set(f, w);
    return w;
  },

  /** Marks the followed functions of a module, with whether each was declared `async`. */
  mark(...functions: [f: unknown, async: boolean][]): void {
    for (const [f, async] of functions) followedFunctions.set(f as object, async);
  },

  /**
   * `f(...args)` where `f` comes from another instrumented module: followed if it is one of its
   * followed functions, else called as written.
   */
  invoke(f: unknown, ...args: unknown[]): Step<unknown> {
    if (followedFunctions.has(f as object)) {
      return (f as (...a: unknown[]) => Step<unknown>)(...args);
    }
    return now((f as (...a: unknown[]) => unknown)(...args));
  },

  /** `f` from another instrumented module, used as a value: its plain form if it is followed. */
  plain(f: unknown): unknown {
    const async = followedFunctions.get(f as object);
    return async === undefined ? f : runtime.sync(f as never, async);
  },

  /** Before a non-deterministic call (`Math.random()`, `Date.now()`, timers, …): refuses it in a thread. */
  nondet(site: number): void {
    if (running() === undefined) return;
    throw notExplorable(
      site,
      "it is not deterministic: the explorer replays schedules and needs every thread to make " +
        "the same accesses each time",
      "pass such values in as arguments (a thread body gets its thread id), and keep timing " +
        "out of the explored functions",
    );
  },

  /** The console: inside a thread, a silent one (an exploration runs each thread thousands of times). */
  console(): Console {
    return running() === undefined ? console : silent;
  },

  /**
   * `f` of a module the explorer does not instrument (imported from `spec`): inside a thread, it
   * refuses shared state as an argument (its accesses would not be explored).
   */
  ext<F extends (...args: never[]) => unknown>(site: number, f: F, spec: string): F {
    if (typeof f !== "function" || running() === undefined) return f;
    return ((...args: never[]) => {
      if (args.some(holdsShared)) {
        throw notExplorable(
          site,
          `it passes shared memory to a function imported from '${spec}', which the explorer ` +
            "does not instrument, so its accesses would not be explored",
          "import that code with a relative path (the explorer follows those), or keep shared " +
            "memory out of it",
        );
      }
      return f(...args);
    }) as F;
  },

  /** `import.meta` of the original module. */
  meta(url: string): ImportMeta {
    const u = new URL(url);
    const path = u.protocol === "file:" ? decodeURIComponent(u.pathname) : undefined;
    return {
      url,
      main: false,
      resolve: (s: string) => new URL(s, url).href,
      filename: path,
      dirname: path?.slice(0, path.lastIndexOf("/")),
    } as ImportMeta;
  },

  // Forms for code that cannot be suspended: as written, but no shared memory inside a thread.

  /** `obj[key]` outside generator code. */
  getS(obj: unknown, key: unknown, site: number): unknown {
    if (touches(obj, key, "get") && running() !== undefined) throw unsuspendable(site);
    return (obj as Record<PropertyKey, unknown>)[key as PropertyKey];
  },

  /** `obj[key] = v` outside generator code. */
  setS(obj: unknown, key: unknown, v: unknown, site: number): unknown {
    if (touches(obj, key, "set") && running() !== undefined) throw unsuspendable(site);
    return (obj as Record<PropertyKey, unknown>)[key as PropertyKey] = v;
  },

  /** `obj[key]++` and the like outside generator code. */
  incS(obj: unknown, key: unknown, delta: number, prefix: boolean, site: number): unknown {
    const old = runtime.getS(obj, key, site);
    const o = typeof old === "bigint" ? old : +(old as number);
    const n = typeof o === "bigint" ? o + BigInt(delta) : o + delta;
    runtime.setS(obj, key, n, site);
    return prefix ? n : o;
  },

  /** `obj.name(...args)` outside generator code. */
  callS(obj: unknown, name: string, site: number, ...args: unknown[]): unknown {
    if (touches(obj, name, "call") && running() !== undefined) throw unsuspendable(site);
    return (obj as Record<string, (...a: unknown[]) => unknown>)[name]!(...args);
  },

  /** `obj?.name(...args)` outside generator code. */
  callOptS(obj: unknown, name: string, site: number, ...args: unknown[]): unknown {
    return obj === null || obj === undefined ? undefined : runtime.callS(obj, name, site, ...args);
  },

  /** `Atomics.name(...args)` outside generator code. */
  atomicsS(name: string, site: number, ...args: unknown[]): unknown {
    if (isSharedIntegers(args[0]) && running() !== undefined) throw unsuspendable(site);
    return (Atomics as unknown as Record<string, (...a: unknown[]) => unknown>)[name]!(...args);
  },
};

const plainForms = new WeakMap<object, unknown>();
/** The followed functions of every instrumented module, with whether each is `async`. */
const followedFunctions = new WeakMap<object, boolean>();

/** Whether `f` is a followed function of an instrumented module (a generator form). */
export function isFollowed(f: unknown): boolean {
  return typeof f === "function" && followedFunctions.has(f);
}

const silent = new Proxy({} as Console, { get: () => () => {} });

/** Whether `obj[key]` (read, written or called) is a shared-memory access the explorer would schedule. */
function touches(obj: unknown, key: unknown, how: "get" | "set" | "call"): boolean {
  if (typeof obj !== "object" || obj === null) return false;
  if (ArrayBuffer.isView(obj)) return how !== "call" && sharedIndex(obj, key) >= 0;
  const ops = opsOf(obj);
  if (ops === undefined || typeof key !== "string") return false;
  return (how === "call" ? ops.methods : how === "get" ? ops.get : ops.set)[key] !== undefined;
}

/** Whether `x` is or holds (one level deep) shared memory. */
function holdsShared(x: unknown): boolean {
  const shared = (v: unknown) =>
    isInterlockObject(v) || v instanceof SharedArrayBuffer ||
    ArrayBuffer.isView(v) && v.buffer instanceof SharedArrayBuffer;
  if (shared(x)) return true;
  if (Array.isArray(x)) return x.some(shared);
  if (typeof x === "object" && x !== null && Object.getPrototypeOf(x) === Object.prototype) {
    return Object.values(x).some(shared);
  }
  return false;
}
