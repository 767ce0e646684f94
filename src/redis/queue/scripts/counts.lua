-- {entries in the stream, entries leased, delayed retries}.
-- KEYS: stream, delayed. ARGV: group.
-- The number of entries leased in the group (O(groups), unlike the
-- summary form of XPENDING, which lists every consumer ever seen).
local function leased(stream, group)
  if redis.call('EXISTS', stream) == 1 then
    for _, g in ipairs(redis.call('XINFO', 'GROUPS', stream)) do
      local name, pending
      for i = 1, #g, 2 do
        if g[i] == 'name' then
          name = g[i + 1]
        elseif g[i] == 'pending' then
          pending = g[i + 1]
        end
      end
      if name == group then
        return pending
      end
    end
  end
  error({err = 'NOGROUP no consumer group ' .. group .. ' on ' .. stream})
end
return {
  redis.call('XLEN', KEYS[1]),
  leased(KEYS[1], ARGV[1]),
  redis.call('ZCARD', KEYS[2]),
}
