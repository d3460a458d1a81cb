// WorkerPool against real queues (memory and SQLite) with real threads and the system clock.
// These tests also run under ThreadSanitizer.
#include "jobs/worker_pool.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <mutex>
#include <set>
#include <thread>

#include "backends/sqlite/database.h"
#include "backends/sqlite/sqlite_queue.h"
#include "jobs/memory_progress_bus.h"
#include "jobs/memory_queue.h"

namespace scriptgen::jobs {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

// Polls until pred holds or the timeout passes; returns pred's last value.
template <typename Pred>
bool Eventually(Pred pred, milliseconds timeout = seconds(20)) {
  const auto until = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < until) {
    if (pred()) return true;
    std::this_thread::sleep_for(milliseconds(5));
  }
  return pred();
}

class WorkerPoolTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    RetryPolicyOptions o;
    o.delays = {milliseconds(20), milliseconds(40)};
    o.jitter = 0.1;
    o.max_attempts = 3;
    if (GetParam() == "sqlite") {
      dir_ = std::filesystem::temp_directory_path() /
             ("sg-pool-" + std::to_string(::getpid()) + "-" +
              ::testing::UnitTest::GetInstance()->current_test_info()->name());
      std::filesystem::remove_all(dir_);
      std::filesystem::create_directories(dir_);
      db_ = std::move(*sqlite::Database::Open((dir_ / "scriptgen.db").string()));
      queue_ = std::make_unique<sqlite::SqliteQueue>(db_.get(), RetryPolicy(o), &bus_);
    } else {
      queue_ = std::make_unique<MemoryQueue>(RetryPolicy(o), &bus_);
    }
  }
  void TearDown() override {
    pool_.reset();
    queue_.reset();
    db_.reset();
    if (!dir_.empty()) std::filesystem::remove_all(dir_);
  }
  void StartPool(WorkerPoolOptions o = {}) {
    if (o.threads == 0) o.threads = 4;
    pool_ = std::make_unique<WorkerPool>(queue_.get(), &registry_, &bus_, o);
    pool_->Start();
  }
  JobId Add(std::string type, std::string payload = {}) {
    return queue_->Enqueue({std::move(type), std::move(payload), ""})->id;
  }
  JobState StateOf(JobId id) { return queue_->Get(id)->state; }

  std::filesystem::path dir_;
  MemoryProgressBus bus_;
  std::unique_ptr<sqlite::Database> db_;
  std::unique_ptr<JobQueue> queue_;
  HandlerRegistry registry_;
  std::unique_ptr<WorkerPool> pool_;
};

TEST_P(WorkerPoolTest, HandlersRegisteredBeforeStartAreServed) {
  pool_ = std::make_unique<WorkerPool>(queue_.get(), &registry_, &bus_,
                                       WorkerPoolOptions{.threads = 2});
  std::atomic<int> ran{0};
  // Registered after the pool was built (as serve does for handlers that need the pool's peers).
  ASSERT_TRUE(registry_
                  .Register("late",
                            [&](JobContext&) {
                              ++ran;
                              return Status::Ok();
                            })
                  .ok());
  const JobId id = Add("late");
  pool_->Start();
  ASSERT_TRUE(Eventually([&] { return StateOf(id) == JobState::kSucceeded; }));
  EXPECT_EQ(ran.load(), 1);
}

// Records what the pool reports, for the observer tests.
class RecordingObserver : public JobObserver {
 public:
  void RunAttempt(const Job& job, const std::function<void()>& run) override {
    {
      std::lock_guard lock(mu);
      attempts.push_back(job.trace_id);
      on_thread = true;
    }
    run();
  }
  void OnFinished(const Job& job, const Status& status, JobState state) override {
    std::lock_guard lock(mu);
    finished.push_back({job.id, status.code(), state});
  }
  struct Finished {
    JobId id;
    Code code;
    JobState state;
  };
  std::vector<Finished> Snapshot() {
    std::lock_guard lock(mu);
    return finished;
  }
  std::mutex mu;
  std::vector<std::string> attempts;
  std::vector<Finished> finished;
  bool on_thread = false;
};

TEST_P(WorkerPoolTest, ObserverSeesEveryAttemptAndTheStateItEndedIn) {
  ASSERT_TRUE(registry_.Register("ok", [](JobContext&) { return Status::Ok(); }).ok());
  ASSERT_TRUE(
      registry_.Register("bad", [](JobContext&) { return InvalidArgument("permanent"); }).ok());
  RecordingObserver observer;
  EnqueueRequest traced{"ok", "", ""};
  traced.trace_id = "0af7651916cd43dd8448eb211c80319c";
  const JobId ok = queue_->Enqueue(traced)->id;
  const JobId bad = Add("bad");
  StartPool({.observer = &observer});
  ASSERT_TRUE(Eventually([&] { return observer.Snapshot().size() == 2; }));
  std::vector<RecordingObserver::Finished> f = observer.Snapshot();
  std::sort(f.begin(), f.end(), [](auto& a, auto& b) { return a.id < b.id; });
  EXPECT_EQ(f[0].id, ok);
  EXPECT_EQ(f[0].state, JobState::kSucceeded);
  EXPECT_EQ(f[1].id, bad);
  EXPECT_EQ(f[1].code, Code::kInvalidArgument);
  EXPECT_EQ(f[1].state, JobState::kDead);  // bad_input is permanent: dead-lettered at once
  std::lock_guard lock(observer.mu);
  EXPECT_EQ(observer.attempts.size(), 2u);
  EXPECT_NE(std::find(observer.attempts.begin(), observer.attempts.end(),
                      "0af7651916cd43dd8448eb211c80319c"),
            observer.attempts.end());
}

