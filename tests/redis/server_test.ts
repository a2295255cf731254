/**
 * The test server helper fails loudly (never skips) when redis-server cannot start. The child
 * imports the helper alone (not node-redis), so it starts quickly.
 */
import assert from "node:assert/strict";

Deno.test("startRedisServer() without redis-server on the PATH fails with a message that says what to install", async () => {
  const script = `
    import { startRedisServer } from ${
    JSON.stringify(new URL("../../src/redis/testing.ts", import.meta.url).href)
  };
    try {
      await startRedisServer();
      console.log("started");
    } catch (error) {
      console.log(error.message);
    }
  `;
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["eval", "--ext=ts", script],
    env: { PATH: "/nonexistent" },
    cwd: new URL("../../", import.meta.url),
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stdout = new TextDecoder().decode(output.stdout);
  assert.match(
    stdout,
    /^Cannot start redis-server: 'redis-server' is not installed \(Debian: apt-get install/,
  );
});
