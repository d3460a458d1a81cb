// The JobQueue contract, run against every backend: the same test body must pass for the
// in-memory queue, the embedded SQLite queue and the Redis queue (against a real redis-server
// started once for the test binary, emptied with FLUSHDB before each test). Time is a
// ManualClock, so leases and retry delays are tested without sleeping.
#include <gtest/gtest.h>

#include <filesystem>
#include <functional>
#include <memory>

#include "backends/redis/redis_client.h"
#include "backends/redis/redis_queue.h"
#include "backends/sqlite/database.h"
#include "backends/sqlite/sqlite_queue.h"
#include "jobs/memory_progress_bus.h"
#include "jobs/memory_queue.h"
#include "jobs/queue.h"
#include "redis_support/redis_server_process.h"

namespace scriptgen::jobs {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

struct Backend {
  std::string name;
  std::function<std::unique_ptr<JobQueue>(const std::string& dir, const Clock*, ProgressBus*,
                                          RetryPolicy, std::unique_ptr<sqlite::Database>* db)>
      make;
};

std::ostream& operator<<(std::ostream& os, const Backend& b) {
  return os << b.name;
}

class QueueContractTest : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("sg-queue-" + GetParam().name + "-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    RetryPolicyOptions o;  // default schedule, no jitter: exact times
    o.jitter = 0;
    queue_ = GetParam().make(dir_.string(), &clock_, &bus_, RetryPolicy(o), &db_);
  }
  void TearDown() override {
    queue_.reset();
    db_.reset();
    std::filesystem::remove_all(dir_);
  }

  JobId Add(std::string type = "t", std::string key = {}) {
    StatusOr<EnqueueResult> r = queue_->Enqueue({type, "{}", key});
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r->id;
  }
  std::vector<Job> ClaimN(size_t n, std::string worker = "w1", milliseconds lease = seconds(30)) {
    StatusOr<std::vector<Job>> r = queue_->Claim({worker, n, lease, {}});
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : std::vector<Job>{};
  }
  StatusOr<JobState> FinishOne(JobId id, Outcome outcome, ErrorClass c = ErrorClass::kTimeout,
                               std::string worker = "w1") {
    FinishRequest req{id, worker, outcome, {c, "boom"}};
    return queue_->Finish(std::span(&req, 1)).front();
  }
  // For finishes the test relies on but does not inspect.
  void Settle(JobId id, Outcome outcome, ErrorClass c = ErrorClass::kTimeout) {
    StatusOr<JobState> s = FinishOne(id, outcome, c);
    EXPECT_TRUE(s.ok()) << s.status().ToString();
  }
  JobState StateOf(JobId id) {
    StatusOr<Job> j = queue_->Get(id);
    EXPECT_TRUE(j.ok());
    return j->state;
  }

  std::filesystem::path dir_;
  ManualClock clock_;
  MemoryProgressBus bus_;
  std::unique_ptr<sqlite::Database> db_;
  std::unique_ptr<JobQueue> queue_;
};

TEST_P(QueueContractTest, EnqueueThenGetReturnsTheQueuedJob) {
  StatusOr<EnqueueResult> r = queue_->Enqueue({"ingest", R"({"doc":1})", ""});
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->created);
  StatusOr<Job> j = queue_->Get(r->id);
  ASSERT_TRUE(j.ok());
  EXPECT_EQ(j->type, "ingest");
  EXPECT_EQ(j->payload, R"({"doc":1})");
  EXPECT_EQ(j->state, JobState::kQueued);
  EXPECT_EQ(j->attempts, 0);
  EXPECT_EQ(j->max_attempts, 5);
  EXPECT_EQ(j->created_ms, clock_.NowMs());
}

TEST_P(QueueContractTest, TraceAndCorrelationIdsTravelWithTheJob) {
  EnqueueRequest req{"ingest", "{}", ""};
  req.trace_id = "4bf92f3577b34da6a3ce929d0e0e4736";
  req.correlation_id = "req-42";
  StatusOr<EnqueueResult> r = queue_->Enqueue(req);
  ASSERT_TRUE(r.ok());
  StatusOr<std::vector<Job>> claimed = queue_->Claim({"w1", 1, std::chrono::seconds(30)});
  ASSERT_TRUE(claimed.ok());
  ASSERT_EQ(claimed->size(), 1u);
  EXPECT_EQ(claimed->front().trace_id, "4bf92f3577b34da6a3ce929d0e0e4736");
  EXPECT_EQ(claimed->front().correlation_id, "req-42");
  StatusOr<Job> untraced = queue_->Get(queue_->Enqueue({"ingest", "{}", ""})->id);
  ASSERT_TRUE(untraced.ok());
  EXPECT_EQ(untraced->trace_id, "");
}

