-- Replays the request list the runner wrote (BENCH_REQUESTS, a Lua file returning
-- { {method, path, headers, body}, ... }). Each wrk thread takes every n-th request
-- (BENCH_THREADS = n), so writes never send the same request from two threads.
-- BENCH_DELAY_MS > 0 paces each connection (random delay, that mean) for the fixed-rate run.

local list_file = os.getenv("BENCH_REQUESTS")
local thread_count = tonumber(os.getenv("BENCH_THREADS") or "1")
local delay_ms = tonumber(os.getenv("BENCH_DELAY_MS") or "0")
local next_thread_id = 0

function setup(thread)
  thread:set("thread_id", next_thread_id)
  next_thread_id = next_thread_id + 1
end

function init(args)
  prepared = {}
  for _, r in ipairs(dofile(list_file)) do
    table.insert(prepared, wrk.format(r[1], r[2], r[3], r[4]))
  end
  position = thread_id
end

function request()
  local r = prepared[(position % #prepared) + 1]
  position = position + thread_count
  return r
end

if delay_ms > 0 then
  function delay()
    return math.random(0, 2 * delay_ms)
  end
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCH_RESULT {"requests": %d, "duration_us": %d, "bytes": %d, ' ..
    '"errors": {"connect": %d, "read": %d, "write": %d, "status": %d, "timeout": %d}, ' ..
    '"latency_us": {"p50": %d, "p90": %d, "p99": %d, "mean": %.1f, "max": %d}}\n',
    summary.requests, summary.duration, summary.bytes,
    e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency.mean, latency.max))
end
