-- Adds one item unless the queue is closed or full.
-- KEYS: stream, meta. ARGV: group, capacity (0: unbounded), payload.
-- Returns 1 (added), 0 (closed) or -1 (full).
if redis.call('HGET', KEYS[2], 'closed') then
  return 0
end
local capacity = tonumber(ARGV[2])
if capacity > 0 then
  -- Queued = entries in the stream that no consumer holds (leased entries
  -- are in the group's pending list, undelivered ones are not).
  local queued = redis.call('XLEN', KEYS[1]) - leased(KEYS[1], ARGV[1])
  if queued >= capacity then
    return -1
  end
end
redis.call('XADD', KEYS[1], '*', 'v', ARGV[3])
return 1
