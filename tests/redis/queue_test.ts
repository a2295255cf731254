/** RedisQueue on a standalone server (the steps: `_queue_suite.ts`; on a cluster: `cluster_test.ts`). */
import { queueSuite } from "./_queue_suite.ts";
import { startRedisServer } from "./_server.ts";

Deno.test("RedisQueue", async (t) => {
  await using server = await startRedisServer();
  await queueSuite(t, server.url, false);
});
