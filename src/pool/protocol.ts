/**
 * The messages between a parent (`Pool`, `Process`) and its workers (`worker_main.ts`), and the way
 * thrown values cross the worker boundary. Shared by both sides; imports nothing else of the library.
 *
 * Tasks travel in batches (one `postMessage` for many tasks) packed in a table of numbers, and results
 * come back as parallel arrays: a structured clone of a few flat arrays is much cheaper than one
 * object per task.
 *
 * @module
 */

/** What a worker is started as; carried in the worker's `workerData`. */
export interface WorkerData {
  /** A pool worker (runs batches of tasks) or a process (runs one function, then exits). */
  readonly role: "pool" | "process";
  /** The worker's name, as `currentProcess().name` reports it. */
  readonly name: string;
  /** The thread id of the thread that started the worker. */
  readonly parentId: number;
  /** Whether the worker is a daemon. */
  readonly daemon: boolean;
  /**
   * Whether the worker has resource limits, so must watch for reaching its heap cap inside a
   * Promise continuation (see `limits.ts`).
   */
  readonly memoryWatch: boolean;
  /**
   * A process child: whether it prints its uncaught error to stderr itself (when its parent has no
   * `onWorkerError` to report it to).
   */
  readonly printErrors?: boolean;
}

/**
 * A task's `args` as it travels: an argument list or a chunk of items, or a Map chunk packed in
 * shared memory: numbers in an `Int32Array` (all 32-bit integers) or a `Float64Array`, strings in a
 * `Uint8Array` (`_packed_strings.ts`).
 */
export type WireArgs = unknown[] | Int32Array | Float64Array | Uint8Array;

/** A task's shape: `args` is the argument list of one call. */
export const CALL = 0;
/** A task's shape: `args` is a chunk of items; the function is called once per item. */
export const MAP = 1;
/** A task's shape: `args` is a chunk of argument lists; the function is called once per list. */
export const STARMAP = 2;
/** A task's shape: {@linkcode CALL}, {@linkcode MAP} or {@linkcode STARMAP}. */
export type Kind = typeof CALL | typeof MAP | typeof STARMAP;

/**
 * Parent to pool worker, through `parentPort`, first: the port every later message comes through
 * (see `Member.inbox` in `_member.ts` for why).
 */
export interface PortMessage {
  readonly type: "port";
  readonly port: MessagePort;
}

/** Parent to pool worker: load the task module and run the initializer. The first on the port. */
export interface InitMessage {
  readonly type: "init";
  /** URL of the task module. */
  readonly module: string;
  /** Export to call once before the first task, or null. */
  readonly initializer: string | null;
  /** Arguments of the initializer. */
  readonly initArgs: unknown[];
  /** The worker's task-slot region (`src/kernel/task_slot.ts`). */
  readonly slots: SharedArrayBuffer;
}

/**
 * Parent to pool worker: a batch of tasks, packed so that its clone costs little per task (see
 * `_run_batch.ts`, which writes and reads it).
 */
export interface RunMessage {
  readonly type: "run";
  /**
   * {@linkcode RUN_WORDS} numbers per task, in the order sent: its id (unique per pool), its slot
   * index in the worker's slot region, the slot's generation, its {@linkcode Kind}, the index of
   * its export's name in `names`, and how many of `numbers` are its arguments, or -1 when its
   * arguments are the next entry of `args`.
   */
  readonly table: Float64Array;
  /** The export names the batch calls, each once. */
  readonly names: string[];
  /** The arguments of the Call tasks whose arguments are all numbers, one after another. */
  readonly numbers: Float64Array;
  /**
   * Arguments (Call) or items (Map, Starmap) of the other tasks, in order. A Map chunk of numbers
   * only or of strings only travels packed ({@linkcode WireArgs}).
   */
  readonly args: WireArgs[];
}

/** Numbers per task in {@linkcode RunMessage}'s `table`. */
export const RUN_WORDS = 6;

/** Parent to pool worker: abort the task `id` if it is running (its `taskSignal()` fires). */
export interface AbortMessage {
  readonly type: "abort";
  readonly id: number;
  /** The abort reason, serialized. */
  readonly reason: Thrown;
}

