/**
 * Fencing tokens in stores of your own: every acquisition of a Redis lock, `RLock` or semaphore
 * permit carries a token (`hold.token`, a `bigint`) larger than every earlier acquisition's of
 * the same primitive; a store that refuses a token older than one it accepted refuses the write
 * of a holder whose lease ended while it was paused (Kleppmann, "How to do distributed locking").
 *
 * @module
 */
import { StaleTokenError } from "./errors.ts";

/**
 * Checks a fencing token against the highest one a store has accepted, for stores of your own:
 * returns the token to record as the new highest, or throws {@linkcode StaleTokenError}.
 *
 * - Equal tokens pass: one holder may write several times.
 * - It is safe only when the check and the write are one atomic step in the store (a
 *   transaction, a conditional `UPDATE ... WHERE fence <= $token`, a compare-and-set): a check
 *   followed by a separate write can be overtaken by a newer holder in between.
 * - Tokens of one lock are comparable with each other only: fence one resource with one lock.
 *
 * @param token The fencing token of the write (`hold.token`).
 * @param highest The highest token the store accepted so far (`null`/`undefined`: none).
 * @returns `token`, to store as the new highest.
 * @throws {StaleTokenError} if `token < highest`.
 * @throws {TypeError} if `token` is not a bigint.
 *
 * @example A store of your own, with the check and the write in one step
 * ```ts
 * import { checkFence, StaleTokenError } from "@interlock/interlock/redis";
 * import assert from "node:assert/strict";
 *
 * const store = { fence: null as bigint | null, data: "" };
 * function write(token: bigint, data: string) {
 *   store.fence = checkFence(token, store.fence); // throws before anything is written
 *   store.data = data;
 * }
 * write(5n, "from the new holder");
 * assert.throws(() => write(4n, "from a paused old holder"), StaleTokenError);
 * assert.equal(store.data, "from the new holder");
 * ```
 */
export function checkFence(token: bigint, highest?: bigint | null): bigint {
  if (typeof token !== "bigint") {
    throw new TypeError(
      `Cannot check a fencing token: 'token' must be a bigint, received ${typeof token}`,
    );
  }
  if (highest !== undefined && highest !== null && token < highest) {
    throw new StaleTokenError(
      `Cannot write with fencing token ${token}: token ${highest} was already accepted`,
      { token, highest },
    );
  }
  return token;
}
