/**
 * The options of the queue classes (`Queue`, `JoinableQueue`, `SimpleQueue`, and `Pipe`'s
 * `maxBytes`), their validation, and {@linkcode createChannel}, which validates a queue's
 * constructor arguments and creates its channel.
 *
 * @module
 */
import { Channel, nextPow2 } from "./_core.ts";

/** Options of {@linkcode Queue}, {@linkcode JoinableQueue} and {@linkcode SimpleQueue}. */
export interface QueueOptions {
  /**
   * Bound of the queue's storage for large items and for items that overflow the ring, in bytes
   * (rounded up to a power of two, from 4096 to 2^30). Only address space is reserved up front;
   * memory is committed as the storage grows. An item larger than this throws a `RangeError` at
   * `put`; when the storage is full, `put` waits (and `putNowait` throws `QueueFullError`).
   * @default {1073741824}
   */
  maxBytes?: number;
}

/** Default bound of a queue's heap (its large-record and overflow storage): 1 GiB. */
export const DEFAULT_MAX_BYTES = 2 ** 30;
/** Smallest heap bound accepted. */
const MIN_MAX_BYTES = 4096;

/** Throws the `TypeError` of an `options` argument that is given but is not an object. */
export function checkOptions(what: string, options: unknown): void {
  if (options !== undefined && (typeof options !== "object" || options === null)) {
    throw new TypeError(`Cannot ${what}: options must be an object, received ${typeof options}`);
  }
}

/** Validates a heap bound option: an integer from 4096 to 2^30, rounded up to a power of two. */
export function maxBytesOf(what: string, maxBytes: unknown): number {
  if (maxBytes === undefined) return DEFAULT_MAX_BYTES;
  if (typeof maxBytes !== "number") {
    throw new TypeError(`Cannot ${what}: 'maxBytes' must be a number, received ${typeof maxBytes}`);
  }
  if (!Number.isInteger(maxBytes) || maxBytes < MIN_MAX_BYTES || maxBytes > DEFAULT_MAX_BYTES) {
    throw new RangeError(
      `Cannot ${what}: 'maxBytes' must be an integer from ${MIN_MAX_BYTES} to ${DEFAULT_MAX_BYTES}, ` +
        `received ${maxBytes}`,
    );
  }
  return nextPow2(maxBytes);
}

/**
 * Validates the constructor arguments of a queue of `flavour` (errors say "Cannot `what`") and
 * creates its channel.
 */
export function createChannel(
  flavour: number,
  what: string,
  maxsize: unknown,
  options: QueueOptions | undefined,
): Channel {
  if (typeof maxsize !== "number") {
    throw new TypeError(`Cannot ${what}: 'maxsize' must be a number, received ${typeof maxsize}`);
  }
  if (!Number.isInteger(maxsize) || maxsize < 0 || maxsize > 0x7fffffff) {
    throw new RangeError(
      `Cannot ${what}: 'maxsize' must be a non-negative integer, received ${maxsize}`,
    );
  }
  checkOptions(what, options);
  return Channel.create(flavour, maxsize, maxBytesOf(what, options?.maxBytes));
}
