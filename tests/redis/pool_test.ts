/** RedisPool and serve() on a standalone server (the steps: `_pool_suite.ts`; on a cluster: `cluster_test.ts`). */
import { poolSuite } from "./_pool_suite.ts";
import { startRedisServer } from "./_server.ts";

Deno.test("RedisPool and serve()", async (t) => {
  await using server = await startRedisServer();
  await poolSuite(t, server.url, false);
});