TEST_P(WorkerPoolTest, RunsEveryJobExactlyOnceWhenNothingFails) {
  std::mutex mu;
  std::multiset<std::string> seen;
  ASSERT_TRUE(registry_
                  .Register("echo",
                            [&](JobContext& ctx) {
                              std::lock_guard lock(mu);
                              seen.insert(ctx.job().payload);
                              return Status::Ok();
                            })
                  .ok());
  StartPool({.threads = 4, .prefetch = 16});
  for (int i = 0; i < 2000; ++i) Add("echo", std::to_string(i));
  ASSERT_TRUE(Eventually([&] { return pool_->stats().succeeded == 2000; }));
  std::lock_guard lock(mu);
  EXPECT_EQ(seen.size(), 2000u);
  for (int i = 0; i < 2000; ++i) EXPECT_EQ(seen.count(std::to_string(i)), 1u) << i;
  EXPECT_EQ(queue_->Counts()->by_state[static_cast<int>(JobState::kSucceeded)], 2000);
}

TEST_P(WorkerPoolTest, DuplicateHandlerRegistrationIsRejected) {
  ASSERT_TRUE(registry_.Register("x", [](JobContext&) { return Status::Ok(); }).ok());
  EXPECT_EQ(registry_.Register("x", [](JobContext&) { return Status::Ok(); }).code(),
            Code::kAlreadyExists);
  EXPECT_EQ(registry_.Register("", [](JobContext&) { return Status::Ok(); }).code(),
            Code::kInvalidArgument);
}

TEST_P(WorkerPoolTest, TransientFailuresAreRetriedUntilTheySucceed) {
  std::atomic<int> runs{0};
  ASSERT_TRUE(registry_
                  .Register("flaky",
                            [&](JobContext& ctx) {
                              ++runs;
                              return ctx.job().attempts < 3 ? Unavailable("provider down")
                                                            : Status::Ok();
                            })
                  .ok());
  StartPool();
  JobId id = Add("flaky");
  ASSERT_TRUE(Eventually([&] { return StateOf(id) == JobState::kSucceeded; }));
  EXPECT_EQ(runs.load(), 3);
  EXPECT_EQ(queue_->ErrorHistory(id)->size(), 2u);
}

TEST_P(WorkerPoolTest, PermanentFailureAndThrowingHandlerAreDeadLettered) {
  ASSERT_TRUE(
      registry_.Register("bad", [](JobContext&) { return InvalidArgument("not a PDF"); }).ok());
  ASSERT_TRUE(
      registry_
          .Register("throws", [](JobContext&) -> Status { throw std::runtime_error("kaboom"); })
          .ok());
  StartPool();
  JobId bad = Add("bad"), throws = Add("throws");
  ASSERT_TRUE(Eventually(
      [&] { return StateOf(bad) == JobState::kDead && StateOf(throws) == JobState::kDead; }));
  EXPECT_EQ(queue_->Get(bad)->last_error->error_class, ErrorClass::kBadInput);
  EXPECT_EQ(queue_->Get(bad)->attempts, 1);
  Job t = *queue_->Get(throws);
  EXPECT_EQ(t.last_error->error_class, ErrorClass::kInternal);
  EXPECT_NE(t.last_error->message.find("kaboom"), std::string::npos);
}

TEST_P(WorkerPoolTest, RunningJobIsCancelledCooperatively) {
  std::atomic<bool> started{false};
  ASSERT_TRUE(registry_
                  .Register("long",
                            [&](JobContext& ctx) -> Status {
                              started = true;
                              while (!ctx.cancelled()) std::this_thread::sleep_for(milliseconds(2));
                              return ctx.CheckCancelled();
                            })
                  .ok());
  StartPool({.threads = 2, .lease = milliseconds(150)});  // heartbeats every 50 ms
  JobId id = Add("long");
  ASSERT_TRUE(Eventually([&] { return started.load(); }));
  ASSERT_EQ(*queue_->Cancel(id), JobState::kRunning);
  ASSERT_TRUE(Eventually([&] { return StateOf(id) == JobState::kCancelled; }, seconds(5)));
  // The counter moves just after the queue records the outcome.
  EXPECT_TRUE(Eventually([&] { return pool_->stats().cancelled == 1u; }));
}

