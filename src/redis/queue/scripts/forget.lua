-- Removes a consumer from the group if it holds no lease (so the group does
-- not keep one consumer per process that ever ran).
-- KEYS: stream. ARGV: group, consumer.
for _, c in ipairs(redis.call('XINFO', 'CONSUMERS', KEYS[1], ARGV[1])) do
  if c[2] == ARGV[2] and c[4] == 0 then
    return redis.call('XGROUP', 'DELCONSUMER', KEYS[1], ARGV[1], ARGV[2])
  end
end
return 0
