-- wrk script of bench/serve.py: POST pre-built JSON bodies in turn, report as JSON.
--   wrk ... -s bench/load.lua URL -- BODIES_FILE TOKEN
-- BODIES_FILE holds one request body per line. Every thread starts at its own
-- offset so concurrent connections ask for different keys.

local requests = {}
local next_index = 0

function setup(thread)
  thread:set("offset", math.random(1, 1000000))
end

function init(args)
  local headers = {
    ["Content-Type"] = "application/json",
    ["Authorization"] = "Bearer " .. args[2],
  }
  for line in io.lines(args[1]) do
    if #line > 0 then
      requests[#requests + 1] = wrk.format("POST", nil, headers, line)
    end
  end
  next_index = (offset or 0) % #requests
end

function request()
  next_index = next_index % #requests + 1
  return requests[next_index]
end

function done(summary, latency, _)
  local errors = summary.errors
  io.write(string.format(
    'WRK_RESULT {"requests": %d, "duration_us": %d, "p50_us": %.1f, "p99_us": %.1f, ' ..
    '"max_us": %.1f, "connect": %d, "read": %d, "write": %d, "status": %d, "timeout": %d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    latency.max, errors.connect, errors.read, errors.write, errors.status, errors.timeout))
end
