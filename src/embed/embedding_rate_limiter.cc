// Buckets refill lazily (level + elapsed * rate when touched), as util/rate_limiter.cc does: no
// timer thread. The limiter itself holds no bucket state; it loops "TryTake, else sleep the
// returned wait", so the same loop works over a remote store whose TryTake is one round trip.
//
// Waits are sliced (at most kSlice) rather than slept whole: a stop request or Shutdown() is seen
// within a slice, and a store shared with other processes may free capacity earlier than the
// first estimate said. A longer pause set meanwhile simply shows up as a longer wait next loop.
//
// The bucket that is short decides the wait, and nothing is taken until both have enough: taking
// from one bucket and then waiting on the other would leak capacity under contention.
#include "embed/embedding_rate_limiter.h"

#include <algorithm>
#include <cmath>
#include <thread>

namespace scriptgen::embed {
namespace {

constexpr std::chrono::milliseconds kSlice{250};

std::string Millis(std::chrono::milliseconds d) {
  return std::to_string(d.count()) + " ms";
}

}  // namespace

size_t EstimateTokens(std::span<const std::string> texts) {
  size_t total = 0;
  for (const std::string& t : texts) total += std::max<size_t>(1, (t.size() + 3) / 4);
  return total;
}

namespace {

struct BucketMath {
  double per_minute;
  double capacity;
};

BucketMath MathFor(double per_minute, std::chrono::milliseconds window) {
  const double cap = per_minute * static_cast<double>(window.count()) / 60000.0;
  return {per_minute, std::max(1.0, cap)};
}

}  // namespace

StatusOr<std::chrono::milliseconds> InProcessRateBucketStore::TryTake(
    const RateBucketLimits& limits, double requests, double tokens, int64_t now_ms) {
  std::lock_guard lock(mu_);
  if (now_ms < paused_until_ms_) return std::chrono::milliseconds(paused_until_ms_ - now_ms);

  // Brings a bucket up to date and returns the wait until it holds min(cost, capacity).
  auto wait_for = [now_ms](Bucket& b, BucketMath m, double cost) -> int64_t {
    if (!b.used) {
      b.used = true;
      b.level = m.capacity;
    } else {
      const double elapsed = static_cast<double>(std::max<int64_t>(0, now_ms - b.updated_ms));
      b.level = std::min(m.capacity, b.level + elapsed * m.per_minute / 60000.0);
    }
    b.updated_ms = std::max(b.updated_ms, now_ms);
    const double need = std::min(cost, m.capacity);
    if (b.level + 1e-9 >= need) return 0;
    return static_cast<int64_t>(std::ceil((need - b.level) * 60000.0 / m.per_minute));
  };

  const bool limit_requests = limits.requests_per_minute > 0;
  const bool limit_tokens = limits.tokens_per_minute > 0;
  const BucketMath rm = MathFor(limits.requests_per_minute, limits.burst_window);
  const BucketMath tm = MathFor(limits.tokens_per_minute, limits.burst_window);
  int64_t wait = 0;
  if (limit_requests) wait = std::max(wait, wait_for(requests_, rm, requests));
  if (limit_tokens) wait = std::max(wait, wait_for(tokens_, tm, tokens));
  if (wait > 0) return std::chrono::milliseconds(wait);
  if (limit_requests) requests_.level -= requests;
  if (limit_tokens) tokens_.level -= tokens;
  return std::chrono::milliseconds(0);
}

Status InProcessRateBucketStore::PauseUntil(int64_t until_ms) {
  std::lock_guard lock(mu_);
  paused_until_ms_ = std::max(paused_until_ms_, until_ms);
  return Status::Ok();
}

StatusOr<int64_t> InProcessRateBucketStore::PausedUntil() {
  std::lock_guard lock(mu_);
  return paused_until_ms_;
}

EmbeddingRateLimiter::EmbeddingRateLimiter(EmbeddingRateLimiterOptions options)
    : options_(std::move(options)) {
  if (!options_.store) options_.store = std::make_shared<InProcessRateBucketStore>();
  if (options_.clock == nullptr) options_.clock = SystemClock::Get();
}

RateBucketLimits EmbeddingRateLimiter::limits() const {
  return {options_.requests_per_minute, options_.tokens_per_minute, options_.burst_window};
}

Status EmbeddingRateLimiter::Acquire(double requests, double tokens,
                                     std::chrono::milliseconds max_wait, std::stop_token stop) {
  const RateBucketLimits lim = limits();
  const int64_t give_up_ms = options_.clock->NowMs() + max_wait.count();
  for (;;) {
    {
      std::lock_guard lock(mu_);
      if (shut_down_) return Unavailable("embedding rate limiter is shut down");
    }
    if (stop.stop_requested()) return Unavailable("embedding call stopped while rate limited");
    const int64_t now = options_.clock->NowMs();
    StatusOr<std::chrono::milliseconds> wait = options_.store->TryTake(lim, requests, tokens, now);
    if (!wait.ok()) return wait.status();
    if (wait->count() <= 0) return Status::Ok();
    if (now + wait->count() > give_up_ms) {
      return Status(Code::kResourceExhausted, "embedding provider rate limit: next slot in " +
                                                  Millis(*wait) + ", more than the " +
                                                  Millis(max_wait) + " this call may wait");
    }
    Sleep(std::min(*wait, kSlice), stop);
  }
}

void EmbeddingRateLimiter::PauseUntil(int64_t until_ms) {
  // A store error here only loses the shared pause; this caller still backs off on its own.
  (void)options_.store->PauseUntil(until_ms);
}

int64_t EmbeddingRateLimiter::paused_until_ms() {
  StatusOr<int64_t> until = options_.store->PausedUntil();
  if (!until.ok() || *until <= options_.clock->NowMs()) return 0;
  return *until;
}

void EmbeddingRateLimiter::Shutdown() {
  {
    std::lock_guard lock(mu_);
    shut_down_ = true;
  }
  cv_.notify_all();
}

bool EmbeddingRateLimiter::Sleep(std::chrono::milliseconds d, const std::stop_token& stop) {
  if (d.count() <= 0) return true;
  if (options_.sleep) {
    options_.sleep(d);
    std::lock_guard lock(mu_);
    return !shut_down_ && !stop.stop_requested();
  }
  std::unique_lock lock(mu_);
  const bool interrupted = cv_.wait_for(lock, stop, d, [this] { return shut_down_; });
  return !interrupted && !stop.stop_requested();
}

}  // namespace scriptgen::embed
