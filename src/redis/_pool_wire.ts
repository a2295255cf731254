/**
 * What a distributed pool's callers (`pool.ts`) and servers (`serve.ts`) write to each other in
 * Redis (keys: `_lua_stream.ts`), and how a thrown value crosses: the local pool's wire format
 * (`serializeThrown` / `rebuild` of `src/pool/`), checked first since it is read back as
 * untrusted bytes.
 *
 * A task is an entry of `{ns:name}:pool:s`:
 *
 * | field | value                                                           |
 * | ----- | --------------------------------------------------------------- |
 * | `c`   | the caller's id: its results go to `{ns:name}:pool:r:<c>`        |
 * | `i`   | the task's id, unique per caller                                |
 * | `x`   | the export to call                                              |
 * | `k`   | the shape: `0` one call, `1` a `map` chunk, `2` a `starmap` chunk (`src/pool/protocol.ts`) |
 * | `d`   | the arguments (a call) or the chunk, encoded by `_codec.ts`      |
 *
 * A result is an entry of the caller's stream: `i` the task id, `s` `ok` (then `d` is the encoded
 * value, or the chunk's values) or `err` (then `d` is the encoded `Thrown`). An error is rebuilt
 * as `src/pool/remote_error.ts` does, knowing the Redis tier's classes too.
 *
 * @module
 */
import * as library from "../errors.ts";
import { WorkerCrashedError } from "../errors.ts";
import { rebuildThrown, serializeThrown, type Thrown } from "../pool/protocol.ts";
import { encode } from "./_codec.ts";
import * as redis from "./errors.ts";
import { CorruptPayloadError } from "./errors.ts";

/** Task shapes, as the local pool's protocol names them. */
export { CALL, type Kind, MAP, STARMAP } from "../pool/protocol.ts";

/** The status of a successful task's result. */
export const OK = "ok";
/** The status of a failed task's result. */
export const ERR = "err";

/** How deep a thrown value's causes are read. */
const MAX_DEPTH = 8;
/** Keys an untrusted error's own properties may not set (they would reach the prototype). */
const FORBIDDEN = new Set(["__proto__", "constructor", "prototype"]);

function text(value: unknown, max = 100_000): string {
  if (typeof value !== "string") throw new TypeError("not a string");
  return value.length > max ? value.slice(0, max) : value;
}

/**
 * Checks that `value` (decoded from untrusted bytes) has the shape of a `Thrown`, keeping only
 * what `rebuild` may safely use; throws `TypeError` if it does not.
 */
export function checkThrown(value: unknown, depth = 0): Thrown {
  if (typeof value !== "object" || value === null) throw new TypeError("not an object");
  const v = value as Record<string, unknown>;
  if (v.kind === "value") return { kind: "value", value: v.value };
  if (v.kind !== "error") throw new TypeError("unknown kind");
  const props: Record<string, unknown> = {};
  if (typeof v.props === "object" && v.props !== null) {
    for (const [key, prop] of Object.entries(v.props)) {
      if (!FORBIDDEN.has(key)) props[key] = prop;
    }
  }
  const out: { -readonly [K in keyof Thrown & string]?: unknown } & Record<string, unknown> = {
    kind: "error",
    className: text(v.className, 200),
    name: text(v.name, 200),
    message: text(v.message),
    stack: v.stack === undefined ? undefined : text(v.stack),
    props,
  };
  if (v.cause !== undefined && depth < MAX_DEPTH) out.cause = checkThrown(v.cause, depth + 1);
  if (Array.isArray(v.errors) && depth < MAX_DEPTH) {
    out.errors = v.errors.slice(0, 1_000).map((e) => checkThrown(e, depth + 1));
  }
  return out as unknown as Thrown;
}

type ErrorClass = abstract new (...args: never[]) => Error;
let classes: Map<string, ErrorClass> | undefined;

/** The error classes rebuilt as themselves: Interlock's and the Redis tier's. */
function known(name: string): ErrorClass | undefined {
  if (classes === undefined) {
    classes = new Map();
    for (const value of [...Object.values(library), ...Object.values(redis)]) {
      if (typeof value === "function" && value.prototype instanceof Error) {
        classes.set(value.name, value as unknown as ErrorClass);
      }
    }
  }
  return classes.get(name);
}

/**
 * The thrown value of an `err` result (untrusted), rebuilt with its class; a malformed one
 * becomes a {@linkcode CorruptPayloadError}.
 */
export function rebuildUntrusted(value: unknown, id: string, what: string): unknown {
  try {
    return rebuildThrown(checkThrown(value), known);
  } catch (error) {
    return new CorruptPayloadError(`Cannot read ${what}: its error is malformed`, {
      id,
      cause: error,
    });
  }
}

/** `thrown` encoded for a result, falling back to its message if it cannot be cloned. */
export function encodeThrown(thrown: unknown): string | Uint8Array {
  try {
    return encode("report an error", serializeThrown(thrown));
  } catch {
    return encode("report an error", serializeThrown(new Error(String(thrown))));
  }
}

/** The error payload of a task given up after `deliveries` deliveries (`POOL_CLAIM`). */
export function crashPayload(pool: string, deliveries: number): string | Uint8Array {
  return encodeThrown(
    new WorkerCrashedError(
      `Cannot run a task of pool '${pool}': it was delivered ${deliveries} time${
        deliveries === 1 ? "" : "s"
      }, and each worker that took it stopped (died, or lost Redis for the visibility timeout) before finishing it`,
    ),
  );
}
