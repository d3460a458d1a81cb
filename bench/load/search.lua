-- wrk script for POST /v1/search: a JSON body with a query drawn from a fixed list of the words
-- the load corpus is written in, so every request does real scoring work. The bearer token comes
-- from wrk's -H option.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"

local queries = {
  "launch video", "camera scene", "product story audience", "brand voice music",
  "edit cut frame", "light plan budget", "schedule review draft", "final shot take studio",
  "audience launch plan", "video edit music", "script story", "studio light camera",
}

local bodies = {}
for i, q in ipairs(queries) do
  bodies[i] = '{"query":"' .. q .. '","k":10}'
end

request = function()
  return wrk.format(nil, nil, nil, bodies[math.random(#bodies)])
end
