/**
 * A queue consumer in its own process, for the fault tests:
 * `deno run _consumer.ts <url> <queue> <visibility ms>`. Gets one item, prints
 * `{"event":"got","item":...}`, then obeys stdin lines: `done` (acknowledge it; answers
 * `{"event":"done","ok":...,"error":...}`) and `exit`.
 *
 * @module
 */
import { connect } from "../../src/redis/mod.ts";
import { lines } from "./_server.ts";

const [url, name, visibility] = Deno.args;
const ctx = await connect(url!);
const queue = ctx.Queue(name!, undefined, { visibility: Number(visibility) });
const print = (o: Record<string, unknown>) => console.log(JSON.stringify(o));
print({ event: "got", item: await queue.get({ timeout: 60_000 }) }); // its step may come late
for await (const command of lines(Deno.stdin.readable)) {
  if (command === "done") {
    try {
      await queue.taskDone();
      print({ event: "done", ok: true });
    } catch (error) {
      print({ event: "done", ok: false, error: (error as Error).name });
    }
  } else if (command === "exit") {
    await ctx.close();
    Deno.exit(0);
  }
}
