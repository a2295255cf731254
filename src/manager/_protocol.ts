/**
 * What the manager's clients and its server say to each other: the server's API (called through
 * comlink), call outcomes, errors as data (the Pool's wire format: `serializeThrown` in
 * `src/pool/protocol.ts`, rebuilt by `src/pool/remote_error.ts`), and the byte encoding of messages.
 *
 * Messages are comlink's wire messages, encoded to bytes (`src/manager/_codec.ts`: a fast format,
 * else V8's serializer, both giving what `structuredClone` gives) so that they fit the shared-memory
 * mailbox of `src/kernel/manager.ts`. One consequence: a value holding a `SharedArrayBuffer` (an Interlock
 * object, another proxy) cannot be stored in a managed object; pass those directly instead.
 *
 * @module
 */
import { serializeThrown, type Thrown } from "../pool/protocol.ts";
import { encode } from "./_codec.ts";

/** The kinds of built-in managed objects. */
export type BuiltinKind = "dict" | "list" | "namespace";

/** Every kind of managed object: the built-ins and instances of registered types. */
export type Kind = BuiltinKind | "object";

/**
 * How a call ended, as the server reports it. A result travels encoded, taken at the moment the call
 * returned: later calls cannot change what an earlier call reported.
 */
export type Outcome =
  | { readonly ok: true; readonly value: Uint8Array }
  | { readonly ok: false; readonly error: Thrown };

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
  /** Frees object `id`; the outcome's value is whether it was still there. */
  release(id: number): Outcome;
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
  return { ok: false, error: recordThrown(error) };
}

export { decode, encode } from "./_codec.ts";

/** The `DataCloneError` for a message `encode` refused: "Cannot `action`: " and its message. */
export function cloneError(action: string, error: unknown): DOMException {
  return new DOMException(`Cannot ${action}: ${(error as Error).message}`, "DataCloneError");
}

/**
 * Serializes a thrown value for the wire with the Pool's format (`serializeThrown`: class, name,
 * message, stack, cause, `AggregateError`'s errors, own enumerable properties). A property that
 * `structuredClone` accepts but the mailbox's codec does not (one holding a `SharedArrayBuffer`)
 * travels as its `String()` form.
 */
export function recordThrown(value: unknown): Thrown {
  const thrown = serializeThrown(value);
  try {
    encode(thrown);
    return thrown;
  } catch {
    return stringified(thrown);
  }
}

function stringified(thrown: Thrown): Thrown {
  if (thrown.kind === "value") return { kind: "value", value: String(thrown.value) };
  const props: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(thrown.props)) props[k] = String(v);
  return {
    ...thrown,
    props,
    ...(thrown.cause === undefined ? {} : { cause: stringified(thrown.cause) }),
    ...(thrown.errors === undefined ? {} : { errors: thrown.errors.map(stringified) }),
  };
}
