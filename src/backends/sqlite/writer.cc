// Group commit. The loop swaps out every pending op at once, so while one group commits (fsync),
// the next group accumulates: under load the group size grows until the fsync cost per op is
// negligible; at low load a lone op commits immediately (no artificial delay).
//
// Failure handling: an op that fails is rolled back to its savepoint and told its own Status; the
// others still commit. If COMMIT itself fails (disk full, I/O error) the whole group is rolled back
// and every op in it gets that error: nobody is told "done" for something that was not stored.
#include "backends/sqlite/writer.h"

#include <exception>
#include <future>

namespace scriptgen::sqlite {

StatusOr<std::unique_ptr<Writer>> Writer::Open(const std::string& path, size_t max_ops_per_commit) {
  StatusOr<std::unique_ptr<Connection>> conn = Connection::Open(path, {});
  if (!conn.ok()) return conn.status();
  return std::unique_ptr<Writer>(new Writer(std::move(*conn), max_ops_per_commit));
}

Writer::Writer(std::unique_ptr<Connection> conn, size_t max_ops)
    : conn_(std::move(conn)), max_ops_(max_ops) {
  thread_ = std::thread([this] { Loop(); });
}

Writer::~Writer() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

Status Writer::Run(Op op) {
  std::promise<Status> promise;
  std::future<Status> result = promise.get_future();
  Submit(std::move(op), [&promise](const Status& s) { promise.set_value(s); });
  return result.get();
}

void Writer::Submit(Op op, Done done) {
  {
    std::lock_guard lock(mu_);
    if (!stop_) {
      pending_.push_back({std::move(op), std::move(done)});
      op = nullptr;
    }
  }
  if (op != nullptr) {  // the writer is shutting down: refuse rather than lose silently
    if (done) done(Unavailable("the store is shutting down"));
    return;
  }
  cv_.notify_one();
}

WriterStats Writer::stats() const {
  std::lock_guard lock(mu_);
  return stats_;
}

void Writer::Loop() {
  std::vector<Pending> group;
  for (;;) {
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [this] { return stop_ || !pending_.empty(); });
      if (pending_.empty() && stop_) return;
      if (pending_.size() <= max_ops_) {
        group.swap(pending_);
      } else {
        auto split = pending_.begin() + static_cast<ptrdiff_t>(max_ops_);
        group.assign(std::make_move_iterator(pending_.begin()), std::make_move_iterator(split));
        pending_.erase(pending_.begin(), split);
      }
    }
    CommitGroup(group);
    group.clear();
  }
}

void Writer::CommitGroup(std::vector<Pending>& group) {
  std::vector<Status> results(group.size());
  std::vector<std::function<void()>> after_commit;
  Status begin = conn_->Exec("BEGIN IMMEDIATE");
  if (begin.ok()) {
    size_t first = 0;  // the first op of the transaction now open
    for (size_t i = 0; i < group.size(); ++i) {
      Tx tx(*conn_);
      Status s = conn_->Exec("SAVEPOINT op");
      if (s.ok()) {
        try {
          s = group[i].op(tx);
        } catch (const std::exception& e) {
          s = Internal(std::string("store op threw: ") + e.what());
        }
        if (s.ok()) {
          s = conn_->Exec("RELEASE op");
        } else {
          (void)conn_->Exec("ROLLBACK TO op");
          (void)conn_->Exec("RELEASE op");
        }
      }
      if (!conn_->InTransaction()) {
        // SQLite rolled back the whole transaction, not just the op's statement (it may on
        // SQLITE_FULL, SQLITE_IOERR or SQLITE_NOMEM): the ops before this one are gone too.
        // Without this check they would be told "done", and the next op's SAVEPOINT would open
        // a transaction of its own that RELEASE commits outside the group.
        const Status lost = s.ok() ? Unavailable("the store rolled back the transaction") : s;
        for (size_t j = first; j <= i; ++j) results[j] = lost;
        after_commit.clear();
        first = i + 1;
        begin = conn_->Exec("BEGIN IMMEDIATE");
        if (!begin.ok()) {
          for (size_t j = first; j < group.size(); ++j) results[j] = begin;
          break;
        }
        continue;
      }
      if (s.ok()) {
        for (auto& fn : tx.after_commit_) after_commit.push_back(std::move(fn));
      }
      results[i] = std::move(s);
    }
    if (begin.ok()) {
      Status commit = conn_->Exec("COMMIT");
      if (!commit.ok()) {
        (void)conn_->Exec("ROLLBACK");
        after_commit.clear();
        for (size_t j = first; j < group.size(); ++j) {
          if (results[j].ok()) results[j] = commit;
        }
      }
    }
  } else {
    for (Status& s : results) s = begin;
  }
  {
    std::lock_guard lock(mu_);
    stats_.commits += begin.ok() ? 1 : 0;
    stats_.ops += group.size();
  }
  for (auto& fn : after_commit) fn();
  for (size_t i = 0; i < group.size(); ++i) {
    if (group[i].done) group[i].done(results[i]);
  }
}

}  // namespace scriptgen::sqlite
