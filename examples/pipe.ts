// Run: deno run --allow-read examples/pipe.ts
/**
 * The seed's `Pipe`: `Pipe()` returns two connected ends; the child gets one and sends a list
 * through it, the parent receives it from the other: "Received data: [1, 2, 3, 4]". Pipes are
 * two-way: the second part sends a question back and forth.
 *
 * @module
 */
import { type Connection, EOFError, Pipe, Process, taskModule } from "@interlock/interlock";

/** The seed's `send_data(conn)`. */
export function sendData(conn: Connection<number[]>): void {
  conn.send([1, 2, 3, 4]);
  conn.close();
}

/** Answers each question it receives with its square, until the other end closes. */
export function squareServer(conn: Connection<number>): void {
  for (;;) {
    let n: number;
    try {
      n = conn.recvSync();
    } catch (error) {
      if (error instanceof EOFError) return; // the parent closed its end
      throw error;
    }
    conn.send(n * n);
  }
}

if (import.meta.main) {
  const self = taskModule<typeof import("./pipe.ts")>(import.meta.url);

  // The seed.
  const [parentConn, childConn] = Pipe<number[]>();
  const process = new Process(self, "sendData", { args: [childConn] });
  process.start();
  console.log(`Received data: [${(await parentConn.recv()).join(", ")}]`); // receive the data
  await process.join();

  // Both directions.
  const [client, server] = Pipe<number>();
  const squarer = new Process(self, "squareServer", { args: [server] });
  squarer.start();
  for (const n of [3, 7]) {
    client.send(n);
    console.log(`Sent ${n}, received ${await client.recv()}`);
  }
  client.close(); // the server's recvSync() throws EOFError and it returns
  await squarer.join();
  console.log(`Server exit code: ${squarer.exitCode}`);
}
