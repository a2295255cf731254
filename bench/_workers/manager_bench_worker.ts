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
  const data = event.data as { role: "comlink" } | {
    role: "client";
    dict: unknown;
    /** Word 0: the stop flag (set by the main thread); word 1: the start barrier's count. */
    ctl: Int32Array;
    parties: number;
  };
  if (data.role === "comlink") {
    self.onmessage = null;
    Comlink.expose(api);
    self.postMessage("ready");
    return;
  }
  // Timed: every client calls until the main thread sets the stop flag, after all have started.
  const dict = ManagedDict.from<string, number>(data.dict);
  const { ctl, parties } = data;
  Atomics.add(ctl, 1, 1);
  while (Atomics.load(ctl, 1) < parties) Atomics.pause();
  const start = performance.timeOrigin + performance.now();
  let count = 0;
  do {
    await dict.update("count", "add", 1);
    count++;
  } while (Atomics.load(ctl, 0) === 0);
  self.postMessage({ count, start, end: performance.timeOrigin + performance.now() });
};
