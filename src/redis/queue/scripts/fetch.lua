-- The non-blocking half of a receive: moves due retries back into the
-- stream, takes over one entry whose lease expired (dead-lettering the ones
-- delivered too often), and reports whether a closed queue is finished.
-- KEYS: stream, delayed, meta, dead.
-- ARGV: group, consumer, lease (ms), max deliveries.
-- Returns {'entry', id, payload or false, previous deliveries, count}
--      or {'empty', ms until the next due retry (-1: none), finished (0/1)}.
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)

local due = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', now, 'LIMIT', 0, 100)
for _, member in ipairs(due) do
  redis.call('ZREM', KEYS[2], member)
  local _, deliveries, payload = split_delayed(member)
  redis.call('XADD', KEYS[1], '*', 'v', payload, 'n', deliveries)
end

local max = tonumber(ARGV[4])
local cursor = redis.call('HGET', KEYS[3], 'cursor') or '0-0'
for _ = 1, 10 do
  local r = redis.call('XAUTOCLAIM', KEYS[1], ARGV[1], ARGV[2], ARGV[3], cursor, 'COUNT', 1)
  cursor = r[1]
  local entry = r[2][1]
  if not entry then
    break
  end
  local id = entry[1]
  local payload, previous = read_fields(entry[2])
  local count = redis.call('XPENDING', KEYS[1], ARGV[1], id, id, 1)[1][4]
  if previous + count > max then
    redis.call('XADD', KEYS[4], '*', 'v', payload or '', 'error',
      'not done after ' .. (previous + count - 1) .. ' deliveries', 'deliveries', previous + count - 1, 'source', id)
    redis.call('XACK', KEYS[1], ARGV[1], id)
    redis.call('XDEL', KEYS[1], id)
  else
    redis.call('HSET', KEYS[3], 'cursor', cursor)
    return {'entry', id, payload, previous, count}
  end
  if cursor == '0-0' then
    break
  end
end
redis.call('HSET', KEYS[3], 'cursor', cursor)

local next_due = -1
local first = redis.call('ZRANGE', KEYS[2], 0, 0, 'WITHSCORES')
if first[2] then
  next_due = math.max(0, tonumber(first[2]) - now)
end
local finished = 0
if redis.call('HGET', KEYS[3], 'closed') and redis.call('XLEN', KEYS[1]) == 0 and redis.call('ZCARD', KEYS[2]) == 0 then
  finished = 1
end
return {'empty', next_due, finished}
