// StepRunner with the SQLite step store: effects and marks commit together, done steps are
// skipped, failed or cancelled steps leave no trace.
#include "jobs/step_runner.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "backends/sqlite/database.h"
#include "backends/sqlite/sqlite_step_store.h"
#include "jobs/memory_progress_bus.h"
#include "jobs/memory_queue.h"

namespace scriptgen::jobs {
namespace {

class StepRunnerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("sg-steps-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    db_ = std::move(*sqlite::Database::Open((dir_ / "scriptgen.db").string()));
    ASSERT_TRUE(db_->writer()
                    .Run([](sqlite::Tx& tx) {
                      return tx.conn().Exec("CREATE TABLE effects(step TEXT NOT NULL)");
                    })
                    .ok());
    steps_ = std::make_unique<sqlite::SqliteStepStore>(db_.get());
    job_.id = 7;
  }
  void TearDown() override {
    steps_.reset();
    db_.reset();
    std::filesystem::remove_all(dir_);
  }

  // An effect that records the step name in the effects table, inside the step's transaction.
  static StepRunner::Work Record(std::string step, Status effect_status = Status::Ok()) {
    return [step, effect_status]() -> StatusOr<StepStore::Effect> {
      return StepStore::Effect([step, effect_status](store::WriteTx& wtx) -> Status {
        auto& tx = sqlite::Tx::From(wtx);
        auto st = tx.Prepare("INSERT INTO effects(step) VALUES (?)");
        if (!st.ok()) return st.status();
        (*st)->Bind(1, step);
        SG_RETURN_IF_ERROR((*st)->Run());
        return effect_status;
      });
    };
  }
  int64_t Count(const std::string& step) {
    auto conn = db_->readers().Acquire();
    auto st = (*conn)->Prepare("SELECT count(*) FROM effects WHERE step = ?");
    (*st)->Bind(1, step);
    EXPECT_TRUE(*(*st)->Step());
    int64_t n = (*st)->Int(0);
    (*st)->Reset();
    return n;
  }

