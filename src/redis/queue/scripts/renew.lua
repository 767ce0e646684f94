-- Renews the leases this consumer still holds; returns the ids it lost
-- (acknowledged, or taken over by another consumer after expiring).
-- KEYS: stream. ARGV: group, consumer, ids...
local lost = {}
for i = 3, #ARGV do
  local p = redis.call('XPENDING', KEYS[1], ARGV[1], ARGV[i], ARGV[i], 1)[1]
  if p and p[2] == ARGV[2] then
    -- JUSTID resets the idle time without counting a delivery.
    redis.call('XCLAIM', KEYS[1], ARGV[1], ARGV[2], 0, ARGV[i], 'JUSTID')
  else
    lost[#lost + 1] = ARGV[i]
  end
end
return lost