TEST_P(QueueContractTest, IdsAreUniqueAndIncreasing) {
  JobId a = Add(), b = Add(), c = Add();
  EXPECT_LT(a, b);
  EXPECT_LT(b, c);
}

TEST_P(QueueContractTest, BadRequestsAreRejectedWithTypedErrors) {
  EXPECT_EQ(queue_->Enqueue({"", "{}", ""}).status().code(), Code::kInvalidArgument);
  EXPECT_EQ(queue_->Get(999999).status().code(), Code::kNotFound);
  EXPECT_EQ(queue_->Cancel(999999).status().code(), Code::kNotFound);
  EXPECT_EQ(queue_->Claim({"", 1, seconds(1), {}}).status().code(), Code::kInvalidArgument);
  EXPECT_EQ(FinishOne(999999, Outcome::kSucceeded).status().code(), Code::kNotFound);
  EXPECT_EQ(queue_->RetryDead(999999).code(), Code::kNotFound);
  EXPECT_EQ(queue_->PurgeDead(999999).code(), Code::kNotFound);
}

TEST_P(QueueContractTest, SameIdempotencyKeyReturnsTheSameJob) {
  StatusOr<EnqueueResult> a = queue_->Enqueue({"t", "first", "key-1"});
  StatusOr<EnqueueResult> b = queue_->Enqueue({"t", "second", "key-1"});
  StatusOr<EnqueueResult> c = queue_->Enqueue({"t", "third", "key-2"});
  ASSERT_TRUE(a.ok() && b.ok() && c.ok());
  EXPECT_TRUE(a->created);
  EXPECT_FALSE(b->created);
  EXPECT_EQ(a->id, b->id);
  EXPECT_NE(a->id, c->id);
  EXPECT_EQ(queue_->Get(a->id)->payload, "first");  // the replay changed nothing
  EXPECT_EQ(queue_->Counts()->by_state[0], 2);
}

TEST_P(QueueContractTest, BatchEnqueueHonoursKeysWithinTheBatch) {
  std::vector<EnqueueRequest> reqs = {{"t", "1", "k"}, {"t", "2", ""}, {"t", "3", "k"}};
  StatusOr<std::vector<EnqueueResult>> r = queue_->EnqueueBatch(reqs);
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->size(), 3u);
  EXPECT_EQ((*r)[0].id, (*r)[2].id);
  EXPECT_FALSE((*r)[2].created);
  EXPECT_NE((*r)[0].id, (*r)[1].id);
}

TEST_P(QueueContractTest, ClaimIsFifoAndLeasesTheJob) {
  JobId a = Add(), b = Add(), c = Add();
  std::vector<Job> got = ClaimN(2);
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].id, a);
  EXPECT_EQ(got[1].id, b);
  EXPECT_EQ(got[0].state, JobState::kRunning);
  EXPECT_EQ(got[0].attempts, 1);
  EXPECT_EQ(got[0].worker_id, "w1");
  EXPECT_EQ(got[0].lease_until_ms, clock_.NowMs() + 30000);
  std::vector<Job> rest = ClaimN(10, "w2");
  ASSERT_EQ(rest.size(), 1u);
  EXPECT_EQ(rest[0].id, c);
  EXPECT_TRUE(ClaimN(10, "w3").empty());  // a claimed job is never handed out twice
}

TEST_P(QueueContractTest, ClaimFiltersByType) {
  Add("a");
  JobId b = Add("b");
  StatusOr<std::vector<Job>> r = queue_->Claim({"w", 10, seconds(5), {"b", "c"}});
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->size(), 1u);
  EXPECT_EQ((*r)[0].id, b);
}

