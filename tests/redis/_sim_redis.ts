/**
 * A simulated Redis for the interleaving explorer: the production Lua scripts of `src/redis/`
 * (the same source text), run by a Lua VM written in JavaScript (npm `fengari`, Lua 5.3; the
 * scripts use nothing that differs from Redis's 5.1), against an in-memory store that implements
 * the commands they call. A virtual thread runs a production client protocol (`_protocol.ts`)
 * through {@linkcode run}: each script call is one explorer step, so each script is atomic, as in
 * Redis, and every other client's step can come between two of them.
 *
 * What is modelled, not shared with production:
 * - the store's commands (below), with Redis's reply conventions (a missing value is `false` in
 *   Lua and `null` in JavaScript; Lua numbers become integers; `error({ err = ... })` becomes an
 *   error reply, an `ErrorReply` of node-redis as production sees it);
 * - the server clock (`TIME`): it moves only when a thread calls {@linkcode SimRedis.advance}, a
 *   step like any other, so "a lease ends" is a scheduling choice;
 * - `BLPOP` on a waiter's token list: the waiter sleeps on its primitive's word until a script
 *   step wakes a waiter (see {@linkcode waitForWakeUp}), then its next script collects the token
 *   (production's `recheck` path, `_wait.ts`).
 *
 * Dependencies between steps: every script (and clock move) of one hash tag reads and writes one
 * 32-bit word of shared memory (`Atomics.add`), so the explorer orders every pair of steps on one
 * primitive both ways, and lets steps on different primitives commute (they touch disjoint keys;
 * the clock is read by hold-set scripts only, so a clock move touches the words of hold sets).
 *
 * @module
 */
import fengari from "fengari";
import { ErrorReply } from "@redis/client";
import { sim } from "../../src/explore/mod.ts";
import type { Protocol, ScriptCall } from "../../src/redis/_protocol.ts";

// deno-lint-ignore no-explicit-any
const { lua, lauxlib, lualib, to_luastring, to_jsstring } = fengari as any;

type Value =
  | { type: "string"; v: string }
  | { type: "hash"; v: Map<string, string> }
  | { type: "list"; v: string[] }
  | { type: "zset"; v: Map<string, number> };

type Reply = string | number | null | Reply[];

/** The in-memory store and its commands, on the simulated clock. */
class Store {
  readonly data = new Map<string, Value>();
  /** Server time in ms. */
  now = 1_000_000;
  /** Set when a script pushed a waiter's token (a `BLPOP` would wake). */
  woke = false;

