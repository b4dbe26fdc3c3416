-- wrk script: a two-turn reorder dialog, "reorder coffee pods" then "yes", over and over.
-- The server keeps no session state: the "yes" carries the session attributes the first
-- answer returned, so any connection (and any worker) may send it. Shoppers rotate over
-- BENCH_USERS accounts (each seeded with a past order), so row locks see real contention.
-- The path decides the body: /alexa gets the dialog, the bare baseline endpoint the same
-- first-turn body every time.
local USERS = tonumber(os.getenv("BENCH_USERS") or "64")
local threads = {}  -- in the setup state, for done()
thread_number = 0  -- a global: thread:set() below gives each thread its own
asked = 0  -- answers that asked "Should I order", per thread
placed = 0  -- answers that placed an order, per thread
local counter = 0
local pending = {}  -- "yes" turns waiting to be sent

function setup(thread)
  table.insert(threads, thread)
  thread:set("thread_number", #threads)
end

local function envelope(session, user, new, attributes, request)
  return string.format(
    '{"version":"1.0","session":{"new":%s,"sessionId":"%s","application":' ..
    '{"applicationId":"bench"},"user":{"userId":"%s"},"attributes":%s},"context":' ..
    '{"System":{"application":{"applicationId":"bench"},"user":{"userId":"%s"}}},' ..
    '"request":%s}', new, session, user, attributes, user, request)
end

local function intent(name, slots, request_id)
  return string.format(
    '{"type":"IntentRequest","requestId":"%s","timestamp":"%s","locale":"en-US",' ..
    '"intent":{"name":"%s","confirmationStatus":"NONE","slots":%s}}',
    request_id, os.date("!%Y-%m-%dT%H:%M:%SZ"), name, slots)
end

function request()
  counter = counter + 1
  local id = string.format("%d.%d", thread_number, counter)
  local headers = {["Content-Type"] = "application/json"}
  local yes = table.remove(pending, 1)
  if yes then
    return wrk.format("POST", nil, headers, envelope(yes.session, yes.user, "false",
      yes.attributes, intent("AMAZON.YesIntent", "{}", "bench.request." .. id .. ".yes")))
  end
  local user = string.format("bench-user-%d", (counter * 7 + thread_number) % USERS)
  local session = "bench.session." .. user .. "." .. id  -- the user travels in the id
  local slots = '{"Item":{"name":"Item","value":"coffee pods","confirmationStatus":"NONE"}}'
  return wrk.format("POST", nil, headers, envelope(session, user, "true", "{}",
    intent("ReorderIntent", slots, "bench.request." .. id)))
end

function response(status, headers, text)
  if status ~= 200 then return end
  if string.find(text, '"title": "Order placed', 1, true) then placed = placed + 1 end
  -- Only the answer's own speech decides: the session attributes carry a transcript of
  -- earlier replies, so "Should I order" anywhere in the body would answer "yes" to the
  -- order confirmation's "Anything else?" too (and to every answer after it).
  local speech = string.match(text, '"outputSpeech"%s*:%s*{[^}]-"ssml"%s*:%s*"([^"]*)"')
  if not speech or not string.find(speech, "Should I order", 1, true) then return end
  asked = asked + 1
  local attributes = string.match(text, '"sessionAttributes"%s*:%s*(%b{})')
  local session = attributes and string.match(attributes, '"(bench%.session%.[^"]+)"')
  if session then
    local user = string.match(session, "^bench%.session%.(bench%-user%-%d+)%.")
    table.insert(pending, {session = session, user = user, attributes = attributes})
  end
end

function done(summary, latency, requests)
  local asked_total, placed_total = 0, 0
  for _, thread in ipairs(threads) do
    asked_total = asked_total + thread:get("asked")
    placed_total = placed_total + thread:get("placed")
  end
  io.write(string.format(
    'WRK_JSON {"requests":%d,"seconds":%.3f,"p50_ms":%.2f,"p99_ms":%.2f,' ..
    '"errors":%d,"non_2xx":%d,"asked":%d,"placed":%d}\n', summary.requests,
    summary.duration / 1e6,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    summary.errors.connect + summary.errors.read + summary.errors.write +
    summary.errors.timeout, summary.errors.status, asked_total, placed_total))
end
