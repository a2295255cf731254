/**
 * A lock holder in its own process, for the fault tests:
 * `deno run _holder.ts <url> <lease ms> <name>`. It acquires the lock `<name>`, prints `{"event":"held","token":"..","sentAt":<epoch ms>}`, then
 * obeys stdin lines: `write <n>` (a write of the value `<name>` fenced with its token),
 * `release`, `exit`; each answered by one JSON line.
 *
 * @module
 */
import { connect } from "../../src/redis/mod.ts";

const [url, lease, name] = Deno.args;
const ctx = await connect(url!, { lease: Number(lease) });
const print = (o: Record<string, unknown>) => console.log(JSON.stringify(o));
const sentAt = Date.now();
const hold = await ctx.Lock(name!).acquire();
let lostAt: number | undefined;
hold.signal.addEventListener("abort", () => lostAt = Date.now());
print({ event: "held", token: String(hold.token), sentAt });
const decoder = new TextDecoderStream();
let buffer = "";
for await (const text of Deno.stdin.readable.pipeThrough(decoder)) {
  buffer += text;
  let end;
  while ((end = buffer.indexOf("\n")) >= 0) {
    const [command, arg] = buffer.slice(0, end).split(" ");
    buffer = buffer.slice(end + 1);
    if (command === "write") {
      try {
        await ctx.Value(name!, 0).set(Number(arg), { fence: hold.token });
        print({ event: "write", ok: true, lost: hold.signal.aborted });
      } catch (error) {
        print({
          event: "write",
          ok: false,
          error: (error as Error).name,
          lost: hold.signal.aborted,
          lostAt,
        });
      }
    } else if (command === "release") {
      try {
        await hold.release();
        print({ event: "release", ok: true });
      } catch (error) {
        print({ event: "release", ok: false, error: (error as Error).name });
      }
    } else if (command === "exit") {
      await ctx.close();
      Deno.exit(0);
    }
  }
}