  #get<T extends Value["type"]>(key: string, type: T): Extract<Value, { type: T }> | undefined {
    const v = this.data.get(key);
    if (v === undefined) return undefined;
    if (v.type !== type) throw new Error(`WRONGTYPE ${key} is a ${v.type}, not a ${type}`);
    return v as Extract<Value, { type: T }>;
  }

  #make<T extends Value["type"]>(key: string, type: T): Extract<Value, { type: T }> {
    const found = this.#get(key, type);
    if (found !== undefined) return found;
    const made =
      (type === "string"
        ? { type, v: "" }
        : { type, v: type === "list" ? [] : new Map() }) as Extract<Value, { type: T }>;
    this.data.set(key, made);
    return made;
  }

  #drop(key: string, empty: boolean): void {
    if (empty) this.data.delete(key);
  }

  /** Runs one command (the subset the scripts use). */
  call(name: string, a: string[]): Reply {
    const n = (
      s: string | undefined,
    ) => (s === "-inf" ? -Infinity : s === "+inf" ? Infinity : Number(s));
    switch (name.toUpperCase()) {
      case "TIME":
        return [String(Math.floor(this.now / 1000)), String((this.now % 1000) * 1000)];
      case "GET":
        return this.#get(a[0]!, "string")?.v ?? null;
      case "SET":
        this.data.set(a[0]!, { type: "string", v: a[1]! });
        return "OK";
      case "INCR":
      case "INCRBY": {
        const s = this.#make(a[0]!, "string");
        s.v = String(Number(s.v || "0") + (name.toUpperCase() === "INCR" ? 1 : Number(a[1])));
        return Number(s.v);
      }
      case "EXISTS":
        return a.filter((k) => this.data.has(k)).length;
      case "DEL":
        return a.filter((k) => this.data.delete(k)).length;
      case "PEXPIRE":
        return this.data.has(a[0]!) ? 1 : 0; // the scenarios end long before any such expiry
      case "HGET":
        return this.#get(a[0]!, "hash")?.v.get(a[1]!) ?? null;
      case "HMGET": {
        const h = this.#get(a[0]!, "hash");
        return a.slice(1).map((f) => h?.v.get(f) ?? null);
      }
      case "HSET": {
        const h = this.#make(a[0]!, "hash");
        let added = 0;
        for (let i = 1; i + 1 < a.length; i += 2) {
          if (!h.v.has(a[i]!)) added++;
          h.v.set(a[i]!, a[i + 1]!);
        }
        return added;
      }
      case "HDEL": {
        const h = this.#get(a[0]!, "hash");
        const k = a.slice(1).filter((f) => h?.v.delete(f)).length;
        if (h) this.#drop(a[0]!, h.v.size === 0);
        return k;
      }
      case "HINCRBY": {
        const h = this.#make(a[0]!, "hash");
        const v = Number(h.v.get(a[1]!) ?? "0") + Number(a[2]);
        h.v.set(a[1]!, String(v));
        return v;
      }
      case "ZSCORE": {
        const s = this.#get(a[0]!, "zset")?.v.get(a[1]!);
        return s === undefined ? null : String(s);
      }
      case "ZADD": {
        const z = this.#make(a[0]!, "zset");
        const gt = a[1]?.toUpperCase() === "GT";
        const [score, member] = gt ? [n(a[2]), a[3]!] : [n(a[1]), a[2]!];
        const old = z.v.get(member);
        if (!gt || old === undefined || score > old) z.v.set(member, score);
        return old === undefined ? 1 : 0;
      }
      case "ZREM": {
        const z = this.#get(a[0]!, "zset");
        const k = a.slice(1).filter((m) => z?.v.delete(m)).length;
        if (z) this.#drop(a[0]!, z.v.size === 0);
        return k;
      }
      case "ZCARD":
        return this.#get(a[0]!, "zset")?.v.size ?? 0;
      case "ZRANGEBYSCORE":
      case "ZREMRANGEBYSCORE": {
        const z = this.#get(a[0]!, "zset");
        const [min, max] = [n(a[1]), n(a[2])];
        const hit = [...z?.v ?? []].filter(([, s]) => s >= min && s <= max).sort((x, y) =>
          x[1] - y[1] || (x[0] < y[0] ? -1 : 1)
        );
        if (name.toUpperCase() === "ZRANGEBYSCORE") return hit.map(([m]) => m);
        for (const [m] of hit) z!.v.delete(m);
        if (z) this.#drop(a[0]!, z.v.size === 0);
        return hit.length;
      }
      case "ZRANGE": { // ZRANGE key 0 0 WITHSCORES: the lowest score
        const z = [...this.#get(a[0]!, "zset")?.v ?? []].sort((x, y) => x[1] - y[1]);
        const [m, s] = z[0] ?? [];
        return m === undefined ? [] : [m, String(s)];
      }
      case "RPUSH": {
        const l = this.#make(a[0]!, "list");
        l.v.push(...a.slice(1));
        if (a[0]!.includes(":w:")) this.woke = true;
        return l.v.length;
      }
      case "LPOP": {
        const l = this.#get(a[0]!, "list");
        const v = l?.v.shift() ?? null;
        if (l) this.#drop(a[0]!, l.v.length === 0);
        return v;
      }
      case "LINDEX":
        return this.#get(a[0]!, "list")?.v.at(Number(a[1])) ?? null;
      case "LLEN":
        return this.#get(a[0]!, "list")?.v.length ?? 0;
      case "LRANGE": {
        const l = this.#get(a[0]!, "list")?.v ?? [];
        const end = Number(a[2]) < 0 ? l.length + Number(a[2]) + 1 : Number(a[2]) + 1;
        return l.slice(Number(a[1]), end);
      }
      case "LREM": {
        const l = this.#get(a[0]!, "list");
        if (!l) return 0;
        const before = l.v.length;
        l.v = l.v.filter((x) => x !== a[2]);
        this.#drop(a[0]!, l.v.length === 0);
        return before - l.v.length;
      }
      default:
        throw new Error(`The simulated Redis does not know ${name}`);
    }
  }
}