TEST_P(QueueContractTest, ExpiredLeaseIsRedelivered) {
  JobId id = Add();
  ASSERT_EQ(ClaimN(1, "dead-worker", seconds(10)).size(), 1u);
  clock_.Advance(seconds(9));
  EXPECT_EQ(*queue_->ReapExpiredLeases(), 0);
  clock_.Advance(seconds(2));
  EXPECT_EQ(*queue_->ReapExpiredLeases(), 1);
  EXPECT_EQ(StateOf(id), JobState::kQueued);
  std::vector<Job> again = ClaimN(1, "w2");
  ASSERT_EQ(again.size(), 1u);
  EXPECT_EQ(again[0].id, id);
  EXPECT_EQ(again[0].attempts, 2);
  // The first worker's late completion is refused: the job is not its any more.
  EXPECT_EQ(FinishOne(id, Outcome::kSucceeded, ErrorClass::kTimeout, "dead-worker").status().code(),
            Code::kFailedPrecondition);
  EXPECT_EQ(*FinishOne(id, Outcome::kSucceeded, ErrorClass::kTimeout, "w2"), JobState::kSucceeded);
}

TEST_P(QueueContractTest, HeartbeatKeepsALongJobLeased) {
  JobId id = Add();
  ClaimN(1, "w1", seconds(10));
  for (int i = 0; i < 10; ++i) {  // 80 s of work in all, far beyond the 10 s lease
    clock_.Advance(seconds(8));
    StatusOr<HeartbeatResult> hb = queue_->Heartbeat("w1", std::vector<JobId>{id}, seconds(10));
    ASSERT_TRUE(hb.ok());
    EXPECT_TRUE(hb->lost.empty());
    EXPECT_EQ(*queue_->ReapExpiredLeases(), 0);
  }
  EXPECT_EQ(StateOf(id), JobState::kRunning);
  StatusOr<HeartbeatResult> other = queue_->Heartbeat("w2", std::vector<JobId>{id}, seconds(10));
  ASSERT_EQ(other->lost.size(), 1u);  // only the holder can extend
}

TEST_P(QueueContractTest, RetryableFailureBacksOffOneFiveTwentyFiveOneTwentyFiveThenDead) {
  JobId id = Add();
  const int64_t delays[] = {1000, 5000, 25000, 125000};
  for (int attempt = 1; attempt <= 5; ++attempt) {
    std::vector<Job> got = ClaimN(1);
    ASSERT_EQ(got.size(), 1u) << "attempt " << attempt;
    EXPECT_EQ(got[0].attempts, attempt);
    StatusOr<JobState> s = FinishOne(id, Outcome::kFailed, ErrorClass::kProviderUnavailable);
    ASSERT_TRUE(s.ok());
    if (attempt == 5) {
      EXPECT_EQ(*s, JobState::kDead);
      break;
    }
    EXPECT_EQ(*s, JobState::kScheduled);
    EXPECT_EQ(queue_->Get(id)->run_at_ms, clock_.NowMs() + delays[attempt - 1]);
    clock_.Advance(milliseconds(delays[attempt - 1] - 1));
    EXPECT_TRUE(ClaimN(1).empty()) << "claimable before its retry time, attempt " << attempt;
    clock_.Advance(milliseconds(1));
  }
  StatusOr<std::vector<ErrorRecord>> history = queue_->ErrorHistory(id);
  ASSERT_TRUE(history.ok());
  ASSERT_EQ(history->size(), 5u);
  EXPECT_EQ((*history)[0].attempt, 1);
  EXPECT_EQ((*history)[4].attempt, 5);
  EXPECT_EQ((*history)[4].error.error_class, ErrorClass::kProviderUnavailable);
  Job dead = *queue_->Get(id);
  ASSERT_TRUE(dead.last_error.has_value());
  EXPECT_EQ(dead.last_error->message, "boom");
  EXPECT_NE(dead.finished_ms, 0);
}

TEST_P(QueueContractTest, PermanentErrorIsDeadLetteredWithoutRetry) {
  JobId id = Add();
  ClaimN(1);
  EXPECT_EQ(*FinishOne(id, Outcome::kFailed, ErrorClass::kBadInput), JobState::kDead);
  EXPECT_EQ(queue_->ErrorHistory(id)->size(), 1u);
  clock_.Advance(seconds(1000));
  EXPECT_TRUE(ClaimN(1).empty());
}

