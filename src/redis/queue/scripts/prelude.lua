-- Helpers prepended to every queue script (see `script!` in shared.rs).

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

-- Pushes `tokens` wake-ups for senders blocked by a full queue (each takes
-- one with BLPOP); the list is capped so unused ones do not pile up.
local function wake_senders(space, tokens)
  for _ = 1, tokens do
    redis.call('RPUSH', space, 1)
  end
  if tokens > 0 then
    redis.call('LTRIM', space, 0, tokens - 1)
  end
end

-- A delayed member is "<id> <deliveries> <payload>": the id keeps members
-- with equal payloads apart. Returns the three parts.
local function split_delayed(member)
  local a = string.find(member, ' ', 1, true)
  local b = string.find(member, ' ', a + 1, true)
  return string.sub(member, 1, a - 1), string.sub(member, a + 1, b - 1), string.sub(member, b + 1)
end

-- The payload (field `v`, or false) and the earlier deliveries (field `n`,
-- or 0) of a stream entry's flat field list.
local function read_fields(fields)
  local payload, previous = false, 0
  for i = 1, #fields, 2 do
    if fields[i] == 'v' then
      payload = fields[i + 1]
    elseif fields[i] == 'n' then
      previous = tonumber(fields[i + 1]) or 0
    end
  end
  return payload, previous
end

