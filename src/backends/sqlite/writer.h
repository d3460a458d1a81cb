// Writer: the single writer thread of a SQLite database, with group commit.
//
// Every change to the database is an Op submitted here. The writer thread takes all ops waiting
// at that moment, runs them in ONE transaction (each inside its own SAVEPOINT, so a failing op
// rolls back alone) and commits once. With synchronous=FULL that is one fsync for the whole group
// instead of one per op: durability at the price of a few milliseconds of latency, with
// throughput that grows with the number of concurrent submitters.
//
// Run() returns after the op's transaction is durable. Submit() does not wait; its callback runs
// on the writer thread after commit (keep it short). Ops run on the writer thread and must not
// call Run() themselves (that would deadlock); they may Submit().
//
// The writer also keeps the write-ahead log bounded. SQLite's automatic checkpoint is PASSIVE: it
// never waits for readers, and it can only restart the log at a moment when no reader is using
// it. Under a steady stream of overlapping reads (workers, searches, job status) that moment never
// comes and the WAL grows without bound ("checkpoint starvation"; the disk_full chaos scenario
// saw 15 MiB of log beside a 6 MiB database). So after a commit that leaves the log at
// wal_truncate_frames or more, the writer runs a RESTART checkpoint: it waits up to
// wal_truncate_wait for readers still on older snapshots (new readers are never blocked; new
// writes wait) and copies every frame, so the next commit writes the log from its start again;
// journal_size_limit trims the file to that size. The file is kept rather than cut to zero:
// overwriting it is cheaper than growing it again (growing makes every commit's fsync a journal
// commit too: ~18 % fewer uploads per second in the ingest bench). If readers outlast the wait the
// writer copies what it can and tries again wal_retry_after later. A commit refused for lack of
// space (or any I/O error) triggers a TRUNCATE checkpoint at once instead: giving the log's space
// back to the filesystem is often what lets the next commit succeed.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "backends/sqlite/connection.h"
#include "store/write_tx.h"

namespace scriptgen::sqlite {

// The transaction an op runs in.
class Tx final : public store::WriteTx {
 public:
  explicit Tx(Connection& conn) : conn_(conn) {}
  Connection& conn() { return conn_; }
  StatusOr<Statement*> Prepare(std::string_view sql) { return conn_.Prepare(sql); }
  void AfterCommit(std::function<void()> fn) override { after_commit_.push_back(std::move(fn)); }

  // Downcast from the opaque handle use cases pass around; the store is SQLite-only within a
  // process, so this cannot fail in a correct program.
  static Tx& From(store::WriteTx& tx) { return static_cast<Tx&>(tx); }

 private:
  friend class Writer;
  Connection& conn_;
  std::vector<std::function<void()>> after_commit_;
};

struct WriterStats {
  uint64_t commits = 0;
  uint64_t ops = 0;
  uint64_t wal_checkpoints = 0;  // RESTART/TRUNCATE checkpoints that completed
  uint64_t wal_busy = 0;         // ... that readers outlasted (retried later)
};

struct WriterOptions {
  size_t max_ops_per_commit = 4096;
  int wal_truncate_frames = 1000;  // SQLite's own auto-checkpoint size: ~4 MiB at 4 KiB pages
  std::chrono::milliseconds wal_truncate_wait{200};
  std::chrono::milliseconds wal_retry_after{1000};
};

class Writer {
 public:
  using Op = std::function<Status(Tx&)>;
  using Done = std::function<void(const Status&)>;

  // Opens (creating if needed) the database at path and starts the writer thread.
  static StatusOr<std::unique_ptr<Writer>> Open(const std::string& path,
                                                const WriterOptions& options = {});
  ~Writer();  // drains pending ops, then stops

  Status Run(Op op);
  void Submit(Op op, Done done = nullptr);

  WriterStats stats() const;

 private:
  struct Pending {
    Op op;
    Done done;
  };
  Writer(std::unique_ptr<Connection> conn, const WriterOptions& options);
  void Loop();
  // Returns whether the store refused the group's commit (or one of its ops) for an I/O reason.
  bool CommitGroup(std::vector<Pending>& group);
  void KeepWalBounded(bool store_refused);

  std::unique_ptr<Connection> conn_;
  const WriterOptions options_;
  std::chrono::steady_clock::time_point next_truncate_{};  // writer thread only
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::vector<Pending> pending_;
  bool stop_ = false;
  WriterStats stats_;
  std::thread thread_;
};

}  // namespace scriptgen::sqlite
