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

// Destroys a test's pool at the end of its scope, ahead of queue wrappers declared before it
// (TearDown would destroy the pool only after they are gone).
struct PoolResetter {
  std::unique_ptr<WorkerPool>& pool;
  ~PoolResetter() { pool.reset(); }
};

// A queue whose Finish is refused (as by a full disk or a restarting Redis) while `refuse` is
// set; everything else goes to the real queue.
class RefusingFinishQueue final : public JobQueue {
 public:
  explicit RefusingFinishQueue(JobQueue* inner) : inner_(inner) {}
  std::atomic<bool> refuse{false};
  std::atomic<int> refused{0};

  std::vector<StatusOr<JobState>> Finish(std::span<const FinishRequest> requests) override {
    if (refuse) {
      refused += static_cast<int>(requests.size());
      return std::vector<StatusOr<JobState>>(requests.size(),
                                             Unavailable("database or disk is full"));
    }
    return inner_->Finish(requests);
  }
  StatusOr<EnqueueResult> Enqueue(const EnqueueRequest& r) override { return inner_->Enqueue(r); }
  StatusOr<EnqueueResult> EnqueueInTx(store::WriteTx& tx, const EnqueueRequest& r) override {
    return inner_->EnqueueInTx(tx, r);
  }
  StatusOr<std::vector<EnqueueResult>> EnqueueBatch(
      std::span<const EnqueueRequest> requests) override {
    return inner_->EnqueueBatch(requests);
  }
  StatusOr<std::vector<Job>> Claim(const ClaimRequest& r) override { return inner_->Claim(r); }
  StatusOr<HeartbeatResult> Heartbeat(const std::string& worker_id, std::span<const JobId> ids,
                                      std::chrono::milliseconds lease) override {
    return inner_->Heartbeat(worker_id, ids, lease);
  }
  void RecordProgress(JobId id, const Progress& p) override { inner_->RecordProgress(id, p); }
  StatusOr<JobState> Cancel(JobId id) override { return inner_->Cancel(id); }
  StatusOr<int> ReapExpiredLeases() override { return inner_->ReapExpiredLeases(); }
  StatusOr<Job> Get(JobId id) override { return inner_->Get(id); }
  StatusOr<std::vector<Job>> List(const JobFilter& f) override { return inner_->List(f); }
  StatusOr<QueueCounts> Counts() override { return inner_->Counts(); }
  StatusOr<std::vector<ErrorRecord>> ErrorHistory(JobId id) override {
    return inner_->ErrorHistory(id);
  }
  Status RetryDead(JobId id) override { return inner_->RetryDead(id); }
  StatusOr<int> RetryDeadByClass(ErrorClass c) override { return inner_->RetryDeadByClass(c); }
  Status PurgeDead(JobId id) override { return inner_->PurgeDead(id); }
  StatusOr<int> PurgeDeadByClass(std::optional<ErrorClass> c) override {
    return inner_->PurgeDeadByClass(c);
  }
  void SetWorkAvailableCallback(std::function<void()> cb) override {
    inner_->SetWorkAvailableCallback(std::move(cb));
  }
  const RetryPolicy& retry_policy() const override { return inner_->retry_policy(); }

 private:
  JobQueue* const inner_;
};

// A job whose outcome cannot be recorded at first (the disk is full) is neither dropped nor run
// again: the pool keeps its lease alive and sends the outcome again until the store takes it.
// Before, the pool forgot the job: it stayed `running` until its lease expired and then ran a
// second time.
TEST_P(WorkerPoolTest, RefusedFinishIsRetriedUnderALiveLeaseNotRunAgain) {
  RefusingFinishQueue refusing(queue_.get());
  PoolResetter reset_pool_first{pool_};  // the pool uses `refusing`: it must go before it does
  std::atomic<int> runs{0};
  ASSERT_TRUE(registry_
                  .Register("once",
                            [&](JobContext&) {
                              ++runs;
                              return Status::Ok();
                            })
                  .ok());
  refusing.refuse = true;
  // Lease 300 ms: without heartbeats during the refusals the reaper would hand the job out again.
  pool_ = std::make_unique<WorkerPool>(
      &refusing, &registry_, &bus_,
      WorkerPoolOptions{
          .threads = 2, .lease = milliseconds(300), .reap_interval = milliseconds(50)});
  pool_->Start();
  const JobId id = Add("once");
  ASSERT_TRUE(Eventually([&] { return refusing.refused.load() >= 3; }));
  std::this_thread::sleep_for(milliseconds(700));  // more than two leases of refusals
  EXPECT_EQ(StateOf(id), JobState::kRunning);
  refusing.refuse = false;
  ASSERT_TRUE(Eventually([&] { return StateOf(id) == JobState::kSucceeded; }, seconds(10)));
  EXPECT_EQ(runs.load(), 1);
  EXPECT_EQ(queue_->Get(id)->attempts, 1);
  EXPECT_GE(pool_->stats().finish_retries, 3u);
  EXPECT_TRUE(Eventually([&] { return pool_->stats().succeeded == 1u; }));
  EXPECT_EQ(pool_->stats().lost_leases, 0u);
}