  std::filesystem::path dir_;
  std::unique_ptr<sqlite::Database> db_;
  std::unique_ptr<sqlite::SqliteStepStore> steps_;
  MemoryProgressBus bus_;
  MemoryQueue queue_{RetryPolicy(), nullptr};
  Job job_;
};

TEST_F(StepRunnerTest, ReDeliveredJobSkipsDoneStepsAndAppliesEachEffectOnce) {
  const std::vector<std::string> all = {"a", "b", "c"};
  {
    JobContext ctx(job_, std::make_shared<CancelToken>(), &queue_, &bus_);
    StepRunner runner(ctx, *steps_, "doc:7", all);
    ASSERT_TRUE(runner.Run("a", Record("a")).ok());
    ASSERT_TRUE(runner.Run("b", Record("b")).ok());
    // "crash" before c
  }
  JobContext ctx(job_, std::make_shared<CancelToken>(), &queue_, &bus_);
  StepRunner again(ctx, *steps_, "doc:7", all);
  int work_calls = 0;
  auto counting = [&](std::string s) {
    return [&, s]() -> StatusOr<StepStore::Effect> {
      ++work_calls;
      return Record(s)();
    };
  };
  for (const auto& s : all) ASSERT_TRUE(again.Run(s, counting(s)).ok());
  EXPECT_EQ(work_calls, 1);  // only c did work
  EXPECT_EQ(again.steps_skipped(), 2);
  EXPECT_EQ(again.steps_run(), 1);
  for (const auto& s : all) EXPECT_EQ(Count(s), 1) << s;
  EXPECT_EQ(*steps_->DoneSteps("doc:7"), all);
  EXPECT_TRUE(steps_->DoneSteps("doc:8")->empty());
}

TEST_F(StepRunnerTest, ObserverHearsOfStepsThatRanButNotOfSkippedOnes) {
  struct StepLog : JobObserver {
    void OnStep(const Job&, std::string_view step, std::chrono::nanoseconds elapsed,
                const Status& status) override {
      seen.push_back(std::string(step) + (status.ok() ? ":ok" : ":err"));
      EXPECT_GE(elapsed.count(), 0);
    }
    std::vector<std::string> seen;
  } observer;
  {
    JobContext ctx(job_, std::make_shared<CancelToken>(), &queue_, &bus_);
    StepRunner first(ctx, *steps_, "doc:9", {"a", "b"});
    ASSERT_TRUE(first.Run("a", Record("a")).ok());
  }
  JobContext ctx(job_, std::make_shared<CancelToken>(), &queue_, &bus_, &observer);
  StepRunner runner(ctx, *steps_, "doc:9", {"a", "b", "c"});
  ASSERT_TRUE(runner.Run("a", Record("a")).ok());  // skipped: done before
  ASSERT_TRUE(runner.Run("b", Record("b")).ok());
  EXPECT_FALSE(
      runner.Run("c", []() -> StatusOr<StepStore::Effect> { return Unavailable("provider down"); })
          .ok());
  EXPECT_EQ(observer.seen, (std::vector<std::string>{"b:ok", "c:err"}));
}

TEST_F(StepRunnerTest, FailingEffectLeavesNeitherEffectNorMark) {
  JobContext ctx(job_, std::make_shared<CancelToken>(), &queue_, &bus_);
  StepRunner runner(ctx, *steps_, "doc:7", {"a"});
  Status s = runner.Run("a", Record("a", Unavailable("disk gone")));
  EXPECT_EQ(s.code(), Code::kUnavailable);
  EXPECT_EQ(Count("a"), 0);  // the insert was rolled back with the failing op
  EXPECT_FALSE(*steps_->IsDone("doc:7", "a"));
  ASSERT_TRUE(runner.Run("a", Record("a")).ok());
  EXPECT_EQ(Count("a"), 1);
}

TEST_F(StepRunnerTest, FailingWorkIsReturnedAndNothingIsStored) {
  JobContext ctx(job_, std::make_shared<CancelToken>(), &queue_, &bus_);
  StepRunner runner(ctx, *steps_, "doc:7", {"a"});
  Status s = runner.Run("a", []() -> StatusOr<StepStore::Effect> { return InvalidArgument("x"); });
  EXPECT_EQ(s.code(), Code::kInvalidArgument);
  EXPECT_FALSE(*steps_->IsDone("doc:7", "a"));
}

TEST_F(StepRunnerTest, CancelStopsBeforeTheNextStepAndDiscardsInFlightEffect) {
  auto cancel = std::make_shared<CancelToken>();
  JobContext ctx(job_, cancel, &queue_, &bus_);
  StepRunner runner(ctx, *steps_, "doc:7", {"a", "b"});
  // Cancel arrives while a's work runs: its effect must not be stored.
  Status s = runner.Run("a", [&]() -> StatusOr<StepStore::Effect> {
    cancel->Cancel();
    return Record("a")();
  });
  EXPECT_EQ(s.code(), Code::kCancelled);
  EXPECT_EQ(Count("a"), 0);
  EXPECT_EQ(runner.Run("b", Record("b")).code(), Code::kCancelled);
  EXPECT_EQ(Count("b"), 0);
}

TEST_F(StepRunnerTest, DuplicateCommitOfTheSameStepIsANoOp) {
  ASSERT_TRUE(steps_->Commit("k", "s", Record("s")().value()).ok());
  ASSERT_TRUE(steps_->Commit("k", "s", Record("s")().value()).ok());
  EXPECT_EQ(Count("s"), 1);
}

TEST_F(StepRunnerTest, ClearForgetsMarksInsideTheCallersTransaction) {
  ASSERT_TRUE(steps_->Commit("k", "s", nullptr).ok());
  ASSERT_TRUE(db_->writer().Run([&](sqlite::Tx& tx) { return steps_->Clear(tx, "k"); }).ok());
  EXPECT_FALSE(*steps_->IsDone("k", "s"));
}

TEST_F(StepRunnerTest, ProgressPercentFollowsTheStepList) {
  std::vector<int> percents;
  auto sub = bus_.Subscribe(job_.id, 0,
                            [&](const JobEvent& e) { percents.push_back(e.progress.percent); });
  JobContext ctx(job_, std::make_shared<CancelToken>(), &queue_, &bus_);
  StepRunner runner(ctx, *steps_, "doc:7", {"a", "b", "c", "d"});
  ASSERT_TRUE(runner.Run("a", Record("a")).ok());
  ASSERT_TRUE(runner.Run("b", Record("b")).ok());
  EXPECT_EQ(percents, (std::vector<int>{0, 25, 25, 50}));
}

}  // namespace
}  // namespace scriptgen::jobs
