// RedisRateBucketStore against a real redis-server: the in-process store is the reference (same
// waits for the same calls), two stores on one key share one budget (deterministically, on a
// ManualClock, and with real threads and time), the 429 pause is shared and never shortened, and
// keys carry a TTL so an idle deployment leaves nothing behind.
#include "backends/redis/redis_rate_bucket_store.h"

#include <gtest/gtest.h>

#include <atomic>
#include <random>
#include <thread>
#include <vector>

#include "embed/embedding_rate_limiter.h"
#include "redis_support/redis_server_process.h"

namespace scriptgen::redis {
namespace {

using std::chrono::milliseconds;

class RedisRateBucketStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ::testing::AssertionResult started = server_.Start();
    ASSERT_TRUE(started) << started.message();
  }
  // A store with its own pool: to Redis, another process.
  std::shared_ptr<RedisRateBucketStore> Store(const std::string& bucket = "embed") {
    StatusOr<RedisEndpoint> ep = ParseRedisUrl(server_.url());
    EXPECT_TRUE(ep.ok());
    return std::make_shared<RedisRateBucketStore>(
        std::make_shared<RedisPool>(*ep),
        RedisRateBucketOptions{.bucket = bucket, .clock = &clock_});
  }
  int64_t Pttl(RedisRateBucketStore& store) {
    StatusOr<RedisEndpoint> ep = ParseRedisUrl(server_.url());
    auto c = RedisConnection::Connect(*ep);
    EXPECT_TRUE(c.ok());
    return (*c)->Command({"PTTL", store.key()})->integer;
  }

  scriptgen::testing::RedisServerProcess server_;
  ManualClock clock_;
};

