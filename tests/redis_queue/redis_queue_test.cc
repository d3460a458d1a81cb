// Redis-only behaviour of RedisQueue, against a real redis-server on loopback: what the shared
// contract suite (tests/jobs/queue_contract_test.cc) cannot express because it is about Redis
// itself (TTL of finished jobs, a Redis crash and restart, several processes, call counts).
// "Two processes" are two RedisQueue objects with their own connection pools: to Redis they are
// indistinguishable from two processes.
#include "backends/redis/redis_queue.h"

#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "backends/redis/redis_client.h"
#include "jobs/memory_progress_bus.h"
#include "jobs/worker_pool.h"
#include "redis_support/redis_server_process.h"

namespace scriptgen::redis {
namespace {

using jobs::Job;
using jobs::JobId;
using jobs::JobState;
using std::chrono::milliseconds;
using std::chrono::seconds;

std::shared_ptr<RedisPool> PoolFor(const scriptgen::testing::RedisServerProcess& server) {
  StatusOr<RedisEndpoint> ep = ParseRedisUrl(server.url());
  EXPECT_TRUE(ep.ok()) << ep.status().ToString();
  return std::make_shared<RedisPool>(*ep);
}

std::unique_ptr<RedisQueue> QueueOn(std::shared_ptr<RedisPool> pool, const Clock* clock,
                                    jobs::ProgressBus* bus = nullptr,
                                    RedisQueueOptions options = {}) {
  jobs::RetryPolicyOptions o;
  o.jitter = 0;
  StatusOr<std::unique_ptr<RedisQueue>> q =
      MakeRedisQueue(std::move(pool), clock, bus, jobs::RetryPolicy(o), std::move(options));
  EXPECT_TRUE(q.ok()) << q.status().ToString();
  return q.ok() ? std::move(*q) : nullptr;
}

// Parses "name:calls=N,..." lines of INFO commandstats.
std::map<std::string, int64_t> CommandCalls(RedisPool& pool) {
  std::map<std::string, int64_t> calls;
  (void)pool.Run([&](RedisConnection& c) -> Status {
    StatusOr<RedisReply> r = c.Command({"INFO", "commandstats"});
    if (!r.ok()) return r.status();
    std::string_view s = r->str;
    while (!s.empty()) {
      size_t eol = s.find('\n');
      std::string_view line = s.substr(0, eol);
      s = eol == std::string_view::npos ? std::string_view() : s.substr(eol + 1);
      if (line.rfind("cmdstat_", 0) != 0) continue;
      size_t colon = line.find(':');
      size_t eq = line.find("calls=");
      if (colon == std::string_view::npos || eq == std::string_view::npos) continue;
      calls[std::string(line.substr(8, colon - 8))] = std::stoll(std::string(line.substr(eq + 6)));
    }
    return Status::Ok();
  });
  return calls;
}

class RedisQueueTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ::testing::AssertionResult started = server_.Start();
    ASSERT_TRUE(started) << started.message();
    pool_ = PoolFor(server_);
  }

  scriptgen::testing::RedisServerProcess server_;
  std::shared_ptr<RedisPool> pool_;
  ManualClock clock_;
};

