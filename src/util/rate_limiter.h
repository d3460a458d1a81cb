// KeyedRateLimiter: one token bucket per key (an API token id, a provider name), for request
// rate limits that answer 429 with Retry-After.
//
// Each bucket holds up to `burst` tokens and refills at `per_second`; a request takes one token
// or is refused with the time until one is available. Buckets idle long enough to be full again
// are dropped, so memory is bounded by the keys active in the last burst/per_second seconds.
//
//   KeyedRateLimiter limiter({.per_second = 20, .burst = 100});
//   if (auto wait = limiter.Acquire(token_id)) return TooManyRequests(*wait);
//
// Thread-safe (one mutex; the critical section is a hash lookup and a little arithmetic).
#pragma once

#include <chrono>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include "util/clock.h"

namespace scriptgen {

struct RateLimit {
  double per_second = 20;  // sustained rate; <= 0 disables the limiter
  double burst = 100;      // bucket size: requests allowed at once after a quiet spell
};

class KeyedRateLimiter {
 public:
  explicit KeyedRateLimiter(RateLimit limit, const Clock* clock = SystemClock::Get());

  // nullopt: allowed (one token taken). Otherwise refused: how long until a token is available.
  std::optional<std::chrono::milliseconds> Acquire(const std::string& key, double cost = 1);

  const RateLimit& limit() const { return limit_; }

 private:
  struct Bucket {
    double tokens;
    int64_t updated_ms;
  };
  void DropFullBuckets(int64_t now_ms);

  const RateLimit limit_;
  const Clock* const clock_;
  std::mutex mu_;
  std::unordered_map<std::string, Bucket> buckets_;
  int64_t last_sweep_ms_ = 0;
};

}  // namespace scriptgen
