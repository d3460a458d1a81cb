// EmbeddingRateLimiter: bucket arithmetic on a ManualClock (sleeping advances the clock, so no
// real waits), pauses, bounded waits, shutdown and stop requests, and the limits as seen by the
// fake provider (calls per time window counted on the server side).
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <thread>

#include "embed/embedding_rate_limiter.h"
#include "embed/openai_embedder.h"
#include "fake_openai_server.h"

namespace scriptgen::embed {
namespace {

using namespace std::chrono_literals;
using std::chrono::milliseconds;

// A limiter on a ManualClock whose sleeps advance that clock and are added up.
struct ManualLimiter {
  explicit ManualLimiter(double rpm, double tpm, milliseconds window = 1000ms)
      : limiter({.requests_per_minute = rpm,
                 .tokens_per_minute = tpm,
                 .burst_window = window,
                 .clock = &clock,
                 .sleep = [this](milliseconds d) {
                   slept += d;
                   clock.Advance(d);
                 }}) {}
  ManualClock clock;
  milliseconds slept{0};
  EmbeddingRateLimiter limiter;
};

TEST(EmbeddingRateLimiterTest, EstimatesTokensFromBytes) {
  const std::vector<std::string> texts = {"", "abcd", "abcde", std::string(400, 'x')};
  EXPECT_EQ(EstimateTokens(texts), 1u + 1u + 2u + 100u);
}

TEST(EmbeddingRateLimiterTest, UnlimitedNeverWaits) {
  ManualLimiter m(0, 0);
  for (int i = 0; i < 1000; ++i) ASSERT_TRUE(m.limiter.Acquire(1, 1e6, 0ms).ok());
  EXPECT_EQ(m.slept, 0ms);
}

TEST(EmbeddingRateLimiterTest, RequestsPerMinuteSpacesCalls) {
  ManualLimiter m(60, 0);  // one per second, bucket of one
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(m.limiter.Acquire(1, 10, 10s).ok());
  EXPECT_EQ(m.slept, 4000ms);  // the first is free, each further one waits a second
}

TEST(EmbeddingRateLimiterTest, BurstWindowAllowsABurstThenTheRate) {
  ManualLimiter m(600, 0, 1000ms);  // 10 per second, bucket of 10
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(m.limiter.Acquire(1, 1, 10s).ok());
  EXPECT_EQ(m.slept, 0ms);
  ASSERT_TRUE(m.limiter.Acquire(1, 1, 10s).ok());
  EXPECT_EQ(m.slept, 100ms);
}

TEST(EmbeddingRateLimiterTest, TokensPerMinuteWithCallsLargerThanTheBucket) {
  ManualLimiter m(0, 6000);                          // 100 tokens per second, bucket of 100
  ASSERT_TRUE(m.limiter.Acquire(1, 250, 10s).ok());  // goes at once, leaves 150 tokens of debt
  EXPECT_EQ(m.slept, 0ms);
  ASSERT_TRUE(m.limiter.Acquire(1, 50, 10s).ok());  // waits for the debt and its own 50
  EXPECT_EQ(m.slept, 2000ms);
}

TEST(EmbeddingRateLimiterTest, BothBucketsMustHaveEnough) {
  ManualLimiter m(60, 6000);  // 1 request/s, 100 tokens/s
  ASSERT_TRUE(m.limiter.Acquire(1, 100, 10s).ok());
  // The request bucket is ready after 1 s; the tokens for 300 (capped at the bucket: 100) too.
  ASSERT_TRUE(m.limiter.Acquire(1, 300, 10s).ok());
  EXPECT_EQ(m.slept, 1000ms);
  // Now 200 tokens in debt: the next call needs 3 s of token refill although requests are fine.
  ASSERT_TRUE(m.limiter.Acquire(1, 100, 10s).ok());
  EXPECT_EQ(m.slept, 4000ms);
}

TEST(EmbeddingRateLimiterTest, PauseHoldsEveryAcquire) {
  ManualLimiter m(0, 0);
  const int64_t start = m.clock.NowMs();
  m.limiter.PauseUntil(start + 5000);
  EXPECT_EQ(m.limiter.paused_until_ms(), start + 5000);
  m.limiter.PauseUntil(start + 1000);  // never shortens
  EXPECT_EQ(m.limiter.paused_until_ms(), start + 5000);
  ASSERT_TRUE(m.limiter.Acquire(1, 1, 10s).ok());
  EXPECT_EQ(m.slept, 5000ms);
  EXPECT_EQ(m.limiter.paused_until_ms(), 0);
}

TEST(EmbeddingRateLimiterTest, RefusesWaitsLongerThanAllowedWithoutTakingAnything) {
  ManualLimiter m(60, 0);
  ASSERT_TRUE(m.limiter.Acquire(1, 1, 0ms).ok());
  const Status s = m.limiter.Acquire(1, 1, 500ms);
  EXPECT_EQ(s.code(), Code::kResourceExhausted) << s.ToString();
  EXPECT_EQ(m.slept, 0ms);  // refused up front, not after sleeping
  m.clock.Advance(1000ms);
  ASSERT_TRUE(m.limiter.Acquire(1, 1, 0ms).ok());  // the refused call took nothing

  m.limiter.PauseUntil(m.clock.NowMs() + 60'000);
  EXPECT_EQ(m.limiter.Acquire(1, 1, 30s).code(), Code::kResourceExhausted);
}

TEST(EmbeddingRateLimiterConcurrentTest, ShutdownAndStopWakeWaiters) {
  EmbeddingRateLimiter limiter(EmbeddingRateLimiterOptions{});
  limiter.PauseUntil(SystemClock::Get()->NowMs() + 60'000);
  std::stop_source stop;
  Status stopped_status, shutdown_status;
  std::thread stopped([&] { stopped_status = limiter.Acquire(1, 1, 120s, stop.get_token()); });
  std::thread shut([&] { shutdown_status = limiter.Acquire(1, 1, 120s); });
  const auto start = std::chrono::steady_clock::now();
  std::this_thread::sleep_for(50ms);
  stop.request_stop();
  stopped.join();
  limiter.Shutdown();
  shut.join();
  EXPECT_LT(std::chrono::steady_clock::now() - start, 2s);
  EXPECT_EQ(stopped_status.code(), Code::kUnavailable);
  EXPECT_EQ(shutdown_status.code(), Code::kUnavailable);
  EXPECT_EQ(limiter.Acquire(1, 1, 0ms).code(), Code::kUnavailable);
}

TEST(EmbeddingRateLimiterConcurrentTest, ThreadsShareOneBudget) {
  // 6000 per minute = 100 per second, bucket of one (10 ms window): 40 acquisitions from 8 threads
  // need at least 390 ms in total, however they interleave.
  EmbeddingRateLimiter limiter({.requests_per_minute = 6000, .burst_window = 10ms});
  std::atomic<int> granted{0};
  const auto start = std::chrono::steady_clock::now();
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 5; ++i) {
        if (limiter.Acquire(1, 1, 10s).ok()) ++granted;
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(granted.load(), 40);
  EXPECT_GE(std::chrono::steady_clock::now() - start, 380ms);
}

TEST(EmbeddingRateLimiterConcurrentTest, ProviderSeesAtMostTheConfiguredRate) {
  // 600 requests per minute with a 100 ms burst window: one call per 100 ms, counted by the fake.
  testing::FakeOpenAiServer fake({.dim = 4});
  auto limiter = std::make_shared<EmbeddingRateLimiter>(
      EmbeddingRateLimiterOptions{.requests_per_minute = 600, .burst_window = 100ms});
  StatusOr<std::unique_ptr<OpenAiEmbedder>> e = OpenAiEmbedder::Create(
      {.base_url = fake.base_url(), .model = "m", .dimension = 4, .rate_limiter = limiter});
  ASSERT_TRUE(e.ok());
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 3; ++i) {
        std::vector<float> out;
        const std::vector<std::string> texts = {"t" + std::to_string(t) + "." + std::to_string(i)};
        if ((*e)->Embed(texts, &out).ok()) ++ok;
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(ok.load(), 12);
  std::vector<std::chrono::steady_clock::time_point> at;
  for (const auto& c : fake.calls()) at.push_back(c.received);
  std::sort(at.begin(), at.end());
  ASSERT_EQ(at.size(), 12u);
  // Any 5 consecutive calls span at least 4 refill periods (400 ms), minus scheduling jitter.
  for (size_t i = 0; i + 4 < at.size(); ++i) {
    EXPECT_GE(at[i + 4] - at[i], 350ms) << "calls " << i << ".." << i + 4 << " came too fast";
  }
  EXPECT_GE(at.back() - at.front(), 1000ms);
}

TEST(EmbeddingRateLimiterConcurrentTest, TokensPerMinuteIsEnforcedAtTheProvider) {
  // 60000 tokens per minute = 1000 per second (bucket 1000): eight calls of ~500 estimated tokens
  // (2000 bytes) need at least 3 s of refill after the first two.
  testing::FakeOpenAiServer fake({.dim = 4});
  auto limiter = std::make_shared<EmbeddingRateLimiter>(
      EmbeddingRateLimiterOptions{.tokens_per_minute = 60000});
  StatusOr<std::unique_ptr<OpenAiEmbedder>> e = OpenAiEmbedder::Create(
      {.base_url = fake.base_url(), .model = "m", .dimension = 4, .rate_limiter = limiter});
  ASSERT_TRUE(e.ok());
  const auto start = std::chrono::steady_clock::now();
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 2; ++i) {
        std::vector<float> out;
        const std::vector<std::string> texts = {std::string(2000, static_cast<char>('a' + t))};
        EXPECT_TRUE((*e)->Embed(texts, &out).ok());
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(fake.call_count(), 8u);
  EXPECT_GE(std::chrono::steady_clock::now() - start, 2900ms);
}

}  // namespace
}  // namespace scriptgen::embed
