// EmbeddingRateLimiter: keeps calls to an embedding provider within its requests-per-minute and
// tokens-per-minute limits, and makes every caller wait when the provider asks for a pause.
//
// Two token buckets (requests, tokens) refill continuously at limit/60 per second. A bucket holds
// at most `burst_window` worth of its rate (at least one request, at least one call's tokens):
// providers enforce per-minute limits over shorter windows (a 600 RPM limit is typically policed as
// 10 per second), so a full minute's burst would itself be refused. A call that needs more tokens
// than a bucket can hold may go once the bucket is full and leaves it in debt, so the long-run rate
// is still exact. A 0 limit means unlimited.
//
// Token counts are estimated before the call, without the provider's tokenizer: one token per 4
// bytes of UTF-8, rounded up, at least 1 per input (EstimateTokens). That is close for English
// with BPE tokenizers and undercounts dense scripts (CJK: about 1 token per 3 bytes), so set
// tokens_per_minute with some headroom.
//
// PauseUntil(t) — called when a 429 or 503 carries Retry-After — blocks every Acquire until t, in
// every thread, not only the one that saw the answer.
//
// Bucket state lives behind RateBucketStore so that several processes can share one budget (the
// Redis backend keeps it in Redis and does TryTake in one Lua script). InProcessRateBucketStore is
// the embedded default.
//
//   EmbeddingRateLimiter limiter({.requests_per_minute = 3000, .tokens_per_minute = 1'000'000});
//   SG_RETURN_IF_ERROR(limiter.Acquire(1, EstimateTokens(texts), /*max_wait=*/30s));
//   ... call the provider ...; on 429 with Retry-After: limiter.PauseUntil(now + retry_after);
//
// Thread-safe. Waiting is done in slices of at most 250 ms so a stop request (std::stop_token or
// Shutdown()) is noticed quickly; waits are computed from the injected Clock, and tests may
// replace the sleeping itself (EmbeddingRateLimiterOptions::sleep) to run without real time.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <span>
#include <stop_token>
#include <string>

#include "util/clock.h"
#include "util/status.h"

namespace scriptgen::embed {

// Estimated provider tokens of one request: sum over inputs of max(1, ceil(bytes / 4)).
size_t EstimateTokens(std::span<const std::string> texts);

struct RateBucketLimits {
  double requests_per_minute = 0;  // <= 0: unlimited
  double tokens_per_minute = 0;    // <= 0: unlimited
  std::chrono::milliseconds burst_window{1000};
};

// Where the two buckets and the shared pause live. Implementations must make TryTake atomic with
// respect to every other caller of the same store (a mutex in-process; one script in Redis).
class RateBucketStore {
 public:
  virtual ~RateBucketStore() = default;
  // If the store is paused at now_ms, or a bucket lacks what the cost needs, takes nothing and
  // returns how long to wait before trying again (> 0). Otherwise takes `requests` and `tokens`
  // from the buckets and returns 0. Errors only from a remote store (e.g. Redis unreachable).
  virtual StatusOr<std::chrono::milliseconds> TryTake(const RateBucketLimits& limits,
                                                      double requests, double tokens,
                                                      int64_t now_ms) = 0;
  // Extends the pause to at least until_ms (wall-clock milliseconds); never shortens it.
  virtual Status PauseUntil(int64_t until_ms) = 0;
  virtual StatusOr<int64_t> PausedUntil() = 0;
};

// Buckets in this process's memory. Buckets start full.
class InProcessRateBucketStore final : public RateBucketStore {
 public:
  StatusOr<std::chrono::milliseconds> TryTake(const RateBucketLimits& limits, double requests,
                                              double tokens, int64_t now_ms) override;
  Status PauseUntil(int64_t until_ms) override;
  StatusOr<int64_t> PausedUntil() override;

 private:
  struct Bucket {
    bool used = false;  // an unused bucket is full
    double level = 0;   // negative while a call larger than the bucket is being paid off
    int64_t updated_ms = 0;
  };
  std::mutex mu_;
  Bucket requests_;
  Bucket tokens_;
  int64_t paused_until_ms_ = 0;
};

struct EmbeddingRateLimiterOptions {
  double requests_per_minute = 0;  // <= 0: unlimited
  double tokens_per_minute = 0;    // <= 0: unlimited
  std::chrono::milliseconds burst_window{1000};
  std::shared_ptr<RateBucketStore> store;  // null: a new InProcessRateBucketStore
  const Clock* clock = SystemClock::Get();
  // Replaces real sleeping (tests: advance a ManualClock instead). Called without locks held.
  std::function<void(std::chrono::milliseconds)> sleep;
};

class EmbeddingRateLimiter {
 public:
  explicit EmbeddingRateLimiter(EmbeddingRateLimiterOptions options = {});
  EmbeddingRateLimiter(const EmbeddingRateLimiter&) = delete;
  EmbeddingRateLimiter& operator=(const EmbeddingRateLimiter&) = delete;

  // Blocks until one call of `requests` requests and `tokens` tokens may go, then takes them.
  // Fails without waiting, and takes nothing, when the wait would exceed max_wait:
  // ResourceExhausted (class rate_limited). Unavailable once stop is requested or after
  // Shutdown(); a store error is passed on.
  Status Acquire(double requests, double tokens, std::chrono::milliseconds max_wait,
                 std::stop_token stop = {});

  // Every Acquire (in every thread) waits until at least until_ms (Clock::NowMs time).
  void PauseUntil(int64_t until_ms);
  // 0 when not paused (or the store cannot say).
  int64_t paused_until_ms();

  // Wakes and fails every waiting and future Acquire. For process shutdown.
  void Shutdown();

  // Sleeps for d, or less if stopped/shut down; false if it was interrupted. Uses options.sleep
  // when set. Shared with the provider's backoff so that one knob makes tests time-free.
  bool Sleep(std::chrono::milliseconds d, const std::stop_token& stop);

  const Clock* clock() const { return options_.clock; }
  RateBucketLimits limits() const;

 private:
  EmbeddingRateLimiterOptions options_;
  std::mutex mu_;
  std::condition_variable_any cv_;
  bool shut_down_ = false;
};

}  // namespace scriptgen::embed
