/**
 * The bounded put of a Redis queue: add the items if there is room (`QUEUE_PUT`), else register
 * as a waiting producer and sleep in `BLPOP` (`_wait.ts`) until an acknowledgement frees room.
 *
 * @module
 */
import { waitFailure, type WaitOptions } from "../options.ts";
import type { Core } from "./_core.ts";
import { type Arg, connectionError } from "./_engine.ts";
import { QUEUE_PUT, QUEUE_PUT_CANCEL } from "./_lua_stream.ts";
import { waitOn } from "./_wait.ts";

/**
 * Puts `payloads` into the bounded queue of key base `base` (all or none), waiting for room until
 * `end` (`performance.now()` ms) or the signal: a wake-up token only says "look again", the put
 * script decides (and registers the producer again if the room went to another).
 */
export async function putBounded(
  core: Core,
  base: string,
  what: string,
  payloads: Arg[],
  maxsize: number,
  end: number,
  options: WaitOptions | undefined,
): Promise<void> {
  const stream = base + "s";
  const waiter = core.nextId();
  const reg = String(core.lease);
  const tryOnly = end <= performance.now();
  const run = (mode: string) =>
    core.engine.script(QUEUE_PUT, [stream], [
      String(maxsize),
      mode,
      waiter,
      reg,
      ...payloads,
    ]) as Promise<[number]>;
  const first = await run(tryOnly ? "try" : "wait").catch((e) => {
    throw connectionError(what, e);
  });
  if (first[0] === 1) return;
  if (tryOnly) throw waitFailure(what, options);
  for (;;) {
    // A token only says "look again": the put script decides (and re-registers if full).
    const token = await waitOn(
      core.engine,
      {
        what,
        tokenKey: `${base}p:w:${waiter}`,
        poll: async () => {
          const [ok] = await run("wait");
          return ok === 1 ? { done: true, value: "put" } : { done: false, hint: -1 };
        },
        cancel: async () => {
          await core.engine.script(QUEUE_PUT_CANCEL, [stream], [waiter]);
          return undefined;
        },
        renewEvery: core.lease / 3,
      },
      end,
      options?.signal,
      { done: false, hint: -1 },
    );
    if (token === "put") return;
    if (token === undefined) throw waitFailure(what, options);
    const [ok] = await run("wait").catch((e) => {
      throw connectionError(what, e);
    });
    if (ok === 1) return;
  }
}
