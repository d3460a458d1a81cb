// The SQLite writer: group commit really groups, a failing op rolls back alone, after-commit hooks
// run only for committed ops, and the schema refuses a database from the future.
#include "backends/sqlite/writer.h"

#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <future>
#include <thread>

#include "backends/sqlite/database.h"
#include "backends/sqlite/schema.h"

namespace scriptgen::sqlite {
namespace {

class WriterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("sg-writer-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    path_ = (dir_ / "t.db").string();
    db_ = std::move(*Database::Open(path_));
    ASSERT_TRUE(
        db_->writer().Run([](Tx& tx) { return tx.conn().Exec("CREATE TABLE t(v INTEGER)"); }).ok());
  }
  void TearDown() override {
    db_.reset();
    std::filesystem::remove_all(dir_);
  }
  static Writer::Op Insert(int v) {
    return [v](Tx& tx) -> Status {
      auto st = tx.Prepare("INSERT INTO t(v) VALUES (?)");
      if (!st.ok()) return st.status();
      (*st)->Bind(1, v);
      return (*st)->Run();
    };
  }
  int64_t Count() {
    auto conn = db_->readers().Acquire();
    auto st = (*conn)->Prepare("SELECT count(*) FROM t");
    EXPECT_TRUE(*(*st)->Step());
    const int64_t n = (*st)->Int(0);
    (*st)->Reset();
    return n;
  }

  std::filesystem::path dir_;
  std::string path_;
  std::unique_ptr<Database> db_;
};

TEST_F(WriterTest, ConcurrentWritersShareCommits) {
  const WriterStats before = db_->writer().stats();
  std::vector<std::thread> threads;
  for (int t = 0; t < 32; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 50; ++i) ASSERT_TRUE(db_->writer().Run(Insert(t * 100 + i)).ok());
    });
  }
  for (auto& t : threads) t.join();
  const WriterStats after = db_->writer().stats();
  EXPECT_EQ(Count(), 1600);
  EXPECT_EQ(after.ops - before.ops, 1600u);
  // With 32 threads waiting on each commit, groups must form: far fewer commits than ops.
  EXPECT_LT(after.commits - before.commits, 800u);
}

TEST_F(WriterTest, FailingOpRollsBackAloneAndGetsItsOwnStatus) {
  std::atomic<int> done{0};
  Status failed, ok1, ok2;
  // Submitted back to back so they share one group.
  db_->writer().Submit(Insert(1), [&](const Status& s) { ok1 = s, ++done; });
  db_->writer().Submit(
      [](Tx& tx) -> Status {
        SG_RETURN_IF_ERROR(Insert(2)(tx));          // written...
        return InvalidArgument("changed my mind");  // ...and rolled back with the op
      },
      [&](const Status& s) { failed = s, ++done; });
  db_->writer().Submit(Insert(3), [&](const Status& s) { ok2 = s, ++done; });
  ASSERT_TRUE(db_->writer().Run([](Tx&) { return Status::Ok(); }).ok());
  ASSERT_EQ(done.load(), 3);
  EXPECT_TRUE(ok1.ok());
  EXPECT_TRUE(ok2.ok());
  EXPECT_EQ(failed.code(), Code::kInvalidArgument);
  EXPECT_EQ(Count(), 2);
}

// SQLite may answer SQLITE_FULL or SQLITE_IOERR by rolling back the whole transaction rather than
// the failing statement (sqlite3_get_autocommit tells). The op below does what SQLite does then.
// Every op of the group that ran before it lost its writes and must be told so; the ops after it
// must still commit, in a transaction of the group, with their after-commit hooks run.
TEST_F(WriterTest, TransactionRolledBackBySqliteFailsTheEarlierOpsOfTheGroup) {
  std::atomic<int> done{0};
  Status before, culprit, after;
  int hooks_before = 0, hooks_after = 0;
  // Hold the writer thread so the next three ops are taken as one group.
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  std::atomic<bool> holding{false};
  db_->writer().Submit([&](Tx&) {
    holding = true;
    released.wait();
    return Status::Ok();
  });
  while (!holding) std::this_thread::yield();
  db_->writer().Submit(
      [&](Tx& tx) {
        tx.AfterCommit([&] { ++hooks_before; });
        return Insert(1)(tx);
      },
      [&](const Status& s) { before = s, ++done; });
  db_->writer().Submit(
      [](Tx& tx) -> Status {
        SG_RETURN_IF_ERROR(Insert(2)(tx));
        (void)tx.conn().Exec("ROLLBACK");  // as SQLite does after some SQLITE_FULL errors
        return Unavailable("database or disk is full");
      },
      [&](const Status& s) { culprit = s, ++done; });
  db_->writer().Submit(
      [&](Tx& tx) {
        tx.AfterCommit([&] { ++hooks_after; });
        return Insert(3)(tx);
      },
      [&](const Status& s) { after = s, ++done; });
  release.set_value();
  ASSERT_TRUE(db_->writer().Run([](Tx&) { return Status::Ok(); }).ok());
  ASSERT_EQ(done.load(), 3);
  EXPECT_EQ(before.code(), Code::kUnavailable) << before.ToString();  // its insert is gone
  EXPECT_EQ(hooks_before, 0);
  EXPECT_EQ(culprit.code(), Code::kUnavailable);
  EXPECT_TRUE(after.ok()) << after.ToString();
  EXPECT_EQ(hooks_after, 1);
  auto conn = db_->readers().Acquire();
  auto st = (*conn)->Prepare("SELECT group_concat(v) FROM t");
  ASSERT_TRUE(*(*st)->Step());
  EXPECT_EQ((*st)->Text(0), "3");  // exactly what the callers were told was stored
  (*st)->Reset();
  // The writer is in a sane state afterwards: a later op commits normally.
  EXPECT_TRUE(db_->writer().Run(Insert(4)).ok());
  EXPECT_EQ(Count(), 2);
}

