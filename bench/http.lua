-- wrk script for bench/http.sh: GET lookups of random stored devices.
-- env: KIND=device|decision|bare, DEVICES=N, KEY=bouncer key (decisions)
local kind = os.getenv("KIND") or "device"
local devices = tonumber(os.getenv("DEVICES") or "100000")
local key = os.getenv("KEY") or ""
local counter = 0

-- the address bench_http stored as device i (device_ip() there)
local function device_ip(i)
  local a = 81 + math.floor(i / 16777216) % 15
  local b = math.floor(i / 65536) % 256
  local c = math.floor(i / 256) % 256
  local d = i % 256
  if d == 0 then d = 1 end
  return a .. "." .. b .. "." .. c .. "." .. d
end

function setup(thread)
  counter = counter + 1
  thread:set("seed", counter * 7919)
end

function init(args)
  math.randomseed(seed or 1)
end

request = function()
  local ip = device_ip(math.random(0, devices - 1))
  if kind == "decision" then
    return wrk.format("GET", "/v1/decisions?ip=" .. ip, { ["X-Api-Key"] = key })
  elseif kind == "bare" then
    return wrk.format("GET", "/x")
  end
  return wrk.format("GET", "/api/v1/devices/" .. ip)
end
