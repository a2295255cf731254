/**
 * The client side of waiting, shared by every primitive: no polling loop, a `BLPOP` on the
 * waiter's own token list (`b..w:<id>`, see `_lua.ts`), on a blocking connection of its own.
 *
 * 1. `poll("wait")` runs the primitive's script: done, or the caller is now registered (queued)
 *    and the reply says when the earliest lease ends (`hint`, ms; -1 if none).
 * 2. `BLPOP` the token list until the first of: the deadline, the earliest lease's end (a holder
 *    that died never releases: its lease ending is the wake-up), the registration's renewal time.
 * 3. A token: done. A timeout reply: `poll("recheck")` (collects a hand-off that landed between
 *    calls, renews the registration, reports the next lease end), then 2 again.
 * 4. Deadline or abort: `cancel()` withdraws the registration atomically; a wake-up that raced
 *    with it is reported (`Event`, `Condition` count it as success, hold sets give it back).
 *
 * - **Abort.** `CLIENT UNBLOCK` interrupts the pending `BLPOP` (it returns its timeout reply), so a
 *   token the server already popped for us is never lost in a dropped connection
 *   ({@linkcode Engine.interrupt}: repeated if it overtook the `BLPOP`, then the connection is
 *   dropped; a token lost so is still found by `cancel`).
 * - **Connection loss.** A failing `BLPOP` or script rejects the wait with a
 *   `RedisConnectionError` at once: a waiter never hangs on a dead server. Its registration ends
 *   by itself (the registration lease), so it blocks nobody for longer than that.
 *
 * @module
 */
import { type Blocking, connectionError, type Engine } from "./_engine.ts";

/** What the primitive's scripts answered. */
export type Poll = { done: true; value: string } | { done: false; hint: number };

/** One wait: the scripts of the primitive, bound to one waiter id. */
export interface WaitSpec {
  /** What is waited for, for messages ("acquire lock 'a'"). */
  readonly what: string;
  /** The waiter's token list. */
  readonly tokenKey: string;
  /** Runs the wait script: "wait" first, "recheck" after each empty `BLPOP`. */
  poll(mode: "wait" | "recheck"): Promise<Poll>;
  /** Withdraws the waiter; returns a value if a wake-up reached it first. */
  cancel(): Promise<string | undefined>;
  /** Milliseconds between registration renewals (`Infinity`: registrations do not expire). */
  readonly renewEvery: number;
}

/** The result of {@linkcode waitOn}: the token's value, or `undefined` (timed out / aborted). */
export type WaitResult = string | undefined;

/** Extra ms after a lease's end before re-checking: server times are whole ms. */
const LEASE_SLACK = 2;

/**
 * Waits as the module doc describes. `deadline` is a `performance.now()` time (or `Infinity`);
 * `first` is the answer of a `poll("wait")` the caller already ran.
 * Returns the token's value, or `undefined` if the deadline passed or `signal` aborted first (after
 * `cancel()` found no wake-up). Connection failures reject with `RedisConnectionError`.
 */
export async function waitOn(
  engine: Engine,
  spec: WaitSpec,
  deadline: number,
  signal: AbortSignal | undefined,
  first?: Poll,
): Promise<WaitResult> {
  let poll: Poll;
  try {
    poll = first ?? await spec.poll("wait");
  } catch (error) {
    throw connectionError(spec.what, error);
  }
  if (poll.done) return poll.value;
  let conn: Blocking | undefined;
  const interrupt = () => {
    if (conn !== undefined) engine.interrupt(conn, spec.tokenKey);
  };
  signal?.addEventListener("abort", interrupt, { once: true });
  try {
    conn = await engine.blocking(spec.tokenKey);
    for (;;) {
      const now = performance.now();
      if (signal?.aborted || now >= deadline) break;
      const leaseEnd = poll.hint >= 0 ? poll.hint + LEASE_SLACK : Infinity;
      const slice = Math.max(1, Math.min(deadline - now, leaseEnd, spec.renewEvery));
      const reply = await engine.block(conn, [
        "BLPOP",
        spec.tokenKey,
        (slice / 1000).toFixed(3),
      ]) as [string, string] | null;
      if (reply !== null) return reply[1];
      if (signal?.aborted || performance.now() >= deadline) break;
      poll = await spec.poll("recheck");
      if (poll.done) return poll.value;
    }
  } catch (error) {
    if (conn !== undefined) conn.broken = true;
    throw connectionError(spec.what, error);
  } finally {
    signal?.removeEventListener("abort", interrupt);
    if (conn !== undefined) engine.giveBack(conn);
  }
  try {
    return await spec.cancel();
  } catch (error) {
    throw connectionError(spec.what, error);
  }
}