TEST_F(RedisQueueTest, FinishedJobsExpireAfterTheirTtlButDeadOnesStay) {
  RedisQueueOptions o;
  o.finished_ttl = seconds(60);
  auto q = QueueOn(pool_, &clock_, nullptr, o);
  JobId done = q->Enqueue({"t", "{}", "key-done"})->id;
  JobId dead = q->Enqueue({"t", "{}", ""})->id;
  JobId cancelled = q->Enqueue({"t", "{}", ""})->id;
  ASSERT_EQ(q->Claim({"w", 2, seconds(30), {}})->size(), 2u);
  ASSERT_TRUE(q->Cancel(cancelled).ok());
  std::vector<jobs::FinishRequest> fin = {
      {done, "w", jobs::Outcome::kSucceeded, {}},
      {dead, "w", jobs::Outcome::kFailed, {jobs::ErrorClass::kBadInput, "bad"}}};
  for (const auto& r : q->Finish(fin)) ASSERT_TRUE(r.ok()) << r.status().ToString();

  clock_.Advance(seconds(59));
  ASSERT_TRUE(q->ReapExpiredLeases().ok());  // runs the sweep
  EXPECT_EQ(q->Get(done)->state, JobState::kSucceeded) << "within the TTL Get still works";
  EXPECT_EQ(q->Get(cancelled)->state, JobState::kCancelled);

  clock_.Advance(seconds(1));
  ASSERT_TRUE(q->ReapExpiredLeases().ok());
  EXPECT_EQ(q->Get(done).status().code(), Code::kNotFound);
  EXPECT_EQ(q->Get(cancelled).status().code(), Code::kNotFound);
  EXPECT_EQ(q->Get(dead)->state, JobState::kDead) << "dead letters are kept until purged";
  EXPECT_EQ(q->ErrorHistory(dead)->size(), 1u);
  jobs::QueueCounts counts = *q->Counts();
  EXPECT_EQ(counts.by_state[static_cast<int>(JobState::kSucceeded)], 0);
  EXPECT_EQ(counts.by_state[static_cast<int>(JobState::kDead)], 1);
  // Nothing of the swept jobs is left behind: their key is free, List does not show them.
  StatusOr<jobs::EnqueueResult> again = q->Enqueue({"t", "{}", "key-done"});
  EXPECT_TRUE(again->created);
  EXPECT_GT(again->id, cancelled);
  EXPECT_EQ(q->List({})->size(), 2u);  // the dead one and the new one
  int64_t keys = 0;
  (void)pool_->Run([&](RedisConnection& c) -> Status {
    keys =
        c.Command({"EXISTS", JobKey(q->key_base(), done), ErrorsKey(q->key_base(), done)})->integer;
    return Status::Ok();
  });
  EXPECT_EQ(keys, 0);
}

// finished_ttl 0 (the bench's setting, like BullMQ's removeOnComplete): a job is deleted by the
// Finish that ends it, with its error history and idempotency key, in the same batch as outcomes
// that keep their job (a retry, a release) and a refused one.
TEST_F(RedisQueueTest, ZeroTtlDeletesFinishedJobsAtOnceAndKeepsTheRest) {
  RedisQueueOptions o;
  o.finished_ttl = milliseconds(0);
  auto q = QueueOn(pool_, &clock_, nullptr, o);
  JobId flaky = q->Enqueue({"t", "{}", "key-flaky"})->id;
  ASSERT_EQ(q->Claim({"w", 1, seconds(30), {}})->size(), 1u);
  std::vector<jobs::FinishRequest> first = {
      {flaky, "w", jobs::Outcome::kFailed, {jobs::ErrorClass::kProviderUnavailable, "blip"}}};
  ASSERT_EQ(*q->Finish(first)[0], JobState::kScheduled);
  clock_.Advance(seconds(2));  // past the first retry delay (1 s, no jitter)

  JobId ok = q->Enqueue({"t", "{}", "key-ok"})->id;
  JobId retried = q->Enqueue({"t", "{}", ""})->id;
  JobId released = q->Enqueue({"t", "{}", ""})->id;
  JobId cancelled = q->Enqueue({"t", "{}", ""})->id;
  JobId other = q->Enqueue({"t", "{}", ""})->id;
  StatusOr<std::vector<Job>> mine = q->Claim({"w", 5, seconds(30), {}});
  ASSERT_EQ(mine->size(), 5u);  // flaky (promoted), ok, retried, released, cancelled
  EXPECT_EQ(mine->front().id, flaky);
  EXPECT_EQ(mine->front().attempts, 2) << "the claim's changes are applied to the returned job";
  EXPECT_EQ(mine->front().state, JobState::kRunning);
  EXPECT_EQ(mine->front().worker_id, "w");
  ASSERT_EQ(q->Claim({"v", 1, seconds(30), {}})->front().id, other);
  std::vector<jobs::FinishRequest> fin = {
      {flaky, "w", jobs::Outcome::kSucceeded, {}},
      {ok, "w", jobs::Outcome::kSucceeded, {}},
      {retried, "w", jobs::Outcome::kFailed, {jobs::ErrorClass::kProviderUnavailable, "again"}},
      {released, "w", jobs::Outcome::kReleased, {}},
      {cancelled, "w", jobs::Outcome::kCancelled, {}},
      {other, "w", jobs::Outcome::kSucceeded, {}}};  // held by v: refused, untouched
  std::vector<StatusOr<JobState>> r = q->Finish(fin);
  EXPECT_EQ(*r[0], JobState::kSucceeded);
  EXPECT_EQ(*r[1], JobState::kSucceeded);
  EXPECT_EQ(*r[2], JobState::kScheduled);
  EXPECT_EQ(*r[3], JobState::kQueued);
  EXPECT_EQ(*r[4], JobState::kCancelled);
  EXPECT_EQ(r[5].status().code(), Code::kFailedPrecondition);

  for (JobId gone : {flaky, ok, cancelled}) {
    EXPECT_EQ(q->Get(gone).status().code(), Code::kNotFound) << "job " << gone;
  }
  EXPECT_EQ(q->Get(retried)->state, JobState::kScheduled);
  EXPECT_EQ(q->ErrorHistory(retried)->size(), 1u);
  EXPECT_EQ(q->Get(released)->state, JobState::kQueued);
  EXPECT_EQ(q->Get(other)->state, JobState::kRunning);
  EXPECT_EQ(q->Get(other)->worker_id, "v");
  jobs::QueueCounts counts = *q->Counts();
  EXPECT_EQ(counts.by_state[static_cast<int>(JobState::kSucceeded)], 0);
  EXPECT_EQ(counts.by_state[static_cast<int>(JobState::kCancelled)], 0);
  EXPECT_EQ(counts.by_state[static_cast<int>(JobState::kRunning)], 1);
  EXPECT_EQ(q->List({})->size(), 3u) << "retried, released, other";
  int64_t keys = -1;
  (void)pool_->Run([&](RedisConnection& c) -> Status {
    keys = c.Command({"EXISTS", JobKey(q->key_base(), flaky), ErrorsKey(q->key_base(), flaky),
                      JobKey(q->key_base(), ok)})
               ->integer;
    return Status::Ok();
  });
  EXPECT_EQ(keys, 0) << "the job hashes and the error history are deleted";
  // The idempotency keys are free again.
  EXPECT_TRUE(q->Enqueue({"t", "{}", "key-flaky"})->created);
  EXPECT_TRUE(q->Enqueue({"t", "{}", "key-ok"})->created);
}

