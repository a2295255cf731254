/**
 * The server side: every state change of a Redis primitive is one Lua script, so it is atomic
 * (Redis runs one script at a time) and touches the keys of one hash slot (`_names.ts`).
 *
 * Key layout under a primitive's base `b` = `{ns:name}:kind:`:
 *
 * | key        | type   | written by                   | meaning                                    |
 * | ---------- | ------ | ---------------------------- | ------------------------------------------ |
 * | `b..h`     | zset   | acquire, renew, release, grant | holders: member = holder id, score = lease end (server ms) |
 * | `b..t`     | hash   | take / drop                  | holder id -> its fencing token             |
 * | `b..c`     | hash   | take / release               | holder id -> hold count (RLock recursion)  |
 * | `b..f`     | string | take (INCR)                  | fencing counter; never expires, never reset |
 * | `b..i b..n`| string | first use / addPermits       | semaphore: initial value, current capacity |
 * | `b..q`     | list   | register / grant / cancel    | waiter ids, FIFO                           |
 * | `b..r`     | zset   | register (renewed)           | waiter id -> registration end (server ms)  |
 * | `b..l`     | hash   | register                     | waiter id -> `lease:count:holder`          |
 * | `b..w:<id>`| list   | grant / set / notify (RPUSH) | the waiter's hand-off token, `BLPOP`ed by it |
 * | `b..v`     | string/hash | Event / Value           | the event's flag / the value's fields      |
 * | `b..g b..a b..p b..x b..d` | | Barrier              | generation, arrivals, parties, broken flag, draining waiters |
 *
 * Invariants (every script ends in them):
 * - **Hand-off, FIFO.** `grant` runs in every script that can free capacity. It reaps expired
 *   holders and expired waiter registrations, then gives free capacity to the queue's head waiters
 *   directly: it makes them holders (new token, lease from their registration) and pushes the
 *   token on their `w:` list. So "queue non-empty" implies "no free capacity", and a newcomer
 *   (`try`) never overtakes a queued waiter.
 * - **No lost wake-up.** A grant is state (`h`, `t`), the pushed token only says "look": a waiter
 *   that misses it (its `BLPOP` timed out, was interrupted, or its connection dropped) finds the
 *   token with the `recheck` or `cancel` script, and `cancel` gives a late grant back.
 * - **Leases on server time.** Every expiry is `TIME` of the server plus a duration, compared
 *   with `TIME` of the server: clients' clocks never meet. A hold whose score is <= now is gone.
 * - **Fencing.** Tokens come from `INCR b..f`, so every grant of one primitive gets a larger token
 *   than every earlier grant, whoever holds it and however its lease ended.
 * - **Validation before writes.** Redis does not roll back a failing script, so every check that
 *   can fail (`INTERLOCK_*` error replies) runs before the first write.
 *
 * Error replies: `INTERLOCK_MISMATCH <stored>` (a semaphore or barrier opened with another size
 * than Redis holds), `INTERLOCK_TYPE <stored>` (a value read as the wrong type),
 * `INTERLOCK_STALE <highest>` (a fenced write with an old token).
 *
 * @module
 */
import { Script } from "./_engine.ts";

/** Helpers every script starts with: server time and the waiter queue of base `b`. */
export const PRELUDE = `
local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
local function wkey(b, w) return b .. 'w:' .. w end
local function wake(b, w, payload, ttl)
  local k = wkey(b, w)
  redis.call('RPUSH', k, payload)
  redis.call('PEXPIRE', k, ttl)
end
local function unregister(b, w)
  redis.call('LREM', b .. 'q', 0, w)
  redis.call('ZREM', b .. 'r', w)
  redis.call('HDEL', b .. 'l', w)
end
local function register(b, w, until_ms)
  if not redis.call('ZSCORE', b .. 'r', w) then redis.call('RPUSH', b .. 'q', w) end
  redis.call('ZADD', b .. 'r', until_ms, w)
end
local function reap_waiters(b, now)
  local dead = redis.call('ZRANGEBYSCORE', b .. 'r', '-inf', now)
  for _, w in ipairs(dead) do
    redis.call('LREM', b .. 'q', 0, w)
    redis.call('HDEL', b .. 'l', w)
  end
  if #dead > 0 then redis.call('ZREMRANGEBYSCORE', b .. 'r', '-inf', now) end
end
`;

