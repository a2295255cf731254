/**
 * The server side of `Queue` and `Pool`: a Redis stream with one consumer group, in Lua scripts
 * (atomic, one hash slot; see `_lua.ts` for the conventions).
 *
 * Keys under base `b` = `{ns:name}:queue:` (a queue) or `{ns:name}:pool:` (a pool):
 *
 * | key          | type   | written by                  | meaning                                        |
 * | ------------ | ------ | --------------------------- | ---------------------------------------------- |
 * | `b..s`       | stream | put (`XADD`); ack (`XDEL`)  | every item not yet acknowledged; group `g`     |
 * | `b..d`       | stream | bury                        | dead letters: `id`, `reason`, `deliveries`, and the item's own fields |
 * | `b..c`       | hash   | init                        | `vis`, `max`, `size`: visibility ms, delivery cap, maxsize |
 * | `b..p:` ...  | waiter lists (`_lua.ts`) | bounded put | producers waiting for room (queue)          |
 * | `b..j:` ...  | waiter lists             | join        | `join()` callers waiting for an empty queue |
 * | `b..r:<c>`   | stream | finish (pool)               | results for caller `c`: `i` task id, `s` status, `d` payload |
 * | `b..x`       | stream | cancel (pool)               | cancellations of running tasks: `e` entry id, `r` reason |
 *
 * Entry fields of `b..s`: `d` the payload (`_codec.ts`); `n` deliveries before a requeue (absent:
 * 0); a pool task adds `c` caller, `i` task id, `x` export, `k` kind.
 *
 * Invariants (every script keeps them):
 * - **At least once.** An entry leaves `b..s` only when a consumer that holds its delivery
 *   acknowledges it (`ack`, `finish`), or into `b..d` (`bury`): never by a timeout. A delivery is
 *   "held" while the group's pending list names its consumer; every check of ownership is
 *   `XPENDING ... id id 1 consumer` in the same script as the write it guards, so a consumer
 *   whose delivery was reclaimed cannot acknowledge (or renew, or finish) it any more.
 * - **Nothing acknowledged before its result is stored.** `finish` adds the result to the
 *   caller's stream and acknowledges the task in one script.
 * - **Visibility.** A held delivery whose idle time (since its delivery or last renewal, server
 *   clock) reaches the visibility timeout may be reclaimed (`XAUTOCLAIM`) by any consumer; its
 *   delivery count grows, and past the cap the entry is buried instead of delivered again.
 * - **Bounded queue.** With `size` > 0, `put` adds only while `XLEN(b..s) + n <= size`, and a
 *   newcomer does not overtake registered producers; every removal wakes as many of them.
 *
 * @module
 */
import { Script } from "./_engine.ts";
import { PRELUDE } from "./_lua.ts";

/**
 * KEYS[1] = `b..s`: the stream `S` and its base `b`, and `held_by` (the delivery count of entry
 * `id` if consumer `me` holds it). What the batch-hot scripts (renew, finish) need, and no more:
 * every function a script defines is a closure made on each call (~0.5 µs each, measured); the
 * hottest, `QUEUE_ACK` (one call per item), defines none on its common path.
 */
const BASE = `
local S = KEYS[1]
local b = string.sub(S, 1, -2)
local function held_by(id, me)
  local p = redis.call('XPENDING', S, 'g', id, id, 1, me)
  if p[1] then return tonumber(p[1][4]) end
  return nil
end
`;

/** Helpers on the stream's entries, its dead letters and its waiters (after {@linkcode BASE}). */
const HELPERS = PRELUDE + `
local function field(f, name)
  if not f then return nil end
  for i = 1, #f, 2 do if f[i] == name then return f[i + 1] end end
  return nil
end
local function entry(id)
  local e = redis.call('XRANGE', S, id, id)
  if e[1] then return e[1][2] end
  return nil
end
local KEEP = { 'd', 'c', 'i', 'x', 'k' }
local function bury(id, f, reason, deliveries, keep)
  local args = { 'XADD', b .. 'd', 'MAXLEN', '~', keep, '*', 'id', id, 'reason', reason,
    'deliveries', tostring(deliveries) }
  for _, name in ipairs(KEEP) do
    local v = field(f, name)
    if v then
      args[#args + 1] = name
      args[#args + 1] = v
    end
  end
  redis.call(unpack(args))
  redis.call('XACK', S, 'g', id)
  redis.call('XDEL', S, id)
end
local function prior(f)
  local n = tonumber(field(f, 'n') or '0')
  if not n or n ~= n then return 0 end
  return n
end
local function freed(k, size)
  if k == 0 then return end
  local J, P = b .. 'j:', b .. 'p:'
  if redis.call('EXISTS', J .. 'q') == 1 and redis.call('XLEN', S) == 0 then
    reap_waiters(J, now_ms())
    for _, w in ipairs(redis.call('LRANGE', J .. 'q', 0, -1)) do wake(J, w, '1', 60000) end
    redis.call('DEL', J .. 'q', J .. 'r')
  end
  if size > 0 and redis.call('EXISTS', P .. 'q') == 1 then
    reap_waiters(P, now_ms())
    for _, w in ipairs(redis.call('LRANGE', P .. 'q', 0, k - 1)) do wake(P, w, '1', 60000) end
  end
end
`;