/** Parent to pool worker: finish the tasks already received, send their results, then exit. */
export interface StopMessage {
  readonly type: "stop";
}

/** Parent to process worker: run `module[exportName](...args)`, report the exit on `port`. */
export interface StartMessage {
  readonly type: "start";
  readonly module: string;
  readonly exportName: string;
  readonly args: unknown[];
  /** The process's exit latch region (`src/kernel/exit_latch.ts`). */
  readonly latch: SharedArrayBuffer;
  /** Where the exit report goes (a port, so the parent can read it while blocked in `joinSync`). */
  readonly port: MessagePort;
}

/** Every message a parent sends to a worker. */
export type ToWorker =
  | PortMessage
  | InitMessage
  | RunMessage
  | AbortMessage
  | StopMessage
  | StartMessage;

/** Pool worker to parent: the task module loaded and the initializer succeeded. */
export interface ReadyMessage {
  readonly type: "ready";
}

/** Pool worker to parent: loading the task module or running the initializer failed. */
export interface InitFailedMessage {
  readonly type: "init-failed";
  readonly error: Thrown;
}

/**
 * Pool worker to parent: results of finished tasks, in the order they finished. `values[i]` is the
 * result of task `ids[i]`, or, when `i` is listed in `failed`, a {@linkcode Failure}. The result of
 * a Map/Starmap chunk whose results are all numbers or all strings is packed as its items are
 * ({@linkcode WireArgs}).
 */
export interface ResultsMessage {
  readonly type: "results";
  readonly ids: number[];
  readonly values: unknown[];
  /** Positions (in `ids`) of tasks that threw. */
  readonly failed: number[];
}

/** What a task that threw reports: the thrown value and, for chunks, the item that threw. */
export interface Failure {
  readonly error: Thrown;
  /** Index of the failing item within a Map/Starmap chunk; -1 for a Call. */
  readonly index: number;
}

/** Any worker to parent: an uncaught error outside a task; the worker exits with code 1 next. */
export interface FatalMessage {
  readonly type: "fatal";
  readonly error: Thrown;
  /**
   * Set when the worker saw it reached its heap cap (`error` is then an `ERR_WORKER_OUT_OF_MEMORY`
   * error; see `limits.ts`).
   */
  readonly outOfMemory?: true;
}

/** Every message a pool worker sends to its parent. */
export type FromWorker = ReadyMessage | InitFailedMessage | ResultsMessage | FatalMessage;

/** Process worker to parent, on the report port: how the process ended. */
export interface ExitReport {
  readonly type: "exit";
  readonly code: number;
  /** The uncaught exception, if the process ended with one. */
  readonly error: Thrown | null;
  /** Set when the child saw it reached its heap cap (`error` says so; see `limits.ts`). */
  readonly outOfMemory?: true;
}

/** A serialized `Error` (or subclass, or `DOMException`). */
export interface ThrownError {
  readonly kind: "error";
  /** The constructor's name (`TypeError`, `RuntimeError`, `DOMException`, a user class ...). */
  readonly className: string;
  /** `error.name`. */
  readonly name: string;
  readonly message: string;
  readonly stack: string | undefined;
  /** `error.cause`, serialized; absent if the error had no own `cause`. */
  readonly cause?: Thrown;
  /** `AggregateError`'s `errors`, serialized. */
  readonly errors?: Thrown[];
  /** Own enumerable properties that survived a structured clone (others are dropped). */
  readonly props: Record<string, unknown>;
}

/** A thrown value that is not an `Error`: sent as its structured clone (or its `String()` form). */
export interface ThrownValue {
  readonly kind: "value";
  readonly value: unknown;
}

/** Any thrown value, ready for `postMessage`. */
export type Thrown = ThrownError | ThrownValue;

const MAX_DEPTH = 8;