/**
 * Hold sets (Lock, RLock, Semaphore). KEYS[1] = `b..h`. ARGV[1] = initial capacity, ARGV[2] =
 * '1' if the capacity is stored (semaphore), ARGV[3] = '1' if reentrant (RLock); then per script.
 */
const HOLDSET = PRELUDE + `
local b = string.sub(KEYS[1], 1, -2)
local H, T, C, F, Q, R, L = b .. 'h', b .. 't', b .. 'c', b .. 'f', b .. 'q', b .. 'r', b .. 'l'
local reentrant = ARGV[3] == '1'
local function capacity()
  if ARGV[2] ~= '1' then return tonumber(ARGV[1]) end
  local i = redis.call('GET', b .. 'i')
  if not i then
    redis.call('SET', b .. 'i', ARGV[1])
    redis.call('SET', b .. 'n', ARGV[1])
    return tonumber(ARGV[1])
  end
  if i ~= ARGV[1] then error({ err = 'INTERLOCK_MISMATCH ' .. i }) end
  return tonumber(redis.call('GET', b .. 'n'))
end
local function drop(m)
  redis.call('ZREM', H, m)
  redis.call('HDEL', T, m)
  redis.call('HDEL', C, m)
end
local function give_back(m, count)
  local left = redis.call('HINCRBY', C, m, -count)
  if left <= 0 then drop(m) end
  return left
end
local function take(m, lease, count, now)
  if redis.call('ZSCORE', H, m) then
    redis.call('HINCRBY', C, m, count)
    redis.call('ZADD', H, 'GT', now + lease, m)
    return redis.call('HGET', T, m)
  end
  local token = redis.call('INCR', F)
  redis.call('ZADD', H, now + lease, m)
  redis.call('HSET', T, m, token)
  redis.call('HSET', C, m, count)
  return token
end
local function parse(info)
  local lease, count, m = string.match(info, '^(%d+):(%d+):(.+)$')
  return tonumber(lease), tonumber(count), m
end
local function hand_to(w, info, now)
  local lease, count, m = parse(info)
  unregister(b, w)
  wake(b, w, take(m, lease, count, now), lease)
end
local function grant(now, cap)
  local dead = redis.call('ZRANGEBYSCORE', H, '-inf', now)
  for _, m in ipairs(dead) do drop(m) end
  reap_waiters(b, now)
  while true do
    local w = redis.call('LINDEX', Q, 0)
    if not w then return end
    local info = redis.call('HGET', L, w)
    if not info then
      unregister(b, w)
    else
      local _, _, m = parse(info)
      if not redis.call('ZSCORE', H, m) and redis.call('ZCARD', H) >= cap then break end
      hand_to(w, info, now)
    end
  end
  if reentrant then
    -- An RLock's owner that holds it does not queue behind others: grant its later waiters too.
    for _, w in ipairs(redis.call('LRANGE', Q, 0, -1)) do
      local info = redis.call('HGET', L, w)
      if info then
        local _, _, m = parse(info)
        if redis.call('ZSCORE', H, m) then hand_to(w, info, now) end
      end
    end
  end
end
local function hint(now)
  local e = redis.call('ZRANGE', H, 0, 0, 'WITHSCORES')
  if e[2] then return tonumber(e[2]) - now end
  return -1
end
`;

/**
 * ARGV[4] waiter id w, [5] holder id m, [6] lease ms, [7] count, [8] mode (`try` | `wait` |
 * `recheck`), [9] registration ms. Returns {1, token} when held, else {0, ms until the earliest
 * lease ends or -1}. `wait` queues the caller; `recheck` renews its registration (re-queues it if
 * it was reaped) and collects a hand-off.
 */
