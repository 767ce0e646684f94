-- One wake-up for a sender blocked by a full queue (the list is capped, so
-- wake-ups nobody waits for do not pile up).
-- KEYS: space. ARGV: cap.
redis.call('LPUSH', KEYS[1], 1)
redis.call('LTRIM', KEYS[1], 0, tonumber(ARGV[1]) - 1)
return 1