/** {@linkcode BASE} and {@linkcode HELPERS}: for the scripts off the hot path. */
const STREAM = BASE + HELPERS;

/**
 * Creates the group (at the stream's start) and the config on first use. ARGV[1] visibility ms,
 * [2] delivery cap, [3] maxsize. Returns the stored {visibility, cap, maxsize}.
 */
export const STREAM_INIT = new Script(
  "stream_init",
  STREAM + `
redis.pcall('XGROUP', 'CREATE', S, 'g', '0', 'MKSTREAM')
local C = b .. 'c'
local cur = redis.call('HMGET', C, 'vis', 'max', 'size')
if not cur[1] then
  redis.call('HSET', C, 'vis', ARGV[1], 'max', ARGV[2], 'size', ARGV[3])
  return { ARGV[1], ARGV[2], ARGV[3] }
end
return cur
`,
);

/**
 * Reclaims deliveries idle for the visibility timeout. ARGV[1] consumer, [2] visibility ms,
 * [3] cap, [4] count, [5] dead letters kept; a pool adds [6] the error payload of a task given up,
 * [7] result ttl ms. Returns {{id, fields, deliveries}..., ms until the next pending delivery of
 * another consumer can be reclaimed (-1: none)}. Consumers with nothing pending and idle for 20
 * visibility timeouts are removed from the group.
 */
function claimScript(name: string, giveUp: string): Script {
  return new Script(
    name,
    STREAM + `
local me, vis, cap, keep = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3]), ARGV[5]
local r = redis.call('XAUTOCLAIM', S, 'g', me, vis, '0-0', 'COUNT', tonumber(ARGV[4]))
local out = {}
for _, e in ipairs(r[2]) do
  local id, f = e[1], e[2]
  local n = (held_by(id, me) or 1) + prior(f)
  if n > cap then
    ${giveUp}
  else
    out[#out + 1] = { id, f or {}, n }
  end
end
local due = -1
for _, p in ipairs(redis.call('XPENDING', S, 'g', '-', '+', 100)) do
  if p[2] ~= me then
    local left = math.max(0, vis - tonumber(p[3]))
    if due < 0 or left < due then due = left end
  end
end
for _, c in ipairs(redis.call('XINFO', 'CONSUMERS', S, 'g')) do
  local info = {}
  for i = 1, #c, 2 do info[c[i]] = c[i + 1] end
  if info['name'] ~= me and tonumber(info['pending']) == 0 and tonumber(info['idle']) > 20 * vis then
    redis.call('XGROUP', 'DELCONSUMER', S, 'g', info['name'])
  end
end
return { out, due }
`,
  );
}

/** A queue's reclaim: an item past the cap is buried, and frees room. ARGV[6] maxsize. */
export const QUEUE_CLAIM = claimScript(
  "queue_claim",
  `bury(id, f, 'deliveries', n, keep)
    freed(1, tonumber(ARGV[6]))`,
);

/** A pool's reclaim: a task past the cap is buried, and its caller gets ARGV[6] as its error. */
export const POOL_CLAIM = claimScript(
  "pool_claim",
  `local c, i = field(f, 'c'), field(f, 'i')
    if c and i and #c <= 200 then
      local R = b .. 'r:' .. c
      redis.call('XADD', R, '*', 'i', i, 's', 'err', 'd', ARGV[6])
      redis.call('PEXPIRE', R, tonumber(ARGV[7]))
    end
    bury(id, f, 'deliveries', n, keep)`,
);