// Shutting down while the store refuses every outcome still ends within the deadline (the job is
// left to lease expiry, which redelivers it), rather than waiting for the store forever.
TEST_P(WorkerPoolTest, ShutdownDoesNotWaitForeverForARefusingStore) {
  RefusingFinishQueue refusing(queue_.get());
  PoolResetter reset_pool_first{pool_};  // the pool uses `refusing`: it must go before it does
  ASSERT_TRUE(registry_.Register("quick", [](JobContext&) { return Status::Ok(); }).ok());
  refusing.refuse = true;
  pool_ =
      std::make_unique<WorkerPool>(&refusing, &registry_, &bus_, WorkerPoolOptions{.threads = 1});
  pool_->Start();
  const JobId id = Add("quick");
  ASSERT_TRUE(Eventually([&] { return refusing.refused.load() >= 1; }));
  const auto t0 = std::chrono::steady_clock::now();
  pool_->Shutdown(milliseconds(200));
  EXPECT_LT(std::chrono::steady_clock::now() - t0, seconds(5));
  EXPECT_EQ(StateOf(id), JobState::kRunning);  // not recorded: its lease will expire
}

// The wall clock jumps ahead while a job runs: the pool's own reaper (a queue without lease
// owners, like Redis) takes the lease back and the next claim hands the same job to the same pool
// again. The run in progress carries on under the new lease; the job must not be started a second
// time, nor end `cancelled` because its old lease was lost.
TEST(WorkerPoolClockJumpTest, AJobReclaimedByItsOwnPoolIsNotRunTwiceNorCancelled) {
  const auto dir =
      std::filesystem::temp_directory_path() / ("sg-pool-jump-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  {
    MemoryProgressBus bus;
    ManualClock clock;
    auto db = std::move(*sqlite::Database::Open((dir / "scriptgen.db").string()));
    sqlite::SqliteQueue queue(db.get(), RetryPolicy(), &bus, &clock);
    HandlerRegistry registry;
    std::atomic<int> runs{0};
    std::atomic<bool> finish{false};
    ASSERT_TRUE(registry
                    .Register("long",
                              [&](JobContext&) {
                                ++runs;
                                while (!finish) std::this_thread::sleep_for(milliseconds(2));
                                return Status::Ok();
                              })
                    .ok());
    // A long lease (heartbeats every 10 s) and a reaper polling every few milliseconds: the
    // reaper sees the jump first, as it does in production when the jump is large.
    WorkerPool pool(&queue, &registry, &bus,
                    {.threads = 2,
                     .lease = seconds(30),
                     .poll_interval = milliseconds(5),
                     .reap_interval = milliseconds(5)});
    // Lets the handler end whatever happens, before the pool's destructor waits for it.
    struct Release {
      std::atomic<bool>& flag;
      ~Release() { flag = true; }
    } release{finish};
    pool.Start();
    const JobId id = queue.Enqueue({"long", "", ""})->id;
    ASSERT_TRUE(Eventually([&] { return runs.load() == 1; }));
    clock.Advance(std::chrono::hours(26));
    // Reaped and claimed again (a second attempt) by the same pool.
    EXPECT_TRUE(Eventually([&] { return queue.Get(id)->attempts == 2; }));
    std::this_thread::sleep_for(milliseconds(200));
    finish = true;
    ASSERT_TRUE(Eventually([&] {
      const JobState s = queue.Get(id)->state;
      return s != JobState::kRunning && s != JobState::kQueued;
    }));
    const Job j = *queue.Get(id);
    EXPECT_EQ(j.state, JobState::kSucceeded) << StateName(j.state);
    EXPECT_EQ(runs.load(), 1);
    pool.Shutdown(seconds(5));
  }
  std::filesystem::remove_all(dir);
}

INSTANTIATE_TEST_SUITE_P(Backends, WorkerPoolTest, ::testing::Values("memory", "sqlite"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace scriptgen::jobs
