-- Closes the queue and takes out every undelivered item: the entries no
-- consumer has read yet and the delayed retries. Leased entries stay with
-- their consumers.
-- KEYS: stream, delayed, meta, space. ARGV: group, consumer, tokens.
-- Returns a flat list {id, payload or false, ...}.
redis.call('HSET', KEYS[3], 'closed', 1)
local out = {}
local r = redis.call('XREADGROUP', 'GROUP', ARGV[1], ARGV[2], 'STREAMS', KEYS[1], '>')
if r then
  for _, entry in ipairs(r[1][2]) do
    local payload = read_fields(entry[2])
    out[#out + 1] = entry[1]
    out[#out + 1] = payload
    redis.call('XACK', KEYS[1], ARGV[1], entry[1])
    redis.call('XDEL', KEYS[1], entry[1])
  end
end
for _, member in ipairs(redis.call('ZRANGE', KEYS[2], 0, -1)) do
  local id, _, payload = split_delayed(member)
  out[#out + 1] = id
  out[#out + 1] = payload
end
redis.call('DEL', KEYS[2])
wake_senders(KEYS[4], tonumber(ARGV[3]))
return out