TEST_F(RedisQueueTest, CrashedWorkersJobsAreRedeliveredByTheReaper) {
  // "Process" A claims a batch with a short lease and dies without a word.
  {
    auto a = QueueOn(PoolFor(server_), SystemClock::Get());
    std::vector<jobs::EnqueueRequest> reqs(20, jobs::EnqueueRequest{"noop", "{}", ""});
    ASSERT_TRUE(a->EnqueueBatch(reqs).ok());
    ASSERT_EQ(a->Claim({"worker-a", 20, milliseconds(300), {}})->size(), 20u);
  }
  // "Process" B runs a worker pool: its reaper takes the jobs back once the leases expire.
  auto b = QueueOn(pool_, SystemClock::Get());
  jobs::HandlerRegistry registry;
  std::mutex mu;
  std::map<JobId, int> attempts;
  ASSERT_TRUE(registry
                  .Register("noop",
                            [&](jobs::JobContext& ctx) -> Status {
                              std::lock_guard lock(mu);
                              attempts[ctx.job().id] = ctx.job().attempts;
                              return Status::Ok();
                            })
                  .ok());
  jobs::WorkerPoolOptions wo;
  wo.threads = 2;
  wo.reap_interval = milliseconds(50);
  wo.worker_id = "worker-b";
  jobs::WorkerPool pool(b.get(), &registry, nullptr, wo);
  pool.Start();
  const auto deadline = std::chrono::steady_clock::now() + seconds(20);
  while (pool.stats().succeeded < 20 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(milliseconds(20));
  }
  pool.Shutdown(seconds(5));
  ASSERT_EQ(pool.stats().succeeded, 20u);
  for (const auto& [id, a] : attempts) EXPECT_EQ(a, 2) << "job " << id;
  EXPECT_EQ(b->Counts()->by_state[static_cast<int>(JobState::kSucceeded)], 20);
}

