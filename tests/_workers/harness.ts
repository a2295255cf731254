/// <reference lib="deno.worker" />
/**
 * Test worker: receives `{ url, name, args }`, revives Interlock clones in `args`, runs
 * `(await import(url))[name](...args)` and posts `{ ok, value }` or `{ ok: false, error }`.
 *
 * @module
 */
import { revive } from "../../mod.ts";
// Registers the manager's proxies with revive(): the core does not load them (see its mod.ts).
import "../../src/manager/mod.ts";

self.onmessage = async (event: MessageEvent<{ url: string; name: string; args: unknown[] }>) => {
  const { url, name, args } = event.data;
  try {
    const module = await import(url);
    const value = await module[name](...(revive(args) as unknown[]));
    self.postMessage({ ok: true, value });
  } catch (error) {
    self.postMessage({ ok: false, error });
  }
};
