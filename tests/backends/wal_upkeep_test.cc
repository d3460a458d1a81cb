// The writer keeps the write-ahead log bounded while readers keep reading (writer.h, "checkpoint
// starvation"): with read transactions always open, SQLite's own PASSIVE checkpoint never gets to
// restart the log, so these tests fail if the writer leaves checkpointing to SQLite.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <thread>

#include "backends/sqlite/connection.h"
#include "backends/sqlite/writer.h"

namespace scriptgen::sqlite {
namespace {

using namespace std::chrono_literals;

constexpr int kTruncateFrames = 64;
constexpr uintmax_t kPage = 4096;

class WalUpkeepTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("sg-wal-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    path_ = (dir_ / "t.db").string();
  }
  void TearDown() override {
    writer_.reset();
    std::filesystem::remove_all(dir_);
  }
  void OpenWriter(WriterOptions options) {
    options.wal_truncate_frames = kTruncateFrames;
    StatusOr<std::unique_ptr<Writer>> w = Writer::Open(path_, options);
    ASSERT_TRUE(w.ok()) << w.status().ToString();
    writer_ = std::move(*w);
    ASSERT_TRUE(writer_->Run([](Tx& tx) { return tx.conn().Exec("CREATE TABLE t(v BLOB)"); }).ok());
  }
  // One commit of about four pages.
  Status InsertBlob() {
    return writer_->Run(
        [](Tx& tx) { return tx.conn().Exec("INSERT INTO t VALUES (randomblob(16000))"); });
  }
  uintmax_t WalBytes() const {
    std::error_code ec;
    const uintmax_t n = std::filesystem::file_size(path_ + "-wal", ec);
    return ec ? 0 : n;
  }
  static std::unique_ptr<Connection> Reader(const std::string& path) {
    StatusOr<std::unique_ptr<Connection>> c = Connection::Open(path, {.read_only = true});
    EXPECT_TRUE(c.ok()) << c.status().ToString();
    return c.ok() ? std::move(*c) : nullptr;
  }
  // Starts a read transaction and pins its snapshot (WAL readers take it at the first read).
  static int64_t BeginRead(Connection& c) {
    EXPECT_TRUE(c.Exec("BEGIN").ok());
    int64_t n = -1;
    StatusOr<Statement*> st = c.Prepare("SELECT count(*) FROM t");
    EXPECT_TRUE(st.ok());
    if (st.ok()) (void)(*st)->One([&](const Statement& s) { n = s.Int(0); });
    return n;
  }

  std::filesystem::path dir_;
  std::string path_;
  std::unique_ptr<Writer> writer_;
};

TEST_F(WalUpkeepTest, OverlappingReadersDoNotLetTheLogGrow) {
  OpenWriter({.wal_truncate_wait = 100ms, .wal_retry_after = 20ms});
  // Two readers, each holding a snapshot for 3 ms and starting the next one at once, half a
  // period apart: at every instant some reader is inside the log.
  std::atomic<bool> stop{false};
  std::atomic<int> reads{0};
  std::vector<std::thread> readers;
  for (int r = 0; r < 2; ++r) {
    readers.emplace_back([&, r] {
      std::unique_ptr<Connection> c = Reader(path_);
      if (c == nullptr) return;
      if (r == 1) std::this_thread::sleep_for(1500us);
      while (!stop) {
        BeginRead(*c);
        std::this_thread::sleep_for(3ms);
        (void)c->Exec("COMMIT");
        ++reads;
      }
    });
  }
  while (reads < 4) std::this_thread::sleep_for(1ms);
  uintmax_t peak = 0;
  const int kCommits = 300;  // ~1,800 frames, ~7 MB through the log
  for (int i = 0; i < kCommits; ++i) {
    ASSERT_TRUE(InsertBlob().ok());
    peak = std::max(peak, WalBytes());
  }
  stop = true;
  for (auto& t : readers) t.join();
  const WriterStats stats = writer_->stats();
  // A checkpoint waits for the readers before it to finish; then the log starts again from its
  // beginning.
  // Now and then the readers outlast the wait and the log grows for wal_retry_after more. Bound:
  // four times the threshold, far below the ~7 MB written (which is what a log left to SQLite's
  // passive checkpoints reaches here).
  EXPECT_LT(peak, 4 * kTruncateFrames * (kPage + 24)) << "the log grew to " << peak << " bytes";
  EXPECT_GT(stats.wal_checkpoints, 10U);
  EXPECT_GT(reads.load(), 20);
}

TEST_F(WalUpkeepTest, ALongReaderPostponesTruncationWithoutStallingEveryCommit) {
  OpenWriter({.wal_truncate_wait = 20ms, .wal_retry_after = 100ms});
  std::unique_ptr<Connection> reader = Reader(path_);
  ASSERT_NE(reader, nullptr);
  ASSERT_EQ(BeginRead(*reader), 0);
  const auto start = std::chrono::steady_clock::now();
  const int kCommits = 200;
  for (int i = 0; i < kCommits; ++i) ASSERT_TRUE(InsertBlob().ok());
  const double elapsed_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const WriterStats stats = writer_->stats();
  // The reader's snapshot pins the whole log: nothing could be cut...
  EXPECT_EQ(stats.wal_checkpoints, 0U);
  EXPECT_GT(WalBytes(), 3 * kTruncateFrames * kPage);
  // ...and the writer paid the wait once per wal_retry_after, not once per commit past the
  // threshold (that would be ~190 waits).
  EXPECT_GE(stats.wal_busy, 1U);
  EXPECT_LE(stats.wal_busy, 2 + static_cast<uint64_t>(elapsed_s / 0.1));
  // The reader still sees its snapshot, then lets go.
  StatusOr<Statement*> again = reader->Prepare("SELECT count(*) FROM t");
  ASSERT_TRUE(again.ok());
  int64_t seen = -1;
  ASSERT_TRUE(*(*again)->One([&](const Statement& s) { seen = s.Int(0); }));
  EXPECT_EQ(seen, 0);
  ASSERT_TRUE(reader->Exec("COMMIT").ok());
  std::this_thread::sleep_for(150ms);  // past wal_retry_after
  // This commit's checkpoint (the writer's, or a passive one that finds no reader left) copies
  // everything; the next commit starts the log again and trims the file to journal_size_limit.
  ASSERT_TRUE(InsertBlob().ok());
  ASSERT_TRUE(InsertBlob().ok());
  // A later op is a barrier behind the second commit's upkeep.
  ASSERT_TRUE(writer_->Run([](Tx&) { return Status::Ok(); }).ok());
  EXPECT_LE(WalBytes(), kTruncateFrames * (kPage + 24)) << "the log's space is given back";
  EXPECT_EQ(BeginRead(*reader), kCommits + 2);  // nothing was lost on the way
  (void)reader->Exec("COMMIT");
}

}  // namespace
}  // namespace scriptgen::sqlite
