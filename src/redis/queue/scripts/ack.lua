-- Finishes leased entries: they are never delivered again.
-- KEYS: stream. ARGV: group, ids...
local ids = {unpack(ARGV, 2)}
redis.call('XACK', KEYS[1], ARGV[1], unpack(ids))
return redis.call('XDEL', KEYS[1], unpack(ids))
