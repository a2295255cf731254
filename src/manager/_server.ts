/**
 * The manager's server: runs in the manager's dedicated worker, holds every managed object, and
 * serves the calls that clients in any thread pass through the shared-memory mailbox
 * (`src/kernel/manager.ts`). comlink's `expose` dispatches the calls; this module supplies the
 * endpoint that reads requests out of the mailbox and writes replies back.
 *
 * - One call at a time: the server runs each call's synchronous part to completion before it reads
 *   the next request, so every built-in operation is atomic. A registered type's method that returns
 *   a Promise is atomic up to its first `await`; other calls run while it waits.
 * - Its death is announced: the thread that started the manager marks it CRASHED when this
 *   thread exits (the `exit` event of `node:worker_threads` covers every way out), which wakes and
 *   fails every pending call in every thread. An uncaught error or unhandled rejection in hosted
 *   code marks it here already, before the thread goes.
 *
 * @module
 */
import { workerData } from "node:worker_threads";
import * as Comlink from "comlink";
import { ASYNC, REAL } from "../_atomics.ts";
import { runAsync } from "../_async.ts";
import { attach, TAG } from "../_region.ts";
import * as K from "../kernel/manager.ts";
import * as G from "../kernel_gen/manager.ts";
import { cloneError, decode, encode, fail } from "./_protocol.ts";
import { makeHost } from "./_host.ts";
import { onUncaught } from "../_runtime.ts";

type Listener = EventListenerOrEventListenerObject;

/** The server's comlink endpoint over the mailbox. */
class ServerEndpoint implements Comlink.Endpoint {
  readonly #s: Int32Array;
  readonly #listeners = new Set<Listener>();
  /** Request bytes gathered so far, per slot. */
  readonly #incoming: ({ bytes: Uint8Array; got: number } | undefined)[] = [];
  /** Reply bytes still to send, per slot. */
  readonly #outgoing: ({ bytes: Uint8Array; sent: number } | undefined)[] = [];
  /** The slot each pending call's reply goes to, by comlink message id. */
  readonly #slotOf = new Map<string, number>();
  /** The comlink message id of the call pending in each slot. */
  readonly #callIn: (string | undefined)[] = [];
  /** The reap-request sequence at the last probe of the slots' holders. */
  #reaped = 0;

  constructor(s: Int32Array) {
    this.#s = s;
  }

  addEventListener(type: string, listener: Listener): void {
    if (type === "message") this.#listeners.add(listener);
  }

  removeEventListener(type: string, listener: Listener): void {
    if (type === "message") this.#listeners.delete(listener);
  }

  /** comlink's reply to a call: goes back through the slot the call came in. */
  postMessage(message: { id?: string }): void {
    const k = message.id === undefined ? undefined : this.#slotOf.get(message.id);
    if (k === undefined) return;
    this.#slotOf.delete(message.id!);
    this.#callIn[k] = undefined;
    let bytes: Uint8Array;
    try {
      bytes = encode(message);
    } catch (e) {
      const error = cloneError("return the result from the manager", e);
      bytes = encode({ id: message.id, type: "RAW", value: fail(error) });
    }
    this.#outgoing[k] = { bytes, sent: 0 };
    this.#sendChunk(k);
  }

  /** Serves until the manager ends. */
  async serve(): Promise<void> {
    for (;;) {
      // Read the bell before scanning: a hand-over the scan misses has moved it (see the kernel).
      const seen = K.bell(REAL, this.#s);
      this.#reap();
      this.#scan();
      if (!await runAsync(G.awaitBell(ASYNC, this.#s, seen))) return;
    }
  }

  #scan(): void {
    for (let k = 0; k < K.SLOTS; k++) {
      const state = K.slotState(REAL, this.#s, k);
      if (state === K.S_TO_SERVER) this.#takeChunk(k);
      else if (state === K.S_CLIENT_READ && this.#outgoing[k] !== undefined) this.#sendChunk(k);
    }
  }

  /** Frees the slots of dead holders when a claimer asked (see "Dead holders" in the kernel). */
  #reap(): void {
    const asked = K.reapSeq(REAL, this.#s);
    if (asked === this.#reaped) return;
    this.#reaped = asked;
    const freed: boolean[] = [];
    if (K.reap(REAL, this.#s, freed) === 0) return;
    for (let k = 0; k < K.SLOTS; k++) {
      if (!freed[k]) continue;
      // Forget the dead holder's call: its reply, if it ever comes, must not reach the next holder.
      const id = this.#callIn[k];
      if (id !== undefined) this.#slotOf.delete(id);
      this.#callIn[k] = undefined;
      this.#incoming[k] = undefined;
      this.#outgoing[k] = undefined;
    }
  }

  #payload(k: number): Uint8Array {
    return new Uint8Array(this.#s.buffer, this.#s.byteOffset + K.payloadByte(k), K.CHUNK);
  }

  #takeChunk(k: number): void {
    const n = K.chunkBytes(REAL, this.#s, k);
    const incoming = this.#incoming[k] ??= {
      bytes: new Uint8Array(K.chunkTotal(REAL, this.#s, k)),
      got: 0,
    };
    incoming.bytes.set(this.#payload(k).subarray(0, n), incoming.got);
    incoming.got += n;
    if (!K.takeRequestChunk(REAL, this.#s, k)) return;
    if (incoming.got < incoming.bytes.byteLength) return;
    this.#incoming[k] = undefined;
    this.#dispatch(k, decode(incoming.bytes) as { id?: string; type?: string });
  }

  #sendChunk(k: number): void {
    const outgoing = this.#outgoing[k]!;
    const total = outgoing.bytes.byteLength;
    const n = Math.min(K.CHUNK, total - outgoing.sent);
    this.#payload(k).set(outgoing.bytes.subarray(outgoing.sent, outgoing.sent + n));
    outgoing.sent += n;
    if (outgoing.sent === total) this.#outgoing[k] = undefined;
    if (!K.reply(REAL, this.#s, k, n, total)) this.#outgoing[k] = undefined;
  }

  #dispatch(k: number, message: { id?: string; type?: string }): void {
    if (typeof message.id !== "string") return;
    this.#slotOf.set(message.id, k);
    this.#callIn[k] = message.id;
    if (message.type !== "APPLY") {
      const error = new TypeError(`The manager serves only calls, received '${message.type}'`);
      this.postMessage({ id: message.id, type: "RAW", value: fail(error) } as { id: string });
      return;
    }
    const event = { data: message } as MessageEvent;
    for (const listener of this.#listeners) {
      if (typeof listener === "function") listener(event);
      else listener.handleEvent(event);
    }
  }
}

/** Marks the manager CRASHED as soon as hosted code fails uncaught (this thread is going). */
function announceDeath(s: Int32Array): void {
  const crash = () => {
    K.end(REAL, s, K.CRASHED);
  };
  onUncaught(crash, false);
}

const s = attach("Manager", TAG.Manager, workerData, K.BYTES);
announceDeath(s);
const endpoint = new ServerEndpoint(s);
Comlink.expose(makeHost(), endpoint);
endpoint.serve().catch((error) => {
  // The mailbox itself failed: nothing can be served any more.
  console.error(error);
  K.end(REAL, s, K.CRASHED);
});
