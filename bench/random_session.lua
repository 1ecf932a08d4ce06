-- wrk: each request goes to a random signed-in tenant's page, with that tenant's session.
-- SESSIONS names a file of lines "slug cookie".
local sessions = {}
for line in io.lines(os.getenv("SESSIONS")) do
  local slug, cookie = line:match("^(%S+) (%S+)$")
  if slug then sessions[#sessions + 1] = { slug = slug, cookie = cookie } end
end
local page = os.getenv("PAGE") or "/portal"
math.randomseed(os.time())
request = function()
  local s = sessions[math.random(#sessions)]
  return wrk.format("GET", "/t/" .. s.slug .. page, { ["Cookie"] = "pitlane_session=" .. s.cookie })
end
