-- Closes the queue; wakes blocked senders with `tokens` wake-ups.
-- KEYS: meta, space. ARGV: tokens.
-- Returns 1 if this call closed it.
if redis.call('HGET', KEYS[1], 'closed') then
  return 0
end
redis.call('HSET', KEYS[1], 'closed', 1)
wake_senders(KEYS[2], tonumber(ARGV[1]))
return 1
