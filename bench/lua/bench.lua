-- wrk script for every benchmark endpoint, configured by environment:
--   BENCH_METHOD   GET (default) or POST
--   BENCH_COOKIE   Cookie header to send, if any
--   BENCH_BODY     request body; "__OPENID__" and "__PHONE__" in it are
--                  replaced per request by a new openid or phone number
--   BENCH_CONTENT_TYPE   Content-Type of the body
--   BENCH_FILE     a file sent as one multipart/form-data part (upload)
--   BENCH_EXPECT   "ret" (body must carry "ret": 0), "result" ("result": 0)
--                  or "none" (status only)
--   BENCH_RUN_TAG  an integer that keeps openids and phones of one run
--                  apart from those of other runs
-- done() prints one line "BENCH_RESULT {json}" that bench/run.py reads.

local threads = {}

function setup(thread)
  thread:set("thread_number", #threads + 1)
  table.insert(threads, thread)
end

local method = os.getenv("BENCH_METHOD") or "GET"
local expect = os.getenv("BENCH_EXPECT") or "ret"
local cookie = os.getenv("BENCH_COOKIE")
local body_template = os.getenv("BENCH_BODY")
local content_type = os.getenv("BENCH_CONTENT_TYPE")
local upload_file = os.getenv("BENCH_FILE")
local run_tag = tonumber(os.getenv("BENCH_RUN_TAG") or "0")

local headers = {}
local fixed_body = nil
local per_request = false
local sequence = 0

function init(args)
  ok_count = 0
  ret_errors = 0
  non_2xx = 0
  if cookie then
    headers["Cookie"] = cookie
  end
  if content_type then
    headers["Content-Type"] = content_type
  end
  if upload_file then
    local handle = assert(io.open(upload_file, "rb"))
    local data = handle:read("*a")
    handle:close()
    local boundary = "----benchboundary7d3f2a"
    headers["Content-Type"] = "multipart/form-data; boundary=" .. boundary
    fixed_body = "--" .. boundary .. "\r\n"
      .. 'Content-Disposition: form-data; name="file"; filename="photo.jpg"\r\n'
      .. "Content-Type: image/jpeg\r\n\r\n"
      .. data .. "\r\n--" .. boundary .. "--\r\n"
  elseif body_template then
    per_request = body_template:find("__OPENID__", 1, true)
      or body_template:find("__PHONE__", 1, true)
    fixed_body = body_template
  end
  if not per_request then
    fixed_request = wrk.format(method, nil, headers, fixed_body)
  end
end

function request()
  if not per_request then
    return fixed_request
  end
  sequence = sequence + 1
  -- 8 digits: the run tag and this thread's sequence number.
  local serial = (run_tag + thread_number * 10000000 + sequence) % 100000000
  local body = body_template
    :gsub("__OPENID__", string.format("o_bench_submit_%d_%08d", thread_number, serial))
    :gsub("__PHONE__", string.format("15%d%08d", thread_number % 10, serial))
  return wrk.format(method, nil, headers, body)
end

function response(status, response_headers, body)
  if status < 200 or status > 299 then
    non_2xx = non_2xx + 1
    return
  end
  if expect == "ret" then
    if body:find('"ret":%s*0%s*[,}]') then
      ok_count = ok_count + 1
    else
      ret_errors = ret_errors + 1
    end
  elseif expect == "result" then
    if body:find('"result":%s*0%s*[,}]') then
      ok_count = ok_count + 1
    else
      ret_errors = ret_errors + 1
    end
  else
    ok_count = ok_count + 1
  end
end

function done(summary, latency, requests)
  local ok_total, ret_total, non_2xx_total = 0, 0, 0
  for _, thread in ipairs(threads) do
    ok_total = ok_total + thread:get("ok_count")
    ret_total = ret_total + thread:get("ret_errors")
    non_2xx_total = non_2xx_total + thread:get("non_2xx")
  end
  local errors = summary.errors
  io.write(string.format(
    'BENCH_RESULT {"requests":%d,"duration_us":%d,"p50_us":%d,"p90_us":%d,'
      .. '"p99_us":%d,"max_us":%d,"ok":%d,"ret_errors":%d,"non_2xx":%d,'
      .. '"connect_errors":%d,"read_errors":%d,"write_errors":%d,'
      .. '"timeouts":%d}\n',
    summary.requests, summary.duration,
    latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency.max, ok_total, ret_total, non_2xx_total,
    errors.connect, errors.read, errors.write, errors.timeout))
end
