/**
 * What the manager's clients and its server say to each other: the server's API (called through
 * comlink), call outcomes, errors as data, and the byte encoding of messages.
 *
 * Messages are comlink's wire messages, encoded to bytes (`src/manager/_codec.ts`: a fast format,
 * else V8's serializer, both giving what `structuredClone` gives) so that they fit the shared-memory
 * mailbox of `src/kernel/manager.ts`. One consequence: a value holding a `SharedArrayBuffer` (an Interlock
 * object, another proxy) cannot be stored in a managed object; pass those directly instead.
 *
 * @module
 */
import { encode } from "./_codec.ts";

/** The kinds of built-in managed objects. */
export type BuiltinKind = "dict" | "list" | "namespace";

/** Every kind of managed object: the built-ins and instances of registered types. */
export type Kind = BuiltinKind | "object";

/** An Error turned into plain data, so that it survives serialization with its class name. */
export interface ErrorRecord {
  /** Marks the record. */
  readonly error: true;
  /** The error's `name`. */
  readonly name: string;
  /** The error's `message`. */
  readonly message: string;
  /** The error's `stack`, as thrown in the server. */
  readonly stack: string | undefined;
  /** Whether the error had a `cause`. */
  readonly hasCause: boolean;
  /** The cause, itself recorded if it is an Error. */
  readonly cause: unknown;
  /** The error's own enumerable properties (those that can be serialized). */
  readonly props: Record<string, unknown>;
}

/**
 * How a call ended, as the server reports it. A result travels encoded, taken at the moment the call
 * returned: later calls cannot change what an earlier call reported.
 */
export type Outcome =
  | { readonly ok: true; readonly value: Uint8Array }
  | { readonly ok: false; readonly error: unknown };

/** The synthetic outcome a client delivers when the manager ended before the reply came. */
export interface Ended {
  /** Marks the outcome. */
  readonly ended: true;
}

/** What a new instance of a registered type looks like to clients. */
export interface Created {
  /** The object's id on the server. */
  readonly id: number;
  /** The names of its public methods. */
  readonly methods: string[];
}

/** The server's API. Every method reports failures in its {@linkcode Outcome}, never by throwing. */
export interface ServerApi {
  /** Answers once the server serves calls. */
  ping(): Outcome;
  /** Creates a built-in object from `init`; the outcome's value is its id. */
  make(kind: BuiltinKind, init: unknown): Outcome;
  /** Imports `moduleUrl` and registers its export `exportName` (a class or factory) as `typeid`. */
  register(typeid: string, moduleUrl: string, exportName: string): Promise<Outcome>;
  /** Creates an instance of the registered type `typeid`; the outcome's value is a {@linkcode Created}. */
  create(typeid: string, args: unknown[]): Outcome | Promise<Outcome>;
  /** Runs operation `op` of object `id` with `args`; the outcome's value is its result. */
  call(id: number, op: string, args: unknown[]): Outcome | Promise<Outcome>;
}

/** Wraps a result, encoding it at once (a failure to encode becomes the outcome). */
export function ok(value: unknown): Outcome {
  try {
    return { ok: true, value: encode(value) };
  } catch (e) {
    return fail(
      new DOMException(
        `Cannot return the result from the manager: ${(e as Error).message}`,
        "DataCloneError",
      ),
    );
  }
}

/** Wraps a failure. */
export function fail(error: unknown): Outcome {
  return { ok: false, error: recordError(error) };
}

export { decode, encode } from "./_codec.ts";

/** Records an Error (recursively through `cause`, 8 levels) as data; other values pass through. */
export function recordError(value: unknown, depth = 8): unknown {
  if (!(value instanceof Error) && !(value instanceof DOMException)) return cloneable(value);
  const error = value as Error;
  const props: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(error)) {
    if (k !== "cause") props[k] = cloneable(v);
  }
  const hasCause = "cause" in error;
  const record: ErrorRecord = {
    error: true,
    name: String(error.name),
    message: String(error.message),
    stack: typeof error.stack === "string" ? error.stack : undefined,
    hasCause,
    cause: hasCause && depth > 0 ? recordError(error.cause, depth - 1) : undefined,
    props,
  };
  return record;
}

function cloneable(value: unknown): unknown {
  try {
    encode(value);
    return value;
  } catch {
    return String(value);
  }
}

const BUILT_IN: Record<string, new (message?: string, options?: ErrorOptions) => Error> = {
  Error,
  TypeError,
  RangeError,
  SyntaxError,
  ReferenceError,
  EvalError,
  URIError,
};

/** Known error classes by name, beyond the built-ins (Interlock's own, registered by modules). */
const known = new Map<string, new (message?: string, options?: ErrorOptions) => Error>();

/** Lets errors named `name` come back as instances of `cls`. */
export function registerErrorClass(
  name: string,
  cls: new (message?: string, options?: ErrorOptions) => Error,
): void {
  known.set(name, cls);
}

/**
 * Rebuilds an error recorded by {@linkcode recordError}: the same class when it is a built-in or a
 * registered class (else an `Error` whose `name` is the original's), with message, stack, cause and
 * own properties.
 */
export function rebuildError(value: unknown): unknown {
  if (!isRecord(value)) return value;
  const options: ErrorOptions | undefined = value.hasCause
    ? { cause: rebuildError(value.cause) }
    : undefined;
  let error: Error;
  const cls = known.get(value.name) ?? BUILT_IN[value.name];
  if (
    value.name === "DataCloneError" || value.name === "TimeoutError" || value.name === "AbortError"
  ) {
    error = new DOMException(value.message, value.name);
  } else if (cls) {
    error = new cls(value.message, options);
  } else {
    error = new Error(value.message, options);
    Object.defineProperty(error, "name", {
      value: value.name,
      writable: true,
      configurable: true,
      enumerable: false,
    });
  }
  if (value.stack !== undefined) {
    Object.defineProperty(error, "stack", {
      value: value.stack,
      writable: true,
      configurable: true,
      enumerable: false,
    });
  }
  if (error.message !== value.message) {
    Object.defineProperty(error, "message", {
      value: value.message,
      writable: true,
      configurable: true,
      enumerable: false,
    });
  }
  Object.assign(error, value.props);
  return error;
}

function isRecord(value: unknown): value is ErrorRecord {
  return typeof value === "object" && value !== null && (value as ErrorRecord).error === true &&
    typeof (value as ErrorRecord).name === "string" &&
    typeof (value as ErrorRecord).props === "object";
}
