// Token buckets are refilled lazily: a bucket stores its level and when it was last touched, and
// Acquire adds what accrued since. No timer thread, no per-key work while idle.
#include "util/rate_limiter.h"

#include <algorithm>
#include <cmath>

namespace scriptgen {

KeyedRateLimiter::KeyedRateLimiter(RateLimit limit, const Clock* clock)
    : limit_(limit), clock_(clock) {}

std::optional<std::chrono::milliseconds> KeyedRateLimiter::Acquire(const std::string& key,
                                                                   double cost) {
  if (limit_.per_second <= 0) return std::nullopt;
  const int64_t now = clock_->NowMs();
  std::lock_guard lock(mu_);
  DropFullBuckets(now);
  auto [it, inserted] = buckets_.try_emplace(key, Bucket{limit_.burst, now});
  Bucket& b = it->second;
  if (!inserted) {
    const double elapsed_s = static_cast<double>(std::max<int64_t>(0, now - b.updated_ms)) / 1000;
    b.tokens = std::min(limit_.burst, b.tokens + elapsed_s * limit_.per_second);
    b.updated_ms = now;
  }
  if (b.tokens >= cost) {
    b.tokens -= cost;
    return std::nullopt;
  }
  const double wait_s = (cost - b.tokens) / limit_.per_second;
  return std::chrono::milliseconds(static_cast<int64_t>(std::ceil(wait_s * 1000)));
}

void KeyedRateLimiter::DropFullBuckets(int64_t now_ms) {
  // A bucket untouched for the time a full refill takes would be full: same as absent.
  const int64_t refill_ms = static_cast<int64_t>(1000 * limit_.burst / limit_.per_second) + 1;
  if (now_ms - last_sweep_ms_ < std::max<int64_t>(refill_ms, 1000)) return;
  last_sweep_ms_ = now_ms;
  std::erase_if(buckets_,
                [&](const auto& kv) { return now_ms - kv.second.updated_ms > refill_ms; });
}

}  // namespace scriptgen
