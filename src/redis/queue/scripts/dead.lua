-- Moves a leased entry to the dead letters with the reason.
-- KEYS: stream, dead. ARGV: group, id, payload, error, deliveries.
redis.call('XADD', KEYS[2], '*', 'v', ARGV[3], 'error', ARGV[4], 'deliveries', ARGV[5], 'source', ARGV[2])
redis.call('XACK', KEYS[1], ARGV[1], ARGV[2])
redis.call('XDEL', KEYS[1], ARGV[2])
return 1