TEST_P(QueueContractTest, MaxAttemptsPerJobOverridesThePolicy) {
  StatusOr<EnqueueResult> r = queue_->Enqueue({"t", "", "", 2});
  ClaimN(1);
  EXPECT_EQ(*FinishOne(r->id, Outcome::kFailed, ErrorClass::kTimeout), JobState::kScheduled);
  clock_.Advance(seconds(2));
  ClaimN(1);
  EXPECT_EQ(*FinishOne(r->id, Outcome::kFailed, ErrorClass::kTimeout), JobState::kDead);
}

TEST_P(QueueContractTest, JobThatKeepsKillingItsWorkerEndsDead) {
  JobId id = Add();
  for (int i = 0; i < 5; ++i) {
    ASSERT_EQ(ClaimN(1, "w", seconds(1)).size(), 1u);
    clock_.Advance(seconds(2));
    ASSERT_EQ(*queue_->ReapExpiredLeases(), 1);
  }
  Job j = *queue_->Get(id);
  EXPECT_EQ(j.state, JobState::kDead);
  ASSERT_TRUE(j.last_error.has_value());
  EXPECT_EQ(j.last_error->error_class, ErrorClass::kTimeout);
}

TEST_P(QueueContractTest, CancelQueuedIsImmediate) {
  JobId id = Add();
  EXPECT_EQ(*queue_->Cancel(id), JobState::kCancelled);
  EXPECT_TRUE(ClaimN(1).empty());
  EXPECT_EQ(*queue_->Cancel(id), JobState::kCancelled);  // idempotent
}

TEST_P(QueueContractTest, CancelScheduledIsImmediate) {
  JobId id = Add();
  ClaimN(1);
  Settle(id, Outcome::kFailed, ErrorClass::kTimeout);
  EXPECT_EQ(*queue_->Cancel(id), JobState::kCancelled);
  clock_.Advance(seconds(10));
  EXPECT_TRUE(ClaimN(1).empty());
}

TEST_P(QueueContractTest, CancelRunningIsCooperative) {
  JobId id = Add();
  ClaimN(1);
  EXPECT_EQ(*queue_->Cancel(id), JobState::kRunning);
  EXPECT_TRUE(queue_->Get(id)->cancel_requested);
  StatusOr<HeartbeatResult> hb = queue_->Heartbeat("w1", std::vector<JobId>{id}, seconds(30));
  ASSERT_EQ(hb->cancel_requested.size(), 1u);
  EXPECT_EQ(hb->cancel_requested[0], id);
  EXPECT_EQ(*FinishOne(id, Outcome::kCancelled), JobState::kCancelled);
}

TEST_P(QueueContractTest, FinishedJobsCannotBeCancelledOrFinishedAgain) {
  JobId id = Add();
  ClaimN(1);
  ASSERT_EQ(*FinishOne(id, Outcome::kSucceeded), JobState::kSucceeded);
  EXPECT_EQ(queue_->Cancel(id).status().code(), Code::kFailedPrecondition);
  EXPECT_EQ(FinishOne(id, Outcome::kSucceeded).status().code(), Code::kFailedPrecondition);
  EXPECT_EQ(queue_->RetryDead(id).code(), Code::kFailedPrecondition);
  EXPECT_EQ(queue_->PurgeDead(id).code(), Code::kFailedPrecondition);
  EXPECT_EQ(StateOf(id), JobState::kSucceeded);
}

TEST_P(QueueContractTest, FinishOfUnclaimedJobIsRefused) {
  JobId id = Add();
  EXPECT_EQ(FinishOne(id, Outcome::kSucceeded).status().code(), Code::kFailedPrecondition);
  EXPECT_EQ(StateOf(id), JobState::kQueued);
}

TEST_P(QueueContractTest, ReleaseReturnsTheJobWithoutUsingAnAttempt) {
  JobId id = Add();
  ClaimN(1);
  EXPECT_EQ(*FinishOne(id, Outcome::kReleased), JobState::kQueued);
  std::vector<Job> again = ClaimN(1);
  ASSERT_EQ(again.size(), 1u);
  EXPECT_EQ(again[0].attempts, 1);
}

TEST_P(QueueContractTest, FinishBatchReportsEachEntryOnItsOwn) {
  JobId a = Add(), b = Add();
  ClaimN(2);
  std::vector<FinishRequest> reqs = {{a, "w1", Outcome::kSucceeded, {}},
                                     {b, "intruder", Outcome::kSucceeded, {}},
                                     {b, "w1", Outcome::kFailed, {ErrorClass::kBadInput, "x"}}};
  std::vector<StatusOr<JobState>> r = queue_->Finish(reqs);
  ASSERT_EQ(r.size(), 3u);
  EXPECT_EQ(*r[0], JobState::kSucceeded);
  EXPECT_EQ(r[1].status().code(), Code::kFailedPrecondition);
  EXPECT_EQ(*r[2], JobState::kDead);
}

