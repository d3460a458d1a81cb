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
#pragma once

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
};

class Writer {
 public:
  using Op = std::function<Status(Tx&)>;
  using Done = std::function<void(const Status&)>;

  // Opens (creating if needed) the database at path and starts the writer thread.
  static StatusOr<std::unique_ptr<Writer>> Open(const std::string& path,
                                                size_t max_ops_per_commit = 4096);
  ~Writer();  // drains pending ops, then stops

  Status Run(Op op);
  void Submit(Op op, Done done = nullptr);

  WriterStats stats() const;

 private:
  struct Pending {
    Op op;
    Done done;
  };
  Writer(std::unique_ptr<Connection> conn, size_t max_ops);
  void Loop();
  void CommitGroup(std::vector<Pending>& group);

  std::unique_ptr<Connection> conn_;
  const size_t max_ops_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::vector<Pending> pending_;
  bool stop_ = false;
  WriterStats stats_;
  std::thread thread_;
};

}  // namespace scriptgen::sqlite
