// The sources of the Redis scripts. Each script is the shared prelude (key helpers, index
// bookkeeping, the TTL sweep) followed by its body. The invariant every script keeps: a job id is
// in exactly one state index (q:<type>, sched, leases, succeeded, dead, cancelled), the one its
// hash's `s` field names, and in `all` for as long as its hash exists. Counts() relies on it.
//
// Index updates of a batch are collected and sent as one ZADD/ZREM per index (`flush`), which is
// safe because no script moves the same job twice in one call (every Apply entry requires a
// state it then leaves).
#include "backends/redis/redis_lua_scripts.h"

namespace scriptgen::redis::lua {
namespace {

constexpr const char* kPrelude = R"lua(
local P = ARGV[1]
local function jkey(id) return P .. 'j:' .. id end
local function ekey(id) return P .. 'e:' .. id end
local state_index = {P .. 'sched', P .. 'leases', P .. 'succeeded', P .. 'dead', P .. 'cancelled'}
local function index_of(state, jtype)
  if state == 0 then return P .. 'q:' .. jtype end
  return state_index[state]
end
local adds, rems = {}, {}
local function add(key, score, id)
  local t = adds[key]
  if not t then t = {}; adds[key] = t end
  t[#t + 1] = score; t[#t + 1] = id
end
local function rem(key, id)
  local t = rems[key]
  if not t then t = {}; rems[key] = t end
  t[#t + 1] = id
end
local function flush()
  for key, t in pairs(rems) do
    for i = 1, #t, 500 do redis.call('ZREM', key, unpack(t, i, math.min(i + 499, #t))) end
  end
  for key, t in pairs(adds) do
    for i = 1, #t, 1000 do redis.call('ZADD', key, unpack(t, i, math.min(i + 999, #t))) end
  end
  adds, rems = {}, {}
end
local function forget(id)
  local k = jkey(id)
  local ikey = redis.call('HGET', k, 'k')
  if ikey then redis.call('HDEL', P .. 'idem', ikey) end
  redis.call('DEL', k, ekey(id))
  rem(P .. 'all', id)
end
local function sweep(cutoff, limit)
  for _, z in ipairs({P .. 'succeeded', P .. 'cancelled'}) do
    local ids = redis.call('ZRANGEBYSCORE', z, '-inf', cutoff, 'LIMIT', 0, limit)
    for _, id in ipairs(ids) do
      forget(id)
      rem(z, id)
    end
  end
  flush()
end
)lua";

constexpr const char* kEnqueue = R"lua(
local now = ARGV[2]
local n = tonumber(ARGV[3])
local out = {}
local claimable = false
local seen = {}
for i = 0, n - 1 do
  local b = 4 + i * 8
  local jtype, ikey = ARGV[b], ARGV[b + 2]
  local existing = false
  if ikey ~= '' then existing = redis.call('HGET', P .. 'idem', ikey) end
  if existing then
    out[#out + 1] = tonumber(existing)
    out[#out + 1] = 0
  else
    local id = redis.call('INCR', P .. 'id')
    local state = tonumber(ARGV[b + 5])
    local f = {'t', jtype, 'p', ARGV[b + 1], 's', state, 'a', 0, 'm', ARGV[b + 3],
               'r', ARGV[b + 4], 'cr', now, 'up', now}
    if ikey ~= '' then
      f[#f + 1] = 'k'; f[#f + 1] = ikey
      redis.call('HSET', P .. 'idem', ikey, id)
    end
    if ARGV[b + 6] ~= '' then f[#f + 1] = 'ti'; f[#f + 1] = ARGV[b + 6] end
    if ARGV[b + 7] ~= '' then f[#f + 1] = 'ci'; f[#f + 1] = ARGV[b + 7] end
    redis.call('HSET', jkey(id), unpack(f))
    add(P .. 'all', id, id)
    if state == 1 then
      add(P .. 'sched', ARGV[b + 4], id)
    else
      add(P .. 'q:' .. jtype, id, id)
      claimable = true
    end
    if not seen[jtype] then
      seen[jtype] = true
      redis.call('SADD', P .. 'types', jtype)
    end
    out[#out + 1] = id
    out[#out + 1] = 1
  end
end
flush()
if claimable then redis.call('PUBLISH', P .. 'work', '1') end
return out
)lua";

constexpr const char* kClaim = R"lua(
local now, lease, worker = ARGV[2], ARGV[3], ARGV[4]
local max = tonumber(ARGV[5])
local promoted = {}
local due = redis.call('ZRANGEBYSCORE', P .. 'sched', '-inf', now, 'LIMIT', 0, tonumber(ARGV[6]))
for _, id in ipairs(due) do
  local k = jkey(id)
  local jtype = redis.call('HGET', k, 't')
  rem(P .. 'sched', id)
  if jtype then
    add(P .. 'q:' .. jtype, id, id)
    redis.call('HSET', k, 's', 0, 'up', now)
    promoted[#promoted + 1] = id
  end
end
flush()
local types = {}
local ntypes = tonumber(ARGV[7])
if ntypes == 0 then
  types = redis.call('SMEMBERS', P .. 'types')
else
  for i = 1, ntypes do types[i] = ARGV[7 + i] end
end
local ids = {}
if max > 0 and #types == 1 then
  local r = redis.call('ZPOPMIN', P .. 'q:' .. types[1], max)
  for i = 1, #r, 2 do ids[#ids + 1] = r[i] end
elseif max > 0 and #types > 1 then
  local cand = {}
  for _, t in ipairs(types) do
    local r = redis.call('ZRANGE', P .. 'q:' .. t, 0, max - 1, 'WITHSCORES')
    for i = 1, #r, 2 do cand[#cand + 1] = {tonumber(r[i + 1]), r[i], t} end
  end
  table.sort(cand, function(x, y) return x[1] < y[1] end)
  for i = 1, math.min(max, #cand) do
    rem(P .. 'q:' .. cand[i][3], cand[i][2])
    ids[#ids + 1] = cand[i][2]
  end
end
local jobs = {}
local leases = P .. 'leases'
for _, id in ipairs(ids) do
  local k = jkey(id)
  local h = redis.call('HGETALL', k)
  local a = 0
  for i = 1, #h, 2 do
    if h[i] == 'a' then
      a = tonumber(h[i + 1])
      break
    end
  end
  -- Strings, not Lua numbers: Redis formats a number argument with snprintf("%.17g").
  redis.call('HSET', k, 's', '2', 'a', tostring(a + 1), 'w', worker, 'l', lease, 'up', now)
  add(leases, lease, id)
  jobs[#jobs + 1] = id
  jobs[#jobs + 1] = h  -- as before the claim: the caller applies the claim's changes itself
end
flush()
return {promoted, jobs}
)lua";

constexpr const char* kHeartbeat = R"lua(
local lease, worker = ARGV[2], ARGV[3]
local cancel, lost = {}, {}
for i = 4, #ARGV do
  local id = ARGV[i]
  local k = jkey(id)
  local v = redis.call('HMGET', k, 's', 'w', 'c')
  if v[1] == '2' and v[2] == worker then
    redis.call('HSET', k, 'l', lease)
    add(P .. 'leases', lease, id)
    if v[3] == '1' then cancel[#cancel + 1] = id end
  else
    lost[#lost + 1] = id
  end
end
flush()
return {cancel, lost}
)lua";

constexpr const char* kApply = R"lua(
local now = ARGV[2]
local drop_finished = tonumber(ARGV[3]) >= tonumber(now)  -- finished_ttl <= 0
local n = tonumber(ARGV[5])
local out = {}
local claimable = false
local all = P .. 'all'
local function apply(id, want_worker, want_state, want_attempts, want_lease, ns_arg, na, run_at,
                     ec, em)
  local k = jkey(id)
  local v = redis.call('HMGET', k, 's', 'w', 'a', 'l', 't', 'k', 'ec')
  if not v[1] then return -1 end
  local st = tonumber(v[1])
  local a = tonumber(v[3] or '0') or 0
  if st ~= want_state
      or (want_worker ~= '' and v[2] ~= want_worker)
      or (want_attempts >= 0 and a ~= want_attempts)
      or (want_lease ~= '' and v[4] ~= want_lease) then
    return -(10 + st)
  end
  local ns = tonumber(ns_arg)
  if drop_finished and (ns == 3 or ns == 5) then
    -- A TTL of 0: delete now rather than write a state that the sweep deletes next call.
    if v[6] then redis.call('HDEL', P .. 'idem', v[6]) end
    if v[7] then redis.call('DEL', k, ekey(id)) else redis.call('DEL', k) end
    rem(index_of(st, v[5]), id)
    rem(all, id)
    return ns
  end
  local a2 = v[3] or '0'
  if na == -2 then a2 = tostring(math.max(0, a - 1)) elseif na >= 0 then a2 = tostring(na) end
  local finished = '0'
  if ns == 3 or ns == 4 or ns == 5 then finished = now end
  local f = {'s', ns_arg, 'a', a2, 'up', now, 'f', finished, 'w', '', 'l', '0', 'c', '0'}
  if run_at ~= '' then f[#f + 1] = 'r'; f[#f + 1] = run_at end
  if ec ~= '' then
    f[#f + 1] = 'ec'; f[#f + 1] = ec
    f[#f + 1] = 'em'; f[#f + 1] = em
    redis.call('RPUSH', ekey(id), a .. '|' .. ec .. '|' .. now .. '|' .. em)
  end
  redis.call('HSET', k, unpack(f))
  rem(index_of(st, v[5]), id)
  local score = now
  if ns == 0 or ns == 4 then score = id elseif ns == 1 then score = run_at end
  add(index_of(ns, v[5]), score, id)
  if ns == 0 then claimable = true end
  return ns
end
for i = 0, n - 1 do
  local b = 7 + i * 10
  out[#out + 1] = apply(ARGV[b], ARGV[b + 1], tonumber(ARGV[b + 2]), tonumber(ARGV[b + 3]),
                        ARGV[b + 4], ARGV[b + 5], tonumber(ARGV[b + 6]), ARGV[b + 7],
                        ARGV[b + 8], ARGV[b + 9])
end
local worker = ARGV[6]
for i = 7 + n * 10, #ARGV, 2 do
  out[#out + 1] = apply(ARGV[i], worker, 2, -1, '', ARGV[i + 1], -1, '', '', '')
end
flush()
sweep(ARGV[3], tonumber(ARGV[4]))
if claimable then redis.call('PUBLISH', P .. 'work', '1') end
return out
)lua";

constexpr const char* kCancel = R"lua(
local now, id = ARGV[2], ARGV[3]
local k = jkey(id)
local v = redis.call('HMGET', k, 's', 't')
if not v[1] then return {-1, 0} end
local st = tonumber(v[1])
local act = ARGV[4 + st]
if act == 'n' then return {st, 0} end
if act == 'x' then return {-(10 + st), 0} end
if act == 'r' then
  redis.call('HSET', k, 'c', 1, 'up', now)
  return {st, 0}
end
redis.call('ZREM', index_of(st, v[2]), id)
redis.call('HSET', k, 's', 5, 'f', now, 'up', now)
redis.call('ZADD', P .. 'cancelled', now, id)
return {5, 1}
)lua";

constexpr const char* kExpiredLeases = R"lua(
local ids = redis.call('ZRANGEBYSCORE', P .. 'leases', '-inf', '(' .. ARGV[2], 'LIMIT', 0,
                       tonumber(ARGV[3]))
local out = {}
for _, id in ipairs(ids) do
  local v = redis.call('HMGET', jkey(id), 's', 'w', 'a', 'm', 'l')
  if not v[1] then
    redis.call('ZREM', P .. 'leases', id)  -- cannot happen; never let it wedge the reaper
  else
    out[#out + 1] = {id, v[1], v[2] or '', v[3] or '0', v[4] or '0', v[5] or ''}
  end
end
return out
)lua";

constexpr const char* kDeadByClass = R"lua(
local ids = redis.call('ZRANGEBYSCORE', P .. 'dead', '(' .. ARGV[2], '+inf', 'LIMIT', 0,
                       tonumber(ARGV[4]))
local out = {}
for _, id in ipairs(ids) do
  if ARGV[3] == '' or redis.call('HGET', jkey(id), 'ec') == ARGV[3] then out[#out + 1] = id end
end
return {ids[#ids] or '', out}
)lua";

constexpr const char* kPurge = R"lua(
local out = {}
for i = 2, #ARGV do
  local id = ARGV[i]
  local s = redis.call('HGET', jkey(id), 's')
  if not s then
    out[#out + 1] = -1
  elseif s ~= '4' then
    out[#out + 1] = -(10 + tonumber(s))
  else
    forget(id)
    rem(P .. 'dead', id)
    out[#out + 1] = 4
  end
end
flush()
return out
)lua";

constexpr const char* kProgress = R"lua(
for i = 2, #ARGV, 4 do
  local k = jkey(ARGV[i])
  if redis.call('HGET', k, 's') == '2' then
    redis.call('HSET', k, 'ps', ARGV[i + 1], 'pp', ARGV[i + 2], 'pm', ARGV[i + 3])
  end
end
return 0
)lua";

constexpr const char* kList = R"lua(
local state, ec, jt = tonumber(ARGV[3]), ARGV[4], ARGV[5]
local limit, budget = tonumber(ARGV[6]), tonumber(ARGV[7])
local src = P .. 'all'
if state == 4 then src = P .. 'dead' elseif state == 0 and jt ~= '' then src = P .. 'q:' .. jt end
local out = {}
local cursor = ARGV[2]
local scanned = 0
while scanned < budget do
  local ids = redis.call('ZRANGEBYSCORE', src, '(' .. cursor, '+inf', 'LIMIT', 0, 256)
  if #ids == 0 then return {cursor, 1, out} end
  for _, id in ipairs(ids) do
    scanned = scanned + 1
    cursor = id
    local k = jkey(id)
    local v = redis.call('HMGET', k, 's', 't', 'ec')
    if v[1] and (state < 0 or tonumber(v[1]) == state) and (jt == '' or v[2] == jt)
        and (ec == '' or v[3] == ec) then
      out[#out + 1] = id
      out[#out + 1] = redis.call('HGETALL', k)
      if #out >= 2 * limit then return {cursor, 0, out} end
    end
  end
end
return {cursor, 0, out}
)lua";

constexpr const char* kCounts = R"lua(
local q = 0
for _, t in ipairs(redis.call('SMEMBERS', P .. 'types')) do
  q = q + redis.call('ZCARD', P .. 'q:' .. t)
end
return {q, redis.call('ZCARD', P .. 'sched'), redis.call('ZCARD', P .. 'leases'),
        redis.call('ZCARD', P .. 'succeeded'), redis.call('ZCARD', P .. 'dead'),
        redis.call('ZCARD', P .. 'cancelled')}
)lua";

constexpr const char* kPublishEvents = R"lua(
local P = ARGV[1]
local hist = tonumber(ARGV[2])
-- Events of one job in this batch share one HINCRBY, one HSET and at most one PEXPIRE.
local order, groups = {}, {}
for i = 5, #ARGV, 3 do
  local id = ARGV[i]
  local g = groups[id]
  if not g then
    g = {}
    groups[id] = g
    order[#order + 1] = id
  end
  g[#g + 1] = i
end
local parts = {}
for _, id in ipairs(order) do
  local g = groups[id]
  local k = P .. 'ev:' .. id
  local seq = redis.call('HINCRBY', k, 'seq', #g) - #g
  local fields = {}
  local ttl = false
  for _, i in ipairs(g) do
    seq = seq + 1
    local e = seq .. ',' .. ARGV[i + 2]
    fields[#fields + 1] = tostring(seq % hist)
    fields[#fields + 1] = e
    local flag = ARGV[i + 1]
    if flag == 't' then ttl = ARGV[4] elseif flag == 's' or seq == 1 then ttl = ARGV[3] end
    parts[#parts + 1] = #e .. ':' .. e
  end
  redis.call('HSET', k, unpack(fields))
  if ttl then redis.call('PEXPIRE', k, ttl) end
end
if #parts > 0 then redis.call('PUBLISH', P .. 'events', table.concat(parts)) end
return #parts
)lua";

std::string WithPrelude(const char* body) {
  return std::string(kPrelude) + body;
}

}  // namespace

const std::string& Enqueue() {
  static const std::string s = WithPrelude(kEnqueue);
  return s;
}
const std::string& Claim() {
  static const std::string s = WithPrelude(kClaim);
  return s;
}
const std::string& Heartbeat() {
  static const std::string s = WithPrelude(kHeartbeat);
  return s;
}
const std::string& Apply() {
  static const std::string s = WithPrelude(kApply);
  return s;
}
const std::string& Cancel() {
  static const std::string s = WithPrelude(kCancel);
  return s;
}
const std::string& ExpiredLeases() {
  static const std::string s = WithPrelude(kExpiredLeases);
  return s;
}
const std::string& DeadByClass() {
  static const std::string s = WithPrelude(kDeadByClass);
  return s;
}
const std::string& Purge() {
  static const std::string s = WithPrelude(kPurge);
  return s;
}
const std::string& Progress() {
  static const std::string s = WithPrelude(kProgress);
  return s;
}
const std::string& List() {
  static const std::string s = WithPrelude(kList);
  return s;
}
const std::string& Counts() {
  static const std::string s = WithPrelude(kCounts);
  return s;
}
const std::string& PublishEvents() {
  static const std::string s = kPublishEvents;
  return s;
}

}  // namespace scriptgen::redis::lua
