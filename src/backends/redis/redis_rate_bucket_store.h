// RedisRateBucketStore: the embedding provider's rate-limit buckets (requests and tokens per
// minute) and its shared 429 pause, kept in Redis so that every API and worker process of a
// deployment draws on one provider budget instead of each assuming it has the whole of it.
//
//   auto pool = std::make_shared<redis::RedisPool>(*redis::ParseRedisUrl(url));
//   auto store = std::make_shared<redis::RedisRateBucketStore>(pool);
//   embed::EmbeddingRateLimiter limiter({.requests_per_minute = 3000,
//                                        .tokens_per_minute = 1'000'000,
//                                        .store = store});
//
// Contract (that of embed::RateBucketStore): TryTake is atomic with respect to every other
// store on the same Redis key, in any process: it is one Lua script (in the .cc) that refills
// both buckets, checks both, and takes from both or from neither.
// The arithmetic is that of InProcessRateBucketStore, step for step, so a sequence of calls gives
// the same waits whichever store serves it. PauseUntil never shortens a pause.
//
// Time: the limiter's now_ms is passed into the script (as the queue does: tests drive a
// ManualClock, and Redis TIME is never used); processes sharing a bucket need clocks in step.
// A clock behind the others' cannot refill a bucket backwards (the stored update time only moves
// forward), it merely sees less refill.
//
// Keys: one HASH, `<prefix>{rate}:<bucket>` (fields rl/ru requests level/updated, tl/tu tokens,
// pause), the hash tag keeping it in one Cluster slot. Each write sets a TTL of the time the
// buckets need to refill completely and the pause to pass (plus a second): by then an absent key
// (a full bucket, no pause) is exactly what the stored state would have become, so idle
// deployments leave nothing behind.
//
// Limits travel with each call (RateBucketLimits): processes configured with different limits
// for the same bucket each enforce their own against the shared level. Configure them alike.
//
// Errors: Unavailable and friends from the pool when Redis cannot be reached; the limiter passes
// them to its caller (the embedding call fails and its job is retried), it does not fall back to
// an unshared bucket, which could exceed the provider's limit.
//
// Thread-safe.
#pragma once

#include <memory>
#include <string>

#include "backends/redis/redis_client.h"
#include "embed/embedding_rate_limiter.h"
#include "util/clock.h"

namespace scriptgen::redis {

struct RedisRateBucketOptions {
  std::string prefix = "sg:";    // as RedisKeyOptions::prefix
  std::string bucket = "embed";  // processes using the same name share the budget
  const Clock* clock = nullptr;  // for PauseUntil's TTL; null: SystemClock
};

class RedisRateBucketStore final : public embed::RateBucketStore {
 public:
  explicit RedisRateBucketStore(std::shared_ptr<RedisPool> pool,
                                RedisRateBucketOptions options = {});

  StatusOr<std::chrono::milliseconds> TryTake(const embed::RateBucketLimits& limits,
                                              double requests, double tokens,
                                              int64_t now_ms) override;
  Status PauseUntil(int64_t until_ms) override;
  StatusOr<int64_t> PausedUntil() override;

  const std::string& key() const { return key_; }

 private:
  StatusOr<RedisReply> Run(const RedisScript& script, std::vector<std::string> args);

  const std::shared_ptr<RedisPool> pool_;
  const Clock* const clock_;
  const std::string key_;
  const RedisScript take_;
  const RedisScript pause_;
};

}  // namespace scriptgen::redis
