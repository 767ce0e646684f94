-- Closes the queue; wakes blocked senders with `tokens` wake-ups.
-- KEYS: meta, space. ARGV: tokens.
-- Returns 1 if this call closed it.
if redis.call('HGET', KEYS[1], 'closed') then
  return 0
end
redis.call('HSET', KEYS[1], 'closed', 1)
local tokens = tonumber(ARGV[1])
for _ = 1, tokens do
  redis.call('RPUSH', KEYS[2], 1)
end
if tokens > 0 then
  redis.call('LTRIM', KEYS[2], 0, tokens - 1)
end
return 1
