/** The core stays dependency-free: only the redis subpath loads node-redis. */
import assert from "node:assert/strict";

async function graph(entry: string): Promise<string[]> {
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json", new URL(entry, import.meta.url).pathname],
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.ok(output.success, new TextDecoder().decode(output.stderr));
  const info = JSON.parse(new TextDecoder().decode(output.stdout));
  // The npm modules of the graph (local paths may hold "redis": this worktree's name).
  return info.modules.map((m: { specifier: string }) => m.specifier)
    .filter((s: string) => s.startsWith("npm:"));
}

Deno.test("mod.ts and everything it imports never load node-redis; the redis subpath does", async () => {
  const core = await graph("../../mod.ts");
  assert.deepEqual(core.filter((s) => s.includes("redis")), [], core.join("\n"));
  const redis = await graph("../../src/redis/mod.ts");
  assert.ok(redis.some((s) => s.includes("redis")), redis.join("\n"));
});