TEST_P(WorkerPoolTest, HeartbeatsKeepALongJobFromBeingRedelivered) {
  std::atomic<int> runs{0};
  ASSERT_TRUE(registry_
                  .Register("slow",
                            [&](JobContext&) {
                              ++runs;
                              std::this_thread::sleep_for(milliseconds(900));
                              return Status::Ok();
                            })
                  .ok());
  // Lease 300 ms, job 900 ms: without heartbeats the reaper would redeliver it twice.
  StartPool({.threads = 2, .lease = milliseconds(300), .reap_interval = milliseconds(50)});
  JobId id = Add("slow");
  ASSERT_TRUE(Eventually([&] { return StateOf(id) == JobState::kSucceeded; }));
  EXPECT_EQ(runs.load(), 1);
  EXPECT_EQ(queue_->Get(id)->attempts, 1);
}

TEST_P(WorkerPoolTest, ProgressReachesSubscribers) {
  ASSERT_TRUE(registry_
                  .Register("steps",
                            [](JobContext& ctx) {
                              for (int i = 1; i <= 4; ++i) ctx.ReportProgress("step", i * 25);
                              return Status::Ok();
                            })
                  .ok());
  JobId id = Add("steps");
  std::mutex mu;
  std::vector<int> percents;
  std::vector<uint64_t> seqs;
  bool done = false;
  auto sub = bus_.Subscribe(id, 0, [&](const JobEvent& e) {
    std::lock_guard lock(mu);
    seqs.push_back(e.seq);
    if (e.kind == JobEvent::Kind::kProgress) percents.push_back(e.progress.percent);
    if (e.kind == JobEvent::Kind::kState && e.state == JobState::kSucceeded) done = true;
  });
  StartPool();
  ASSERT_TRUE(Eventually([&] {
    std::lock_guard lock(mu);
    return done;
  }));
  std::lock_guard lock(mu);
  EXPECT_EQ(percents, (std::vector<int>{25, 50, 75, 100}));
  for (size_t i = 1; i < seqs.size(); ++i) EXPECT_EQ(seqs[i], seqs[i - 1] + 1);
}

TEST_P(WorkerPoolTest, ShutdownReleasesUnfinishedJobsForOthers) {
  std::atomic<int> started{0};
  ASSERT_TRUE(registry_
                  .Register("stubborn",
                            [&](JobContext& ctx) -> Status {
                              ++started;
                              while (!ctx.cancelled()) std::this_thread::sleep_for(milliseconds(2));
                              return ctx.CheckCancelled();
                            })
                  .ok());
  StartPool({.threads = 2, .prefetch = 4});
  std::vector<JobId> ids;
  for (int i = 0; i < 6; ++i) ids.push_back(Add("stubborn"));
  // Two running, four prefetched (threads + prefetch = 6 held).
  ASSERT_TRUE(Eventually([&] { return started.load() == 2 && pool_->stats().claimed == 6; }));
  const auto t0 = std::chrono::steady_clock::now();
  pool_->Shutdown(milliseconds(100));
  EXPECT_LT(std::chrono::steady_clock::now() - t0, seconds(5));
  for (JobId id : ids) {
    Job j = *queue_->Get(id);
    EXPECT_EQ(j.state, JobState::kQueued) << id;  // released, not failed or cancelled
    EXPECT_EQ(j.attempts, 0) << id;               // and no attempt used up
  }
  EXPECT_EQ(pool_->stats().released, 6u);
}

TEST_P(WorkerPoolTest, ShutdownLetsStartedJobsFinish) {
  std::atomic<int> started{0};
  ASSERT_TRUE(registry_
                  .Register("short",
                            [&](JobContext&) {
                              ++started;
                              std::this_thread::sleep_for(milliseconds(100));
                              return Status::Ok();
                            })
                  .ok());
  StartPool({.threads = 2, .prefetch = 0});
  JobId a = Add("short"), b = Add("short");
  ASSERT_TRUE(Eventually([&] { return started.load() >= 1; }));
  pool_->Shutdown(seconds(5));
  // At least one handler had started: it was allowed to finish. A job not yet started when the
  // stop came was handed back. None was lost or failed.
  int succeeded = 0;
  for (JobId id : {a, b}) {
    const JobState s = StateOf(id);
    EXPECT_TRUE(s == JobState::kSucceeded || s == JobState::kQueued) << StateName(s);
    succeeded += s == JobState::kSucceeded;
  }
  EXPECT_EQ(succeeded, started.load());
}

TEST_P(WorkerPoolTest, UnknownJobTypeIsLeftForOtherWorkers) {
  ASSERT_TRUE(registry_.Register("mine", [](JobContext&) { return Status::Ok(); }).ok());
  StartPool();
  JobId theirs = Add("theirs"), mine = Add("mine");
  ASSERT_TRUE(Eventually([&] { return StateOf(mine) == JobState::kSucceeded; }));
  std::this_thread::sleep_for(milliseconds(50));
  EXPECT_EQ(StateOf(theirs), JobState::kQueued);
}

INSTANTIATE_TEST_SUITE_P(Backends, WorkerPoolTest, ::testing::Values("memory", "sqlite"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace scriptgen::jobs
