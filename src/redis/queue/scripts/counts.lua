-- {entries in the stream, entries leased, delayed retries}.
-- KEYS: stream, delayed. ARGV: group.
return {
  redis.call('XLEN', KEYS[1]),
  leased(KEYS[1], ARGV[1]),
  redis.call('ZCARD', KEYS[2]),
}
