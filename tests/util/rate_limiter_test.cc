#include "util/rate_limiter.h"

#include <gtest/gtest.h>

#include <thread>
#include <vector>

namespace scriptgen {
namespace {

using std::chrono::milliseconds;

TEST(KeyedRateLimiterTest, AllowsABurstThenRefusesWithTheWaitUntilTheNextToken) {
  ManualClock clock;
  KeyedRateLimiter limiter({.per_second = 10, .burst = 3}, &clock);
  EXPECT_FALSE(limiter.Acquire("a"));
  EXPECT_FALSE(limiter.Acquire("a"));
  EXPECT_FALSE(limiter.Acquire("a"));
  std::optional<milliseconds> wait = limiter.Acquire("a");
  ASSERT_TRUE(wait);
  EXPECT_EQ(*wait, milliseconds(100));  // one token per 100 ms
  clock.Advance(milliseconds(99));
  EXPECT_TRUE(limiter.Acquire("a"));
  clock.Advance(milliseconds(1));
  EXPECT_FALSE(limiter.Acquire("a"));
}

TEST(KeyedRateLimiterTest, KeysHaveSeparateBuckets) {
  ManualClock clock;
  KeyedRateLimiter limiter({.per_second = 1, .burst = 1}, &clock);
  EXPECT_FALSE(limiter.Acquire("a"));
  EXPECT_TRUE(limiter.Acquire("a"));
  EXPECT_FALSE(limiter.Acquire("b"));
}

TEST(KeyedRateLimiterTest, RefillIsCappedAtTheBurst) {
  ManualClock clock;
  KeyedRateLimiter limiter({.per_second = 100, .burst = 2}, &clock);
  EXPECT_FALSE(limiter.Acquire("a"));
  clock.Advance(milliseconds(60'000));  // a minute idle refills to 2, not 6000
  EXPECT_FALSE(limiter.Acquire("a"));
  EXPECT_FALSE(limiter.Acquire("a"));
  EXPECT_TRUE(limiter.Acquire("a"));
}

TEST(KeyedRateLimiterTest, ZeroRateDisablesTheLimit) {
  KeyedRateLimiter limiter({.per_second = 0, .burst = 0});
  for (int i = 0; i < 1000; ++i) ASSERT_FALSE(limiter.Acquire("a"));
}

TEST(KeyedRateLimiterTest, ConcurrentAcquiresNeverExceedTheBurst) {
  ManualClock clock;  // frozen: no refill, so exactly `burst` acquisitions can succeed
  KeyedRateLimiter limiter({.per_second = 1, .burst = 500}, &clock);
  std::atomic<int> allowed{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 400; ++i) {
        if (!limiter.Acquire("shared")) ++allowed;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(allowed.load(), 500);
}

}  // namespace
}  // namespace scriptgen
