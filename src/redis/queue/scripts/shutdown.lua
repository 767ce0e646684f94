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
    local payload = false
    local fields = entry[2]
    for i = 1, #fields, 2 do
      if fields[i] == 'v' then
        payload = fields[i + 1]
      end
    end
    out[#out + 1] = entry[1]
    out[#out + 1] = payload
    redis.call('XACK', KEYS[1], ARGV[1], entry[1])
    redis.call('XDEL', KEYS[1], entry[1])
  end
end
for _, member in ipairs(redis.call('ZRANGE', KEYS[2], 0, -1)) do
  local a = string.find(member, ' ', 1, true)
  local b = string.find(member, ' ', a + 1, true)
  out[#out + 1] = string.sub(member, 1, a - 1)
  out[#out + 1] = string.sub(member, b + 1)
end
redis.call('DEL', KEYS[2])
local tokens = tonumber(ARGV[3])
for _ = 1, tokens do
  redis.call('RPUSH', KEYS[4], 1)
end
if tokens > 0 then
  redis.call('LTRIM', KEYS[4], 0, tokens - 1)
end
return out