TEST_P(QueueContractTest, DeadLetterRetryOneAndByClass) {
  JobId bad = Add(), flaky1 = Add(), flaky2 = Add();
  ClaimN(3);
  Settle(bad, Outcome::kFailed, ErrorClass::kBadInput);
  for (JobId id : {flaky1, flaky2}) {
    // Exhaust retries with a transient class.
    Settle(id, Outcome::kFailed, ErrorClass::kRateLimited);
  }
  for (int i = 0; i < 4; ++i) {
    clock_.Advance(seconds(200));
    for (const Job& j : ClaimN(10)) Settle(j.id, Outcome::kFailed, ErrorClass::kRateLimited);
  }
  ASSERT_EQ(StateOf(flaky1), JobState::kDead);
  ASSERT_EQ(StateOf(flaky2), JobState::kDead);

  JobFilter dead_rate;
  dead_rate.state = JobState::kDead;
  dead_rate.error_class = ErrorClass::kRateLimited;
  EXPECT_EQ(queue_->List(dead_rate)->size(), 2u);

  EXPECT_EQ(*queue_->RetryDeadByClass(ErrorClass::kRateLimited), 2);
  EXPECT_EQ(StateOf(flaky1), JobState::kQueued);
  EXPECT_EQ(queue_->Get(flaky1)->attempts, 0);  // a fresh budget
  EXPECT_EQ(StateOf(bad), JobState::kDead);
  EXPECT_EQ(queue_->ErrorHistory(flaky1)->size(), 5u);  // history survives the retry

  ASSERT_TRUE(queue_->RetryDead(bad).ok());
  EXPECT_EQ(StateOf(bad), JobState::kQueued);
  EXPECT_EQ(queue_->RetryDead(bad).code(), Code::kFailedPrecondition);  // not dead any more
}

TEST_P(QueueContractTest, PurgeRemovesOnlyDeadJobs) {
  JobId a = Add(), b = Add(), live = Add();
  ClaimN(2);
  Settle(a, Outcome::kFailed, ErrorClass::kBadInput);
  Settle(b, Outcome::kFailed, ErrorClass::kInternal);
  EXPECT_EQ(queue_->PurgeDead(live).code(), Code::kFailedPrecondition);
  ASSERT_TRUE(queue_->PurgeDead(a).ok());
  EXPECT_EQ(queue_->Get(a).status().code(), Code::kNotFound);
  EXPECT_EQ(*queue_->PurgeDeadByClass(ErrorClass::kBadInput), 0);
  EXPECT_EQ(*queue_->PurgeDeadByClass(std::nullopt), 1);
  EXPECT_EQ(queue_->Get(b).status().code(), Code::kNotFound);
  EXPECT_EQ(StateOf(live), JobState::kQueued);
}

TEST_P(QueueContractTest, ListPagesWithACursorAndFilters) {
  std::vector<JobId> ids;
  for (int i = 0; i < 7; ++i) ids.push_back(Add(i % 2 ? "odd" : "even"));
  JobFilter f;
  f.limit = 3;
  std::vector<JobId> seen;
  for (;;) {
    StatusOr<std::vector<Job>> page = queue_->List(f);
    ASSERT_TRUE(page.ok());
    if (page->empty()) break;
    for (const Job& j : *page) seen.push_back(j.id);
    f.after_id = page->back().id;
  }
  EXPECT_EQ(seen, ids);
  JobFilter odd;
  odd.type = "odd";
  EXPECT_EQ(queue_->List(odd)->size(), 3u);
}

TEST_P(QueueContractTest, ProgressIsStoredWhileRunning) {
  JobId id = Add();
  ClaimN(1);
  queue_->RecordProgress(id, {"embed", 60, "3 of 5 batches"});
  // Progress writes are coalesced; a following write op is ordered after it.
  ASSERT_TRUE(queue_->Heartbeat("w1", std::vector<JobId>{id}, seconds(30)).ok());
  Job j = *queue_->Get(id);
  EXPECT_EQ(j.progress.step, "embed");
  EXPECT_EQ(j.progress.percent, 60);
  EXPECT_EQ(j.progress.message, "3 of 5 batches");
}

