// RedisRateBucketStore design.
//
// One round trip per TryTake: the script reads the hash, refills lazily (level + elapsed * rate,
// capped), decides, writes the new levels and the TTL, and returns the wait. A WATCH/MULTI
// version would need two round trips and retry loops under contention, which is exactly when the
// limiter is busiest. The script mirrors InProcessRateBucketStore line by line (same operation
// order, so the same doubles): the in-process store is the reference and a test checks that both
// give identical waits for the same sequence of calls.
//
// Numbers: levels are fractional (a token bucket refills by rate/60000 per ms). Lua 5.1 would
// stringify a number with 14 significant digits when it is passed to redis.call, so the script
// formats them itself with %.17g, which round-trips a double exactly; Redis returns a Lua number
// as an integer reply (truncated), so the script only returns whole milliseconds (ceil'd).
//
// Also as the in-process store: a failed take still stores the refilled level and its time
// (equal to not storing it in exact arithmetic; storing keeps the floating-point steps, and thus
// the results, identical), and the pause is checked first and leaves the buckets untouched.
#include "backends/redis/redis_rate_bucket_store.h"

#include <algorithm>
#include <charconv>
#include <cstdio>

namespace scriptgen::redis {
namespace {

// KEYS[1]: the bucket hash. ARGV: now_ms, requests_per_minute, tokens_per_minute, burst_ms,
// requests, tokens (decimal, limits <= 0 unlimited). Returns the wait in ms; 0 when taken.
constexpr const char* kTakeScript = R"lua(
local now = tonumber(ARGV[1])
local burst = tonumber(ARGV[4])
local rates = {tonumber(ARGV[2]), tonumber(ARGV[3])}
local cost = {tonumber(ARGV[5]), tonumber(ARGV[6])}
local h = redis.call('HMGET', KEYS[1], 'rl', 'ru', 'tl', 'tu', 'pause')
local pause = tonumber(h[5]) or 0
if now < pause then return pause - now end
local names = {{'rl', 'ru'}, {'tl', 'tu'}}
local level, updated, cap = {}, {}, {}
local wait = 0
for i = 1, 2 do
  local r = rates[i]
  if r > 0 then
    local c = math.max(1.0, r * burst / 60000.0)
    local l, u = tonumber(h[2 * i - 1]), tonumber(h[2 * i])
    if l == nil or u == nil then
      l, u = c, math.max(0, now)  -- an unused (or expired) bucket is full
    else
      l = math.min(c, l + math.max(0, now - u) * r / 60000.0)
      u = math.max(u, now)
    end
    local need = math.min(cost[i], c)
    if l + 1e-9 < need then wait = math.max(wait, math.ceil((need - l) * 60000.0 / r)) end
    level[i], updated[i], cap[i] = l, u, c
  end
end
local f, ttl = {}, 0
for i = 1, 2 do
  if level[i] then
    if wait == 0 then level[i] = level[i] - cost[i] end
    f[#f + 1] = names[i][1]; f[#f + 1] = string.format('%.17g', level[i])
    f[#f + 1] = names[i][2]; f[#f + 1] = string.format('%.17g', updated[i])
    ttl = math.max(ttl, (cap[i] - level[i]) * 60000.0 / rates[i])
  end
end
if #f > 0 then
  redis.call('HSET', KEYS[1], unpack(f))
  redis.call('PEXPIRE', KEYS[1], string.format('%d', math.ceil(ttl) + 1000))
end
return wait
)lua";

// KEYS[1]: the bucket hash. ARGV: until_ms, ttl_ms (how long the key must live for the pause).
// Returns the pause now in force.
constexpr const char* kPauseScript = R"lua(
local cur = tonumber(redis.call('HGET', KEYS[1], 'pause')) or 0
local u = tonumber(ARGV[1])
if u <= cur then return cur end
redis.call('HSET', KEYS[1], 'pause', ARGV[1])
local ttl = tonumber(ARGV[2])
if redis.call('PTTL', KEYS[1]) < ttl then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return u
)lua";

std::string Num(double v) {
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), v);
  return ec == std::errc() ? std::string(buf, end) : std::to_string(v);
}

}  // namespace

RedisRateBucketStore::RedisRateBucketStore(std::shared_ptr<RedisPool> pool,
                                           RedisRateBucketOptions options)
    : pool_(std::move(pool)),
      clock_(options.clock != nullptr ? options.clock : SystemClock::Get()),
      key_(options.prefix + "{rate}:" + options.bucket),
      take_(kTakeScript),
      pause_(kPauseScript) {}

StatusOr<RedisReply> RedisRateBucketStore::Run(const RedisScript& script,
                                               std::vector<std::string> args) {
  RedisReply reply;
  Status s = pool_->Run([&](RedisConnection& c) -> Status {
    StatusOr<RedisReply> r = script.Run(c, {key_}, args);
    if (!r.ok()) return r.status();
    reply = std::move(*r);
    return Status::Ok();
  });
  if (!s.ok()) return s;
  if (reply.is_error()) return Internal("redis rate bucket script failed: " + reply.str);
  if (reply.type != RedisReply::Type::kInteger) {
    return Internal("redis rate bucket: unexpected reply type");
  }
  return reply;
}

StatusOr<std::chrono::milliseconds> RedisRateBucketStore::TryTake(
    const embed::RateBucketLimits& limits, double requests, double tokens, int64_t now_ms) {
  StatusOr<RedisReply> r =
      Run(take_,
          {std::to_string(now_ms), Num(limits.requests_per_minute), Num(limits.tokens_per_minute),
           std::to_string(limits.burst_window.count()), Num(requests), Num(tokens)});
  if (!r.ok()) return r.status();
  return std::chrono::milliseconds(r->integer);
}

Status RedisRateBucketStore::PauseUntil(int64_t until_ms) {
  const int64_t ttl = std::max<int64_t>(0, until_ms - clock_->NowMs()) + 1000;
  return Run(pause_, {std::to_string(until_ms), std::to_string(ttl)}).status();
}

StatusOr<int64_t> RedisRateBucketStore::PausedUntil() {
  RedisReply reply;
  Status s = pool_->Run([&](RedisConnection& c) -> Status {
    StatusOr<RedisReply> r = c.Command({"HGET", key_, "pause"});
    if (!r.ok()) return r.status();
    reply = std::move(*r);
    return Status::Ok();
  });
  if (!s.ok()) return s;
  if (reply.is_error()) return Internal("redis HGET failed: " + reply.str);
  if (reply.is_nil()) return int64_t{0};
  int64_t v = 0;
  std::from_chars(reply.str.data(), reply.str.data() + reply.str.size(), v);
  return v;
}

}  // namespace scriptgen::redis
