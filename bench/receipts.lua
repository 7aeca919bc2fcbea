-- wrk script for bench/intake_receipts.py: every request is a new, valid receipt.
-- Each thread files on its own past days, so no agency's daily sequence (9,999) runs out.
local threads = {}

function setup(thread)
  thread:set("id", #threads)
  table.insert(threads, thread)
end

function init(args)
  run = args[1]
  key = args[2]
  counter = 0
  base = os.time({year = 2026, month = 11, day = 1, hour = 1})
end

function request()
  counter = counter + 1
  local days_back = id * 300 + math.floor(counter / 4000)
  local received = os.date("!%Y-%m-%dT%H:%M:%S+00:00", base - days_back * 86400)
  local agency = "STP"  -- a provincial department: it receives before and after 1 July 2025
  local body = string.format(
    '{"submission_id":"wrk-%s-%d-%d","procedure_code":"1.001756","agency_code":"%s",' ..
    '"channel":"online","return_method":"online","received_at":"%s","applicant":' ..
    '{"name":"Trần Văn Bench","id_number":"079200000001","phone":"0900000001",' ..
    '"address":{"province":"HCM","commune":"Sài Gòn","street":"1"}}}',
    run, id, counter, agency, received)
  return wrk.format("POST", "/v1/dossiers",
    {["Content-Type"] = "application/json", ["X-API-Key"] = key}, body)
end
