/// <reference lib="deno.worker" />
/**
 * Worker side of `bench/manager_bench.ts`: a comlink-exposed `Map` (the baseline server), and a
 * client loop that calls a manager proxy it receives.
 *
 * @module
 */
import * as Comlink from "comlink";
import { ManagedDict } from "../../src/manager/mod.ts";

const map = new Map<string, number>();

/** The baseline server: the same dict operations, exposed by comlink over this worker's port. */
export const api = {
  get: (key: string): number | undefined => map.get(key),
  add: (key: string, by: number): number => {
    const next = (map.get(key) ?? 0) + by;
    map.set(key, next);
    return next;
  },
};

self.onmessage = async (event: MessageEvent) => {
  const data = event.data as { role: "comlink" } | { role: "client"; dict: unknown; n: number };
  if (data.role === "comlink") {
    self.onmessage = null;
    Comlink.expose(api);
    self.postMessage("ready");
    return;
  }
  const dict = ManagedDict.from<string, number>(data.dict);
  const t0 = performance.now();
  for (let i = 0; i < data.n; i++) await dict.update("count", "add", 1);
  self.postMessage(performance.now() - t0);
};