export const ACQUIRE = new Script(
  "acquire",
  HOLDSET + `
local cap = capacity()
local w, m, lease, count, mode = ARGV[4], ARGV[5], tonumber(ARGV[6]), tonumber(ARGV[7]), ARGV[8]
local now = now_ms()
grant(now, cap)
if mode == 'recheck' then
  local token = redis.call('LPOP', wkey(b, w))
  if token then return { 1, token } end
  if redis.call('ZSCORE', R, w) then
    redis.call('ZADD', R, now + tonumber(ARGV[9]), w)
    return { 0, hint(now) }
  end
end
if (reentrant and redis.call('ZSCORE', H, m)) or
    (redis.call('ZCARD', H) < cap and redis.call('LLEN', Q) == 0) then
  return { 1, take(m, lease, count, now) }
end
if mode ~= 'try' then
  register(b, w, now + tonumber(ARGV[9]))
  redis.call('HSET', L, w, ARGV[6] .. ':' .. ARGV[7] .. ':' .. m)
end
return { 0, hint(now) }
`,
);

/** ARGV[4] holder id, [5] lease ms. Returns 1 if the lease was extended, 0 if it had ended. */
export const RENEW = new Script(
  "renew",
  HOLDSET + `
local cap = capacity()
local now = now_ms()
local s = redis.call('ZSCORE', H, ARGV[4])
if s and tonumber(s) > now then
  redis.call('ZADD', H, now + tonumber(ARGV[5]), ARGV[4])
  return 1
end
grant(now, cap)
return 0
`,
);

/**
 * ARGV[4] holder id, [5] count to give back. Returns -1 if the hold's lease had ended (nothing
 * held to release), else the holds the holder still has (0: it released its last).
 */
export const RELEASE = new Script(
  "release",
  HOLDSET + `
local cap = capacity()
local m, count = ARGV[4], tonumber(ARGV[5])
local now = now_ms()
local s = redis.call('ZSCORE', H, m)
if not s or tonumber(s) <= now then
  grant(now, cap)
  return -1
end
local left = give_back(m, count)
if left > 0 then return left end
grant(now, cap)
return 0
`,
);

/**
 * A waiter gives up (timeout, abort). ARGV[4] waiter id, [5] holder id, [6] count. A grant that
 * raced with the give-up is given back. Returns 1 if such a grant was given back, else 0.
 */
export const CANCEL = new Script(
  "cancel",
  HOLDSET + `
local cap = capacity()
local w, m, count = ARGV[4], ARGV[5], tonumber(ARGV[6])
local now = now_ms()
unregister(b, w)
local token = redis.call('LPOP', wkey(b, w))
redis.call('DEL', wkey(b, w))
if token and redis.call('ZSCORE', H, m) then give_back(m, count) end
grant(now, cap)
if token then return 1 end
return 0
`,
);

/** Semaphore release beyond the caller's holds: ARGV[4] permits to add. Returns the capacity. */
export const ADD_PERMITS = new Script(
  "add_permits",
  HOLDSET + `
capacity()
local cap = redis.call('INCRBY', b .. 'n', tonumber(ARGV[4]))
grant(now_ms(), cap)
return cap
`,
);

/** ARGV[4] holder id. Returns {holders, capacity, count held by the holder}, after reaping. */
export const HOLD_INFO = new Script(
  "hold_info",
  HOLDSET + `
local cap = capacity()
grant(now_ms(), cap)
return { redis.call('ZCARD', H), cap, tonumber(redis.call('HGET', C, ARGV[4]) or '0') }
`,
);

/** Events. KEYS[1] = `b..v`. */
const EVENT = PRELUDE + `
local b = string.sub(KEYS[1], 1, -2)
local V, Q, R = KEYS[1], b .. 'q', b .. 'r'
`;

/** Sets the flag and wakes every live waiter. Returns how many were woken. */
export const EVENT_SET = new Script(
  "event_set",
  EVENT + `
local now = now_ms()
redis.call('SET', V, '1')
reap_waiters(b, now)
local ws = redis.call('LRANGE', Q, 0, -1)
for _, w in ipairs(ws) do wake(b, w, '1', 60000) end
redis.call('DEL', Q, R)
return #ws
`,
);

