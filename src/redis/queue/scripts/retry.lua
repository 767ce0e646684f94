-- Ends a lease by putting the item back: into the stream at once, into the
-- delayed set for later, or into the dead letters when it has been
-- delivered `max` times.
-- KEYS: stream, delayed, dead.
-- ARGV: group, id, delay (ms), deliveries so far, max deliveries, payload.
-- Returns 0 if the entry was no longer leased, 1 if queued again, 2 if dead.
if redis.call('XACK', KEYS[1], ARGV[1], ARGV[2]) == 0 then
  return 0
end
redis.call('XDEL', KEYS[1], ARGV[2])
local deliveries = tonumber(ARGV[4])
if deliveries >= tonumber(ARGV[5]) then
  redis.call('XADD', KEYS[3], '*', 'v', ARGV[6], 'error',
    'not done after ' .. deliveries .. ' deliveries', 'deliveries', deliveries, 'source', ARGV[2])
  return 2
end
local delay = tonumber(ARGV[3])
if delay <= 0 then
  redis.call('XADD', KEYS[1], '*', 'v', ARGV[6], 'n', deliveries)
else
  local t = redis.call('TIME')
  local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
  -- Parsed by split_delayed.
  redis.call('ZADD', KEYS[2], now + delay, ARGV[2] .. ' ' .. deliveries .. ' ' .. ARGV[6])
end
return 1