/** The Lua VM, shared by every execution (compiled scripts are kept); the store is swapped. */
const L = lauxlib.luaL_newstate();
lualib.luaL_openlibs(L);
let current: Store | undefined;
const compiled = new Map<string, number>();

function toLua(value: Reply): void {
  if (value === null) lua.lua_pushboolean(L, false);
  else if (typeof value === "number") lua.lua_pushinteger(L, value);
  else if (typeof value === "string") lua.lua_pushstring(L, to_luastring(value));
  else {
    lua.lua_createtable(L, value.length, 0);
    value.forEach((v, i) => {
      toLua(v);
      lua.lua_rawseti(L, -2, i + 1);
    });
  }
}

function argString(i: number): string {
  if (lua.lua_type(L, i) === lua.LUA_TNUMBER) {
    const x = lua.lua_tonumber(L, i);
    return Number.isInteger(x) ? String(x) : String(x);
  }
  return to_jsstring(lauxlib.luaL_checkstring(L, i));
}

/** `redis.call`: runs a command on the current store; errors become Lua errors. */
lua.lua_createtable(L, 0, 1);
lua.lua_pushjsfunction(L, () => {
  const count = lua.lua_gettop(L);
  const args = Array.from({ length: count }, (_, k) => argString(k + 1));
  let reply: Reply;
  try {
    reply = current!.call(args[0]!, args.slice(1));
  } catch (error) {
    return lauxlib.luaL_error(L, to_luastring((error as Error).message));
  }
  toLua(reply);
  return 1;
});
lua.lua_setfield(L, -2, to_luastring("call"));
lua.lua_setglobal(L, to_luastring("redis"));
// Lua 5.1's global `unpack`, which Redis has.
lauxlib.luaL_dostring(L, to_luastring("unpack = table.unpack"));

/** A Lua value on the stack as a Redis reply (Redis's conversion rules). */
function fromLua(i: number): Reply | ErrorReply {
  switch (lua.lua_type(L, i)) {
    case lua.LUA_TNUMBER:
      return Math.trunc(lua.lua_tonumber(L, i));
    case lua.LUA_TSTRING:
      return to_jsstring(lua.lua_tostring(L, i));
    case lua.LUA_TBOOLEAN:
      return lua.lua_toboolean(L, i) ? 1 : null;
    case lua.LUA_TTABLE: {
      lua.lua_getfield(L, i, to_luastring("err"));
      if (lua.lua_type(L, -1) === lua.LUA_TSTRING) {
        const message = to_jsstring(lua.lua_tostring(L, -1));
        lua.lua_pop(L, 1);
        return new ErrorReply(message);
      }
      lua.lua_pop(L, 1);
      const out: Reply[] = [];
      for (let k = 1;; k++) {
        lua.lua_rawgeti(L, i, k);
        if (lua.lua_type(L, -1) === lua.LUA_TNIL) {
          lua.lua_pop(L, 1);
          break;
        }
        const v = fromLua(lua.lua_gettop(L));
        lua.lua_pop(L, 1);
        out.push(v as Reply);
      }
      return out;
    }
    default:
      return null;
  }
}

function setList(name: string, values: readonly string[]): void {
  lua.lua_createtable(L, values.length, 0);
  values.forEach((v, k) => {
    lua.lua_pushstring(L, to_luastring(v));
    lua.lua_rawseti(L, -2, k + 1);
  });
  lua.lua_setglobal(L, to_luastring(name));
}