// Label concurrent: two processes, three claiming threads each, claim the same queue.
TEST_F(RedisQueueTest, TwoProcessesClaimingTheSameQueueNeverDoubleClaim) {
  constexpr int kJobs = 6000;
  auto producer = QueueOn(pool_, SystemClock::Get());
  std::vector<jobs::EnqueueRequest> reqs(kJobs, jobs::EnqueueRequest{"noop", "{}", ""});
  ASSERT_TRUE(producer->EnqueueBatch(reqs).ok());

  std::unique_ptr<RedisQueue> procs[2] = {QueueOn(PoolFor(server_), SystemClock::Get()),
                                          QueueOn(PoolFor(server_), SystemClock::Get())};
  std::mutex mu;
  std::map<JobId, std::string> claimed_by;
  std::atomic<int> duplicates{0}, finish_errors{0};
  std::vector<std::thread> threads;
  for (int p = 0; p < 2; ++p) {
    for (int t = 0; t < 3; ++t) {
      threads.emplace_back([&, p, t] {
        const std::string worker = "p" + std::to_string(p) + "-t" + std::to_string(t);
        for (size_t batch = 1;; batch = batch % 97 + 7) {  // varying batch sizes
          StatusOr<std::vector<Job>> got = procs[p]->Claim({worker, batch, seconds(60), {}});
          ASSERT_TRUE(got.ok()) << got.status().ToString();
          if (got->empty()) return;
          std::vector<jobs::FinishRequest> fin;
          {
            std::lock_guard lock(mu);
            for (const Job& j : *got) {
              if (!claimed_by.emplace(j.id, worker).second) ++duplicates;
              fin.push_back({j.id, worker, jobs::Outcome::kSucceeded, {}});
            }
          }
          for (const auto& r : procs[p]->Finish(fin)) finish_errors += r.ok() ? 0 : 1;
        }
      });
    }
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(duplicates.load(), 0);
  EXPECT_EQ(finish_errors.load(), 0);
  EXPECT_EQ(claimed_by.size(), static_cast<size_t>(kJobs));
  std::set<std::string> workers;
  for (const auto& [id, w] : claimed_by) workers.insert(w);
  EXPECT_GT(workers.size(), 1u) << "both processes should have taken part";
  EXPECT_EQ(producer->Counts()->by_state[static_cast<int>(JobState::kSucceeded)], kJobs);
}

TEST_F(RedisQueueTest, BatchedClaimAndFinishNeedFarFewerThanOneCallPerJob) {
  constexpr int kJobs = 5000;
  auto q = QueueOn(pool_, SystemClock::Get());
  std::vector<jobs::EnqueueRequest> reqs(kJobs, jobs::EnqueueRequest{"noop", "{}", ""});
  ASSERT_TRUE(q->EnqueueBatch(reqs).ok());
  jobs::HandlerRegistry registry;
  ASSERT_TRUE(registry.Register("noop", [](jobs::JobContext&) { return Status::Ok(); }).ok());
  jobs::WorkerPoolOptions wo;
  wo.threads = 2;
  wo.prefetch = 512;
  jobs::WorkerPool pool(q.get(), &registry, nullptr, wo);

  std::map<std::string, int64_t> before = CommandCalls(*pool_);
  pool.Start();
  const auto deadline = std::chrono::steady_clock::now() + seconds(30);
  while (pool.stats().succeeded < kJobs && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(milliseconds(5));
  }
  pool.Shutdown(seconds(5));
  std::map<std::string, int64_t> after = CommandCalls(*pool_);
  ASSERT_EQ(pool.stats().succeeded, static_cast<uint64_t>(kJobs));
  // Commands sent by clients: EVALSHA calls (the commands scripts run are counted under their own
  // names, e.g. hset, so the call count of evalsha is the number of round trips for scripts).
  const int64_t evalsha = after["evalsha"] - before["evalsha"];
  const double per_job = static_cast<double>(evalsha) / kJobs;
  std::printf("redis calls: %lld EVALSHA for %d jobs (%.4f per job)\n",
              static_cast<long long>(evalsha), kJobs, per_job);
  EXPECT_GT(evalsha, 0);
  EXPECT_LT(per_job, 0.05) << "claim and finish must be batched";
}

// Redis is SIGKILLed and restarted (AOF, appendfsync always) while producers enqueue and workers
// claim and finish. Every enqueue and every finish that was acknowledged survives; every job
// completes in the end.
TEST(RedisQueueRestartTest, KillAndRestartWithAofAlwaysLosesNoAcknowledgedJob) {
  scriptgen::testing::RedisServerProcess server(
      {.extra_args = {"--appendonly", "yes", "--appendfsync", "always"}});
  ::testing::AssertionResult started = server.Start();
  ASSERT_TRUE(started) << started.message();
  auto pool = PoolFor(server);
  auto q = QueueOn(pool, SystemClock::Get());

  std::mutex mu;
  std::set<JobId> acked_enqueues;
  std::set<JobId> acked_successes;
  struct Observer : jobs::JobObserver {
    std::mutex* mu;
    std::set<JobId>* acked;
    void OnFinished(const Job& job, const Status&, JobState state) override {
      if (state != JobState::kSucceeded) return;
      std::lock_guard lock(*mu);
      acked->insert(job.id);
    }
  } observer;
  observer.mu = &mu;
  observer.acked = &acked_successes;

  jobs::HandlerRegistry registry;
  ASSERT_TRUE(registry.Register("noop", [](jobs::JobContext&) { return Status::Ok(); }).ok());
  jobs::WorkerPoolOptions wo;
  wo.threads = 2;
  wo.prefetch = 16;
  wo.lease = milliseconds(1500);
  wo.reap_interval = milliseconds(100);
  wo.poll_interval = milliseconds(20);
  wo.observer = &observer;
  jobs::WorkerPool workers(q.get(), &registry, nullptr, wo);
  workers.Start();

  constexpr int kJobs = 3000;
  std::atomic<bool> killed{false};
  std::thread producer([&] {
    for (int i = 0; i < kJobs; i += 10) {
      std::vector<jobs::EnqueueRequest> batch;
      for (int k = i; k < i + 10; ++k) {
        batch.push_back({"noop", "{}", "job-" + std::to_string(k)});
      }
      // Retry until acknowledged: the idempotency keys make a retry of a batch that did
      // reach Redis harmless.
      for (;;) {
        StatusOr<std::vector<jobs::EnqueueResult>> r = q->EnqueueBatch(batch);
        if (r.ok()) {
          std::lock_guard lock(mu);
          for (const auto& e : *r) acked_enqueues.insert(e.id);
          break;
        }
        std::this_thread::sleep_for(milliseconds(10));
      }
      if (i == kJobs / 3) killed = true;
    }
  });
  while (!killed) std::this_thread::sleep_for(milliseconds(1));
  std::set<JobId> enq_before, ok_before;
  server.Kill9();
  {
    std::lock_guard lock(mu);
    enq_before = acked_enqueues;
    ok_before = acked_successes;
  }
  std::this_thread::sleep_for(milliseconds(300));
  ::testing::AssertionResult restarted = server.Restart();
  ASSERT_TRUE(restarted) << restarted.message();
  producer.join();

  // Everything acknowledged before the crash is still there, in the state it was acknowledged in
  // (or a later one).
  EXPECT_GT(enq_before.size(), 0u);
  EXPECT_GT(ok_before.size(), 0u);
  for (JobId id : enq_before) {
    StatusOr<Job> j = q->Get(id);
    ASSERT_TRUE(j.ok()) << "acknowledged job " << id << " lost: " << j.status().ToString();
  }
  for (JobId id : ok_before) {
    EXPECT_EQ(q->Get(id)->state, JobState::kSucceeded) << "acknowledged success of " << id;
  }
  const auto deadline = std::chrono::steady_clock::now() + seconds(60);
  int64_t succeeded = 0;
  while (std::chrono::steady_clock::now() < deadline) {
    StatusOr<jobs::QueueCounts> c = q->Counts();
    if (c.ok()) succeeded = c->by_state[static_cast<int>(JobState::kSucceeded)];
    if (succeeded == kJobs) break;
    std::this_thread::sleep_for(milliseconds(50));
  }
  workers.Shutdown(seconds(5));
  EXPECT_EQ(succeeded, kJobs);
  EXPECT_EQ(acked_enqueues.size(), static_cast<size_t>(kJobs));
  for (JobId id : acked_enqueues) {
    StatusOr<Job> j = q->Get(id);
    ASSERT_TRUE(j.ok());
    EXPECT_EQ(j->state, JobState::kSucceeded);
  }
}

}  // namespace
}  // namespace scriptgen::redis
