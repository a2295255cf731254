/**
 * A distributed pool worker in its own process, for the fault tests:
 * `deno run _pool_worker.ts <url> <pool> <visibility ms> <concurrency>`. Serves `<pool>` with
 * `_tasks.ts`, prints `{"event":"serving","pid":...}`, and serves until killed (or `exit` on
 * stdin). Tasks print their own lines (`wait(ms, tag, true)`).
 *
 * @module
 */
import { connect, serve } from "../../src/redis/mod.ts";

const [url, pool, visibility, concurrency] = Deno.args;
const ctx = await connect(url!);
const server = await serve(ctx, pool!, {
  module: new URL("./_tasks.ts", import.meta.url),
  visibility: Number(visibility),
  concurrency: Number(concurrency),
});
console.log(JSON.stringify({ event: "serving", pid: Deno.pid }));
for await (const _ of Deno.stdin.readable) {
  await server.close();
  await ctx.close();
  Deno.exit(0);
}