/** Extends the visibility of held deliveries. ARGV[1] consumer, [2..] ids. Returns the lost ids. */
export const STREAM_RENEW = new Script(
  "stream_renew",
  BASE + `
local lost = {}
for k = 2, #ARGV do
  if held_by(ARGV[k], ARGV[1]) then redis.call('XCLAIM', S, 'g', ARGV[1], 0, ARGV[k], 'JUSTID')
  else lost[#lost + 1] = ARGV[k] end
end
return lost
`,
);

/**
 * Acknowledges held items. ARGV[1] consumer, [2] maxsize, [3..] ids. Returns the ids it no longer
 * held (reclaimed by another consumer: they will be delivered again).
 */
export const QUEUE_ACK = new Script(
  "queue_ack",
  // The hottest script (one call per item): no function defined unless a waiter is woken, and
  // the key base only then (a closure per call costs ~0.5 µs; see BASE).
  `
local S, me, lost, done = KEYS[1], ARGV[1], {}, 0
for k = 3, #ARGV do
  local id = ARGV[k]
  if redis.call('XPENDING', S, 'g', id, id, 1, me)[1] then
    redis.call('XACK', S, 'g', id)
    redis.call('XDEL', S, id)
    done = done + 1
  else lost[#lost + 1] = id end
end
if done > 0 then
  local b = string.sub(S, 1, -2)
  if redis.call('EXISTS', b .. 'j:q', b .. 'p:q') > 0 then
    ${HELPERS}
    freed(done, tonumber(ARGV[2]))
  end
end
return lost
`,
);

/**
 * Moves held items to the dead letters. ARGV[1] consumer, [2] maxsize, [3] dead letters kept,
 * [4] reason, [5..] ids. Returns how many it moved.
 */
export const QUEUE_BURY = new Script(
  "queue_bury",
  STREAM + `
local me, done = ARGV[1], 0
for k = 5, #ARGV do
  local n = held_by(ARGV[k], me)
  if n then
    local f = entry(ARGV[k])
    bury(ARGV[k], f, ARGV[4], n + prior(f), ARGV[3])
    done = done + 1
  end
end
freed(done, tonumber(ARGV[2]))
return done
`,
);

/**
 * Puts held items back at the tail for any consumer (a consumer that closes with items it did
 * not finish), keeping their delivery counts; then drops the consumer if it holds nothing.
 * ARGV[1] consumer, [2..] ids. Returns how many it put back.
 */
export const QUEUE_REQUEUE = new Script(
  "queue_requeue",
  STREAM + `
local me, done = ARGV[1], 0
for k = 2, #ARGV do
  local n = held_by(ARGV[k], me)
  local f = entry(ARGV[k])
  if n and f then
    redis.call('XADD', S, '*', 'd', field(f, 'd') or '', 'n', tostring(n + prior(f)))
    redis.call('XACK', S, 'g', ARGV[k])
    redis.call('XDEL', S, ARGV[k])
    done = done + 1
  end
end
local mine = redis.call('XPENDING', S, 'g', '-', '+', 1, me)
if not mine[1] then redis.pcall('XGROUP', 'DELCONSUMER', S, 'g', me) end
return done
`,
);

/**
 * A bounded put. ARGV[1] maxsize, [2] mode (`try` | `wait`), [3] waiter id, [4] registration ms,
 * [5..] payloads. Adds them all if there is room and no earlier producer is registered (a
 * registered one may add), returning {1, ids}; else registers the waiter (mode `wait`) and
 * returns {0}.
 */
export const QUEUE_PUT = new Script(
  "queue_put",
  STREAM + `
local size, w, P = tonumber(ARGV[1]), ARGV[3], b .. 'p:'
local now = now_ms()
reap_waiters(P, now)
local mine = redis.call('ZSCORE', P .. 'r', w)
if redis.call('XLEN', S) + #ARGV - 4 <= size and (mine or redis.call('LLEN', P .. 'q') == 0) then
  local ids = {}
  for k = 5, #ARGV do ids[#ids + 1] = redis.call('XADD', S, '*', 'd', ARGV[k]) end
  if mine then
    unregister(P, w)
    redis.call('DEL', wkey(P, w))
  end
  return { 1, ids }
end
if ARGV[2] == 'wait' then register(P, w, now + tonumber(ARGV[4])) end
return { 0 }
`,
);

/**
 * A producer gives up waiting. KEYS[1] = `b..s`. ARGV[1] waiter id. A wake-up that reached it is
 * passed on to the first registered producer. Returns 0.
 */
