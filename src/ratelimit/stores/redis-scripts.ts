/**
 * Lua scripts of the Redis store. Each check is one script, so reading, deciding and writing happen
 * atomically on the server, and every script takes the time from Redis (`TIME`), so instances with
 * skewed clocks still share one window. The consume script follows `rollWindow` and
 * `checkWindow` of `algorithm.ts` step by step; the caller computes the reported numbers from the
 * state it returns. Replies are integer arrays, because Redis truncates Lua numbers to integers.
 */

/** Milliseconds of the Redis clock. */
const NOW_MS = `
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
`;

/**
 * KEYS[1]: bucket hash (`s` window start, `c` current, `p` previous).
 * ARGV: window ms, limit, cost.
 * Returns {allowed (1|0), window start, current, previous, now}; the hash expires after two windows.
 */
export const CONSUME_SCRIPT = `${NOW_MS}
local window = tonumber(ARGV[1])
local limit = tonumber(ARGV[2])
local cost = tonumber(ARGV[3])
local stored = redis.call('HMGET', KEYS[1], 's', 'c', 'p')
local start = tonumber(stored[1])
local current = tonumber(stored[2]) or 0
local previous = tonumber(stored[3]) or 0

if start == nil or now - start >= 2 * window then
  start = now
  current = 0
  previous = 0
elseif now - start >= window then
  start = start + window
  previous = current
  current = 0
end

local fraction = (now - start) / window
if fraction < 0 then fraction = 0 end
if fraction > 1 then fraction = 1 end
local usage = previous * (1 - fraction) + current

local allowed = 0
if usage + cost <= limit then
  allowed = 1
  current = current + cost
end
redis.call('HSET', KEYS[1], 's', start, 'c', current, 'p', previous)
redis.call('PEXPIRE', KEYS[1], 2 * window)
return {allowed, start, current, previous, now}
`;

/**
 * KEYS[1]: sorted set of the caller's in-flight slots, scored by start or last refresh time.
 * ARGV: slot id, max in flight, TTL ms.
 * Drops entries older than the TTL (slots of a crashed instance), then adds the slot if there is
 * room. Returns {acquired (1|0), slots held afterwards}.
 */
export const ACQUIRE_SLOT_SCRIPT = `${NOW_MS}
local ttl = tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - ttl)
local held = redis.call('ZCARD', KEYS[1])
if held >= tonumber(ARGV[2]) then
  return {0, held}
end
redis.call('ZADD', KEYS[1], now, ARGV[1])
redis.call('PEXPIRE', KEYS[1], ttl)
return {1, held + 1}
`;

/**
 * KEYS: in-flight sets; ARGV[1]: TTL ms, ARGV[i + 1]: the slot id in KEYS[i].
 * Moves each slot that still exists to the current time and renews the set's expiry.
 */
export const REFRESH_SLOTS_SCRIPT = `${NOW_MS}
local ttl = tonumber(ARGV[1])
for index, key in ipairs(KEYS) do
  redis.call('ZADD', key, 'XX', now, ARGV[index + 1])
  redis.call('PEXPIRE', key, ttl)
end
return #KEYS
`;