// PRAGMA max_page_count makes SQLite answer SQLITE_FULL exactly as a full disk does. The caller
// hears kStorageFull (HTTP 507, job class storage_full), nothing is half-stored, and writes resume
// by themselves once there is room.
TEST_F(WriterTest, FullDatabaseIsStorageFullAndWritesResumeWhenThereIsRoom) {
  ASSERT_TRUE(
      db_->writer().Run([](Tx& tx) { return tx.conn().Exec("CREATE TABLE b(v BLOB)"); }).ok());
  const auto set_max_pages = [&](int extra) {
    return db_->writer().Run([extra](Tx& tx) -> Status {
      int64_t pages = 0;
      StatusOr<Statement*> st = tx.Prepare("PRAGMA page_count");
      if (!st.ok()) return st.status();
      (void)(*st)->One([&](const Statement& s) { pages = s.Int(0); });
      return tx.conn().Exec("PRAGMA max_page_count=" + std::to_string(pages + extra));
    });
  };
  ASSERT_TRUE(set_max_pages(20).ok());
  const auto insert = [&] {
    return db_->writer().Run(
        [](Tx& tx) { return tx.conn().Exec("INSERT INTO b VALUES (randomblob(16000))"); });
  };
  int stored = 0;
  Status full;
  for (int i = 0; i < 100 && full.ok(); ++i) {
    full = insert();
    if (full.ok()) ++stored;
  }
  ASSERT_EQ(full.code(), Code::kStorageFull) << full.ToString();
  EXPECT_GT(stored, 0);
  const auto rows = [&] {
    auto conn = db_->readers().Acquire();
    auto st = (*conn)->Prepare("SELECT count(*) FROM b");
    int64_t n = -1;
    (void)(*st)->One([&](const Statement& s) { n = s.Int(0); });
    return n;
  };
  EXPECT_EQ(rows(), stored);
  ASSERT_TRUE(set_max_pages(1000).ok());
  EXPECT_TRUE(insert().ok());
  EXPECT_EQ(rows(), stored + 1);
}

TEST_F(WriterTest, ThrowingOpBecomesInternalError) {
  Status s = db_->writer().Run([](Tx&) -> Status { throw std::runtime_error("bug"); });
  EXPECT_EQ(s.code(), Code::kInternal);
  EXPECT_TRUE(db_->writer().Run(Insert(1)).ok());  // the writer survived
}

TEST_F(WriterTest, AfterCommitRunsOnlyForCommittedOps) {
  int hooks = 0;
  ASSERT_TRUE(db_->writer()
                  .Run([&](Tx& tx) {
                    tx.AfterCommit([&] { ++hooks; });
                    return Insert(1)(tx);
                  })
                  .ok());
  EXPECT_FALSE(db_->writer()
                   .Run([&](Tx& tx) {
                     tx.AfterCommit([&] { hooks += 100; });
                     return Internal("no");
                   })
                   .ok());
  EXPECT_EQ(hooks, 1);
}

TEST_F(WriterTest, SqlErrorsAreReportedNotThrown) {
  Status s =
      db_->writer().Run([](Tx& tx) { return tx.conn().Exec("INSERT INTO nope VALUES (1)"); });
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("nope"), std::string::npos);
}

TEST_F(WriterTest, DataSurvivesReopen) {
  ASSERT_TRUE(db_->writer().Run(Insert(42)).ok());
  db_.reset();
  db_ = std::move(*Database::Open(path_));
  EXPECT_EQ(Count(), 1);
}

TEST_F(WriterTest, DatabaseFromANewerVersionIsRefused) {
  ASSERT_TRUE(db_->writer()
                  .Run([](Tx& tx) {
                    return tx.conn().Exec("PRAGMA user_version = " +
                                          std::to_string(LatestSchemaVersion() + 1));
                  })
                  .ok());
  db_.reset();
  StatusOr<std::unique_ptr<Database>> again = Database::Open(path_);
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.status().code(), Code::kFailedPrecondition);
  EXPECT_NE(again.status().message().find("newer"), std::string::npos);
}

TEST_F(WriterTest, GarbageFileIsRejectedWithAClearError) {
  const std::string junk = (dir_ / "junk.db").string();
  {
    FILE* f = fopen(junk.c_str(), "wb");
    for (int i = 0; i < 4096; ++i) fputc(i * 7 % 251, f);
    fclose(f);
  }
  StatusOr<std::unique_ptr<Database>> db = Database::Open(junk);
  ASSERT_FALSE(db.ok());
  EXPECT_NE(db.status().message().find("not a database"), std::string::npos)
      << db.status().ToString();
}

}  // namespace
}  // namespace scriptgen::sqlite