/** Serializes a thrown value so that the parent can rebuild it (see `src/pool/remote_error.ts`). */
export function serializeThrown(thrown: unknown, depth = 0): Thrown {
  if (!(thrown instanceof Error) && !isDomException(thrown)) {
    return { kind: "value", value: cloneable(thrown) ? thrown : String(thrown) };
  }
  const error = thrown as Error;
  const props: Record<string, unknown> = {};
  for (const key of Object.keys(error)) {
    if (key === "cause" || key === "errors" || key === "name" || key === "message") continue;
    const value = (error as unknown as Record<string, unknown>)[key];
    if (cloneable(value)) props[key] = value;
  }
  const className = (Object.getPrototypeOf(error)?.constructor?.name as string | undefined) ??
    "Error";
  const out: {
    -readonly [K in keyof ThrownError]: ThrownError[K];
  } = {
    kind: "error",
    className,
    name: String(error.name),
    message: String(error.message),
    stack: typeof error.stack === "string" ? error.stack : undefined,
    props,
  };
  if (depth < MAX_DEPTH && Object.hasOwn(error, "cause")) {
    out.cause = serializeThrown(error.cause, depth + 1);
  }
  if (depth < MAX_DEPTH && error instanceof AggregateError && Array.isArray(error.errors)) {
    out.errors = error.errors.map((e) => serializeThrown(e, depth + 1));
  }
  return out;
}

function isDomException(value: unknown): value is DOMException {
  return typeof DOMException === "function" && value instanceof DOMException;
}

function cloneable(value: unknown): boolean {
  const type = typeof value;
  if (value === null || type === "undefined" || type === "string" || type === "number") return true;
  if (type === "boolean" || type === "bigint") return true;
  if (type === "function" || type === "symbol") return false;
  try {
    structuredClone(value);
    return true;
  } catch {
    return false;
  }
}

/** Error classes that every realm has, rebuilt as themselves. */
const BUILTIN_ERRORS: Record<string, abstract new (...args: never[]) => Error> = {
  Error,
  TypeError,
  RangeError,
  SyntaxError,
  ReferenceError,
  EvalError,
  URIError,
  AggregateError,
};

/** Finds the class to rebuild an error of class `className` as, beyond the built-in ones. */
export type ErrorClassLookup = (
  className: string,
) => (abstract new (...args: never[]) => Error) | undefined;

/**
 * Rebuilds a thrown value serialized by {@linkcode serializeThrown}: an error of the same class when
 * the class is built in or known to `lookup` (else an `Error` with the original `name`), with its
 * message, stack, cause and own enumerable properties; a non-error value as itself.
 */
export function rebuildThrown(thrown: Thrown, lookup?: ErrorClassLookup, depth = 0): unknown {
  if (thrown.kind === "value") return thrown.value;
  let error: Error;
  if (thrown.className === "DOMException" && typeof DOMException === "function") {
    error = new DOMException(thrown.message, thrown.name);
  } else {
    const cls = Object.hasOwn(BUILTIN_ERRORS, thrown.className)
      ? BUILTIN_ERRORS[thrown.className]
      : lookup?.(thrown.className);
    // A real Error object (so every inspector treats it as one) whose prototype is the class's: the
    // class's constructor does not run, since its signature is unknown; the fields are set below.
    error = Reflect.construct(Error, [thrown.message], cls ?? Error) as Error;
    if (error.name !== thrown.name) error.name = thrown.name;
  }
  if (thrown.stack !== undefined) {
    Object.defineProperty(error, "stack", {
      value: thrown.stack,
      writable: true,
      configurable: true,
      enumerable: false,
    });
  }
  if (thrown.cause !== undefined && depth < MAX_DEPTH) {
    Object.defineProperty(error, "cause", {
      value: rebuildThrown(thrown.cause, lookup, depth + 1),
      writable: true,
      configurable: true,
      enumerable: false,
    });
  }
  if (thrown.errors !== undefined && depth < MAX_DEPTH) {
    Object.defineProperty(error, "errors", {
      value: thrown.errors.map((e) => rebuildThrown(e, lookup, depth + 1)),
      writable: true,
      configurable: true,
      enumerable: false,
    });
  }
  Object.assign(error, thrown.props);
  return error;
}
