/**
 * Worker-side bodies for the Pipe tests.
 *
 * @module
 */
import { type Connection, EOFError } from "../../mod.ts";

/** The seed's `send_data`: sends a list, then closes its end. */
export function sendData(conn: Connection<number[]>): void {
  conn.send([1, 2, 3, 4]);
  conn.close();
}

/** Sends back everything it receives until EOF; returns how many values it echoed. */
export function echoUntilEOF(conn: Connection<unknown>): number {
  let n = 0;
  for (;;) {
    let value: unknown;
    try {
      value = conn.recvSync();
    } catch (e) {
      if (e instanceof EOFError) return n;
      throw e;
    }
    conn.send(value);
    n++;
  }
}

/** Answers `n` pings with `value + 1`, using the Promise form. */
export async function answer(conn: Connection<number>, n: number): Promise<number> {
  for (let k = 0; k < n; k++) conn.send((await conn.recv()) + 1);
  return n;
}

/** Sends `n` numbers on a send-only end, then closes it. */
export function sendNumbers(conn: Connection<number>, n: number): number {
  for (let k = 0; k < n; k++) conn.send(k);
  conn.close();
  return n;
}
