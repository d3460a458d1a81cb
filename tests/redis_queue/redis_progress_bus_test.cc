// RedisProgressBus across "processes": two bus instances with their own pools on one real Redis.
#include "backends/redis/redis_progress_bus.h"

#include <gtest/gtest.h>

#include <condition_variable>
#include <mutex>

#include "backends/redis/redis_client.h"
#include "backends/redis/redis_queue.h"
#include "redis_support/redis_server_process.h"

namespace scriptgen::redis {
namespace {

using jobs::JobEvent;
using jobs::JobState;
using std::chrono::milliseconds;
using std::chrono::seconds;

std::shared_ptr<RedisPool> PoolFor(const scriptgen::testing::RedisServerProcess& server) {
  StatusOr<RedisEndpoint> ep = ParseRedisUrl(server.url());
  EXPECT_TRUE(ep.ok()) << ep.status().ToString();
  return std::make_shared<RedisPool>(*ep);
}

// Collects events delivered on the bus's thread; waits for a number of them.
class Collector {
 public:
  jobs::ProgressBus::Callback callback() {
    return [this](const JobEvent& e) {
      std::lock_guard lock(mu_);
      events_.push_back(e);
      cv_.notify_all();
    };
  }
  std::vector<JobEvent> WaitFor(size_t n, milliseconds timeout = milliseconds(5000)) {
    std::unique_lock lock(mu_);
    cv_.wait_for(lock, timeout, [&] { return events_.size() >= n; });
    return events_;
  }
  std::vector<uint64_t> Seqs(size_t n) {
    std::vector<uint64_t> s;
    for (const JobEvent& e : WaitFor(n)) s.push_back(e.seq);
    return s;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<JobEvent> events_;
};

JobEvent Progress(jobs::JobId id, int percent) {
  JobEvent e;
  e.job_id = id;
  e.kind = JobEvent::Kind::kProgress;
  e.state = JobState::kRunning;
  e.progress = {"embed", percent, "batch " + std::to_string(percent) + " | a:b,c"};
  return e;
}

class RedisProgressBusTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ::testing::AssertionResult started = server_.Start();
    ASSERT_TRUE(started) << started.message();
  }
  scriptgen::testing::RedisServerProcess server_;
};

TEST(RedisEventCodecTest, RoundTripsArbitraryText) {
  JobEvent e = Progress(42, 60);
  e.error = "x:1,2|3\n";
  e.at_ms = 1700000000123;
  JobEvent d;
  ASSERT_TRUE(DecodeEvent("7," + EncodeEventBody(e), &d));
  EXPECT_EQ(d.seq, 7u);
  EXPECT_EQ(d.job_id, 42);
  EXPECT_EQ(d.kind, JobEvent::Kind::kProgress);
  EXPECT_EQ(d.progress.message, e.progress.message);
  EXPECT_EQ(d.error, e.error);
  EXPECT_EQ(d.at_ms, e.at_ms);
  EXPECT_FALSE(DecodeEvent("7," + EncodeEventBody(e) + "x", &d));
  EXPECT_FALSE(DecodeEvent("garbage", &d));
}

TEST_F(RedisProgressBusTest, EventsPublishedInOneProcessReachSubscribersInAnother) {
  RedisProgressBus a(PoolFor(server_));
  RedisProgressBus b(PoolFor(server_));
  Collector live;
  auto sub = b.Subscribe(7, 0, live.callback());
  for (int i = 1; i <= 5; ++i) a.Publish(Progress(7, i * 10));
  a.Publish(Progress(8, 1));  // another job: not delivered to this subscriber
  std::vector<JobEvent> got = live.WaitFor(5);
  ASSERT_EQ(got.size(), 5u);
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(got[i].job_id, 7);
    EXPECT_EQ(got[i].seq, static_cast<uint64_t>(i + 1));
    EXPECT_EQ(got[i].progress.percent, (i + 1) * 10);
    EXPECT_EQ(got[i].progress.message, "batch " + std::to_string((i + 1) * 10) + " | a:b,c");
  }
  // A late subscriber resumes from the history with exactly the events after its last seq.
  a.Flush();
  Collector resumed;
  auto sub2 = b.Subscribe(7, 3, resumed.callback());
  EXPECT_EQ(resumed.Seqs(2), (std::vector<uint64_t>{4, 5}));
}

