/**
 * A queue consumer in its own process, for the fault tests:
 * `deno run _consumer.ts <url> <queue> <visibility ms>`. Gets one item, prints
 * `{"event":"got","item":...}`, then obeys stdin lines: `done` (acknowledge it; answers
 * `{"event":"done","ok":...,"error":...}`) and `exit`.
 *
 * @module
 */
import { connect } from "../../src/redis/mod.ts";

const [url, name, visibility] = Deno.args;
const ctx = await connect(url!);
const queue = ctx.Queue(name!, undefined, { visibility: Number(visibility) });
const print = (o: Record<string, unknown>) => console.log(JSON.stringify(o));
print({ event: "got", item: await queue.get({ timeout: 10_000 }) });
let buffer = "";
for await (const text of Deno.stdin.readable.pipeThrough(new TextDecoderStream())) {
  buffer += text;
  let end;
  while ((end = buffer.indexOf("\n")) >= 0) {
    const command = buffer.slice(0, end);
    buffer = buffer.slice(end + 1);
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
}