TEST_P(QueueContractTest, StateChangesArePublishedInOrder) {
  JobId id = Add();
  std::vector<JobState> states;
  auto sub = bus_.Subscribe(id, 0, [&](const JobEvent& e) {
    if (e.kind == JobEvent::Kind::kState) states.push_back(e.state);
  });
  ClaimN(1);
  Settle(id, Outcome::kSucceeded);
  EXPECT_EQ(states,
            (std::vector<JobState>{JobState::kQueued, JobState::kRunning, JobState::kSucceeded}));
}

TEST_P(QueueContractTest, DelayedJobWaitsForItsTime) {
  StatusOr<EnqueueResult> r = queue_->Enqueue({"t", "", "", 0, seconds(3)});
  EXPECT_EQ(StateOf(r->id), JobState::kScheduled);
  EXPECT_TRUE(ClaimN(1).empty());
  clock_.Advance(seconds(3));
  EXPECT_EQ(ClaimN(1).size(), 1u);
}

TEST_P(QueueContractTest, CountsByState) {
  Add();
  Add();
  JobId c = Add();
  ClaimN(1);
  ASSERT_TRUE(queue_->Cancel(c).ok());
  QueueCounts counts = *queue_->Counts();
  EXPECT_EQ(counts.by_state[static_cast<int>(JobState::kQueued)], 1);
  EXPECT_EQ(counts.by_state[static_cast<int>(JobState::kRunning)], 1);
  EXPECT_EQ(counts.by_state[static_cast<int>(JobState::kCancelled)], 1);
}

const Backend kMemory{"memory", [](const std::string&, const Clock* clock, ProgressBus* bus,
                                   RetryPolicy policy, std::unique_ptr<sqlite::Database>*) {
                        return std::unique_ptr<JobQueue>(
                            std::make_unique<MemoryQueue>(std::move(policy), bus, clock));
                      }};

const Backend kSqlite{"sqlite", [](const std::string& dir, const Clock* clock, ProgressBus* bus,
                                   RetryPolicy policy, std::unique_ptr<sqlite::Database>* db) {
                        auto opened = sqlite::Database::Open(dir + "/scriptgen.db");
                        EXPECT_TRUE(opened.ok()) << opened.status().ToString();
                        *db = std::move(*opened);
                        return std::unique_ptr<JobQueue>(std::make_unique<sqlite::SqliteQueue>(
                            db->get(), std::move(policy), bus, clock));
                      }};

// One redis-server for the whole binary, started by the first Redis test, stopped (and its
// directory removed) at exit.
testing::RedisServerProcess& SharedRedis() {
  static testing::RedisServerProcess server;
  static const bool started = [] {
    ::testing::AssertionResult r = server.Start();
    EXPECT_TRUE(r) << r.message();
    return static_cast<bool>(r);
  }();
  (void)started;
  return server;
}

const Backend kRedis{"redis", [](const std::string&, const Clock* clock, ProgressBus* bus,
                                 RetryPolicy policy, std::unique_ptr<sqlite::Database>*) {
                       StatusOr<redis::RedisEndpoint> ep =
                           redis::ParseRedisUrl(SharedRedis().url());
                       EXPECT_TRUE(ep.ok()) << ep.status().ToString();
                       auto pool = std::make_shared<redis::RedisPool>(*ep);
                       Status flushed = pool->Run([](redis::RedisConnection& c) -> Status {
                         StatusOr<redis::RedisReply> r = c.Command({"FLUSHDB"});
                         return r.ok() ? Status::Ok() : r.status();
                       });
                       EXPECT_TRUE(flushed.ok()) << flushed.ToString();
                       auto q = redis::MakeRedisQueue(pool, clock, bus, std::move(policy));
                       EXPECT_TRUE(q.ok()) << q.status().ToString();
                       return std::unique_ptr<JobQueue>(std::move(*q));
                     }};

INSTANTIATE_TEST_SUITE_P(Backends, QueueContractTest, ::testing::Values(kMemory, kSqlite, kRedis),
                         [](const auto& info) { return info.param.name; });

}  // namespace
}  // namespace scriptgen::jobs
