/**
 * Client protocols written once, as generators of script calls, so that production and the
 * interleaving explorer run the same code:
 *
 * - production drives a protocol with {@linkcode drive}: each yielded call goes to Redis
 *   (`Engine.script`), its reply (or error reply) goes back into the generator;
 * - the explorer's simulated engine (`tests/redis/_sim_redis.ts`) drives the same generator,
 *   running each yielded script, the same Lua source, as one atomic step of a virtual thread.
 *
 * Here: the fenced value protocol (`RedisValue.get`, `set`, `update`), and the argument lists and
 * reply readings of the hold-set scripts (`HoldSet`: acquire, renew, release).
 *
 * @module
 */
import type { Engine, Script } from "./_engine.ts";
import { connectionError, scriptCondition } from "./_engine.ts";
import { ACQUIRE, RELEASE, RENEW, VALUE_GET, VALUE_SET } from "./_lua.ts";
import { StaleTokenError } from "./errors.ts";

/** One script call a protocol asks for; the driver sends back its reply or throws its error. */
export interface ScriptCall {
  readonly script: Script;
  readonly keys: readonly string[];
  readonly args: readonly string[];
}

/** A client protocol: yields script calls, returns its result. */
export type Protocol<R> = Generator<ScriptCall, R, unknown>;

/**
 * Runs `protocol` against Redis: each call through `engine`, replies fed back, and errors thrown
 * back in: error replies as they are, connection failures as `RedisConnectionError`s naming
 * `what`.
 */
export async function drive<R>(engine: Engine, what: string, protocol: Protocol<R>): Promise<R> {
  let step = protocol.next();
  while (!step.done) {
    let reply: unknown;
    try {
      reply = await engine.script(step.value.script, step.value.keys, step.value.args);
    } catch (error) {
      step = protocol.throw(connectionError(what, error));
      continue;
    }
    step = protocol.next(reply);
  }
  return step.value;
}

// ---- Values -------------------------------------------------------------------------------------

/** What the value protocols need to know of a `RedisValue`. */
export interface ValueSpec<T extends number | bigint> {
  /** The value's hash key (`b..v`). */
  readonly key: string;
  /** Its JavaScript type. */
  readonly kind: "number" | "bigint";
  /** What it reads as before its first write. */
  readonly initial: T;
}

function encode(x: number | bigint): string {
  return typeof x === "bigint" ? x.toString() : Object.is(x, -0) ? "-0" : String(x);
}

/** The typed error of a script's `INTERLOCK_*` reply, or the error itself. */
function valueError(
  spec: ValueSpec<number | bigint>,
  what: string,
  error: unknown,
  fence?: bigint,
) {
  const condition = scriptCondition(error);
  if (condition?.code === "STALE") {
    const highest = BigInt(condition.detail);
    return new StaleTokenError(
      `Cannot ${what}: fencing token ${fence} is older than token ${highest}, already accepted`,
      { token: fence!, highest },
    );
  }
  if (condition?.code === "TYPE") {
    return new TypeError(
      `Cannot ${what}: Redis holds a ${condition.detail} value, this object holds ${spec.kind}s`,
    );
  }
  return error;
}

/**
 * Reads a value (`VALUE_GET`), fenced if `fence` is set: then the read is refused with
 * `StaleTokenError` if a newer token was accepted, and raises the highest accepted token to it.
 */
export function* readValue<T extends number | bigint>(
  spec: ValueSpec<T>,
  what: string,
  fence: bigint | undefined,
): Protocol<{ value: T; version: string }> {
  let reply: unknown;
  try {
    reply = yield { script: VALUE_GET, keys: [spec.key], args: [fence?.toString() ?? ""] };
  } catch (error) {
    throw valueError(spec, what, error, fence);
  }
  const [kind, text, version] = reply as [string | null, string | null, string | null];
  if (kind !== null && kind !== spec.kind) {
    throw new TypeError(
      `Cannot ${what}: Redis holds a ${kind} value, this object holds ${spec.kind}s`,
    );
  }
  const value = text === null
    ? spec.initial
    : (spec.kind === "bigint" ? BigInt(String(text)) : Number(text)) as T;
  return { value, version: version === null ? "0" : String(version) };
}

/**
 * Writes `x` (`VALUE_SET`) if the version is `version` ('' = any), fenced if `fence` is set;
 * returns false if the version moved on. Throws `StaleTokenError` for an older fence.
 */
export function* writeValue<T extends number | bigint>(
  spec: ValueSpec<T>,
  what: string,
  x: T,
  fence: bigint | undefined,
  version: string,
): Protocol<boolean> {
  let reply: unknown;
  try {
    reply = yield {
      script: VALUE_SET,
      keys: [spec.key],
      args: [spec.kind, encode(x), fence?.toString() ?? "", version],
    };
  } catch (error) {
    throw valueError(spec, what, error, fence);
  }
  return (reply as [number])[0] === 1;
}

/**
 * An atomic read-modify-write: reads (fenced if `fence`), computes `fn`, writes if nobody wrote
 * in between (same version), else again; `stop()` ends the retries with a timeout error.
 */
export function* updateValue<T extends number | bigint>(
  spec: ValueSpec<T>,
  what: string,
  fn: (value: T) => T,
  fence: bigint | undefined,
  stop: () => unknown,
): Protocol<T> {
  for (;;) {
    const { value, version } = yield* readValue(spec, what, fence);
    const next = fn(value);
    const kind: string = typeof next;
    if (kind !== spec.kind) {
      throw new TypeError(
        `Cannot ${what}: 'fn' must return a ${spec.kind}, received ${typeof next}`,
      );
    }
    if (yield* writeValue(spec, what, next, fence, version)) return next;
    const error = stop();
    if (error !== undefined) throw error;
  }
}

// ---- Hold sets ----------------------------------------------------------------------------------

/** What the hold-set calls need: the key and the head of every argument list. */
export interface HoldSetCall {
  /** `b..h`. */
  readonly key: string;
  /** [capacity, '1' if stored, '1' if reentrant]. */
  readonly head: readonly string[];
}

/** The `ACQUIRE` call (see `_lua.ts`): `mode` is `try`, `wait` or `recheck`. */
export function acquireCall(
  set: HoldSetCall,
  waiter: string,
  holder: string,
  lease: number,
  count: number,
  mode: "try" | "wait" | "recheck",
  registration: number,
): ScriptCall {
  return {
    script: ACQUIRE,
    keys: [set.key],
    args: [...set.head, waiter, holder, String(lease), String(count), mode, String(registration)],
  };
}

/** What an `ACQUIRE` reply says: held (with its token), or when to look again. */
export type Acquisition = { done: true; value: string } | { done: false; hint: number };

/** Reads an `ACQUIRE` reply. */
export function acquireReply(reply: unknown): Acquisition {
  const [ok, value] = reply as [number, unknown];
  return ok === 1 ? { done: true, value: String(value) } : { done: false, hint: Number(value) };
}

/** The `RENEW` call: its reply is 1 if the lease was extended, 0 if it had ended. */
export function renewCall(set: HoldSetCall, holder: string, lease: number): ScriptCall {
  return { script: RENEW, keys: [set.key], args: [...set.head, holder, String(lease)] };
}

/** The `RELEASE` call: its reply is -1 if the lease had ended, else the holds left. */
export function releaseCall(set: HoldSetCall, holder: string, count: number): ScriptCall {
  return { script: RELEASE, keys: [set.key], args: [...set.head, holder, String(count)] };
}
