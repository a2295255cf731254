/**
 * Test worker (`node:worker_threads`, as on every runtime the suite runs on): receives
 * `{ url, name, args }`, revives Interlock clones in `args`, imports `url` and posts `{ loaded: true }`,
 * runs `module[name](...args)` and posts `{ ok, value }` or `{ ok: false, error }`.
 *
 * @module
 */
import { parentPort } from "node:worker_threads";
import { revive } from "../../mod.ts";
// Registers the manager's proxies with revive(): the core does not load them (see its mod.ts).
import "../../src/manager/mod.ts";

parentPort!.on("message", async (data: { url: string; name: string; args: unknown[] }) => {
  const { url, name, args } = data;
  try {
    const module = await import(url);
    // Loaded (and, under `deno test`, type-checked): the caller's deadline for the run starts now.
    parentPort!.postMessage({ loaded: true });
    const value = await module[name](...(revive(args) as unknown[]));
    parentPort!.postMessage({ ok: true, value });
  } catch (error) {
    parentPort!.postMessage({ ok: false, error });
  }
});