TEST_F(RedisProgressBusTest, SeqNumbersAreConsistentWhenTwoProcessesPublishForOneJob) {
  RedisProgressBus a(PoolFor(server_));
  RedisProgressBus b(PoolFor(server_));
  Collector on_a, on_b;
  auto sa = a.Subscribe(9, 0, on_a.callback());
  auto sb = b.Subscribe(9, 0, on_b.callback());
  for (int i = 0; i < 50; ++i) {
    a.Publish(Progress(9, i));
    b.Publish(Progress(9, 100 + i));
  }
  std::vector<uint64_t> expected;
  for (uint64_t s = 1; s <= 100; ++s) expected.push_back(s);
  EXPECT_EQ(on_a.Seqs(100), expected);  // every seq once, in order, on both sides
  EXPECT_EQ(on_b.Seqs(100), expected);
  // And both saw the same event under each seq.
  std::vector<JobEvent> ea = on_a.WaitFor(100), eb = on_b.WaitFor(100);
  for (size_t i = 0; i < 100; ++i) EXPECT_EQ(ea[i].progress.percent, eb[i].progress.percent);
}

TEST_F(RedisProgressBusTest, OldEventsBeyondTheHistoryGiveTheLatestSnapshot) {
  RedisProgressBusOptions o;
  o.history_per_job = 4;
  RedisProgressBus a(PoolFor(server_), o);
  for (int i = 1; i <= 10; ++i) a.Publish(Progress(5, i));
  JobEvent done;
  done.job_id = 5;
  done.state = JobState::kSucceeded;
  a.Publish(done);
  a.Flush();
  RedisProgressBus b(PoolFor(server_), o);
  Collector c;
  auto sub = b.Subscribe(5, 0, c.callback());  // delivered before Subscribe returns
  std::vector<JobEvent> got = c.WaitFor(4, milliseconds(0));
  ASSERT_EQ(got.size(), 4u);
  EXPECT_EQ(got.front().seq, 8u);
  EXPECT_EQ(got.back().seq, 11u);
  EXPECT_EQ(got.back().kind, JobEvent::Kind::kState);
  EXPECT_EQ(got.back().state, JobState::kSucceeded);
}

TEST_F(RedisProgressBusTest, QueueStateChangesInOneProcessAreSeenByAnother) {
  auto pool_a = PoolFor(server_);
  RedisProgressBus bus_a(pool_a);
  StatusOr<std::unique_ptr<RedisQueue>> q =
      MakeRedisQueue(pool_a, SystemClock::Get(), &bus_a, jobs::RetryPolicy());
  ASSERT_TRUE(q.ok()) << q.status().ToString();
  jobs::JobId id = (*q)->Enqueue({"t", "{}", ""})->id;

  RedisProgressBus bus_b(PoolFor(server_));
  Collector c;
  auto sub = bus_b.Subscribe(id, 0, c.callback());
  ASSERT_EQ((*q)->Claim({"w", 1, seconds(30), {}})->size(), 1u);
  bus_a.Publish(Progress(id, 50));
  jobs::FinishRequest fin{id, "w", jobs::Outcome::kSucceeded, {}};
  ASSERT_TRUE((*q)->Finish(std::span(&fin, 1)).front().ok());
  std::vector<JobEvent> got = c.WaitFor(4);
  ASSERT_EQ(got.size(), 4u);
  EXPECT_EQ(got[0].state, JobState::kQueued);
  EXPECT_EQ(got[1].state, JobState::kRunning);
  EXPECT_EQ(got[2].kind, JobEvent::Kind::kProgress);
  EXPECT_EQ(got[3].state, JobState::kSucceeded);
  for (size_t i = 0; i < got.size(); ++i) EXPECT_EQ(got[i].seq, i + 1);
}

TEST_F(RedisProgressBusTest, SubscriberCatchesUpAfterRedisRestart) {
  RedisProgressBus a(PoolFor(server_));
  RedisProgressBus b(PoolFor(server_));
  Collector c;
  auto sub = b.Subscribe(3, 0, c.callback());
  a.Publish(Progress(3, 1));
  ASSERT_EQ(c.WaitFor(1).size(), 1u);
  // A restart without persistence empties Redis: seqs start again, and the subscriber, whose
  // last seq is 1, gets the new events from seq 2 on after it has reconnected.
  server_.Kill9();
  ASSERT_TRUE(server_.Restart());
  for (int i = 0; i < 200 && c.WaitFor(2, milliseconds(10)).size() < 2; ++i) {
    a.Publish(Progress(3, 2));
    a.Flush();
  }
  std::vector<JobEvent> got = c.WaitFor(2);
  ASSERT_GE(got.size(), 2u);
  EXPECT_EQ(got[1].seq, 2u);
}

}  // namespace
}  // namespace scriptgen::redis
