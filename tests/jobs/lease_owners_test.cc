// LeaseOwners and the SQLite queue's use of it: the leases of a process that died are reaped at
// once, those of a live one never before they expire. A "process" here is one LeaseOwners object:
// flock(2) locks belong to open file descriptions, so two objects in one test process contend
// exactly like two processes, and destroying one drops its locks as the kernel does when a
// process is killed.
#include "jobs/lease_owners.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "backends/sqlite/database.h"
#include "backends/sqlite/sqlite_queue.h"
#include "jobs/memory_progress_bus.h"

namespace scriptgen::jobs {
namespace {

using std::chrono::hours;

class LeaseOwnersTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("sg-owners-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    owners_dir_ = (dir_ / "workers").string();
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  size_t LockFiles() {
    size_t n = 0;
    for (const auto& e : std::filesystem::directory_iterator(owners_dir_)) n += e.is_regular_file();
    return n;
  }

  std::filesystem::path dir_;
  std::string owners_dir_;
};

TEST_F(LeaseOwnersTest, OnlyOwnersWhoseProcessIsGoneAreDead) {
  auto first = std::make_unique<LeaseOwners>(owners_dir_);
  LeaseOwners second(owners_dir_);
  ASSERT_TRUE(first->Register("host:1:aaaa").ok());
  ASSERT_TRUE(first->Register("host:1:aaaa").ok());  // again: a no-op
  ASSERT_TRUE(second.Register("host:2:bbbb").ok());
  EXPECT_TRUE(second.FindDead().empty());  // both alive (its own lock included)
  EXPECT_TRUE(first->FindDead().empty());

  first.reset();  // the first process is killed
  std::vector<LeaseOwners::Dead> dead = second.FindDead();
  ASSERT_EQ(dead.size(), 1u);
  EXPECT_EQ(dead[0].worker_id(), "host:1:aaaa");  // the exact id, not the file name
  // While this scanner holds the dead owner, another one does not report it too.
  LeaseOwners third(owners_dir_);
  EXPECT_TRUE(third.FindDead().empty());
  second.Forget(std::move(dead[0]));
  EXPECT_TRUE(third.FindDead().empty());
  EXPECT_EQ(LockFiles(), 1u);  // only the live owner's file is left
}

TEST_F(LeaseOwnersTest, ADeadOwnerNotYetForgottenIsFoundAgain) {
  {
    LeaseOwners gone(owners_dir_);
    ASSERT_TRUE(gone.Register("w").ok());
  }
  LeaseOwners scanner(owners_dir_);
  { ASSERT_EQ(scanner.FindDead().size(), 1u); }  // dropped without Forget: reaping failed
  EXPECT_EQ(scanner.FindDead().size(), 1u);
}

class SqliteQueueLeaseOwnersTest : public LeaseOwnersTest {
 protected:
  void SetUp() override {
    LeaseOwnersTest::SetUp();
    db_ = std::move(*sqlite::Database::Open((dir_ / "scriptgen.db").string()));
  }
  void TearDown() override {
    db_.reset();
    LeaseOwnersTest::TearDown();
  }
  MemoryProgressBus bus_;
  ManualClock clock_;
  std::unique_ptr<sqlite::Database> db_;
};

// A server is SIGKILLed while running a job with a long lease; the process that starts next (or
// any other sharing the database) gets the job back at its first reap, not an hour later. A job
// of a process that is still alive is left alone even though the same scan runs.
TEST_F(SqliteQueueLeaseOwnersTest, JobsOfADeadProcessAreReapedAtOnceThoseOfALiveOneAreNot) {
  auto crashed_owners = std::make_unique<LeaseOwners>(owners_dir_);
  auto crashed = std::make_unique<sqlite::SqliteQueue>(db_.get(), RetryPolicy(), &bus_, &clock_,
                                                       crashed_owners.get());
  LeaseOwners live_owners(owners_dir_);
  sqlite::SqliteQueue live(db_.get(), RetryPolicy(), &bus_, &clock_, &live_owners);
  const JobId a = live.Enqueue({"t", "{}", ""})->id;
  const JobId b = live.Enqueue({"t", "{}", ""})->id;
  ASSERT_EQ(crashed->Claim({"crashed:1:x", 1, hours(1), {}})->front().id, a);
  ASSERT_EQ(live.Claim({"live:2:y", 1, hours(1), {}})->front().id, b);

  EXPECT_EQ(*live.ReapExpiredLeases(), 0);  // both owners alive, both leases valid
  crashed.reset();
  crashed_owners.reset();  // SIGKILL: the kernel drops its locks

  sqlite::SqliteQueue restarted(db_.get(), RetryPolicy(), &bus_, &clock_, &live_owners);
  EXPECT_EQ(*restarted.ReapExpiredLeases(), 1);
  Job ja = *restarted.Get(a);
  EXPECT_EQ(ja.state, JobState::kQueued);
  EXPECT_EQ(ja.attempts, 1);  // the crashed run counts: a job that kills its worker dead-letters
  EXPECT_EQ(restarted.Get(b)->state, JobState::kRunning);
  EXPECT_EQ(restarted.Get(b)->worker_id, "live:2:y");
  EXPECT_EQ(*restarted.ReapExpiredLeases(), 0);  // the dead owner was forgotten
  // And the job runs again.
  std::vector<Job> again = *restarted.Claim({"live:2:y", 5, hours(1), {}});
  ASSERT_EQ(again.size(), 1u);
  EXPECT_EQ(again[0].id, a);
}

// The wall clock jumps a day ahead: every lease in the table looks expired. The process holding
// them is alive and heartbeating, so its own reaper leaves them alone (reaping them would run each
// job a second time); another process's reaper still takes them, as lease expiry is the safety
// net for an owner that is alive but stuck.
TEST_F(SqliteQueueLeaseOwnersTest, OwnExpiredLeasesAreNotReapedThoseOfOthersAre) {
  LeaseOwners mine(owners_dir_);
  sqlite::SqliteQueue q(db_.get(), RetryPolicy(), &bus_, &clock_, &mine);
  const JobId id = q.Enqueue({"t", "{}", ""})->id;
  ASSERT_EQ(q.Claim({"me:1:a", 1, std::chrono::seconds(30), {}})->size(), 1u);
  clock_.Advance(hours(26));
  EXPECT_EQ(*q.ReapExpiredLeases(), 0);
  EXPECT_EQ(q.Get(id)->state, JobState::kRunning);
  // A heartbeat renews it from the new "now".
  ASSERT_TRUE(q.Heartbeat("me:1:a", std::vector<JobId>{id}, std::chrono::seconds(30)).ok());
  EXPECT_EQ(q.Get(id)->lease_until_ms, clock_.NowMs() + 30000);

  clock_.Advance(hours(1));  // and it stopped heartbeating
  LeaseOwners theirs(owners_dir_);
  sqlite::SqliteQueue other(db_.get(), RetryPolicy(), &bus_, &clock_, &theirs);
  EXPECT_EQ(*other.ReapExpiredLeases(), 1);
  EXPECT_EQ(q.Get(id)->state, JobState::kQueued);
}

// A poison pill that kills its worker every time still ends in the DLQ with a reason.
TEST_F(SqliteQueueLeaseOwnersTest, AJobThatKeepsKillingItsWorkerIsDeadLettered) {
  LeaseOwners scanner_owners(owners_dir_);
  sqlite::SqliteQueue scanner(db_.get(), RetryPolicy(), &bus_, &clock_, &scanner_owners);
  EnqueueRequest r{"t", "{}", ""};
  r.max_attempts = 2;
  const JobId id = scanner.Enqueue(r)->id;
  for (int i = 0; i < 2; ++i) {
    {
      LeaseOwners owners(owners_dir_);
      sqlite::SqliteQueue q(db_.get(), RetryPolicy(), &bus_, &clock_, &owners);
      ASSERT_EQ(q.Claim({"victim:" + std::to_string(i), 1, hours(1), {}})->size(), 1u);
    }  // killed
    EXPECT_EQ(*scanner.ReapExpiredLeases(), 1);
  }
  Job j = *scanner.Get(id);
  ASSERT_EQ(j.state, JobState::kDead);
  ASSERT_TRUE(j.last_error.has_value());
  EXPECT_EQ(j.last_error->error_class, ErrorClass::kTimeout);
}

}  // namespace
}  // namespace scriptgen::jobs
