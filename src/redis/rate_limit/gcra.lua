-- One GCRA decision on the server's clock.
-- KEYS: the limit's key, holding the theoretical arrival time (TAT, in µs
-- of the server's clock). ARGV: interval (µs per permit), burst, n, mode:
--   take:    take n permits if they are free now;
--   reserve: take n permits now or in the future (the caller sleeps);
--   peek:    take nothing;
--   pause:   no permit before now + n µs.
-- Returns the wait in µs before the n permits are (or were) free; 0 when
-- they are free now. `take` took them only if it returns 0.
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local interval = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local n = tonumber(ARGV[3])
local mode = ARGV[4]
local tat = tonumber(redis.call('GET', KEYS[1]) or now) or now
if tat < now then
  tat = now
end
local new_tat
if mode == 'pause' then
  -- The first permit is free when tat - (burst - 1) * interval <= now.
  new_tat = math.max(tat, now + n + (burst - 1) * interval)
else
  new_tat = tat + n * interval
end
local wait = math.max(0, new_tat - burst * interval - now)
if mode == 'pause' then
  wait = 0
elseif mode == 'peek' or (mode == 'take' and wait > 0) then
  return wait
end
-- Kept until the limit is back to a fresh one, then forgotten.
redis.call('SET', KEYS[1], string.format('%d', new_tat), 'PX', math.floor((new_tat - now) / 1000) + 1)
return wait
