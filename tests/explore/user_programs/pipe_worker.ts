/**
 * A worker that answers requests over one end of a `Pipe` until the other end closes, and a client
 * that sends its requests and collects the replies. Expected: every request gets its reply, in
 * order. `clientTooEager` closes its end right after sending: the worker's replies then meet a
 * closed end (BrokenPipeError).
 *
 * @module
 */
import type { Connection } from "../../../mod.ts";

/** Doubles every number it receives, until the other end closes (EOFError). */
export function serve(conn: Connection<number>): number {
  let served = 0;
  for (;;) {
    let n: number;
    try {
      n = conn.recvSync();
    } catch (error) {
      if ((error as Error).name === "EOFError") return served;
      throw error;
    }
    conn.send(2 * n);
    served++;
  }
}

/** Sends 1 … `count`, receives the replies, then closes its end; returns the replies. */
export function client(conn: Connection<number>, count: number): number[] {
  for (let k = 1; k <= count; k++) conn.send(k);
  const replies: number[] = [];
  for (let k = 1; k <= count; k++) replies.push(conn.recvSync());
  conn.close();
  return replies;
}

/** Sends 1 … `count` and closes at once, without waiting for the replies. */
export function clientTooEager(conn: Connection<number>, count: number): number {
  for (let k = 1; k <= count; k++) conn.send(k);
  conn.close();
  return count;
}
