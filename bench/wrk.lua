-- The load of bench/run.py, for wrk started with one connection per thread (-t N -c N), so
-- each thread's requests go one after the other on its own connection.
--   BENCH_MODE=post:  POST BENCH_PATH with BENCH_BODY, ENTITY_ID in it replaced by an id
--                     unique to the thread and request (a new entity each time);
--   BENCH_MODE=event: POST revision / RESUBMITTED in turn to the thread's own runtime, one
--                     of the comma-separated BENCH_RUNTIMES.
-- done() prints one line `BENCH_RESULT {json}` that bench/run.py reads.

local mode = os.getenv("BENCH_MODE")
local headers = {["Authorization"] = "Bearer " .. os.getenv("BENCH_KEY"), ["Content-Type"] = "application/json"}
local threads = {}
local counter, expected = 0, "revision"

function setup(thread)
  table.insert(threads, thread)
  thread:set("tid", #threads)
  local runtimes = {}
  for id in string.gmatch(os.getenv("BENCH_RUNTIMES") or "", "[^,]+") do table.insert(runtimes, id) end
  thread:set("runtime", runtimes[#threads] or "")
end

function init(args)
  prefix = os.getenv("BENCH_TAG") .. "-" .. tid .. "-"
  template = os.getenv("BENCH_BODY") or ""
  path = os.getenv("BENCH_PATH") or "/"
end

function request()
  if mode == "event" then
    return wrk.format("POST", "/api/v1/external/workflows/" .. runtime .. "/event", headers, '{"name": "' .. expected .. '"}')
  end
  counter = counter + 1
  local body = string.gsub(template, "ENTITY_ID", prefix .. counter)
  return wrk.format("POST", path, headers, body)
end

if mode == "event" then
  -- The next event follows from the last one answered: wrk may build a request it then
  -- does not send (it asks for one before the first connect), so counting sends would drift.
  function response(status, headers, body)
    if status == 200 then expected = expected == "revision" and "RESUBMITTED" or "revision" end
  end
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCH_RESULT {"requests": %d, "seconds": %f, "p50_ms": %f, "p99_ms": %f, "errors": %d, "status_errors": %d}\n',
    summary.requests, summary.duration / 1e6, latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    e.connect + e.read + e.write + e.timeout + e.status, e.status))
end