/** Clears the flag. */
export const EVENT_CLEAR = new Script("event_clear", EVENT + `redis.call('DEL', V) return 0`);

/** Whether the flag is set. */
export const EVENT_IS_SET = new Script(
  "event_is_set",
  EVENT + `return redis.call('EXISTS', V)`,
);

/** ARGV[1] waiter id. Withdraws it; returns 1 if a wake-up had reached it first, else 0. */
export const WAITER_CANCEL = new Script(
  "waiter_cancel",
  PRELUDE + `
local b = string.sub(KEYS[1], 1, -2)
local w = ARGV[1]
unregister(b, w)
local woken = redis.call('LPOP', wkey(b, w))
redis.call('DEL', wkey(b, w))
if woken then return 1 end
return 0
`,
);

/**
 * A waiter of an event or a condition registers (`wait`) or renews its registration and collects
 * its wake-up (`recheck`). KEYS[1] = `b..q`. ARGV[1] waiter id, [2] registration ms, [3] mode,
 * [4] '1' if the flag `b..v` being set ends the wait (events). Returns 1 when done, else 0.
 */
export const WAITER_WAIT = new Script(
  "waiter_wait",
  PRELUDE + `
local b = string.sub(KEYS[1], 1, -2)
local w, now = ARGV[1], now_ms()
if ARGV[3] == 'recheck' and redis.call('LPOP', wkey(b, w)) then return 1 end
if ARGV[4] == '1' and redis.call('EXISTS', b .. 'v') == 1 then
  unregister(b, w)
  return 1
end
reap_waiters(b, now)
register(b, w, now + tonumber(ARGV[2]))
return 0
`,
);

/** KEYS[1] = `b..q`. ARGV[1] = how many to wake (-1: all). Returns how many were woken. */
export const COND_NOTIFY = new Script(
  "cond_notify",
  PRELUDE + `
local b = string.sub(KEYS[1], 1, -2)
local n = tonumber(ARGV[1])
reap_waiters(b, now_ms())
local k = 0
while n < 0 or k < n do
  local w = redis.call('LPOP', b .. 'q')
  if not w then break end
  redis.call('ZREM', b .. 'r', w)
  wake(b, w, '1', 60000)
  k = k + 1
end
return k
`,
);

/** Barriers. KEYS[1] = `b..g`. */
const BARRIER = PRELUDE + `
local b = string.sub(KEYS[1], 1, -2)
local G, A, P, X, Q, D = KEYS[1], b .. 'a', b .. 'p', b .. 'x', b .. 'q', b .. 'd'
local function wake_all(list, payload, except)
  for _, w in ipairs(redis.call('LRANGE', list, 0, -1)) do
    if w ~= except then wake(b, w, payload, 60000) end
  end
  redis.call('DEL', list)
end
local function break_all(except)
  redis.call('SET', X, '1')
  redis.call('SET', A, 0)
  wake_all(Q, 'broken', except)
  wake_all(D, 'broken', except)
end
local function parties(p)
  local stored = redis.call('GET', P)
  if stored and stored ~= p then error({ err = 'INTERLOCK_MISMATCH ' .. stored }) end
  if not stored then redis.call('SET', P, p) end
  return tonumber(p)
end
`;

/**
 * ARGV[1] waiter id, [2] parties, [3] '1' if an action runs before the others are released.
 * Returns {index, status}: status 0 = wait for the token, 1 = the barrier opened, 2 = run the
 * action, then `BARRIER_COMPLETE`; -1 = broken.
 */
export const BARRIER_ARRIVE = new Script(
  "barrier_arrive",
  BARRIER + `
local n = parties(ARGV[2])
if redis.call('EXISTS', X) == 1 then return { -1, -1 } end
local a = redis.call('INCR', A)
local index = n - a
if a < n then
  redis.call('RPUSH', Q, ARGV[1])
  return { index, 0 }
end
redis.call('SET', A, 0)
redis.call('INCR', G)
if ARGV[3] == '1' then
  for _, w in ipairs(redis.call('LRANGE', Q, 0, -1)) do redis.call('RPUSH', D, w) end
  redis.call('DEL', Q)
  return { index, 2 }
end
wake_all(Q, 'ok', '')
return { index, 1 }
`,
);