export const QUEUE_PUT_CANCEL = new Script(
  "queue_put_cancel",
  STREAM + `
local P = b .. 'p:'
unregister(P, ARGV[1])
local woken = redis.call('LPOP', wkey(P, ARGV[1]))
redis.call('DEL', wkey(P, ARGV[1]))
if woken then
  local head = redis.call('LINDEX', P .. 'q', 0)
  if head then wake(P, head, '1', 60000) end
end
return 0
`,
);

/**
 * `join()`: ARGV[1] waiter id, [2] registration ms, [3] mode (`wait` | `recheck`). Returns 1 if
 * the stream is empty (every item acknowledged or buried) or a wake-up came, else registers and
 * returns 0.
 */
export const QUEUE_JOIN = new Script(
  "queue_join",
  STREAM + `
local J, w = b .. 'j:', ARGV[1]
if ARGV[3] == 'recheck' and redis.call('LPOP', wkey(J, w)) then return 1 end
if redis.call('XLEN', S) == 0 then
  unregister(J, w)
  return 1
end
local now = now_ms()
reap_waiters(J, now)
register(J, w, now + tonumber(ARGV[2]))
return 0
`,
);

/** Counts: {XLEN (unacknowledged), pending (delivered, unacknowledged), dead letters}. */
export const QUEUE_INFO = new Script(
  "queue_info",
  BASE + `
local p = redis.pcall('XPENDING', S, 'g')
local pending = 0
if type(p) == 'table' and p[1] then pending = p[1] end
return { redis.call('XLEN', S), pending, redis.call('XLEN', b .. 'd') }
`,
);

/**
 * Stores the results of finished tasks and acknowledges them, for each held one. ARGV[1]
 * consumer, [2] result ttl ms, [3] dead letters kept, then per task 6 values: entry id, caller,
 * task id, status (`ok` | `err`), payload, and a reason to bury the task ('' = acknowledge).
 * Returns the entry ids it no longer held (their results were dropped: another worker has them).
 */
export const POOL_FINISH = new Script(
  "pool_finish",
  BASE + `
local me, ttl, keep, stale, buried = ARGV[1], tonumber(ARGV[2]), ARGV[3], {}, {}
for k = 4, #ARGV, 6 do
  local id, c, why = ARGV[k], ARGV[k + 1], ARGV[k + 5]
  local n = held_by(id, me)
  if n then
    if c ~= '' then
      local R = b .. 'r:' .. c
      redis.call('XADD', R, '*', 'i', ARGV[k + 2], 's', ARGV[k + 3], 'd', ARGV[k + 4])
      redis.call('PEXPIRE', R, ttl)
    end
    if why ~= '' then buried[#buried + 1] = { id, why, n }
    else
      redis.call('XACK', S, 'g', id)
      redis.call('XDEL', S, id)
    end
  else stale[#stale + 1] = id end
end
if #buried > 0 then
  ${HELPERS}
  for _, x in ipairs(buried) do
    local f = entry(x[1])
    bury(x[1], f, x[2], x[3] + prior(f), keep)
  end
end
return stale
`,
);

/**
 * Adds tasks. ARGV[1] caller, then per task 4 values: task id, export, kind, payload. Returns
 * their entry ids, in order.
 */
export const POOL_SUBMIT = new Script(
  "pool_submit",
  `
local ids = {}
for k = 2, #ARGV, 4 do
  ids[#ids + 1] = redis.call('XADD', KEYS[1], '*', 'c', ARGV[1], 'i', ARGV[k], 'x', ARGV[k + 1],
    'k', ARGV[k + 2], 'd', ARGV[k + 3])
end
return ids
`,
);

/**
 * Cancels a task. ARGV[1] entry id, [2] reason payload. Returns `dropped` (it had not been
 * delivered: removed), `running` (a worker holds it: a cancellation goes to `b..x`) or `gone`.
 */
export const POOL_CANCEL = new Script(
  "pool_cancel",
  BASE + `
local p = redis.pcall('XPENDING', S, 'g', ARGV[1], ARGV[1], 1)
if type(p) == 'table' and p[1] then
  redis.call('XADD', b .. 'x', 'MAXLEN', '~', '1000', '*', 'e', ARGV[1], 'r', ARGV[2])
  return 'running'
end
if redis.call('XDEL', S, ARGV[1]) == 1 then return 'dropped' end
return 'gone'
`,
);