TEST_F(RedisRateBucketStoreTest, GivesTheSameWaitsAsTheInProcessStore) {
  auto redis_store = Store();
  embed::InProcessRateBucketStore reference;
  const embed::RateBucketLimits limits{
      .requests_per_minute = 600, .tokens_per_minute = 90'000, .burst_window = milliseconds(1000)};
  std::mt19937 rng(7);
  int64_t now = clock_.NowMs();
  int taken = 0, waited = 0;
  for (int i = 0; i < 400; ++i) {
    now += std::uniform_int_distribution<int>(0, 120)(rng);
    const double requests = 1;
    // Mostly small calls, sometimes one larger than the token bucket (it goes into debt).
    const double tokens = i % 37 == 0 ? 4000 : std::uniform_int_distribution<int>(1, 600)(rng);
    StatusOr<milliseconds> want = reference.TryTake(limits, requests, tokens, now);
    StatusOr<milliseconds> got = redis_store->TryTake(limits, requests, tokens, now);
    ASSERT_TRUE(got.ok()) << got.status().ToString();
    ASSERT_EQ(got->count(), want->count()) << "call " << i << " at +" << now - clock_.NowMs();
    (got->count() == 0 ? taken : waited)++;
  }
  // The sequence must exercise both outcomes, or it proves little.
  EXPECT_GT(taken, 50);
  EXPECT_GT(waited, 50);
}

TEST_F(RedisRateBucketStoreTest, TwoStoresOnOneKeyShareOneBudget) {
  auto a = Store();
  auto b = Store();
  auto other = Store("other-provider");
  const embed::RateBucketLimits limits{.requests_per_minute = 600};  // 10 per 1 s burst
  const int64_t now = clock_.NowMs();
  int granted = 0;
  for (int i = 0; i < 20; ++i) {
    RedisRateBucketStore& s = i % 2 == 0 ? *a : *b;
    if (s.TryTake(limits, 1, 0, now)->count() == 0) ++granted;
  }
  EXPECT_EQ(granted, 10) << "the burst is shared, not 10 per store";
  // 100 ms refills one request (600/min), for either store.
  EXPECT_EQ(b->TryTake(limits, 1, 0, now)->count(), 100);
  EXPECT_EQ(a->TryTake(limits, 1, 0, now + 100)->count(), 0);
  EXPECT_GT(b->TryTake(limits, 1, 0, now + 100)->count(), 0);
  // Another bucket name is another budget.
  EXPECT_EQ(other->TryTake(limits, 1, 0, now)->count(), 0);
}

TEST_F(RedisRateBucketStoreTest, TwoLimitersInThreadsStayWithinTheRateTogether) {
  // Real time: two limiters (two "processes") hammer one bucket of 1200/min (20/s, burst 20).
  const double kPerMinute = 1200;
  std::atomic<int> granted{0};
  std::atomic<bool> stop{false};
  std::vector<std::thread> threads;
  const auto t0 = std::chrono::steady_clock::now();
  for (int p = 0; p < 2; ++p) {
    threads.emplace_back([&, store = Store()] {
      embed::EmbeddingRateLimiter limiter(
          {.requests_per_minute = kPerMinute, .store = store, .clock = SystemClock::Get()});
      while (!stop) {
        if (limiter.Acquire(1, 1, milliseconds(2000)).ok() && !stop) ++granted;
      }
    });
  }
  std::this_thread::sleep_for(milliseconds(1500));
  stop = true;
  const double elapsed_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  for (auto& t : threads) t.join();
  const double allowed = 20 + kPerMinute / 60 * elapsed_s;  // the burst plus the refill
  EXPECT_LE(granted.load(), allowed + 1) << "elapsed " << elapsed_s << " s";
  EXPECT_GE(granted.load(), 20) << "the limiters must still let the burst through";
}

TEST_F(RedisRateBucketStoreTest, PauseIsSharedAndNeverShortened) {
  auto a = Store();
  auto b = Store();
  const embed::RateBucketLimits limits{.requests_per_minute = 600};
  const int64_t now = clock_.NowMs();
  ASSERT_TRUE(a->PauseUntil(now + 5000).ok());
  EXPECT_EQ(*b->PausedUntil(), now + 5000);
  EXPECT_EQ(b->TryTake(limits, 1, 0, now)->count(), 5000);
  ASSERT_TRUE(b->PauseUntil(now + 1000).ok());  // an earlier Retry-After does not shorten it
  EXPECT_EQ(*a->PausedUntil(), now + 5000);
  EXPECT_EQ(a->TryTake(limits, 1, 0, now + 4000)->count(), 1000);
  EXPECT_EQ(a->TryTake(limits, 1, 0, now + 5000)->count(), 0) << "the pause is over";
  // The pause also holds for limiters without any limit configured.
  ASSERT_TRUE(a->PauseUntil(now + 9000).ok());
  EXPECT_EQ(b->TryTake({}, 1, 0, now + 6000)->count(), 3000);
}

TEST_F(RedisRateBucketStoreTest, KeysExpireOnceTheBucketWouldBeFullAgain) {
  auto s = Store();
  const int64_t now = clock_.NowMs();
  // 60/min: one request per second, burst 1; taking one leaves the bucket empty for 1 s.
  ASSERT_EQ(s->TryTake({.requests_per_minute = 60}, 1, 0, now)->count(), 0);
  int64_t ttl = Pttl(*s);
  EXPECT_GT(ttl, 1000);
  EXPECT_LE(ttl, 2000) << "refill time (1 s) plus a second of margin";
  // A pause longer than the refill keeps the key (and so the pause) alive that long.
  ASSERT_TRUE(s->PauseUntil(now + 60'000).ok());
  ttl = Pttl(*s);
  EXPECT_GT(ttl, 59'000);
  EXPECT_LE(ttl, 61'000);
  // Unlimited calls write nothing: no key is created for them.
  auto fresh = Store("unlimited");
  ASSERT_EQ(fresh->TryTake({}, 1, 1, now)->count(), 0);
  EXPECT_EQ(Pttl(*fresh), -2) << "no key";
}

TEST_F(RedisRateBucketStoreTest, RedisDownIsAnErrorNotAFreePass) {
  auto s = Store();
  server_.Kill9();
  StatusOr<milliseconds> r = s->TryTake({.requests_per_minute = 60}, 1, 0, clock_.NowMs());
  EXPECT_FALSE(r.ok());
}

}  // namespace
}  // namespace scriptgen::redis