/** Runs one production script against `store`; returns its reply or throws its error reply. */
function runScript(store: Store, call: ScriptCall): unknown {
  let ref = compiled.get(call.script.source);
  if (ref === undefined) {
    if (lauxlib.luaL_loadstring(L, to_luastring(call.script.source)) !== lua.LUA_OK) {
      throw new Error(
        `Cannot compile ${call.script.name}: ${to_jsstring(lua.lua_tostring(L, -1))}`,
      );
    }
    ref = lauxlib.luaL_ref(L, lua.LUA_REGISTRYINDEX) as number;
    compiled.set(call.script.source, ref);
  }
  setList("KEYS", call.keys);
  setList("ARGV", call.args);
  current = store;
  lua.lua_rawgeti(L, lua.LUA_REGISTRYINDEX, ref);
  const status = lua.lua_pcall(L, 0, 1, 0);
  const reply = status === lua.LUA_OK
    ? fromLua(lua.lua_gettop(L))
    : lua.lua_type(L, -1) === lua.LUA_TTABLE
    ? fromLua(lua.lua_gettop(L))
    : new ErrorReply(`ERR ${to_jsstring(lua.lua_tostring(L, -1))}`);
  lua.lua_settop(L, 0);
  if (status !== lua.LUA_OK && !(reply instanceof ErrorReply)) {
    throw new ErrorReply("ERR script error");
  }
  if (reply instanceof ErrorReply) throw reply;
  return reply;
}

/** One simulated server: its store, and one shared word per hash tag (see the module doc). */
export class SimRedis {
  readonly #store = new Store();
  /** Hash tag -> its word (an `Int32Array` of one element over shared memory). */
  readonly #words: [string, Int32Array][];
  /** What ran, in order, for reports: `who: script -> reply`. */
  readonly log: string[] = [];
  /** Each thread's view of its last script's word, right after that script's step. */
  readonly #seen = new Map<string, number>();

  /**
   * A server whose keys have the hash tags of `words` (`{ns:name}` -> its word): put the words in
   * the scenario's shared state too, so that traces name them.
   */
  constructor(words: Record<string, Int32Array>) {
    this.#words = Object.entries(words);
  }

  #word(key: string): Int32Array {
    const found = this.#words.find(([tag]) => key.startsWith(tag));
    if (found === undefined) throw new Error(`No word for key ${key}`);
    return found[1];
  }

  /** The store (for invariants). */
  get store(): Store {
    return this.#store;
  }

  /**
   * Runs `protocol` for virtual thread `who`: each script call one atomic step on its hash tag's
   * word; a script that pushed a waiter's token notifies that word's sleepers.
   */
  *run<R>(who: string, protocol: Protocol<R>): Generator<unknown, R, unknown> {
    let step = protocol.next();
    while (!step.done) {
      const word = this.#word(step.value.keys[0]!);
      this.#seen.set(who, (yield* sim(word).add(0, 1)) + 1);
      // Between this step and the thread's next yield nothing else runs: the script is atomic.
      this.#store.woke = false;
      let reply: unknown;
      let failed = false;
      try {
        reply = runScript(this.#store, step.value);
      } catch (error) {
        [reply, failed] = [error, true];
      }
      this.log.push(
        `${who}: ${step.value.script.name} -> ${
          failed ? (reply as Error).message : JSON.stringify(reply)
        }`,
      );
      if (this.#store.woke) yield* sim(word).notify(0);
      step = failed ? protocol.throw(reply) : protocol.next(reply);
    }
    return step.value;
  }

  /**
   * The server clock moves `ms` forward (one step on the words of `tags`, whose scripts read the
   * clock), and their sleepers wake to look again, as production's waiters do at a lease's end.
   */
  *advance(who: string, ms: number, tags: readonly string[]): Generator<unknown, void, unknown> {
    const words = tags.map((tag) => this.#word(tag));
    for (const word of words) yield* sim(word).add(0, 1);
    this.#store.now += ms;
    this.log.push(`${who}: the clock moves ${ms} ms`);
    for (const word of words) yield* sim(word).notify(0);
  }

  /**
   * Waiter `who` sleeps (production: `BLPOP` on its token list) until a step on `tag`'s word
   * wakes it. It compares the word with its value right after `who`'s own last script step, so a
   * step that came in between makes it look again at once (no lost wake-up).
   */
  *waitForWakeUp(who: string, tag: string): Generator<unknown, void, unknown> {
    yield* sim(this.#word(tag)).wait(0, this.#seen.get(who) ?? 0);
  }
}