/** After the action: ARGV[1] '1' = it succeeded (release the draining waiters), '0' = break. */
export const BARRIER_COMPLETE = new Script(
  "barrier_complete",
  BARRIER + `
if ARGV[1] == '1' then wake_all(D, 'ok', '') else break_all('') end
return 0
`,
);

/**
 * A waiter's timeout: ARGV[1] waiter id. Returns its token if the barrier opened (or broke)
 * first, else breaks the barrier and returns 'timeout'.
 */
export const BARRIER_CANCEL = new Script(
  "barrier_cancel",
  BARRIER + `
local token = redis.call('LPOP', wkey(b, ARGV[1]))
redis.call('DEL', wkey(b, ARGV[1]))
if token then return token end
break_all(ARGV[1])
return 'timeout'
`,
);

/** ARGV[1] `abort` (break) or `reset` (break the waiters, then make it usable again). */
export const BARRIER_ABORT = new Script(
  "barrier_abort",
  BARRIER + `
break_all('')
if ARGV[1] == 'reset' then
  redis.call('DEL', X)
  redis.call('INCR', G)
end
return 0
`,
);

/** Returns {arrivals waiting, broken (0/1)}. */
export const BARRIER_INFO = new Script(
  "barrier_info",
  BARRIER + `return { tonumber(redis.call('GET', A) or '0'), redis.call('EXISTS', X) }`,
);

/** Whether decimal token `a` is smaller than decimal token `b` (no leading zeros). */
const OLDER = `
local function older(a, b)
  return #a < #b or (#a == #b and a < b)
end
`;

/**
 * Values. KEYS[1] = `b..v` (a hash: type, val, ver, fence). ARGV[1] a fencing token or ''.
 * Returns {type, val, ver, fence}. A fenced read is refused (`INTERLOCK_STALE`) if an older token
 * than the highest accepted, and else raises the highest to its token: once a newer holder has
 * read, an older holder can neither read nor write, so a read-modify-write under a lost lease
 * fails instead of overwriting (a fence on the write alone misses a stale write made between the
 * newer holder's read and its write).
 */
export const VALUE_GET = new Script(
  "value_get",
  OLDER + `
local cur = redis.call('HMGET', KEYS[1], 'type', 'val', 'ver', 'fence')
local fence = ARGV[1]
if fence and fence ~= '' then
  if cur[4] and older(fence, cur[4]) then error({ err = 'INTERLOCK_STALE ' .. cur[4] }) end
  if cur[4] ~= fence then
    redis.call('HSET', KEYS[1], 'fence', fence)
    cur[4] = fence
  end
end
return cur
`,
);

/**
 * ARGV[1] type, [2] encoded value, [3] fencing token or '', [4] expected version or ''.
 * Returns {1, new version} when written, {0, current version} when the version moved on.
 */
export const VALUE_SET = new Script(
  "value_set",
  OLDER + `
local V = KEYS[1]
local cur = redis.call('HMGET', V, 'type', 'ver', 'fence')
if cur[1] and cur[1] ~= ARGV[1] then error({ err = 'INTERLOCK_TYPE ' .. cur[1] }) end
local ver = cur[2] or '0'
if ARGV[4] ~= '' and ver ~= ARGV[4] then return { 0, ver } end
local fence, highest = ARGV[3], cur[3]
if fence ~= '' and highest and older(fence, highest) then
  error({ err = 'INTERLOCK_STALE ' .. highest })
end
redis.call('HSET', V, 'type', ARGV[1], 'val', ARGV[2])
if fence ~= '' then redis.call('HSET', V, 'fence', fence) end
return { 1, redis.call('HINCRBY', V, 'ver', 1) }
`,
);
